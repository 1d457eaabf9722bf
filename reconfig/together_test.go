package reconfig_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/testcomp"
)

// refusing is a counter whose import fails.
type refusing struct{ testcomp.AtomicCounter }

func (*refusing) Import(reconfig.Protocol, any) error { return errors.New("refused") }

// TestSwapTogetherIsAllOrNothing: two counters of one table swapped
// together take their new components and state; if the second's import
// fails, neither changes and both go on serving with their state.
func TestSwapTogetherIsAllOrNothing(t *testing.T) {
	tab := suite.NewTable(t)
	a, err := reconfig.Create[testcomp.Counter](tab, "a", testcomp.CounterInterface, &testcomp.AtomicCounter{})
	require.NoError(t, err)
	b, err := reconfig.Create[testcomp.Counter](tab, "b", testcomp.CounterInterface, &testcomp.AtomicCounter{})
	require.NoError(t, err)
	ctx := context.Background()
	d := tab.Domain()
	call := func(e *reconfig.Entry[testcomp.Counter], n int64) (v int64) {
		d.Do(func() { v = e.Ref().Get().Add(ctx, n) })
		return v
	}
	call(a, 5)
	call(b, 7)

	oldA, oldB := a.Component(), b.Component()
	_, err = reconfig.SwapTogether(reconfig.SwapOptions{}, a.To(&testcomp.LockedCounter{}), b.To(&refusing{}))
	require.Error(t, err)
	require.ErrorContains(t, err, "refused")
	require.Same(t, oldA, a.Component(), "a failed part leaves every object as it was")
	require.Same(t, oldB, b.Component())
	require.EqualValues(t, 6, call(a, 1))
	require.EqualValues(t, 8, call(b, 1))

	rep, err := reconfig.SwapTogether(reconfig.SwapOptions{}, a.To(&testcomp.LockedCounter{}), b.To(&testcomp.LockedCounter{}))
	require.NoError(t, err)
	require.Len(t, rep.Objects, 2)
	require.IsType(t, &testcomp.LockedCounter{}, a.Component())
	require.IsType(t, &testcomp.LockedCounter{}, b.Component())
	require.EqualValues(t, 7, call(a, 1), "state moved")
	require.EqualValues(t, 9, call(b, 1))
	t.Log(rep)

	// Busy: an object being swapped already fails the whole change.
	_, err = reconfig.SwapTogether(reconfig.SwapOptions{}, a.To(&testcomp.AtomicCounter{}), a.To(&testcomp.AtomicCounter{}))
	require.ErrorIs(t, err, reconfig.ErrBusy)
}

// TestSwapTogetherHoldsEveryObjectUntilAllTransferred: while the second
// object's state is being transferred, a call on the first, already
// transferred, is held: it must not reach either component until both
// entries point at their new ones.
func TestSwapTogetherHoldsEveryObjectUntilAllTransferred(t *testing.T) {
	tab := suite.NewTable(t)
	a, err := reconfig.Create[testcomp.Counter](tab, "a", testcomp.CounterInterface, &testcomp.AtomicCounter{})
	require.NoError(t, err)
	b, err := reconfig.Create[testcomp.Counter](tab, "b", testcomp.CounterInterface, &testcomp.AtomicCounter{})
	require.NoError(t, err)
	d := tab.Domain()
	newA := &testcomp.LockedCounter{}
	var transfers atomic.Int32
	var done sync.WaitGroup
	var returned atomic.Bool
	opts := reconfig.SwapOptions{Observer: func(p reconfig.Progress) {
		if p.Phase != reconfig.PhaseTransfer || transfers.Add(1) != 2 {
			return
		}
		// b's transfer: a's is done, but a's callers must still be held.
		done.Add(1)
		go func() {
			defer done.Done()
			d.Do(func() { a.Ref().Get().Add(context.Background(), 1) })
			returned.Store(true)
		}()
		time.Sleep(20 * time.Millisecond)
		if returned.Load() {
			t.Error("a call on the first object returned while the second was still being transferred")
		}
	}}
	_, err = reconfig.SwapTogether(opts, a.To(newA), b.To(&testcomp.LockedCounter{}))
	require.NoError(t, err)
	done.Wait()
	require.EqualValues(t, 1, newA.Served(), "the held call went to the new component")
}
