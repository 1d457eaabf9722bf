package reconfig

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// ErrNoImplementation is returned when a swap names an implementation the
// object's family does not have.
var ErrNoImplementation = errors.New("reconfig: no implementation of that name")

// A family's named members. An interface's implementations register a
// constructor under a short name (Interface.Provide), so that an operator
// can swap any object of the family to any member by name (Object.SwapTo:
// the console's "swap NAME IMPL"), without the operator's code knowing the
// family's types. A constructor makes an empty instance; the swap's state
// transfer fills it in from the old one, so a member whose instances need
// parameters (a file's backing store, say) takes them from the state it
// imports.

type member[I any] struct {
	name string
	make func() I
	typ  reflect.Type // what make makes
}

// Provide registers the family member called name, made by make. Names
// are unique within the family; registering one twice panics (it is a
// programming error, made at package initialisation).
func (f *Interface[I]) Provide(name string, make func() I) {
	f.famMu.Lock()
	defer f.famMu.Unlock()
	for _, m := range f.members {
		if m.name == name {
			panic(fmt.Sprintf("reconfig: %s: implementation %q provided twice", f.name, name))
		}
	}
	f.members = append(f.members, member[I]{name: name, make: make, typ: reflect.TypeOf(make())})
}

// memberOf names the family member whose instances have v's dynamic
// type, or "" if none has it or several do (members told apart by their
// state, not their type).
func (f *Interface[I]) memberOf(v I) string {
	t := reflect.TypeOf(v)
	f.famMu.Lock()
	defer f.famMu.Unlock()
	name := ""
	for _, m := range f.members {
		if m.typ == t {
			if name != "" {
				return ""
			}
			name = m.name
		}
	}
	return name
}

// Implementations returns the names of the family's members, sorted.
func (f *Interface[I]) Implementations() []string {
	f.famMu.Lock()
	defer f.famMu.Unlock()
	names := make([]string, len(f.members))
	for i, m := range f.members {
		names[i] = m.name
	}
	sort.Strings(names)
	return names
}

// New makes an empty instance of the member called name.
func (f *Interface[I]) New(name string) (I, error) {
	f.famMu.Lock()
	i := slices.IndexFunc(f.members, func(m member[I]) bool { return m.name == name })
	var mk func() I
	if i >= 0 {
		mk = f.members[i].make
	}
	f.famMu.Unlock()
	if mk == nil {
		var zero I
		have := f.Implementations()
		if len(have) == 0 {
			return zero, fmt.Errorf("%w: %q (%s has no named implementations)", ErrNoImplementation, name, f.name)
		}
		return zero, fmt.Errorf("%w: %q (%s has %s)", ErrNoImplementation, name, f.name, strings.Join(have, ", "))
	}
	return mk(), nil
}

// Member names the family member the object's component is an instance
// of, or "" if its type is none of the named members' (or several's).
func (e *Entry[I]) Member() string {
	e.mu.Lock()
	impl := e.impl
	e.mu.Unlock()
	return e.iface.memberOf(impl)
}

// Implementations returns the names of the members of the object's family.
func (e *Entry[I]) Implementations() []string { return e.iface.Implementations() }

// SwapTo swaps the object to a new instance of its family's member called
// impl (see Swap).
func (e *Entry[I]) SwapTo(impl string, opts SwapOptions) (SwapReport, error) {
	to, err := e.iface.New(impl)
	if err != nil {
		return SwapReport{Object: e.name()}, err
	}
	return e.Swap(to, opts)
}
