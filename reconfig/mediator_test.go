package reconfig_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
)

// Tests of the mediator's failure paths: deadlines that must hold for
// the whole of a phase, components and observers that panic, and
// forward phases that give up.

// TestBlockDeadlineSurvivesReopen drives calls through the block phase's
// reopen window: lookers are counted for a moment and then held, so a
// round of the phase can see them, wait, and find them gone; recursers
// are let through as recursive, so the re-check can see them and reopen
// the phase, and once inside they make a call cycle that only the block
// timeout breaks. The timeout must fire in every round of the phase,
// including rounds after a reopen; a swap that hangs fails the test.
func TestBlockDeadlineSurvivesReopen(t *testing.T) {
	d, err := generation.New(platform.Host(), 3)
	require.NoError(t, err)
	swaps := 600
	if testing.Short() {
		swaps = 200
	}
	res, err := testcomp.ReopenWindow(reconfig.NewTable(d), swaps, 15*time.Second)
	require.NoError(t, err)
	assert.Equal(t, swaps, res.Swaps)
	assert.NotZero(t, res.CallsAfter, "the object keeps serving after the swaps")
}

// panicking counters: each panics in one transfer step.
type (
	importPanics    struct{ testcomp.AtomicCounter }
	exportPanics    struct{ testcomp.AtomicCounter }
	protocolsPanics struct{ testcomp.AtomicCounter }
)

func (*importPanics) Import(reconfig.Protocol, any) error { panic("import exploded") }
func (*exportPanics) Export(reconfig.Protocol) (any, error) {
	panic("export exploded")
}
func (*protocolsPanics) Protocols() (reconfig.ProtocolSet, reconfig.ProtocolSet) {
	panic("protocols exploded")
}

// TestPanicDuringSwapFailsCleanly: a panic in Protocols, Export, Import
// or the observer, in any phase, fails the swap with a SwapError carrying
// the panic value; the old component keeps its state and serves every
// call, including one held at the mediator when the panic came, and the
// object can be swapped again.
func TestPanicDuringSwapFailsCleanly(t *testing.T) {
	cases := []struct {
		name    string
		old     func() testcomp.Counter // nil: an AtomicCounter
		to      testcomp.Counter
		inPhase reconfig.Phase // the observer panics as this phase begins; 0: never
		value   any
		phase   reconfig.Phase
	}{
		{name: "import", to: &importPanics{}, value: "import exploded", phase: reconfig.PhaseTransfer},
		{name: "export", old: func() testcomp.Counter { return &exportPanics{} }, to: &testcomp.AtomicCounter{},
			value: "export exploded", phase: reconfig.PhaseTransfer},
		{name: "protocols", to: &protocolsPanics{}, value: "protocols exploded", phase: reconfig.PhaseTransfer},
		{name: "observer-forward", to: &testcomp.AtomicCounter{}, inPhase: reconfig.PhaseForward,
			value: "observer exploded", phase: reconfig.PhaseForward},
		{name: "observer-block", to: &testcomp.AtomicCounter{}, inPhase: reconfig.PhaseBlock,
			value: "observer exploded", phase: reconfig.PhaseBlock},
		{name: "observer-transfer", to: &testcomp.AtomicCounter{}, inPhase: reconfig.PhaseTransfer,
			value: "observer exploded", phase: reconfig.PhaseTransfer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := newBenchTable(t)
			var old testcomp.Counter = &testcomp.AtomicCounter{}
			if tc.old != nil {
				old = tc.old()
			}
			e := newCounter(t, tb, "c", old)
			r := e.Ref()
			call(tb, func() int64 { return r.Get().Add(bg, 7) })

			held := make(chan int64, 1)
			holding := false
			opts := reconfig.SwapOptions{Tries: 1, Observer: func(p reconfig.Progress) {
				if p.Phase == reconfig.PhaseTransfer && !holding {
					// A call arrives while the door is shut.
					holding = true
					tb.Domain().Go(func() { held <- r.Get().Add(bg, 1) })
					waitHeld(e, 1)
				}
				if p.Phase == tc.inPhase {
					panic("observer exploded")
				}
			}}
			done := make(chan struct{})
			var err error
			go func() {
				defer close(done)
				_, err = e.Swap(tc.to, opts)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the swap did not return after a panic")
			}
			require.Error(t, err)
			var se *reconfig.SwapError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.value, se.Panic)
			assert.Equal(t, tc.phase, se.Phase)
			assert.ErrorIs(t, err, reconfig.ErrPanic)
			var pe *reconfig.PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.value, pe.Value)
			assert.NotEmpty(t, pe.Stack)
			assert.Contains(t, err.Error(), tc.value)

			want := int64(8)
			if holding {
				select {
				case v := <-held:
					assert.EqualValues(t, 8, v, "the held call went to the old component")
				case <-time.After(10 * time.Second):
					t.Fatal("the held call was never released")
				}
				want = 9
			}
			assert.EqualValues(t, want, call(tb, func() int64 { return r.Get().Add(bg, 1) }), "the old component kept its state")
			info := e.Info()
			assert.False(t, info.Swapping)
			assert.Zero(t, info.Swaps)

			// Still swappable.
			_, err = e.NullSwap(reconfig.SwapOptions{})
			require.NoError(t, err)
			if tc.old != nil {
				return // the old component's Export still panics
			}
			next := &testcomp.AtomicCounter{}
			_, err = e.Swap(next, reconfig.SwapOptions{})
			require.NoError(t, err)
			assert.EqualValues(t, want+1, call(tb, func() int64 { return r.Get().Add(bg, 1) }))
			assert.EqualValues(t, 1, next.Served())
		})
	}
}

// TestForwardTimeoutWithdrawsQuiescence: a forward phase that gives up
// (a request outlives it) leaves no quiescence request behind on any
// CPU, so requests' End stays on its fast path.
func TestForwardTimeoutWithdrawsQuiescence(t *testing.T) {
	tb := newBenchTable(t)
	d := tb.Domain()
	e := newCounter(t, tb, "c", &testcomp.AtomicCounter{})
	stuck := d.Enter() // an old request that outlives the swap
	_, err := e.NullSwap(reconfig.SwapOptions{ForwardTimeout: time.Millisecond, Tries: 3})
	var se *reconfig.SwapError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reconfig.PhaseForward, se.Phase)
	assert.ErrorIs(t, err, reconfig.ErrTimeout)
	assert.Equal(t, 3, se.Tries)
	for i, c := range d.Snapshot() {
		assert.Zero(t, c.Waiting, "CPU %d still waits for a withdrawn quiescence request", i)
	}
	stuck.End()
	_, err = e.NullSwap(reconfig.SwapOptions{})
	require.NoError(t, err)
}
