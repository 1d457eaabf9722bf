package order_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"k42/reconfig/internal/order"
)

// TestOperations checks the values the operations give, on one goroutine
// and under concurrent adds (with -race on the host, the detector checks
// that these are synchronising operations).
func TestOperations(t *testing.T) {
	var p order.Pointer[int]
	assert.Nil(t, p.Load())
	v := 7
	p.Store(&v)
	assert.Same(t, &v, p.Load())

	var u order.Uint64
	u.Store(1 << 40)
	assert.EqualValues(t, 1<<40, u.Load())

	var n order.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				n.Add(1)
				order.Fence()
				_ = n.Load()
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 4000, n.Load())
	assert.EqualValues(t, 3999, n.Add(-1))
}
