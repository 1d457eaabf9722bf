package generation_test

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// fixedCPU is a platform whose CPU number the test sets.
type fixedCPU struct {
	n   int
	cpu atomic.Int64
}

func (f *fixedCPU) CPU() int    { return int(f.cpu.Load()) }
func (f *fixedCPU) NumCPU() int { return f.n }
func (f *fixedCPU) Now() int64  { return time.Now().UnixNano() }

func newDomain(t *testing.T, p platform.Platform, gens int) *generation.Domain {
	d, err := generation.New(p, gens)
	require.NoError(t, err)
	return d
}

func TestNewRejectsBadGenerationCounts(t *testing.T) {
	for _, n := range []int{-1, 0, 1, generation.MaxGenerations + 1} {
		_, err := generation.New(platform.Host(), n)
		assert.ErrorIs(t, err, generation.ErrGenerations, "generations=%d", n)
	}
}

func TestQuiesceWhenIdleIsImmediate(t *testing.T) {
	for gens := 2; gens <= generation.MaxGenerations; gens++ {
		d := newDomain(t, platform.Host(), gens)
		called := false
		d.Quiesce(func() { called = true })
		assert.True(t, called, "generations=%d", gens)
	}
}

// TestQuiesceWaitsForOldRequestsOnly: a request open at the call holds
// the callback back; requests started after it do not.
func TestQuiesceWaitsForOldRequestsOnly(t *testing.T) {
	p := &fixedCPU{n: 4}
	d := newDomain(t, p, 2)
	p.cpu.Store(2)
	old := d.Enter()
	var fired atomic.Bool
	d.Quiesce(func() { fired.Store(true) })
	assert.False(t, fired.Load())

	// New requests, on this and other CPUs, come and go, and one stays.
	p.cpu.Store(2)
	stays := d.Enter()
	for cpu := range 4 {
		p.cpu.Store(int64(cpu))
		d.Enter().End()
	}
	assert.False(t, fired.Load(), "a new request must not be waited for, but the old one is still open")

	old.End()
	assert.True(t, fired.Load(), "the last old request ended: two swaps are done")
	stays.End()

	st := d.Snapshot()
	assert.GreaterOrEqual(t, st[2].Swaps, uint64(2))
	assert.Zero(t, d.Live())
}

// TestTwoSwapsOnEveryCPU checks the paper's algorithm on a CPU whose
// non-current generation is busy: the first swap waits for it.
func TestTwoSwapsOnEveryCPU(t *testing.T) {
	p := &fixedCPU{n: 2}
	d := newDomain(t, p, 2)
	p.cpu.Store(0)
	a := d.Enter() // generation 0
	var first atomic.Bool
	d.Quiesce(func() { first.Store(true) }) // swaps CPU 0 to 1; waits for a
	b := d.Enter()                          // generation 1
	var second atomic.Bool
	d.Quiesce(func() { second.Store(true) }) // wants CPU 0 past 1: needs 0 drained first
	assert.Equal(t, uint64(1), d.Snapshot()[0].Current, "generation 2 reuses a's slot: no swap until a ends")
	a.End()
	assert.True(t, first.Load())
	assert.False(t, second.Load(), "b is still open")
	assert.Equal(t, uint64(2), d.Snapshot()[0].Current)
	b.End()
	assert.True(t, second.Load())
	assert.Equal(t, uint64(3), d.Snapshot()[0].Current)
	assert.EqualValues(t, 4, d.Snapshot()[1].Current, "CPU 1, idle, made two swaps at once for each request")
}

// TestMoreGenerationsSwapEarlier: with three generations, the second
// quiescence request can swap while the first generation still has a
// request.
func TestMoreGenerationsSwapEarlier(t *testing.T) {
	p := &fixedCPU{n: 1}
	d := newDomain(t, p, 3)
	a := d.Enter() // generation 0
	d.Quiesce(func() {})
	b := d.Enter()
	d.Quiesce(func() {})
	c := d.Enter()
	assert.Equal(t, uint64(2), d.Snapshot()[0].Current, "a free third slot let the second request swap at once")
	for _, r := range []generation.Request{a, b, c} {
		r.End()
	}
	assert.Zero(t, d.Live())
}

func TestEndTwicePanics(t *testing.T) {
	d := newDomain(t, platform.Host(), 2)
	r := d.Enter()
	r.End()
	assert.Panics(t, func() { r.End() })
}

func TestCallbackMayQuiesceAgain(t *testing.T) {
	d := newDomain(t, platform.Host(), 2)
	done := make(chan struct{})
	d.Quiesce(func() { d.Quiesce(func() { close(done) }) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("nested quiescence never reported")
	}
}

// TestPropertyRandomLifetimes: requests with random lifetimes start and
// end on many goroutines while quiescence is requested at random
// instants. Each callback must find that every request alive at its
// instant has ended, and every callback must come.
func TestPropertyRandomLifetimes(t *testing.T) {
	for _, gens := range []int{2, 3, 5} {
		for seed := uint64(1); seed <= 3; seed++ {
			checkRandomLifetimes(t, gens, seed)
		}
	}
}

func checkRandomLifetimes(t *testing.T, gens int, seed uint64) {
	d := newDomain(t, platform.Host(), gens)
	const workers, perWorker, checks = 8, 300, 60

	var mu sync.Mutex
	live := map[int]*atomic.Bool{} // request id -> ended
	nextID := 0

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for range perWorker {
				r := d.Enter()
				mu.Lock()
				id := nextID
				nextID++
				ended := new(atomic.Bool)
				live[id] = ended
				mu.Unlock()
				switch rng.IntN(4) {
				case 0:
					time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
				case 1:
					for range rng.IntN(1000) {
						_ = rng.Uint64()
					}
				}
				mu.Lock()
				delete(live, id)
				mu.Unlock()
				ended.Store(true) // before End: the callback may run in End
				r.End()
			}
		}()
	}

	var violations, pending atomic.Int64
	var cbs sync.WaitGroup
	rng := rand.New(rand.NewPCG(seed, 99))
	for range checks {
		time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
		mu.Lock()
		snapshot := make([]*atomic.Bool, 0, len(live))
		for _, e := range live {
			snapshot = append(snapshot, e)
		}
		mu.Unlock()
		cbs.Add(1)
		pending.Add(1)
		d.Quiesce(func() {
			for _, e := range snapshot {
				if !e.Load() {
					violations.Add(1)
				}
			}
			pending.Add(-1)
			cbs.Done()
		})
	}
	wg.Wait()
	waited := make(chan struct{})
	go func() { cbs.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatalf("gens=%d seed=%d: %d callbacks never came", gens, seed, pending.Load())
	}
	assert.Zero(t, violations.Load(), "gens=%d seed=%d: callback ran before a request of its instant ended", gens, seed)
	assert.Zero(t, d.Live(), "gens=%d seed=%d", gens, seed)
	for cpu, st := range d.Snapshot() {
		assert.Zero(t, st.Waiting, "gens=%d seed=%d cpu=%d", gens, seed, cpu)
	}
}

// TestCancelWithdrawsTheRequest: a cancelled quiescence request never
// calls back and leaves no CPU waiting; cancelling a satisfied one
// reports false; other requests are unaffected.
func TestCancelWithdrawsTheRequest(t *testing.T) {
	p := &fixedCPU{n: 3}
	d := newDomain(t, p, 2)
	p.cpu.Store(1)
	old := d.Enter()
	var cancelled, kept atomic.Bool
	q := d.Quiesce(func() { cancelled.Store(true) })
	d.Quiesce(func() { kept.Store(true) })
	// Idle CPUs are satisfied at once; CPU 1 waits for its old request.
	assert.EqualValues(t, []int64{0, 2, 0}, waiting(d))
	assert.True(t, q.Cancel())
	assert.False(t, q.Cancel(), "a second cancel withdraws nothing")
	assert.EqualValues(t, []int64{0, 1, 0}, waiting(d), "after cancel")
	old.End()
	assert.False(t, cancelled.Load(), "a cancelled request called back")
	assert.True(t, kept.Load(), "the other request was satisfied")
	for i, c := range d.Snapshot() {
		assert.Zero(t, c.Waiting, "CPU %d", i)
	}
	done := d.Quiesce(func() {})
	assert.False(t, done.Cancel(), "an idle domain satisfies at once; nothing to cancel")
}

func waiting(d *generation.Domain) []int64 {
	var w []int64
	for _, c := range d.Snapshot() {
		w = append(w, c.Waiting)
	}
	return w
}
