package platform_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"k42/reconfig/platform"
)

func TestHostCPUInRangeAndStable(t *testing.T) {
	p := platform.Host()
	n := p.NumCPU()
	assert.GreaterOrEqual(t, n, 4)
	assert.Zero(t, n&(n-1), "a power of two")
	seen := map[int]bool{}
	var mu sync.Mutex
	var wg, alive sync.WaitGroup
	release := make(chan struct{})
	alive.Add(64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Stay alive until all have asked: a goroutine that ended
			// would hand its stack to the next, which then lands on the
			// same slot.
			defer func() { alive.Done(); <-release }()
			a, b := p.CPU(), p.CPU()
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, a, b, "same goroutine, same depth: same CPU")
			assert.True(t, a >= 0 && a < n)
			seen[a] = true
		}()
	}
	alive.Wait()
	close(release)
	wg.Wait()
	assert.Greater(t, len(seen), 1, "goroutines spread over CPUs")
	t0 := p.Now()
	assert.GreaterOrEqual(t, p.Now(), t0)
}

func TestCurrentDefaultsToHostAndCanBeInstalled(t *testing.T) {
	assert.NotNil(t, platform.Current())
	fake := fixed{}
	platform.Install(fake)
	assert.Equal(t, platform.Platform(fake), platform.Current())
}

type fixed struct{}

func (fixed) CPU() int    { return 0 }
func (fixed) NumCPU() int { return 1 }
func (fixed) Now() int64  { return 1 }
