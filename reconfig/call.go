package reconfig

import (
	"unsafe"

	"k42/reconfig/platform"
)

// Method describes one method of a component interface. genwrap fills
// these in from the interface declaration.
type Method struct {
	Index    int      // position in the interface's method list (sorted by name)
	Name     string   // the method's name
	Params   []string // parameter types as written in Go
	Results  []string // result types
	Variadic bool     // the last parameter is ...T
	// Context: the first parameter is a context.Context. The mediator
	// marks it on calls it tracks, and so recognises recursive calls.
	Context bool
}

// Frame gives a wrapper the arguments and results of one call. genwrap
// generates one frame type per method; its values live on the caller's
// stack for the call's duration.
type Frame interface {
	// Arg returns a pointer to argument i (a *T for an argument of type
	// T), or nil if there is no such argument.
	Arg(i int) any
	// Result returns a pointer to result i, or nil.
	Result(i int) any
}

// Call is one call passing through an interposer, as a wrapper sees it.
// It lives on the stack of the generated dispatcher method, so it costs no
// allocation; the *Call handed to PreCall and PostCall, and the pointers
// that Arg and Result return, are valid only until PostCall returns (or
// until PreCall returns, if it skips PostCall). A wrapper must copy out
// what it wants to keep and never retain the pointers themselves.
type Call struct {
	// State and Data are the wrapper's per-call state: set in PreCall,
	// read in PostCall. State costs nothing; Data can hold anything.
	State uint64
	Data  any

	frame Frame
	core  *core
	index int32
	shard int32 // the mediator's counter row for a tracked call
	flags uint32
}

const (
	callSkipPost uint32 = 1 << iota
	callTracked
)

// Method describes the method being called.
func (c *Call) Method() *Method { return &c.core.methods[c.index] }

// Object names the translation-table entry the call came through.
func (c *Call) Object() string { return c.core.name() }

// Arg returns a pointer to argument i (*T for an argument of type T);
// writing through it in PreCall changes what the component receives.
func (c *Call) Arg(i int) any {
	if c.frame == nil {
		return nil
	}
	return c.frame.Arg(i)
}

// Result returns a pointer to result i; in PostCall, writing through it
// changes what the caller receives.
func (c *Call) Result(i int) any {
	if c.frame == nil {
		return nil
	}
	return c.frame.Result(i)
}

// ArgPtr returns argument i as a *T, or nil if it is not of type T.
func ArgPtr[T any](c *Call, i int) *T {
	p, _ := c.Arg(i).(*T)
	return p
}

// ResultPtr returns result i as a *T, or nil if it is not of type T.
func ResultPtr[T any](c *Call, i int) *T {
	p, _ := c.Result(i).(*T)
	return p
}

// SkipPost asks, from PreCall, that PostCall not be called for this call:
// the cheaper path for wrappers that only look at calls going in.
func (c *Call) SkipPost() { c.flags |= callSkipPost }

// Exits reports whether the dispatcher must call Exit after the
// component returns. Generated code calls it.
func (c *Call) Exits() bool { return c.flags&callSkipPost == 0 }

// Guarded reports whether Exit must run even if the component panics.
func (c *Call) Guarded() bool { return c.flags&callTracked != 0 }

// CPU returns the caller's CPU number on the table's platform, for
// wrappers that keep per-CPU data.
func (c *Call) CPU() int { return c.core.cpu() }

// Platform returns the platform of the table the call came through.
func (c *Call) Platform() platform.Platform { return c.core.plat }

// noescape hides c from escape analysis. Interface method calls make
// their arguments escape, so without it every interposed call would
// allocate its Call (and the arguments' frame) on the heap; with it both
// stay on the dispatcher's stack. This is sound because the dispatcher
// keeps c alive until the wrapper's PostCall has returned, and the Call's
// documented contract forbids wrappers to keep the pointer (the same rule
// strings.Builder and the runtime rely on for their noescape).
func noescape(c *Call) *Call {
	x := [1]uintptr{uintptr(unsafe.Pointer(c))}
	return *(**Call)(unsafe.Pointer(&x))
}
