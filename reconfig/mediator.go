package reconfig

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"k42/reconfig/generation"
	"k42/reconfig/internal/order"
	"k42/reconfig/percpu"
)

// Hot swapping (paper §4.3.2). Swapping the component behind an entry
// from X to Y interposes a mediator in front of X and takes it through
// three phases:
//
//   - Forward: new calls are tracked (counted per CPU and method) and
//     forwarded to X, while the generation mechanism waits until every
//     request that existed when tracking began has ended. After that no
//     untracked call can be in X. No caller waits.
//   - Block: new calls are held at the mediator until the tracked calls
//     have finished; recursive calls, made by a call already inside X,
//     pass (see below). Once the tracked count is zero, X is quiescent.
//   - Transfer: X's state is moved to Y by the negotiated protocol, the
//     entry is pointed at Y, and the held calls go on, to Y.
//
// Recursion. Go has no thread identity, so a call cannot ask "is my
// thread already inside X?". Instead, a component interface that can be
// re-entered carries a context.Context as the first parameter of its
// methods, as Go code does anyway to carry a request's identity. On every
// call it tracks, the mediator marks that context with a value private to
// the mediator; the component passes its context on to the calls it
// makes, so a call arriving in the block phase whose context carries the
// mark was made from inside a tracked call and passes. A call made on a
// fresh context (a new request, a server thread working for someone else)
// is not recognised, exactly like K42's cross-processor calls, which run
// on new threads; a call cycle through such calls cannot finish while the
// block phase holds part of it, so the block phase gives up after
// BlockTimeout, releases the held calls to X, and tries again from the
// forward phase, up to Tries times; then the swap fails with a SwapError
// naming the methods in flight and held, and X goes on serving. Methods
// without a context are never recognised as recursive.
//
// Before the transfer, the mediator closes the door once more: it stops
// letting recursive calls through, and checks the tracked count again, so
// that a call admitted as recursive at the last moment cannot slip past.
// If it finds one, the block phase reopens, within the same deadline: a
// phase's deadline is fixed when the phase begins and, once passed, stays
// passed for every wait in the phase, so no number of reopenings can
// extend it.
//
// Failures. Every way out of a swap, successful or not, goes through one
// path that puts the component that stays back in the entry and releases
// the held calls to it. A forward phase that times out withdraws its
// quiescence request. A panic in the components' Protocols, Export or
// Import, or in the observer, is recovered and fails the swap with a
// SwapError carrying the panic (a *PanicError); the old component serves
// on and the object stays swappable.

// Phase is a phase of a hot swap.
type Phase int

// The phases. Done is the mediator's state after the swap, when it routes
// stragglers to the component that stays.
const (
	PhaseForward Phase = iota + 1
	PhaseBlock
	PhaseTransfer
	PhaseDone
)

func (p Phase) String() string {
	switch p {
	case PhaseForward:
		return "forward"
	case PhaseBlock:
		return "block"
	case PhaseTransfer:
		return "transfer"
	case PhaseDone:
		return "done"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// SwapOptions tune a swap; the zero value gives the defaults.
type SwapOptions struct {
	// ForwardTimeout bounds the wait for quiescence in one forward
	// phase (default 1 s).
	ForwardTimeout time.Duration
	// BlockTimeout bounds the wait for tracked calls in one block phase
	// (default 10 ms).
	BlockTimeout time.Duration
	// Tries bounds the attempts before the swap fails (default 5).
	Tries int
	// Observer, if set, is called on the swapping goroutine as each
	// phase begins (for tracing and tests). It must not call the object
	// being swapped: in the block phase that call would wait for the
	// observer to return. If it panics, the swap fails (see PanicError).
	Observer func(Progress)
}

func (o SwapOptions) withDefaults() SwapOptions {
	if o.ForwardTimeout <= 0 {
		o.ForwardTimeout = time.Second
	}
	if o.BlockTimeout <= 0 {
		o.BlockTimeout = 10 * time.Millisecond
	}
	if o.Tries <= 0 {
		o.Tries = 5
	}
	return o
}

// Progress is the state of a swap in progress.
type Progress struct {
	Phase     Phase
	Try       int   // attempt, from 1
	Forwarded int64 // calls tracked and forwarded to the old component so far
	Blocked   int64 // calls held so far
	Recursive int64 // recursive calls let through in the block phase so far
	Held      int64 // calls held now
	InFlight  int64 // tracked calls in the old component now
}

// SwapReport describes a swap, successful or not.
type SwapReport struct {
	Object   string
	From, To string // dynamic types of the components
	Tries    int
	// Time in each phase, summed over tries, and in all.
	Forward, Block, Transfer, Total time.Duration
	Forwarded                       int64 // calls tracked and forwarded to the old component
	Blocked                         int64 // calls held in the block phase
	Recursive                       int64 // recursive calls let through in the block phase
	InFlight                        int64 // tracked calls in flight when the last block phase began
	// Protocol is the transfer protocol used, if Transferred.
	Protocol    Protocol
	Transferred bool
}

func (r SwapReport) String() string {
	tr := "no state transfer"
	if r.Transferred {
		tr = fmt.Sprintf("state in protocol %d", r.Protocol)
	}
	return fmt.Sprintf("swap %s: %s -> %s in %v (%d tries; forward %v, block %v, transfer %v); "+
		"%d calls forwarded, %d blocked, %d recursive, %d in flight at block; %s",
		r.Object, r.From, r.To, r.Total, r.Tries, r.Forward, r.Block, r.Transfer,
		r.Forwarded, r.Blocked, r.Recursive, r.InFlight, tr)
}

// ErrTimeout reports a phase that did not finish in time.
var ErrTimeout = errors.New("timed out")

// MethodCount is a number of calls to one method.
type MethodCount struct {
	Method string
	Calls  int64
}

// SwapError reports a failed swap. The old component is in place and
// serving; every call held during the swap went to it.
type SwapError struct {
	Object string
	Phase  Phase // the phase the last try stopped in
	Tries  int
	// At the last block-phase timeout: tracked calls still in the old
	// component (what blocked the swap), and calls held at the mediator.
	InFlight []MethodCount
	Held     []MethodCount
	// Panic is the value a component or the observer panicked with, if
	// that is what failed the swap (Err is then a *PanicError).
	Panic any
	Err   error
}

func (e *SwapError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "reconfig: swap of %q failed after %d tries: %s phase: %v", e.Object, e.Tries, e.Phase, e.Err)
	list := func(what string, ms []MethodCount) {
		if len(ms) == 0 {
			return
		}
		fmt.Fprintf(&b, "; %s:", what)
		for _, m := range ms {
			fmt.Fprintf(&b, " %s×%d", m.Method, m.Calls)
		}
	}
	list("in flight", e.InFlight)
	list("held", e.Held)
	return b.String()
}

func (e *SwapError) Unwrap() error { return e.Err }

// ErrPanic is wrapped by every PanicError.
var ErrPanic = errors.New("panic")

// PanicError is a panic raised during a swap by one of the components
// (Protocols, Export, Import) or by the swap's observer. The mediator
// recovers it so that the swap fails cleanly: the old component stays and
// the calls held at the mediator are released to it.
type PanicError struct {
	Where string // the function that panicked, e.g. "Import of *pkg.T"
	Value any    // what it panicked with
	Stack []byte // its stack at the panic
}

func (e *PanicError) Error() string { return fmt.Sprintf("%v in %s: %v", ErrPanic, e.Where, e.Value) }

func (e *PanicError) Unwrap() error { return ErrPanic }

// protect runs f and turns a panic in it into a *PanicError.
func protect(where string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Where: where, Value: r, Stack: debug.Stack()}
		}
	}()
	return f()
}

// swapFailure builds the SwapError for err, carrying a panic's value.
func swapFailure(object string, phase Phase, tries int, err error) *SwapError {
	se := &SwapError{Object: object, Phase: phase, Tries: tries, Err: err}
	var pe *PanicError
	if errors.As(err, &pe) {
		se.Panic = pe.Value
	}
	return se
}

// mediator state as callers see it: one immutable value per phase change.
type medState[I any] struct {
	phase  Phase         // Forward, Block, Transfer (callers are held) or Done
	gate   chan struct{} // closed when held calls may look again
	target I             // where admitted calls go
}

const (
	statForwarded = iota
	statRecursive
	statBlocked
	nstats
)

type recursionKey struct{ _ byte }

type mediator[I any] struct {
	state order.Pointer[medState[I]]
	// counts is per CPU: one counter per method (the tracked calls in the
	// old component: tracked), then the stats (statForwarded, ...), in
	// one allocation (a swap's largest; an upgrade makes a thousand).
	counts  *percpu.Counters
	tracked trackedView
	stats   statsView
	held    []atomic.Int64 // per method: calls held now
	wake    chan struct{}
	key     *recursionKey
	try     atomic.Int32
}

func newMediator[I any](e *Entry[I], from I) *mediator[I] {
	counts := percpu.New(e.ncpu, len(e.methods)+nstats)
	m := &mediator[I]{
		counts:  counts,
		tracked: trackedView{counts, len(e.methods)},
		stats:   statsView{counts, len(e.methods)},
		held:    make([]atomic.Int64, len(e.methods)),
		wake:    make(chan struct{}, 1),
		key:     new(recursionKey),
	}
	m.state.Store(&medState[I]{phase: PhaseForward, target: from})
	return m
}

// trackedView is the tracked-call columns of a mediator's counts.
type trackedView struct {
	c       *percpu.Counters
	methods int
}

func (v trackedView) Add(cpu, method int, d int64) int64 { return v.c.Add(cpu, method, d) }
func (v trackedView) Sum(method int) int64               { return v.c.Sum(method) }
func (v trackedView) Total() int64                       { return v.c.TotalOf(v.methods) }

// statsView is the stats columns of a mediator's counts.
type statsView struct {
	c    *percpu.Counters
	base int
}

func (v statsView) Add(cpu, stat int, d int64) { v.c.Add(cpu, v.base+stat, d) }
func (v statsView) Sum(stat int) int64         { return v.c.Sum(v.base + stat) }

// The mediator's memory ordering. Its callers and the swapper meet in a
// store-buffering handshake: a call counts itself in tracked and then
// reads the state; the swapper stores a new state and then reads the
// counts (Total, Sum: sync/atomic loads, each beginning with a sync). With
// a full barrier on each side between the store and the load (the
// caller's order.Fence), either the swapper sees the call or the call
// sees the new phase. The same holds for untrack's count that drops to
// zero and its look at the phase, against the swapper's store of the
// block phase and its wait for the counts. A medState is immutable once
// published, and the caller uses only what it reaches through the pointer
// it loads (the phase, the gate, the target), so the load itself needs no
// barrier. The decrement in untrack is a release (its leading lwsync),
// paired with the swapper's acquiring loads of the counts: a tracked
// call's accesses to the old component are performed before the swapper
// sees it gone and moves the state out. The stats counters are figures
// for reports and order nothing. Counters are per CPU, but a goroutine may
// move between reading its CPU number and the add, so every update is an
// atomic read-modify-write.

func (m *mediator[I]) enter(c *Call) I {
	cpu, idx := c.core.cpu(), int(c.index)
	for {
		// Count first, then look at the phase: the swapper changes the
		// phase first, then reads the counts, so it either sees this
		// call or this call sees the new phase.
		m.tracked.Add(cpu, idx, 1)
		order.Fence()
		s := m.state.Load()
		if s.phase == PhaseForward || s.phase == PhaseBlock && m.recursive(c) {
			if s.phase == PhaseForward {
				m.mark(c)
				m.stats.Add(cpu, statForwarded, 1)
			} else {
				m.stats.Add(cpu, statRecursive, 1)
			}
			c.flags |= callTracked
			c.shard = int32(cpu)
			return s.target
		}
		m.untrack(cpu, idx)
		if s.phase == PhaseDone {
			c.flags |= callSkipPost
			return s.target
		}
		m.held[idx].Add(1)
		m.stats.Add(cpu, statBlocked, 1)
		<-s.gate
		m.held[idx].Add(-1)
	}
}

func (m *mediator[I]) exit(c *Call) {
	if c.flags&callTracked != 0 {
		m.untrack(int(c.shard), int(c.index))
	}
}

func (m *mediator[I]) untrack(cpu, idx int) {
	if m.tracked.Add(cpu, idx, -1) != 0 {
		return
	}
	// The last call out of this counter: if the swapper may be waiting
	// for the counts (any phase but forward), wake it. The Fence orders
	// the decrement before the look at the phase.
	order.Fence()
	if m.state.Load().phase != PhaseForward {
		select {
		case m.wake <- struct{}{}:
			// The swapper waits for this and holds callers meanwhile:
			// let it run now rather than when this goroutine next
			// blocks or is preempted.
			runtime.Gosched()
		default:
		}
	}
}

// mark stamps the context of a tracked call so that calls it makes are
// recognised as recursive.
func (m *mediator[I]) mark(c *Call) {
	if !c.Method().Context {
		return
	}
	p, ok := c.Arg(0).(*context.Context)
	if !ok {
		return
	}
	if *p == nil {
		*p = context.Background()
	}
	if (*p).Value(m.key) == nil {
		*p = context.WithValue(*p, m.key, struct{}{})
	}
}

func (m *mediator[I]) recursive(c *Call) bool {
	if !c.Method().Context {
		return false
	}
	p, ok := c.Arg(0).(*context.Context)
	return ok && *p != nil && (*p).Value(m.key) != nil
}

// waitDrained waits until no tracked call is in the old component, or
// until the deadline.
func (m *mediator[I]) waitDrained(limit *deadline) bool {
	for m.tracked.Total() != 0 {
		select {
		case <-m.wake:
		case <-limit.C():
			return m.tracked.Total() == 0
		}
	}
	return true
}

// deadline is a phase's time limit. It is a property of the phase, not a
// signal to be received: once it has passed, C stays ready and Passed
// stays true for every later wait in the same phase. (A timer channel
// would deliver its tick once, and a second wait in the phase would then
// never time out.) The timer is made only if someone waits: most phases
// of an idle swap end without waiting.
type deadline struct {
	d     time.Duration
	at    time.Time // set when first needed
	timer *time.Timer
	done  chan struct{}
}

// newDeadline returns a deadline d from now; "now" is taken when it is
// first looked at (C, Passed), which for most phases is never: a phase
// that ends without waiting costs no clock read (a system call here).
// A phase looks at it before its first wait, so the time it measures
// includes every wait.
func newDeadline(d time.Duration) *deadline { return &deadline{d: d} }

func (d *deadline) start() {
	if d.at.IsZero() {
		d.at = time.Now().Add(d.d)
	}
}

// C returns a channel that is closed when the deadline passes.
func (d *deadline) C() <-chan struct{} {
	d.start()
	if d.done == nil {
		d.done = make(chan struct{})
		if left := time.Until(d.at); left <= 0 {
			close(d.done)
		} else {
			done := d.done
			d.timer = time.AfterFunc(left, func() { close(done) })
		}
	}
	return d.done
}

// Passed reports whether the deadline has passed.
func (d *deadline) Passed() bool {
	d.start()
	return !time.Now().Before(d.at)
}

// Stop releases the timer, if one was made.
func (d *deadline) Stop() {
	if d.timer != nil {
		d.timer.Stop()
	}
}

func (m *mediator[I]) progress() Progress {
	return Progress{
		Phase:     m.state.Load().phase,
		Try:       int(m.try.Load()),
		Forwarded: m.stats.Sum(statForwarded),
		Blocked:   m.stats.Sum(statBlocked),
		Recursive: m.stats.Sum(statRecursive),
		Held:      sumHeld(m.held),
		InFlight:  m.tracked.Total(),
	}
}

func sumHeld(h []atomic.Int64) int64 {
	var s int64
	for i := range h {
		s += h[i].Load()
	}
	return s
}

func (m *mediator[I]) byMethod(methods []Method, count func(i int) int64) []MethodCount {
	var out []MethodCount
	for i, me := range methods {
		if n := count(i); n != 0 {
			out = append(out, MethodCount{Method: me.Name, Calls: n})
		}
	}
	return out
}

// SwapStatus returns the progress of the swap in progress, if any.
func (e *Entry[I]) SwapStatus() (Progress, bool) {
	e.mu.Lock()
	m := e.med
	e.mu.Unlock()
	if m == nil {
		return Progress{}, false
	}
	return m.progress(), true
}

// Swap replaces the component behind the entry by to, which must
// implement the same interface, moving the state across (see Transferer).
// Callers are never refused: calls during the swap are forwarded to the
// old component or held briefly and then sent to the new one. On failure
// the old component stays and keeps serving every call, and the error is
// a *SwapError. The report is filled in either way.
func (e *Entry[I]) Swap(to I, opts SwapOptions) (SwapReport, error) {
	if isNil(to) {
		return SwapReport{Object: e.name()}, ErrNilComponent
	}
	return e.swap(func(I) I { return to }, opts)
}

// NullSwap swaps the component with itself: every phase runs, nothing is
// transferred. It measures the mechanism.
func (e *Entry[I]) NullSwap(opts SwapOptions) (SwapReport, error) {
	return e.swap(func(from I) I { return from }, opts)
}

func (e *Entry[I]) swap(pick func(from I) I, opts SwapOptions) (SwapReport, error) {
	opts = opts.withDefaults()
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	j, err := e.begin(pick, opts, e.plat.Now())
	if err != nil {
		return j.rep, err
	}
	var fail *SwapError
	for try := 1; try <= opts.Tries; try++ {
		j.rep.Tries = try
		j.m.try.Store(int32(try))

		// Forward: the mediator is published and tracks every new call;
		// wait out the calls that began before it.
		t := e.plat.Now()
		quiet, q := e.quiesce()
		if err := j.observe(PhaseForward); err != nil {
			q.Cancel()
			j.finish(j.from, false)
			return j.rep, swapFailure(e.name(), PhaseForward, try, err)
		}
		ok := waitQuiet(quiet, q, opts.ForwardTimeout)
		j.rep.Forward += e.since(t)
		if !ok {
			fail = &SwapError{Object: e.name(), Phase: PhaseForward, Tries: try,
				Err: fmt.Errorf("%w: requests did not end", ErrTimeout)}
			continue
		}
		fatal, retry := j.block(try)
		if fatal != nil {
			return j.rep, fatal
		}
		if retry != nil {
			fail = retry
			continue
		}
		if err := j.transfer(try); err != nil {
			return j.rep, err
		}
		return j.rep, nil
	}
	j.finish(j.from, false)
	return j.rep, fail
}

func (e *Entry[I]) since(t int64) time.Duration { return time.Duration(e.plat.Now() - t) }

// swapJob is one swap in progress: the entry, the mediator in front of
// it, the two components, the plan for the state and the report. The
// entry's swapMu is held throughout.
type swapJob[I any] struct {
	e        *Entry[I]
	opts     SwapOptions
	m        *mediator[I]
	from, to I
	plan     *transferPlan
	gate     chan struct{} // the gate held callers wait at, if any
	rep      SwapReport
	start    int64
}

// begin puts a mediator in front of the component: from here on callers
// may be held at its gate, and every way out goes through finish, which
// puts the component that stays back in the entry and releases them. On
// error nothing changed (the returned job has the report).
func (e *Entry[I]) begin(pick func(from I) I, opts SwapOptions, start int64) (*swapJob[I], error) {
	j := &swapJob[I]{e: e, opts: opts, start: start, rep: SwapReport{Object: e.name()}}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dead {
		return j, e.destroyedErr()
	}
	j.from = e.impl
	j.to = pick(j.from)
	j.rep.From, j.rep.To = typeName(j.from), typeName(j.to)
	err := protect("Protocols", func() (err error) {
		j.plan, err = planTransfer(j.from, j.to)
		return err
	})
	if err != nil {
		return j, swapFailure(e.name(), PhaseTransfer, 0, err)
	}
	j.m = newMediator(e, j.from)
	e.med = j.m
	e.setBaseLocked(e.iface.wrap(&Interposer[I]{med: j.m, slow: true, core: &e.core}))
	return j, nil
}

// finish ends the swap with target in the entry.
func (j *swapJob[I]) finish(target I, swapped bool) {
	e, m := j.e, j.m
	e.mu.Lock()
	e.impl = target
	e.med = nil
	e.setBaseLocked(target)
	if swapped {
		e.swaps++
	}
	e.mu.Unlock()
	// Stragglers that reach the mediator through old bindings, and the
	// held calls, now go to target.
	m.state.Store(&medState[I]{phase: PhaseDone, target: target})
	if j.gate != nil {
		close(j.gate)
		j.gate = nil
	}
	j.rep.Forwarded = m.stats.Sum(statForwarded)
	j.rep.Blocked = m.stats.Sum(statBlocked)
	j.rep.Recursive = m.stats.Sum(statRecursive)
	j.rep.Total = e.since(j.start)
}

func (j *swapJob[I]) observe(p Phase) error {
	if j.opts.Observer == nil {
		return nil
	}
	pr := j.m.progress()
	pr.Phase = p
	return protect("the swap's Observer", func() error { j.opts.Observer(pr); return nil })
}

// waitQuiet waits for quiet until timeout; on timeout it withdraws the
// quiescence request (so that no CPU goes on waiting for it, and taking
// End's slow path, until the old requests end) and reports false.
func waitQuiet(quiet <-chan struct{}, q *generation.Quiescence, timeout time.Duration) bool {
	limit := newDeadline(timeout)
	select {
	case <-quiet:
	default:
		select {
		case <-quiet:
		case <-limit.C():
		}
	}
	limit.Stop()
	select {
	case <-quiet:
		return true
	default:
		if !q.Cancel() {
			<-quiet // it was being satisfied just now: go on
			return true
		}
		return false
	}
}

// block runs one block phase: new calls are held, the tracked ones are
// waited for. fatal ends the swap (the old component stays); retry says
// the calls did not drain in time, in which case the held calls went back
// to the old component (the forward phase again) and the swap may retry.
func (j *swapJob[I]) block(try int) (fatal error, retry *SwapError) {
	e, m := j.e, j.m
	t := e.plat.Now()
	j.gate = make(chan struct{})
	m.state.Store(&medState[I]{phase: PhaseBlock, gate: j.gate, target: j.from})
	j.rep.InFlight = m.tracked.Total()
	if err := j.observe(PhaseBlock); err != nil {
		j.finish(j.from, false)
		return swapFailure(e.name(), PhaseBlock, try, err), nil
	}
	limit := newDeadline(j.opts.BlockTimeout)
	drained := false
	for {
		if !m.waitDrained(limit) {
			break
		}
		// Close the door on recursive calls, then look again: a call let
		// in as recursive just before is now counted.
		m.state.Store(&medState[I]{phase: PhaseTransfer, gate: j.gate, target: j.from})
		if m.tracked.Total() == 0 {
			drained = true
			break
		}
		if limit.Passed() {
			break // no reopening past the deadline
		}
		// Reopen for recursion; whoever was held in between looks again.
		old := j.gate
		j.gate = make(chan struct{})
		m.state.Store(&medState[I]{phase: PhaseBlock, gate: j.gate, target: j.from})
		close(old)
	}
	limit.Stop()
	j.rep.Block += e.since(t)
	if drained {
		return nil, nil
	}
	retry = &SwapError{Object: e.name(), Phase: PhaseBlock, Tries: try,
		Err:      fmt.Errorf("%w after %v", ErrTimeout, j.opts.BlockTimeout),
		InFlight: m.byMethod(e.methods, m.tracked.Sum),
		Held:     m.byMethod(e.methods, func(i int) int64 { return m.held[i].Load() })}
	// Release the held calls to the old component (they are tracked
	// again) and let the cycle unwind before retrying.
	m.state.Store(&medState[I]{phase: PhaseForward, target: j.from})
	close(j.gate)
	j.gate = nil
	return nil, retry
}

// transfer moves the state (the old component is quiescent) and ends the
// swap: with the new component, or on failure with the old one.
func (j *swapJob[I]) transfer(try int) error {
	t := j.e.plat.Now()
	err := j.observe(PhaseTransfer)
	if err == nil && j.plan != nil {
		err = j.plan.run()
	}
	j.rep.Transfer += j.e.since(t)
	if err != nil {
		j.finish(j.from, false)
		return swapFailure(j.e.name(), PhaseTransfer, try, err)
	}
	if j.plan != nil {
		j.rep.Protocol, j.rep.Transferred = j.plan.protocol, true
	}
	j.finish(j.to, true)
	return nil
}

// quiesce asks the generation mechanism for a quiescent state and returns
// a channel closed when it is reached. The callback usually runs at the
// End of the last old request; that goroutine then yields, so that the
// swapper, which is waiting, runs at once instead of when the request's
// goroutine next blocks or is preempted (up to a time slice later when
// every CPU is busy).
func (e *Entry[I]) quiesce() (<-chan struct{}, *generation.Quiescence) { return e.table.quiesce() }

// quiesce is Entry.quiesce for every object of the table at once (a
// coordinated swap's one forward phase).
func (t *Table) quiesce() (<-chan struct{}, *generation.Quiescence) {
	ch := make(chan struct{})
	var asking atomic.Bool
	asking.Store(true)
	q := t.gens.Quiesce(func() {
		close(ch)
		if !asking.Load() {
			runtime.Gosched()
		}
	})
	asking.Store(false)
	return ch, q
}
