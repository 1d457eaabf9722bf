package reconfig_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/testcomp"
)

// TestSwapToByName swaps an object to its family's members by name, through
// the operator's view (Object), with the state carried across; a name the
// family lacks fails with one error naming it and the members, and the
// old component keeps serving.
func TestSwapToByName(t *testing.T) {
	tab := newBenchTable(t)
	d := tab.Domain()
	e, err := reconfig.Create[testcomp.Counter](tab, "c", testcomp.CounterInterface, new(testcomp.AtomicCounter))
	require.NoError(t, err)
	add := func(n int64) (v int64) {
		d.Do(func() { v = e.Ref().Get().Add(context.Background(), n) })
		return v
	}
	add(5)
	o, err := tab.Object("c")
	require.NoError(t, err)
	assert.Equal(t, []string{"atomic", "locked"}, o.Implementations())

	assert.Equal(t, "atomic", e.Member())
	_, err = o.SwapTo("locked", reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.Equal(t, "*testcomp.LockedCounter", o.Info().Implementation)
	assert.Equal(t, "locked", e.Member())
	assert.EqualValues(t, 7, add(2), "the count moved to the locked counter")

	_, err = o.SwapTo("lockless", reconfig.SwapOptions{})
	require.ErrorIs(t, err, reconfig.ErrNoImplementation)
	assert.Contains(t, err.Error(), `"lockless"`)
	assert.Contains(t, err.Error(), "atomic, locked")
	assert.Equal(t, "*testcomp.LockedCounter", o.Info().Implementation)
	assert.EqualValues(t, 8, add(1), "the old component still serves")

	_, err = o.SwapTo("atomic", reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 9, add(1))
}

// TestSwapAll swaps many objects in one operation, state carried across,
// while they are called; one object's failing import fails only it.
func TestSwapAll(t *testing.T) {
	tab := newBenchTable(t)
	d := tab.Domain()
	var es []*reconfig.Entry[testcomp.Counter]
	for i := range 50 {
		e, err := reconfig.Create[testcomp.Counter](tab, fmt.Sprint("c", i), testcomp.CounterInterface, new(testcomp.AtomicCounter))
		require.NoError(t, err)
		d.Do(func() { e.Ref().Get().Add(context.Background(), int64(i)) })
		es = append(es, e)
	}
	stop := make(chan struct{})
	var calls atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				d.Do(func() { es[(k+g)%len(es)].Ref().Get().Value(context.Background()) })
				calls.Add(1)
			}
		}()
	}
	for calls.Load() < 100 {
		runtime.Gosched() // the callers are calling
	}
	out := reconfig.SwapAll(es, func(i int, _ testcomp.Counter) testcomp.Counter {
		if i == 7 {
			return new(testcomp.FailingCounter)
		}
		return new(testcomp.LockedCounter)
	}, reconfig.SwapOptions{})
	close(stop)
	wg.Wait()
	for i, o := range out {
		var v int64
		d.Do(func() { v = es[i].Ref().Get().Value(context.Background()) })
		assert.EqualValues(t, i, v, "object %d kept its count", i)
		if i == 7 {
			assert.ErrorIs(t, o.Err, reconfig.ErrTransfer)
			assert.Equal(t, "*testcomp.AtomicCounter", es[i].Info().Implementation, "the failed one stays")
			continue
		}
		require.NoError(t, o.Err, "object %d", i)
		assert.Equal(t, "*testcomp.LockedCounter", es[i].Info().Implementation)
		assert.True(t, o.Report.Transferred)
	}
	assert.NotZero(t, calls.Load())
}
