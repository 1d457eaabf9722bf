// Package generation owns requests and per-CPU thread generations, K42's
// way of telling when every request that existed at some instant has
// ended (paper §3.2, §4.2). The reconfiguration core builds its quiescent
// states on it: the mediator's forward phase and the deferred reclamation
// of interposers, mediators and destroyed objects.
//
// # Requests
//
// Work in the system is done by short-lived requests with a clear start
// and end: a system call, a page fault, a console command, one unit of a
// server's work. A request is counted, from Enter to End, in the current
// generation of the CPU it started on (it remembers that CPU and
// generation, so it may end on another CPU). Counters are per CPU and
// padded, so the fast path writes only its own CPU's lines; it costs two
// atomic adds, two loads of the CPU's generation, one of its waiters
// (only when a count drops to zero) and, on ppc64, one full barrier in
// each of Enter and End (see Memory ordering).
//
// Only requests are counted. Goroutines that are not requests are never
// waited for and so cannot hold a generation open:
//
//   - the Go runtime's own goroutines (GC workers, the scavenger, timers,
//     finalizers) and a kernel's idle and daemon loops: they never call
//     Enter;
//   - long-lived server loops, which must instead start a request for
//     each unit of work and end it before waiting for the next;
//   - operators that reconfigure (Swap, Detach, Destroy): they wait for
//     quiescence and would wait for themselves if they were inside a
//     request;
//   - callbacks of Quiesce, which run on whichever goroutine saw the last
//     generation drain.
//
// The price of not counting a goroutine is that it must not use a
// component reached through a translation table outside a request: the
// quiescent state says nothing about it. A request must also stay short:
// while it lives it holds its generation open, and every quiescence
// request, swap and reclamation on the system waits for it.
//
// # Generations
//
// Each CPU numbers its generations 0, 1, 2, ... and keeps the count of
// live requests of each generation in one of N slots (N = 2 as in K42;
// up to MaxGenerations). A generation swap makes the next generation
// current; it needs the next slot free, that is, the generation N before
// it drained, which for N = 2 is the paper's "the non-current
// generation's count is zero". A quiescence request reads every CPU's
// current generation T and is satisfied on that CPU after two swaps (the
// CPU's current generation is at least T+2) once generation T and all
// before it have drained; for N = 2 the second swap implies that. More
// than two generations let a swap happen before the older generations
// have drained, so a new quiescence request starts its wait at once even
// while an older one is still waiting.
//
// No one busy-waits: a swap that cannot happen yet is retried by the End
// of the request that drains the blocking generation, and the callback
// runs when the last CPU is satisfied.
//
// # Memory ordering
//
// A CPU's current generation (cpu.cur) changes only under its slow path's
// mutex; the fast path (Enter, End) takes no lock and, on ppc64, uses at
// most one full barrier in each of Enter and End (order.Fence: one sync)
// and no isync. (Elsewhere every access below is a sequentially
// consistent sync/atomic operation, which gives all of this.) The
// orderings the fast path relies on, and what pairs with what:
//
//   - Enter and a swap. Enter adds to the count of the generation it
//     read and then reads cur again; advanceLocked stores cur and then
//     reads the count of the generation it would retire. This is store
//     buffering: each side has a full barrier between its store and its
//     load (Enter's Fence; on the slow side the sync that begins every
//     sync/atomic load of a count), so either the request sees the swap
//     and withdraws, or the swap sees the count and does not retire the
//     generation under the request.
//   - End and a waiter. End drops the count and then reads waiting (after
//     a Fence, and only when the count reached zero); Quiesce adds to
//     waiting and then, in advanceLocked, reads the counts (each read
//     begins with a sync). Either End sees the waiter and lets the swaps
//     move on, or the waiter sees the generation drained.
//   - End and what runs at quiescence. End's atomic add is a release
//     (lwsync, then the decrement) and the slow path's atomic load of a
//     count is an acquire, so a Quiesce callback sees everything done by
//     the requests it waited for.
//   - Quiesce and the requests it does not wait for. A request counted in
//     a generation newer than the one Quiesce read on its CPU must see
//     what the caller of Quiesce wrote before calling it (a new
//     translation-table binding, say). It does: the swap to that
//     generation was stored after the write (program order and the
//     slow-path mutex lead from one to the other, and the store's sync is
//     cumulative), the request's first load of cur returned that store,
//     and Enter's Fence orders that load before everything the request
//     does.
//
// The first load of cur in Enter needs no barrier (a stale value fails
// the check after the Fence, or names a generation that cannot be
// retired without seeing the count), and the slow path reads cur
// plainly under the mutex that every store to it holds.
package generation

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"k42/reconfig/internal/order"
	"k42/reconfig/platform"
)

// MaxGenerations bounds the generations a CPU keeps.
const MaxGenerations = 8

const slotBits = 3 // cur holds gen<<slotBits | gen%N

// ErrGenerations reports an unusable number of generations.
var ErrGenerations = errors.New("generation: need 2 to 8 generations")

// cpu is one CPU's generation state. The fast-path fields sit in the
// middle of 256 bytes so that two CPUs' fields never share a 128-byte
// line pair, whatever the slice's alignment.
type cpu struct {
	_       [128]byte
	cur     order.Uint64 // current generation << slotBits | its slot; stored under slow.mu
	waiting order.Int64  // quiescence requests this CPU has not yet satisfied
	count   [MaxGenerations]atomic.Int64
	slow    *slowPath
	_       [256 - 128 - 88]byte
}

// slowPath is a CPU's state for swaps, touched only when someone waits.
type slowPath struct {
	mu     sync.Mutex
	oldest uint64 // every generation before it has drained
	waits  []wait // sorted by target
	swaps  uint64
	d      *Domain
	cpu    *cpu
}

type wait struct {
	q      *Quiescence
	target uint64 // the CPU's current generation when the request was made
}

// Quiescence is a pending quiescence request (see Domain.Quiesce).
type Quiescence struct {
	remaining atomic.Int64
	state     atomic.Int32 // qPending, qFired or qCancelled
	done      func()
	d         *Domain
}

const (
	qPending int32 = iota
	qFired
	qCancelled
)

// Cancel withdraws the request if it has not been satisfied yet: done
// will not be called, and no CPU keeps waiting for it (so its requests'
// End takes the fast path again). It reports whether it withdrew the
// request; false means done has been or is being called.
func (q *Quiescence) Cancel() bool {
	if !q.state.CompareAndSwap(qPending, qCancelled) {
		return false
	}
	for i := range q.d.cpus {
		s := q.d.cpus[i].slow
		s.mu.Lock()
		keep := s.waits[:0]
		for _, w := range s.waits {
			if w.q == q {
				s.cpu.waiting.Add(-1)
				continue
			}
			keep = append(keep, w)
		}
		clear(s.waits[len(keep):])
		s.waits = keep
		s.mu.Unlock()
	}
	return true
}

// Domain is a set of CPUs whose requests are counted together: the
// system has one, tests make their own.
type Domain struct {
	cpus []cpu // one spare at the end, never used, keeps the last CPU's lines private
	n    uint64
	plat platform.Platform
}

// New returns a domain over p's CPUs keeping generations generations per
// CPU (2 is K42's choice).
func New(p platform.Platform, generations int) (*Domain, error) {
	if generations < 2 || generations > MaxGenerations {
		return nil, fmt.Errorf("%w (asked for %d)", ErrGenerations, generations)
	}
	n := p.NumCPU()
	d := &Domain{cpus: make([]cpu, n+1), n: uint64(generations), plat: p}
	d.cpus = d.cpus[:n]
	for i := range d.cpus {
		c := &d.cpus[i]
		c.slow = &slowPath{d: d, cpu: c}
	}
	return d, nil
}

// Platform returns the platform the domain counts on.
func (d *Domain) Platform() platform.Platform { return d.plat }

// Generations returns how many generations each CPU keeps.
func (d *Domain) Generations() int { return int(d.n) }

// Request is a started request. End it exactly once.
type Request struct {
	c    *cpu
	slot uint64
}

func (d *Domain) here() *cpu {
	i := d.plat.CPU()
	if uint(i) >= uint(len(d.cpus)) {
		i = int(uint(i) % uint(len(d.cpus)))
	}
	return &d.cpus[i]
}

// Enter starts a request on the caller's CPU, counted in that CPU's
// current generation.
func (d *Domain) Enter() Request {
	c := d.here()
	for {
		// Which generation to count in. No barrier: a stale value is
		// caught by the check below, and the count's address depends
		// on the value, so the add cannot be performed before it.
		v := c.cur.Load()
		s := v & (1<<slotBits - 1)
		c.count[s].Add(1)
		// Count first, then look again. A swap between the two loads
		// may have found the slot empty and moved on; then this count
		// is withdrawn and taken again in the new generation. Because
		// the generation number only grows, an unchanged cur means no
		// swap happened in between. This is the store-buffering
		// handshake with advanceLocked (see "Memory ordering"): the
		// Fence orders the count's store before the second load, and
		// orders the first load before everything the request does.
		order.Fence()
		if c.cur.Load() == v {
			return Request{c: c, slot: s}
		}
		Request{c: c, slot: s}.End()
	}
}

// End ends the request.
func (r Request) End() {
	// The add's leading lwsync is the release: everything the request
	// did is performed before its count drops.
	n := r.c.count[r.slot].Add(-1)
	if n <= 0 {
		if n < 0 {
			panic("generation: request ended twice")
		}
		// A generation may just have drained: if anyone waits on this
		// CPU, let the swaps move on. The waiter adds to waiting
		// before it reads the counts and End drops the count before
		// it reads waiting, each with a full barrier in between, so
		// one of the two sees the other.
		order.Fence()
		if r.c.waiting.Load() != 0 {
			r.c.slow.progress()
		}
	}
}

// Do runs fn as a request in the calling goroutine.
func (d *Domain) Do(fn func()) {
	r := d.Enter()
	defer r.End()
	fn()
}

// Go runs fn as a request in a new goroutine: K42's request thread. The
// request starts on the CPU the new goroutine first runs on.
func (d *Domain) Go(fn func()) {
	go d.Do(fn)
}

// Quiesce calls done once every request that existed when Quiesce was
// called has ended. done runs on the goroutine that saw the last
// generation drain: perhaps the caller, before Quiesce returns, perhaps
// the End of some request. It must be short and must not block; to do
// more, it hands the work to another goroutine. A caller that stops
// waiting (a timeout) cancels the returned request.
func (d *Domain) Quiesce(done func()) *Quiescence {
	q := &Quiescence{done: done, d: d}
	q.remaining.Store(int64(len(d.cpus)))
	for i := range d.cpus {
		s := d.cpus[i].slow
		s.mu.Lock()
		s.waits = append(s.waits, wait{q: q, target: s.cpu.cur.Load() >> slotBits})
		s.cpu.waiting.Add(1)
		fire := s.advanceLocked()
		s.mu.Unlock()
		fire.run()
	}
	return q
}

// QuiesceChan is Quiesce reporting through a channel that is closed when
// the quiescent state is reached.
func (d *Domain) QuiesceChan() <-chan struct{} {
	ch := make(chan struct{})
	d.Quiesce(func() { close(ch) })
	return ch
}

type fired []*Quiescence

func (f fired) run() {
	for _, q := range f {
		if q.state.CompareAndSwap(qPending, qFired) {
			q.done()
		}
	}
}

func (s *slowPath) progress() {
	s.mu.Lock()
	fire := s.advanceLocked()
	s.mu.Unlock()
	fire.run()
}

// advanceLocked retires drained generations, swaps while a waiter needs
// it and the next slot is free, and reports the quiescence requests whose
// last CPU this was.
func (s *slowPath) advanceLocked() fired {
	c, n := s.cpu, s.d.n
	for {
		cur := c.cur.Load() >> slotBits
		// Retire drained generations. The current one is never retired:
		// requests may still enter it. Each count is read with a
		// sync/atomic load, whose leading sync is this side's barrier
		// in both handshakes with the fast path (after the store of
		// cur below, and after Quiesce's add to waiting), and whose
		// isync makes it an acquire.
		for s.oldest < cur && c.count[s.oldest%n].Load() == 0 {
			s.oldest++
		}
		// waits is sorted by target (each is the current generation
		// when it was added, under this mutex, and cur only grows), so
		// the last one needs the most.
		need := len(s.waits) > 0 && cur < s.waits[len(s.waits)-1].target+2
		if !need || cur+1-s.oldest >= n {
			break
		}
		next := cur + 1
		c.cur.Store(next<<slotBits | next%n)
		s.swaps++
	}
	cur := c.cur.Load() >> slotBits
	// The satisfied waits are a prefix (sorted by target): the cost is
	// the waits that fire, not all that wait, so many quiescence
	// requests at once (an upgrade's swaps) cost each little.
	var out fired
	done := 0
	for _, w := range s.waits {
		if cur < w.target+2 || s.oldest <= w.target {
			break
		}
		c.waiting.Add(-1)
		if w.q.remaining.Add(-1) == 0 {
			out = append(out, w.q)
		}
		done++
	}
	if done > 0 {
		k := copy(s.waits, s.waits[done:])
		clear(s.waits[k:])
		s.waits = s.waits[:k]
	}
	return out
}

// CPUState is a snapshot of one CPU's generations.
type CPUState struct {
	Current uint64  // current generation
	Oldest  uint64  // oldest generation that may still have requests
	Live    []int64 // live requests per generation, Oldest first
	Swaps   uint64  // generation swaps so far
	Waiting int64   // quiescence requests waiting on this CPU
}

// Snapshot returns every CPU's state; figures may be a moment old.
func (d *Domain) Snapshot() []CPUState {
	out := make([]CPUState, len(d.cpus))
	for i := range d.cpus {
		c := &d.cpus[i]
		s := c.slow
		s.mu.Lock()
		cur := c.cur.Load() >> slotBits
		st := CPUState{Current: cur, Oldest: s.oldest, Swaps: s.swaps, Waiting: c.waiting.Load()}
		for g := s.oldest; g <= cur; g++ {
			st.Live = append(st.Live, c.count[g%d.n].Load())
		}
		s.mu.Unlock()
		out[i] = st
	}
	return out
}

// Live returns the number of requests alive now (a snapshot).
func (d *Domain) Live() int64 {
	var sum int64
	for i := range d.cpus {
		for s := range d.cpus[i].count {
			sum += d.cpus[i].count[s].Load()
		}
	}
	return sum
}
