package reconfig

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"k42/reconfig/generation"
	"k42/reconfig/internal/order"
	"k42/reconfig/platform"
)

// Errors returned by the package.
var (
	ErrExists         = errors.New("reconfig: an object of that name exists")
	ErrNotFound       = errors.New("reconfig: no object of that name")
	ErrWrongInterface = errors.New("reconfig: object has another interface")
	ErrDestroyed      = errors.New("reconfig: object destroyed")
	ErrNotAttached    = errors.New("reconfig: wrapper not attached")
	ErrNoMethod       = errors.New("reconfig: no such method")
	ErrNilWrapper     = errors.New("reconfig: nil wrapper")
	ErrNilComponent   = errors.New("reconfig: nil component")
)

// Interface describes a component interface I to the core: its name, its
// methods and how to build a dispatcher for it. genwrap generates one
// variable of this type for each interface it is run on.
type Interface[I any] struct {
	name    string
	methods []Method
	wrap    func(*Interposer[I]) I

	famMu   sync.Mutex
	members []member[I] // the family's named implementations (family.go)
}

// NewInterface is called by generated code. I must be an interface type;
// methods are I's methods in order, and wrap returns the generated
// dispatcher for an interposer.
func NewInterface[I any](name string, methods []Method, wrap func(*Interposer[I]) I) *Interface[I] {
	if reflect.TypeFor[I]().Kind() != reflect.Interface {
		panic("reconfig: NewInterface of a non-interface type")
	}
	return &Interface[I]{name: name, methods: methods, wrap: wrap}
}

// Name returns the interface's name, package-qualified.
func (f *Interface[I]) Name() string { return f.name }

// Methods returns the interface's methods.
func (f *Interface[I]) Methods() []Method { return slices.Clone(f.methods) }

// Table is an object translation table (paper §3.4, §4.2): it holds one
// entry per component instance, and every client call goes through an
// entry. The table also names its objects for operators and carries the
// generation domain that tells when changes to entries are quiescent.
type Table struct {
	gens *generation.Domain
	mu   sync.Mutex
	objs map[string]Object
}

// NewTable returns an empty table whose quiescent states come from d.
func NewTable(d *generation.Domain) *Table {
	return &Table{gens: d, objs: make(map[string]Object)}
}

// Domain returns the table's generation domain.
func (t *Table) Domain() *generation.Domain { return t.gens }

// Platform returns the platform of the table's domain.
func (t *Table) Platform() platform.Platform { return t.gens.Platform() }

// Object returns the object of that name, for operators.
func (t *Table) Object(name string) (Object, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.objs[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return o, nil
}

// List describes every object, sorted by name.
func (t *Table) List() []ObjectInfo {
	t.mu.Lock()
	objs := make([]Object, 0, len(t.objs))
	for _, o := range t.objs {
		objs = append(objs, o)
	}
	t.mu.Unlock()
	out := make([]ObjectInfo, len(objs))
	for i, o := range objs {
		out[i] = o.Info()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Destroy destroys the object of that name (see Entry.Destroy).
func (t *Table) Destroy(name string) (<-chan struct{}, error) {
	o, err := t.Object(name)
	if err != nil {
		return nil, err
	}
	return o.Destroy()
}

// Rename gives the object called old the name new. The entry, its
// references and its wrappers are unchanged; only operators' lookups and
// listings see the new name.
func (t *Table) Rename(old, new string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.objs[old]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, old)
	}
	if old == new {
		return nil
	}
	if _, ok := t.objs[new]; ok {
		return fmt.Errorf("%w: %q", ErrExists, new)
	}
	r, ok := o.(interface{ rename(string) })
	if !ok {
		return fmt.Errorf("reconfig: %q cannot be renamed", old)
	}
	r.rename(new)
	delete(t.objs, old)
	t.objs[new] = o
	return nil
}

func (e *Entry[I]) rename(name string) { e.nm.Store(&name) }

// unlist removes the object's name from its table, if it is still its.
func (e *Entry[I]) unlist() {
	t := e.table
	t.mu.Lock()
	if n := e.name(); t.objs[n] == Object(e) {
		delete(t.objs, n)
	}
	t.mu.Unlock()
}

// Object is the operator's view of an entry, whatever its interface.
type Object interface {
	Info() ObjectInfo
	Methods() []Method
	Attach(w Wrapper, methods ...string) (*Attachment, error)
	Detach(a *Attachment) error
	Attachments() []*Attachment
	NullSwap(opts SwapOptions) (SwapReport, error)
	// SwapTo swaps to a new instance of the family member named impl;
	// Implementations lists the names.
	SwapTo(impl string, opts SwapOptions) (SwapReport, error)
	Implementations() []string
	Destroy() (<-chan struct{}, error)
}

// ObjectInfo describes an object for listings.
type ObjectInfo struct {
	Name           string
	Interface      string
	Implementation string   // the component's dynamic type
	Wrappers       []string // attached wrappers, innermost first (their String, or type)
	Swaps          uint64   // hot swaps completed
	Swapping       bool     // a swap is in progress
}

// core is the part of an entry that does not depend on its interface.
type core struct {
	nm        atomic.Pointer[string] // the name (Table.Rename changes it)
	ifaceName string
	methods   []Method
	table     *Table
	plat      platform.Platform
	ncpu      int
}

func (c *core) name() string { return *c.nm.Load() }

func (c *core) cpu() int {
	i := c.plat.CPU()
	if uint(i) >= uint(c.ncpu) {
		i = int(uint(i) % uint(c.ncpu))
	}
	return i
}

// binding is what an entry points at: the component, or the outermost
// interposer in front of it. A binding is never changed once published:
// publishLocked makes a new one each time.
type binding[I any] struct{ v I }

// Entry is a translation-table entry holding a component of interface I.
// Clients call through a Ref; the Entry itself is the handle for
// reconfiguring the object.
type Entry[I any] struct {
	cur order.Pointer[binding[I]] // see Ref.Get for its ordering
	core
	iface *Interface[I]

	swapMu sync.Mutex // one swap or destroy at a time

	mu     sync.Mutex // guards what follows; never taken by callers
	impl   I          // the component
	base   I          // impl, or the mediator's dispatcher during a swap
	layers []layer[I] // attached wrappers, innermost first
	med    *mediator[I]
	dead   bool
	swaps  uint64
}

// Ref is a client's reference to an object: a typed handle on its entry,
// never on the implementation. Each call goes through Get, which costs
// one load of the entry (with no barrier on ppc64); a client must not
// keep what Get returns beyond the call it makes with it (that would
// bypass the table).
type Ref[I any] struct{ e *Entry[I] }

// Get returns what the entry points at now; call the method on it at
// once: r.Get().Method(...).
//
// The load of the binding is dependency-ordered (order.Pointer.Load), a
// plain load on ppc64, as K42's table's was. That is enough because
// everything a call uses is reached through the pointer it loads: the
// binding (immutable once published), the interface value in it, the
// method table, the interposers (immutable) or the mediator, and the
// component. publishLocked stores the pointer with sync/atomic (sync;
// std on ppc64), whose barrier orders before it everything the publisher
// wrote or saw written (a new interposer, the state a transfer moved into
// the new component); the call's loads through the pointer carry an
// address dependency on it, so they see all of that. Data a component
// keeps outside itself, not reached through its own pointers, must be
// published by the component's own synchronisation.
//
// Which binding a call sees, the old or a new one, is not this load's
// business: the generation mechanism makes every request that starts in a
// generation after a Quiesce see the bindings published before it (see
// "Memory ordering" in package generation), and that is all that the
// reclamation of old bindings needs.
func (r Ref[I]) Get() I { return r.e.cur.Load().v }

// Name returns the object's name.
func (r Ref[I]) Name() string { return r.e.name() }

// Create puts impl in a new entry of t called name.
func Create[I any](t *Table, name string, iface *Interface[I], impl I) (*Entry[I], error) {
	if isNil(impl) {
		return nil, ErrNilComponent
	}
	e := &Entry[I]{
		core: core{ifaceName: iface.name, methods: iface.methods, table: t,
			plat: t.gens.Platform(), ncpu: t.gens.Platform().NumCPU()},
		iface: iface,
		impl:  impl,
		base:  impl,
	}
	e.nm.Store(&name)
	e.cur.Store(&binding[I]{v: impl})
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.objs[name]; ok {
		return nil, fmt.Errorf("%w: %q", ErrExists, name)
	}
	t.objs[name] = e
	return e, nil
}

// Lookup returns the entry called name if its interface is iface.
func Lookup[I any](t *Table, name string, iface *Interface[I]) (*Entry[I], error) {
	o, err := t.Object(name)
	if err != nil {
		return nil, err
	}
	e, ok := o.(*Entry[I])
	if !ok || e.iface != iface {
		return nil, fmt.Errorf("%w: %q is %s, not %s", ErrWrongInterface, name, o.Info().Interface, iface.name)
	}
	return e, nil
}

// Ref returns a client reference to the entry.
func (e *Entry[I]) Ref() Ref[I] { return Ref[I]{e: e} }

// Name returns the object's name.
func (e *Entry[I]) Name() string { return e.name() }

// Methods returns the methods of the object's interface.
func (e *Entry[I]) Methods() []Method { return slices.Clone(e.methods) }

// Component returns the object's component: the implementation beneath
// its wrappers and any swap in progress (the one a swap is leaving, until
// it is done). For operators and policies; clients call through Ref.
func (e *Entry[I]) Component() I {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.impl
}

// Info describes the object.
func (e *Entry[I]) Info() ObjectInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	info := ObjectInfo{Name: e.name(), Interface: e.ifaceName, Implementation: typeName(e.impl),
		Swaps: e.swaps, Swapping: e.med != nil}
	for _, l := range e.layers {
		info.Wrappers = append(info.Wrappers, l.a.String())
	}
	return info
}

func (e *Entry[I]) publishLocked(v I) { e.cur.Store(&binding[I]{v: v}) }

func (e *Entry[I]) destroyedErr() error { return fmt.Errorf("%w: %q", ErrDestroyed, e.name()) }

// Destroyer is implemented by components that release resources when
// destroyed.
type Destroyer interface {
	Destroy()
}

// Destroy removes the object from the table and makes every new call
// through its entry panic with ErrDestroyed. Destruction proper is
// deferred until quiescent: once every request that could have been
// using the component has ended, the component's Destroy method (if it is
// a Destroyer) runs, the attached wrappers are reclaimed, and the
// returned channel is closed.
func (e *Entry[I]) Destroy() (<-chan struct{}, error) {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	return e.destroyLocked()
}

// DestroySoon destroys the object without waiting: at once if no swap
// holds the entry, else on a goroutine of its own once the swap is over.
// Its name leaves the table at once either way, so another object may
// take it. Unlike Destroy it may be called inside a request (a file's
// last close destroying its objects).
func (e *Entry[I]) DestroySoon() {
	if !e.swapMu.TryLock() {
		e.unlist()
		go e.Destroy()
		return
	}
	defer e.swapMu.Unlock()
	e.destroyLocked()
}

func (e *Entry[I]) destroyLocked() (<-chan struct{}, error) {
	e.mu.Lock()
	if e.dead {
		e.mu.Unlock()
		return nil, e.destroyedErr()
	}
	e.dead = true
	impl, layers := e.impl, e.layers
	e.layers = nil
	e.publishLocked(e.iface.wrap(&Interposer[I]{dead: true, slow: true, core: &e.core}))
	e.mu.Unlock()

	e.unlist()
	t := e.table
	done := make(chan struct{})
	d, hasDestroy := any(impl).(Destroyer)
	t.gens.Quiesce(func() {
		if !hasDestroy {
			// Nothing that may block: reclaim the wrappers here, with no
			// goroutine of its own.
			for _, l := range layers {
				close(l.a.reclaimed)
			}
			close(done)
			return
		}
		go func() {
			if hasDestroy {
				d.Destroy()
			}
			for _, l := range layers {
				close(l.a.reclaimed)
			}
			close(done)
		}()
	})
	return done, nil
}

// typeNames caches the names of components' dynamic types (a swap's
// report and an object's listing name them; fmt's %T allocates).
var typeNames sync.Map // reflect.Type -> string

// typeName is fmt's %T of v.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "<nil>"
	}
	if n, ok := typeNames.Load(t); ok {
		return n.(string)
	}
	n := t.String()
	typeNames.Store(t, n)
	return n
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return r.IsNil()
	}
	return false
}

// same reports whether a and b are the same component (a null swap).
func same(a, b any) (eq bool) {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || ta == nil || !ta.Comparable() {
		return false
	}
	defer func() {
		if recover() != nil { // a comparable type holding an incomparable value
			eq = false
		}
	}()
	return a == b
}

var _ Object = (*Entry[any])(nil)
