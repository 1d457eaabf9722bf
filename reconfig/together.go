package reconfig

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Coordinated swaps (beyond K42; the paper's §7.1 leaves it open). Some
// changes are only right together: a file's session handing the data it
// holds to the file's FCM while that FCM is itself replaced. SwapTogether
// swaps several objects, of any interfaces, as one: every object gets its
// mediator, and one forward phase waits out the requests of that moment
// for all of them. Then, object by object in the order given, it blocks
// the object (its new calls held) and transfers its state, keeping the
// objects before it blocked. Only when every transfer has succeeded do
// the entries point at their new components, all at once, and the held
// calls go on to them; if any transfer fails, or an object cannot be
// blocked in time on every try, every entry keeps its old component and
// the held calls go on to the old ones. Callers therefore see all of the
// change or none of it, and no call runs on a mix of old and new
// components.
//
// The order is the dependency order: an object's transfer may call the
// objects after it (they still serve, with their old components, whose
// state then moves with their own transfer), never those before it (their
// calls are held until the end). A session that writes its dirty data to
// the file during its transfer goes before the file's FCM.
//
// A transfer that succeeded before a later one failed has run the old
// component's Export (which must not change it: see Transferer) and the
// new one's Import; the new component is then dropped.

// Change is one object's part in SwapTogether (Entry.To makes one).
type Change interface {
	object() string
	table() *Table
	tryLock() bool
	unlock()
	begin(opts SwapOptions, start int64) error
	block(try int) (fatal error, retry *SwapError)
	transfer() error
	finish(swapped bool)
	report() SwapReport
	setForward(try int, d time.Duration)
}

// To is the change of the object to component to, for SwapTogether.
func (e *Entry[I]) To(to I) Change { return &change[I]{e: e, to: to} }

type change[I any] struct {
	e  *Entry[I]
	to I
	j  *swapJob[I]
}

func (c *change[I]) object() string { return c.e.name() }
func (c *change[I]) table() *Table  { return c.e.table }
func (c *change[I]) tryLock() bool  { return c.e.swapMu.TryLock() }
func (c *change[I]) unlock()        { c.e.swapMu.Unlock() }

func (c *change[I]) begin(opts SwapOptions, start int64) error {
	if isNil(c.to) {
		return ErrNilComponent
	}
	j, err := c.e.begin(func(I) I { return c.to }, opts, start)
	if err != nil {
		return err
	}
	c.j = j
	return nil
}

func (c *change[I]) block(try int) (error, *SwapError) { return c.j.block(try) }

func (c *change[I]) transfer() error {
	t := c.e.plat.Now()
	err := c.j.observe(PhaseTransfer)
	if err == nil && c.j.plan != nil {
		err = c.j.plan.run()
	}
	c.j.rep.Transfer += c.e.since(t)
	if err == nil && c.j.plan != nil {
		c.j.rep.Protocol, c.j.rep.Transferred = c.j.plan.protocol, true
	}
	return err
}

func (c *change[I]) finish(swapped bool) {
	if swapped {
		c.j.finish(c.j.to, true)
	} else {
		c.j.finish(c.j.from, false)
	}
}

func (c *change[I]) report() SwapReport {
	if c.j == nil {
		return SwapReport{Object: c.e.name()}
	}
	return c.j.rep
}

func (c *change[I]) setForward(try int, d time.Duration) {
	c.j.rep.Tries = try
	c.j.rep.Forward += d
	c.j.m.try.Store(int32(try))
}

// TogetherReport describes a coordinated swap.
type TogetherReport struct {
	Objects []SwapReport // each object's part, in the order given
	Tries   int
	Total   time.Duration
}

func (r TogetherReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d objects together in %v (%d tries)", len(r.Objects), r.Total, r.Tries)
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "; %s: %s -> %s", o.Object, o.From, o.To)
	}
	return b.String()
}

// ErrBusy says an object of a coordinated swap was being swapped or
// destroyed already; nothing changed.
var ErrBusy = errors.New("reconfig: an object of the coordinated swap is being swapped")

// SwapTogether swaps every change's object to its new component as one
// (see above). The objects must be distinct and in one table. On error
// every object keeps its old component; the error names the object and
// phase that failed.
func SwapTogether(opts SwapOptions, changes ...Change) (rep TogetherReport, err error) {
	opts = opts.withDefaults()
	if len(changes) == 0 {
		return rep, nil
	}
	first := changes[0]
	for _, c := range changes[1:] {
		if c.table() != first.table() {
			return rep, fmt.Errorf("reconfig: coordinated swap of %s and %s: not in one table", first.object(), c.object())
		}
	}
	// Take every object's swap lock, or none.
	for i, c := range changes {
		if !c.tryLock() {
			for _, d := range changes[:i] {
				d.unlock()
			}
			return rep, fmt.Errorf("%w: %s", ErrBusy, c.object())
		}
	}
	defer func() {
		for _, c := range changes {
			c.unlock()
		}
	}()
	plat := first.table().Platform()
	start := plat.Now()
	defer func() {
		rep.Total = time.Duration(plat.Now() - start)
		for _, c := range changes {
			rep.Objects = append(rep.Objects, c.report())
		}
	}()
	var retry error
	for try := 1; try <= opts.Tries; try++ {
		rep.Tries = try
		if err := beginAll(changes, opts, start); err != nil {
			return rep, err
		}
		if retry, err = togetherOnce(first.table(), changes, opts, try); retry == nil {
			return rep, err
		}
	}
	return rep, retry
}

// beginAll puts every change's mediator in front of its object, or none.
func beginAll(changes []Change, opts SwapOptions, start int64) error {
	for i, c := range changes {
		if err := c.begin(opts, start); err != nil {
			for _, d := range changes[:i] {
				d.finish(false)
			}
			return fmt.Errorf("coordinated swap: %s: %w", c.object(), err)
		}
	}
	return nil
}

// togetherOnce is one try of SwapTogether, with every mediator in place:
// the shared forward phase, then each object blocked and transferred in
// turn, then all published; err is why the swap failed for good, retry
// why this try gave up (the forward phase or a block phase timed out).
// Whatever the outcome, every mediator is gone when it returns, and the
// old components are back unless the swap succeeded.
func togetherOnce(t *Table, changes []Change, opts SwapOptions, try int) (retry, err error) {
	plat := t.Platform()
	t0 := plat.Now()
	quiet, q := t.quiesce()
	ok := waitQuiet(quiet, q, opts.ForwardTimeout)
	for _, c := range changes {
		c.setForward(try, time.Duration(plat.Now()-t0))
	}
	undo := func(except int) {
		for j, d := range changes {
			if j != except {
				d.finish(false)
			}
		}
	}
	if !ok {
		undo(-1)
		return &SwapError{Object: changes[0].object(), Phase: PhaseForward, Tries: try, Err: fmt.Errorf("%w: requests did not end", ErrTimeout)}, nil
	}
	for i, c := range changes {
		fatal, r := c.block(try)
		switch {
		case fatal != nil:
			undo(i) // block has put c's old component back
			return nil, fatal
		case r != nil:
			undo(-1) // c's calls did not drain: try again from the forward phase
			return r, nil
		}
		if err := c.transfer(); err != nil {
			undo(-1)
			return nil, swapFailure(c.object(), PhaseTransfer, try, err)
		}
	}
	for _, c := range changes {
		c.finish(true)
	}
	return nil, nil
}
