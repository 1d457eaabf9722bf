package reconfig_test

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/bench"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
	"k42/reconfig/wrappers"
)

func newCounter(t *testing.T, tb *reconfig.Table, name string, c testcomp.Counter) *reconfig.Entry[testcomp.Counter] {
	e, err := reconfig.Create(tb, name, testcomp.CounterInterface, c)
	require.NoError(t, err)
	return e
}

// call makes one call as a request.
func call[T any](tb *reconfig.Table, fn func() T) T {
	r := tb.Domain().Enter()
	defer r.End()
	return fn()
}

var bg = context.Background()

func TestCreateLookupListDestroy(t *testing.T) {
	tb := newBenchTable(t)
	c := &testcomp.AtomicCounter{}
	e := newCounter(t, tb, "counter", c)
	_, err := reconfig.Create(tb, "counter", testcomp.CounterInterface, testcomp.Counter(c))
	assert.ErrorIs(t, err, reconfig.ErrExists)
	_, err = reconfig.Create(tb, "nil", testcomp.CounterInterface, testcomp.Counter((*testcomp.AtomicCounter)(nil)))
	assert.ErrorIs(t, err, reconfig.ErrNilComponent)
	_, err = reconfig.Create(tb, "adder", testcomp.AdderInterface, testcomp.Adder(&testcomp.PlainAdder{}))
	require.NoError(t, err)

	got, err := reconfig.Lookup(tb, "counter", testcomp.CounterInterface)
	require.NoError(t, err)
	assert.Same(t, e, got)
	_, err = reconfig.Lookup(tb, "adder", testcomp.CounterInterface)
	assert.ErrorIs(t, err, reconfig.ErrWrongInterface)
	_, err = tb.Object("nobody")
	assert.ErrorIs(t, err, reconfig.ErrNotFound)

	list := tb.List()
	require.Len(t, list, 2)
	assert.Equal(t, "adder", list[0].Name)
	assert.Equal(t, reconfig.ObjectInfo{Name: "counter", Interface: "testcomp.Counter",
		Implementation: "*testcomp.AtomicCounter"}, list[1])

	r := e.Ref()
	assert.EqualValues(t, 5, call(tb, func() int64 { return r.Get().Add(bg, 5) }))

	// Destruction waits for the requests that might use the object.
	req := tb.Domain().Enter()
	done, err := tb.Destroy("counter")
	require.NoError(t, err)
	select {
	case <-done:
		t.Fatal("destroyed while a request was open")
	case <-time.After(10 * time.Millisecond):
	}
	req.End()
	waitClosed(t, done)
	assert.PanicsWithError(t, `reconfig: object destroyed: call to counter.Add`, func() { r.Get().Add(bg, 1) })
	_, err = tb.Object("counter")
	assert.ErrorIs(t, err, reconfig.ErrNotFound)
	_, err = e.Destroy()
	assert.ErrorIs(t, err, reconfig.ErrDestroyed)
	_, err = e.NullSwap(reconfig.SwapOptions{})
	assert.ErrorIs(t, err, reconfig.ErrDestroyed)
}

// waitHeld waits until n calls are held by e's mediator.
func waitHeld[I any](e *reconfig.Entry[I], n int64) {
	for {
		if st, _ := e.SwapStatus(); st.Held == n {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("channel never closed")
	}
}

// editWrapper doubles Add's argument, adds 1000 to its result and keeps
// per-call state.
type editWrapper struct {
	pre, post atomic.Int64
	methods   sync.Map
}

func (w *editWrapper) PreCall(c *reconfig.Call) {
	w.pre.Add(1)
	w.methods.Store(c.Method().Name, true)
	if n := reconfig.ArgPtr[int64](c, 1); n != nil {
		*n *= 2
	}
	c.State = 42
	c.Data = "per-call"
}

func (w *editWrapper) PostCall(c *reconfig.Call) {
	if c.State != 42 || c.Data != "per-call" {
		panic("per-call state lost")
	}
	w.post.Add(1)
	if r := reconfig.ResultPtr[int64](c, 0); r != nil && c.Method().Name == "Add" {
		*r += 1000
	}
}

func TestWrapperSeesAndChangesCalls(t *testing.T) {
	tb := newBenchTable(t)
	e := newCounter(t, tb, "c", &testcomp.AtomicCounter{})
	r := e.Ref()
	w := &editWrapper{}
	a, err := e.Attach(w)
	require.NoError(t, err)
	assert.EqualValues(t, 1006, call(tb, func() int64 { return r.Get().Add(bg, 3) }), "argument doubled, result +1000")
	assert.EqualValues(t, 6, call(tb, func() int64 { return r.Get().Value(bg) }))
	assert.EqualValues(t, 2, w.pre.Load())
	assert.EqualValues(t, 2, w.post.Load())
	_, add := w.methods.Load("Add")
	_, val := w.methods.Load("Value")
	assert.True(t, add && val)

	require.NoError(t, e.Detach(a))
	assert.ErrorIs(t, e.Detach(a), reconfig.ErrNotAttached)
	assert.EqualValues(t, 7, call(tb, func() int64 { return r.Get().Add(bg, 1) }))
	assert.EqualValues(t, 2, w.pre.Load(), "detached")
	waitClosed(t, a.Reclaimed())
}

func TestMethodSpecificAndStackedWrappers(t *testing.T) {
	tb := newBenchTable(t)
	e := newCounter(t, tb, "c", &testcomp.AtomicCounter{})
	r := e.Ref()
	_, err := e.Attach(&editWrapper{}, "Nope")
	assert.ErrorIs(t, err, reconfig.ErrNoMethod)

	onlyValue := wrappers.NewCallCounter(tb.Platform(), e.Methods())
	inner := wrappers.NewCallCounter(tb.Platform(), e.Methods())
	outer := wrappers.NewInFlight(tb.Platform(), e.Methods())
	aInner, err := e.Attach(inner)
	require.NoError(t, err)
	aValue, err := e.Attach(onlyValue, "Value")
	require.NoError(t, err)
	aOuter, err := e.Attach(outer)
	require.NoError(t, err)
	assert.Equal(t, []*reconfig.Attachment{aInner, aValue, aOuter}, e.Attachments())

	for range 3 {
		call(tb, func() int64 { return r.Get().Add(bg, 1) })
	}
	call(tb, func() int64 { return r.Get().Value(bg) })
	assert.EqualValues(t, 4, inner.Total())
	assert.Equal(t, []reconfig.MethodCount{{Method: "Add", Calls: 0}, {Method: "Value", Calls: 1}}, onlyValue.Counts())
	assert.Zero(t, outer.Current())

	// Detach from the middle: the layers above are rebuilt, the rest
	// keep counting.
	require.NoError(t, e.Detach(aValue))
	call(tb, func() int64 { return r.Get().Value(bg) })
	assert.EqualValues(t, 5, inner.Total())
	assert.EqualValues(t, 1, onlyValue.Total())
	assert.Equal(t, []*reconfig.Attachment{aInner, aOuter}, e.Attachments())
	info := e.Info()
	assert.Equal(t, []string{"calls 5 Add=3 Value=2", "in flight 0"}, info.Wrappers)
}

// blockingCounter holds Add until released.
type blockingCounter struct {
	testcomp.AtomicCounter
	entered chan struct{}
	release chan struct{}
}

func (b *blockingCounter) Add(ctx context.Context, n int64) int64 {
	b.entered <- struct{}{}
	<-b.release
	return b.AtomicCounter.Add(ctx, n)
}

// TestAttachDetachDoNotWaitForCalls: with a call stuck inside the
// component, attach and detach return at once; the detached wrapper is
// reclaimed only after the stuck call's request ends.
func TestAttachDetachDoNotWaitForCalls(t *testing.T) {
	tb := newBenchTable(t)
	b := &blockingCounter{entered: make(chan struct{}), release: make(chan struct{})}
	e := newCounter(t, tb, "c", b)
	r := e.Ref()
	in := wrappers.NewInFlight(tb.Platform(), e.Methods())
	a, err := e.Attach(in)
	require.NoError(t, err)
	done := make(chan int64)
	tb.Domain().Go(func() { done <- r.Get().Add(bg, 1) })
	<-b.entered
	assert.EqualValues(t, 1, in.Current())

	start := time.Now()
	a2, err := e.Attach(&editWrapper{})
	require.NoError(t, err)
	require.NoError(t, e.Detach(a))
	require.NoError(t, e.Detach(a2))
	assert.Less(t, time.Since(start), time.Second)
	select {
	case <-a.Reclaimed():
		t.Fatal("reclaimed while a call was inside its interposer")
	case <-time.After(10 * time.Millisecond):
	}
	close(b.release)
	assert.EqualValues(t, 1, <-done)
	waitClosed(t, a.Reclaimed())
	assert.Zero(t, in.Current(), "the call in flight at detach still ran PostCall")
}

func TestSwapTransfersStateByBestProtocol(t *testing.T) {
	tb := newBenchTable(t)
	first := &testcomp.AtomicCounter{}
	e := newCounter(t, tb, "c", first)
	r := e.Ref()
	call(tb, func() int64 { return r.Get().Add(bg, 10) })

	second := &testcomp.AtomicCounter{}
	rep, err := e.Swap(second, reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.True(t, rep.Transferred)
	assert.Equal(t, testcomp.ProtoAtomicRef, rep.Protocol, "highest common bit")
	assert.Equal(t, 1, rep.Tries)
	assert.Equal(t, "*testcomp.AtomicCounter", rep.From)

	third := &testcomp.LockedCounter{}
	rep, err = e.Swap(third, reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.Equal(t, reconfig.Canonical, rep.Protocol, "only canonical is common")
	assert.EqualValues(t, 11, call(tb, func() int64 { return r.Get().Add(bg, 1) }))
	assert.EqualValues(t, 1, third.Served())
	assert.Zero(t, second.Served())
	assert.Equal(t, "*testcomp.LockedCounter", e.Info().Implementation)
	assert.EqualValues(t, 2, e.Info().Swaps)
}

func TestNullSwap(t *testing.T) {
	tb := newBenchTable(t)
	c := &testcomp.AtomicCounter{}
	e := newCounter(t, tb, "c", c)
	w := wrappers.NewCallCounter(tb.Platform(), e.Methods())
	_, err := e.Attach(w)
	require.NoError(t, err)
	var phases []reconfig.Phase
	rep, err := e.NullSwap(reconfig.SwapOptions{Observer: func(p reconfig.Progress) { phases = append(phases, p.Phase) }})
	require.NoError(t, err)
	assert.Equal(t, []reconfig.Phase{reconfig.PhaseForward, reconfig.PhaseBlock, reconfig.PhaseTransfer}, phases)
	assert.False(t, rep.Transferred)
	assert.Positive(t, rep.Total)
	assert.EqualValues(t, 1, call(tb, func() int64 { return e.Ref().Get().Add(bg, 1) }))
	assert.EqualValues(t, 1, w.Total(), "the wrapper stays attached across the swap")
	_, swapping := e.SwapStatus()
	assert.False(t, swapping)
}

func TestNegotiation(t *testing.T) {
	p, err := reconfig.Negotiate(&testcomp.AtomicCounter{}, &testcomp.LockedCounter{})
	require.NoError(t, err)
	assert.Equal(t, reconfig.Canonical, p)
	_, err = reconfig.Negotiate(&testcomp.AtomicCounter{}, &noCanonical{})
	assert.ErrorIs(t, err, reconfig.ErrNoCanonical)
	s := reconfig.Protocols(0, 5, 63)
	h, ok := s.Highest()
	assert.True(t, ok)
	assert.EqualValues(t, 63, h)
	assert.True(t, s.Has(5))
	assert.False(t, s.Has(6))
}

type noCanonical struct{ testcomp.AtomicCounter }

func (*noCanonical) Protocols() (reconfig.ProtocolSet, reconfig.ProtocolSet) {
	return reconfig.Protocols(3), reconfig.Protocols(3)
}

// TestFailedImportKeepsOldComponent: the new component refuses the
// state; the swap fails, the old component keeps its state and serves
// every call, including one that was held during the block phase.
func TestFailedImportKeepsOldComponent(t *testing.T) {
	tb := newBenchTable(t)
	old := &testcomp.AtomicCounter{}
	e := newCounter(t, tb, "c", old)
	r := e.Ref()
	call(tb, func() int64 { return r.Get().Add(bg, 7) })

	held := make(chan int64, 1)
	bad := &testcomp.FailingCounter{}
	opts := reconfig.SwapOptions{Observer: func(p reconfig.Progress) {
		if p.Phase != reconfig.PhaseTransfer {
			return
		}
		// A call arrives while the door is shut; wait until it is held.
		tb.Domain().Go(func() { held <- r.Get().Add(bg, 1) })
		waitHeld(e, 1)
	}}
	rep, err := e.Swap(bad, opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, testcomp.ErrImport)
	assert.ErrorIs(t, err, reconfig.ErrTransfer)
	var se *reconfig.SwapError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reconfig.PhaseTransfer, se.Phase)
	assert.EqualValues(t, 1, rep.Blocked)

	assert.EqualValues(t, 8, <-held, "the held call went to the old component")
	assert.EqualValues(t, 9, call(tb, func() int64 { return r.Get().Add(bg, 1) }))
	assert.Zero(t, bad.Served())
	assert.EqualValues(t, 3, old.Served())
	assert.Equal(t, "*testcomp.AtomicCounter", e.Info().Implementation)
	assert.Zero(t, e.Info().Swaps)
}

// TestRecursionInBlockPhase: a call tracked in the forward phase recurses
// during the block phase; the recursive calls pass (their context carries
// the mediator's mark) and the swap completes; a fresh call made during
// the block phase is held and served by the new component.
func TestRecursionInBlockPhase(t *testing.T) {
	tb := newBenchTable(t)
	d := tb.Domain()
	inBlock := make(chan struct{})
	walking := make(chan struct{})
	w1 := &testcomp.RecursiveWalker{Hold: func(depth int) {
		if depth == 3 {
			close(walking)
			<-inBlock
		}
	}}
	e, err := reconfig.Create(tb, "w", testcomp.WalkerInterface, testcomp.Walker(w1))
	require.NoError(t, err)
	w1.Self = e.Ref()
	w2 := &testcomp.RecursiveWalker{Self: e.Ref()}

	walked := make(chan int, 1)
	fresh := make(chan int, 1)
	opts := reconfig.SwapOptions{Observer: func(p reconfig.Progress) {
		switch p.Phase {
		case reconfig.PhaseForward:
			// A request that starts now is not waited for by the
			// forward phase; its call is tracked.
			d.Go(func() { walked <- e.Ref().Get().Walk(bg, 3) })
			<-walking
		case reconfig.PhaseBlock:
			d.Go(func() { fresh <- e.Ref().Get().Walk(bg, 0) })
			waitHeld(e, 1)
			close(inBlock)
		}
	}}
	done := make(chan struct{})
	var rep reconfig.SwapReport
	go func() {
		defer close(done)
		rep, err = e.Swap(w2, opts)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("swap deadlocked on a recursive call")
	}
	require.NoError(t, err)
	assert.Equal(t, 4, <-walked)
	assert.Equal(t, 1, <-fresh)
	assert.EqualValues(t, 3, rep.Recursive, "Walk(2), Walk(1), Walk(0) passed the block phase")
	assert.EqualValues(t, 1, rep.Blocked)
	assert.EqualValues(t, 1, rep.InFlight)
	assert.EqualValues(t, 4, w1.Served())
	assert.EqualValues(t, 1, w2.Served(), "the held call went to the new walker")
}

// TestCallCycleTimesOut: node a's Ping calls node b in a new request,
// which calls a's Pong in another: a cycle through fresh requests that
// the mediator cannot recognise. Swapping a during such a Ping times
// out, retries, and fails, naming what blocked it; a keeps serving.
//
// The test's Ping waits for the block phase, a dependency on the swapper
// that real requests do not have. A quiescence request may also wait for
// requests started just after it on a CPU whose first generation swap
// must wait for an older generation to drain; here, the previous try's
// cycle can still be unwinding in the older generation. With three
// generations per CPU that swap is always possible at once, so a Ping
// started after the request is never waited for.
func TestCallCycleTimesOut(t *testing.T) {
	d, err := generation.New(platform.Host(), 3)
	require.NoError(t, err)
	tb := reconfig.NewTable(d)
	inBlock := make(chan struct{}, 8)
	entered := make(chan struct{}, 8)
	a := &testcomp.CycleNode{Domain: d, Hold: func() { entered <- struct{}{}; <-inBlock }}
	b := &testcomp.CycleNode{Domain: d}
	ea, err := reconfig.Create(tb, "a", testcomp.NodeInterface, testcomp.Node(a))
	require.NoError(t, err)
	eb, err := reconfig.Create(tb, "b", testcomp.NodeInterface, testcomp.Node(b))
	require.NoError(t, err)
	a.Peer, b.Peer = eb.Ref(), ea.Ref()

	pings := make(chan int, 8)
	opts := reconfig.SwapOptions{Tries: 3, BlockTimeout: 20 * time.Millisecond, Observer: func(p reconfig.Progress) {
		switch p.Phase {
		case reconfig.PhaseForward:
			// A Ping in a request that starts now: the forward phase
			// does not wait for it, and it is tracked.
			d.Go(func() { pings <- ea.Ref().Get().Ping(bg, 1) })
			<-entered
		case reconfig.PhaseBlock:
			inBlock <- struct{}{} // the tracked Ping goes on, into the cycle
		}
	}}
	rep, err := ea.Swap(&testcomp.CycleNode{Domain: d, Peer: eb.Ref()}, opts)
	require.Error(t, err)
	var se *reconfig.SwapError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, reconfig.ErrTimeout)
	assert.Equal(t, reconfig.PhaseBlock, se.Phase)
	assert.Equal(t, 3, se.Tries)
	assert.Equal(t, []reconfig.MethodCount{{Method: "Ping", Calls: 1}}, se.InFlight)
	assert.Equal(t, []reconfig.MethodCount{{Method: "Pong", Calls: 1}}, se.Held)
	assert.Contains(t, err.Error(), `swap of "a" failed after 3 tries: block phase`)
	assert.Contains(t, err.Error(), "in flight: Ping×1; held: Pong×1")
	assert.Equal(t, 3, rep.Tries)
	for range 3 {
		select {
		case n := <-pings:
			assert.Equal(t, 3, n, "every cycle finished, on the old component")
		case <-time.After(10 * time.Second):
			t.Fatal("a Ping never returned")
		}
	}
	inBlock <- struct{}{}
	assert.Equal(t, 3, call(tb, func() int { return ea.Ref().Get().Ping(bg, 1) }))
	<-entered
	assert.EqualValues(t, 4+4, a.Served(), "4 Pings and 4 Pongs, all on the old node")
	assert.Equal(t, "*testcomp.CycleNode", ea.Info().Implementation)
	assert.Zero(t, ea.Info().Swaps)
}

// panicky panics on Add when told to.
type panicky struct {
	testcomp.AtomicCounter
	boom atomic.Bool
}

func (p *panicky) Add(ctx context.Context, n int64) int64 {
	if p.boom.Load() {
		panic("boom")
	}
	return p.AtomicCounter.Add(ctx, n)
}

// TestPanicDuringSwapIsReleased: a tracked call that panics does not
// leave the mediator waiting for it.
func TestPanicDuringSwapIsReleased(t *testing.T) {
	tb := newBenchTable(t)
	p := &panicky{}
	p.boom.Store(true)
	e := newCounter(t, tb, "c", p)
	opts := reconfig.SwapOptions{Tries: 1, BlockTimeout: time.Second, Observer: func(pr reconfig.Progress) {
		if pr.Phase == reconfig.PhaseForward {
			assert.Panics(t, func() { call(tb, func() int64 { return e.Ref().Get().Add(bg, 1) }) })
		}
	}}
	rep, err := e.Swap(&testcomp.AtomicCounter{}, opts)
	require.NoError(t, err)
	assert.EqualValues(t, 1, rep.Forwarded)
}

func TestTracerAndProfiler(t *testing.T) {
	tb := newBenchTable(t)
	e := newCounter(t, tb, "c", &testcomp.AtomicCounter{})
	var buf bytes.Buffer
	tr := wrappers.NewTracer(&buf)
	prof := wrappers.NewProfiler(tb.Platform(), e.Methods())
	_, err := e.Attach(tr)
	require.NoError(t, err)
	_, err = e.Attach(prof)
	require.NoError(t, err)
	r := e.Ref()
	for i := range 10 {
		call(tb, func() int64 { return r.Get().Add(bg, int64(i)) })
	}
	assert.Contains(t, buf.String(), "c.Add(ctx, 9) -> (45) ")
	assert.NoError(t, tr.Err())
	h := prof.Histograms()
	assert.EqualValues(t, 10, h[0].Calls)
	assert.Zero(t, h[1].Calls)
	assert.Contains(t, prof.String(), "Add: 10 calls, mean ")
}

// TestStress is issue 4's stress test: 8 goroutines × 100,000 calls
// through one entry while 1,000 hot swaps between two implementations
// and 1,000 attach/detach cycles happen. Every call must be served
// exactly once, by exactly one implementation, and the counter must end
// at the number of calls (the workload, testcomp.Stress, checks each
// total 1..N is returned exactly once). The full counts run under -race
// too: about 2 s on a 2-core machine, so nothing is scaled down; -short
// scales them down tenfold.
func TestStress(t *testing.T) {
	cfg := testcomp.StressConfig{Callers: 8, CallsPerCaller: 100_000, Swaps: 1000, AttachCycles: 1000}
	if testing.Short() {
		cfg.CallsPerCaller, cfg.Swaps, cfg.AttachCycles = 10_000, 100, 100
	}
	res, err := testcomp.Stress(newBenchTable(t), "stress", cfg)
	require.NoError(t, err)
	t.Logf("%d calls, %d swaps (mean %v, max %v), %d attach cycles, %d operations during calls, in %v",
		res.Calls, res.Swaps, res.MeanSwap, res.MaxSwap, res.Attaches, res.Overlap, res.Elapsed)
	require.NoError(t, res.Check())
	assert.EqualValues(t, cfg.Callers*cfg.CallsPerCaller, res.Calls)
	assert.Equal(t, cfg.Swaps, res.Swaps)
	assert.Equal(t, cfg.AttachCycles, res.Attaches)
	assert.Equal(t, cfg.Swaps+cfg.AttachCycles, res.Overlap, "every swap and attach cycle happened while calls were made")
}

// TestEveryMethodShape calls each shape of method genwrap handles through
// a traced entry and during a swap.
func TestEveryMethodShape(t *testing.T) {
	tb := newBenchTable(t)
	rec := &testcomp.Recorder{}
	e, err := reconfig.Create(tb, "sink", testcomp.SinkInterface, testcomp.Sink(rec))
	require.NoError(t, err)
	var trace bytes.Buffer
	_, err = e.Attach(wrappers.NewTracer(&trace))
	require.NoError(t, err)
	names := []string{}
	for _, m := range e.Methods() {
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{"Apply", "Printf", "Reset", "Split", "Write"}, names)
	assert.True(t, e.Methods()[1].Variadic)
	assert.Equal(t, []string{"string", "...any"}, e.Methods()[1].Params)

	s := e.Ref()
	d := tb.Domain()
	d.Do(func() {
		n, err := s.Get().Write([]byte("ab"))
		assert.Equal(t, 2, n)
		assert.NoError(t, err)
		assert.Equal(t, 4, s.Get().Printf("%d-%s", 7, "xy"))
		h, tl, ok := s.Get().Split("k=v", '=')
		assert.Equal(t, []any{"k", "v", true}, []any{h, tl, ok})
		ch := make(chan time.Duration, 1)
		m := map[string][]int{"a": {1, 2}}
		assert.NoError(t, s.Get().Apply(func(i int) int { return i * 10 }, m, ch))
		assert.Equal(t, []int{10, 20}, m["a"])
		assert.Equal(t, "ab7-xy", rec.Buf.String())
		s.Get().Reset()
	})
	assert.Empty(t, rec.Buf.String())
	out := trace.String()
	for _, want := range []string{"sink.Write([97 98]) -> (2, <nil>)", "sink.Printf(%d-%s, [7 xy]) -> (4)",
		"sink.Split(k=v, 61) -> (k, v, true)", "sink.Reset() -> ()"} {
		assert.Contains(t, out, want)
	}

	// The same shapes through the mediator (tracked, guarded calls).
	opts := reconfig.SwapOptions{Observer: func(p reconfig.Progress) {
		if p.Phase == reconfig.PhaseForward {
			d.Go(func() {
				s.Get().Reset()
				_, _, _ = s.Get().Split("a", 'a')
				_ = s.Get().Printf("x")
			})
		}
	}}
	_, err = e.NullSwap(opts)
	require.NoError(t, err)
}

// TestDestroyBurstReclaimsEveryObject: objects destroyed in a burst, from
// several goroutines while requests come and go, are all reclaimed, none
// before the requests that could see it have ended.
func TestDestroyBurstReclaimsEveryObject(t *testing.T) {
	tab := suite.NewTable(t)
	d := tab.Domain()
	const n = 400
	var atts [n]*reconfig.Attachment
	var ents [n]*reconfig.Entry[testcomp.Adder]
	for i := range ents {
		e, err := reconfig.Create(tab, "burst/"+strconv.Itoa(i), testcomp.AdderInterface, testcomp.Adder(&testcomp.PlainAdder{}))
		require.NoError(t, err)
		ents[i] = e
		atts[i], err = e.Attach(bench.EmptyWrapper{})
		require.NoError(t, err)
	}
	// A request held open across the first half of the destroys.
	held := d.Enter()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				if i%2 == 0 {
					ents[i].DestroySoon()
				} else {
					ch, err := ents[i].Destroy()
					require.NoError(t, err)
					_ = ch
				}
				d.Enter().End()
			}
		}()
	}
	wg.Wait()
	select {
	case <-atts[0].Reclaimed():
		t.Fatal("reclaimed while a request that began before its destroy is in flight")
	case <-time.After(20 * time.Millisecond):
	}
	held.End()
	for i, a := range atts {
		select {
		case <-a.Reclaimed():
		case <-time.After(10 * time.Second):
			t.Fatalf("object %d never reclaimed", i)
		}
	}
	_, err := tab.Object("burst/0")
	require.Error(t, err, "a destroyed object leaves the table")
}
