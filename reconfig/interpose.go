package reconfig

import (
	"fmt"
	"slices"
)

// Wrapper is interposed code: an ordinary Go value whose PreCall runs
// before every call to the component it is attached to and whose PostCall
// runs after it (paper §4.3.1). From the Call it learns which method is
// called, reads and changes the arguments (in PreCall) and the results (in
// PostCall), keeps per-call state in State and Data, and may ask to skip
// PostCall. Wrappers run concurrently on many calls and must be safe for
// that.
type Wrapper interface {
	PreCall(c *Call)
	PostCall(c *Call)
}

// Interposer is the generic interposer: the one mechanism that puts a
// wrapper (or, during a hot swap, the mediator) in front of any component.
// For each interface, genwrap generates a dispatcher type whose methods
// all do the same thing: record the call in a Call, ask the interposer's
// Enter where to send it, forward it, and call Exit. Everything else lives
// here, once. Interposers are immutable: attaching, detaching and swapping
// build new ones and publish them in the translation-table entry.
type Interposer[I any] struct {
	inner I
	w     Wrapper
	slow  bool   // not a plain wrapper on every method: see enterSlow
	only  []bool // methods the wrapper applies to; nil: all
	med   *mediator[I]
	core  *core
	dead  bool // the object was destroyed
}

// The generated dispatcher drives a call through these methods:
//
//	call := ip.NewCall(index, &frame)
//	target, plain := ip.Target()
//	if plain {
//		ip.Enter(&call)                // the wrapper's PreCall
//	} else {
//		target = ip.Route(&call)       // the mediator, a method filter, ...
//		if call.Guarded() {            // a call the mediator tracks:
//			defer ip.Release(&call) // in a helper, see below
//			return target.M(...)
//		}
//	}
//	if !call.Exits() {
//		return target.M(...)
//	}
//	results = target.M(...)
//	ip.Exit(&call)                     // the wrapper's PostCall
//
// NewCall, Target, Enter and Exit are small enough to be inlined into the
// dispatcher, so an interposed call costs the wrapper's two calls and
// little more; the deferred Release sits in a separate helper method
// because a defer anywhere in a function slows all of it.

// NewCall starts the record of a call to method index, whose arguments
// and results are in f (nil if it has none).
func (ip *Interposer[I]) NewCall(index int, f Frame) Call {
	return Call{frame: f, core: ip.core, index: int32(index)}
}

// Target returns the component behind the interposer, and whether the
// interposer is a plain wrapper on every method: then the call goes to
// that component after Enter. Otherwise the dispatcher asks Route.
func (ip *Interposer[I]) Target() (I, bool) { return ip.inner, !ip.slow }

// Enter runs the wrapper's PreCall.
func (ip *Interposer[I]) Enter(c *Call) {
	ip.w.PreCall(noescape(c))
}

// Route handles a call that Enter declined: the mediator's, a wrapper's
// on some methods only, a destroyed object's. It returns where the call
// goes.
func (ip *Interposer[I]) Route(c *Call) I {
	switch {
	case ip.med != nil:
		return ip.med.enter(noescape(c))
	case ip.dead:
		panic(fmt.Errorf("%w: call to %s.%s", ErrDestroyed, ip.core.name(), c.Method().Name))
	case !ip.only[c.index]:
		c.flags |= callSkipPost
		return ip.inner
	}
	ip.w.PreCall(noescape(c))
	return ip.inner
}

// Exit runs the wrapper's PostCall after the component returned, unless
// the call skipped it (c.Exits() is false). If the component panics,
// PostCall is not called: the panic passes through the interposer
// untouched.
func (ip *Interposer[I]) Exit(c *Call) {
	ip.w.PostCall(noescape(c))
}

// Release ends a Guarded call: the generated code defers it, so that it
// runs even if the component panics, and a swap never waits for a call
// that is gone.
func (ip *Interposer[I]) Release(c *Call) {
	ip.med.exit(noescape(c))
}

// Attachment is a wrapper attached to an object.
type Attachment struct {
	w         Wrapper
	methods   []string
	only      []bool
	reclaimed chan struct{}
}

// Wrapper returns the attached wrapper.
func (a *Attachment) Wrapper() Wrapper { return a.w }

// Methods returns the methods the wrapper was attached to; empty: all.
func (a *Attachment) Methods() []string { return slices.Clone(a.methods) }

// Reclaimed is closed once the wrapper has been detached and no call is
// in any of its interposers any more: after that, neither PreCall nor
// PostCall runs again for this attachment.
func (a *Attachment) Reclaimed() <-chan struct{} { return a.reclaimed }

func (a *Attachment) String() string {
	if s, ok := a.w.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", a.w)
}

// layer is one attachment's place in an entry's chain of interposers.
type layer[I any] struct {
	a    *Attachment
	self I // the dispatcher in front of below
}

// Attach interposes w on every call to the object, or, if methods are
// named, on calls to those methods only. Calls in flight are not
// disturbed and no caller waits: the entry is switched to a new
// interposer in one store.
func (e *Entry[I]) Attach(w Wrapper, methods ...string) (*Attachment, error) {
	if w == nil {
		return nil, ErrNilWrapper
	}
	only, err := e.methodMask(methods)
	if err != nil {
		return nil, err
	}
	a := &Attachment{w: w, methods: slices.Clone(methods), only: only, reclaimed: make(chan struct{})}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dead {
		return nil, e.destroyedErr()
	}
	l := e.layerOver(a, e.topLocked())
	e.layers = append(e.layers, l)
	e.publishLocked(l.self)
	return a, nil
}

// Detach removes an attached wrapper. New calls stop reaching it at once;
// calls already inside its interposer finish there, and the attachment is
// reclaimed (Reclaimed is closed) once they have, as told by the
// generation mechanism. Detach does not wait for that.
func (e *Entry[I]) Detach(a *Attachment) error {
	e.mu.Lock()
	j := slices.IndexFunc(e.layers, func(l layer[I]) bool { return l.a == a })
	if j < 0 {
		e.mu.Unlock()
		return ErrNotAttached
	}
	below := e.base
	if j > 0 {
		below = e.layers[j-1].self
	}
	// The layers above j wrap what they wrapped before minus a: they are
	// rebuilt over below. Their old interposers die with a's.
	rest := make([]layer[I], 0, len(e.layers)-1)
	rest = append(rest, e.layers[:j]...)
	for _, l := range e.layers[j+1:] {
		l = e.layerOver(l.a, below)
		rest = append(rest, l)
		below = l.self
	}
	e.layers = rest
	e.publishLocked(below)
	e.mu.Unlock()
	e.table.gens.Quiesce(func() { close(a.reclaimed) })
	return nil
}

// Attachments lists the wrappers attached, innermost first.
func (e *Entry[I]) Attachments() []*Attachment {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Attachment, len(e.layers))
	for i, l := range e.layers {
		out[i] = l.a
	}
	return out
}

func (e *Entry[I]) layerOver(a *Attachment, below I) layer[I] {
	ip := &Interposer[I]{inner: below, w: a.w, only: a.only, slow: a.only != nil, core: &e.core}
	return layer[I]{a: a, self: e.iface.wrap(ip)}
}

// topLocked is what calls reach first: the outermost interposer, or the
// base.
func (e *Entry[I]) topLocked() I {
	if n := len(e.layers); n > 0 {
		return e.layers[n-1].self
	}
	return e.base
}

// setBaseLocked puts b under the wrappers (the component itself, or the
// mediator in front of it) and publishes the rebuilt chain.
func (e *Entry[I]) setBaseLocked(b I) {
	e.base = b
	below := b
	for i, l := range e.layers {
		l = e.layerOver(l.a, below)
		e.layers[i] = l
		below = l.self
	}
	e.publishLocked(below)
}

func (e *Entry[I]) methodMask(names []string) ([]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	only := make([]bool, len(e.methods))
	for _, n := range names {
		i := slices.IndexFunc(e.methods, func(m Method) bool { return m.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("%w: %s has no method %q", ErrNoMethod, e.ifaceName, n)
		}
		only[i] = true
	}
	return only, nil
}
