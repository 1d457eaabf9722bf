package reconfig

import (
	"errors"
	"fmt"
	"math/bits"
)

// State transfer (paper §3.3, §4.3.2). The implementations of one
// component interface form a family. A family has up to 64 transfer
// protocols, numbered 0 to 63; the higher the number, the more desirable
// (say, handing over internal structures by reference between two
// implementations that share them). Protocol 0 is the family's canonical
// format, which every member must both export and import, so that a new
// implementation needs only two functions, to and from canonical, to be
// swappable with every other member.

// Protocol numbers a state-transfer protocol within a family.
type Protocol uint8

// Canonical is the protocol every member of a family supports.
const Canonical Protocol = 0

// ProtocolSet is a set of protocols as a 64-bit vector: bit p is protocol p.
type ProtocolSet uint64

// Protocols returns the set of the given protocols.
func Protocols(ps ...Protocol) ProtocolSet {
	var s ProtocolSet
	for _, p := range ps {
		s |= 1 << (p & 63)
	}
	return s
}

// Has reports whether p is in the set.
func (s ProtocolSet) Has(p Protocol) bool { return s&(1<<(p&63)) != 0 }

// Highest returns the highest-numbered protocol in the set.
func (s ProtocolSet) Highest() (Protocol, bool) {
	if s == 0 {
		return 0, false
	}
	return Protocol(63 - bits.LeadingZeros64(uint64(s))), true
}

// Transferer is implemented by components that have state to hand over
// when swapped.
type Transferer interface {
	// Protocols returns the protocols the component can export its
	// state in and import state from.
	Protocols() (export, import_ ProtocolSet)
	// Export packages the component's state in protocol p. It runs in
	// the transfer phase, when no call is in the component, and must not
	// change the component: if the swap fails the component goes on.
	Export(p Protocol) (any, error)
	// Import unpacks state exported in protocol p by another member of
	// the family. An error aborts the swap; the old component stays.
	Import(p Protocol, state any) error
}

// Transfer errors.
var (
	ErrNoCanonical = errors.New("reconfig: component does not support its family's canonical format")
	ErrNoProtocol  = errors.New("reconfig: components share no transfer protocol")
	ErrTransfer    = errors.New("reconfig: state transfer failed")
)

// Negotiate picks the protocol for moving state from one component to
// another: the highest protocol that from exports and to imports. Both
// must support Canonical, so a common protocol always exists between
// well-formed members of a family.
func Negotiate(from, to Transferer) (Protocol, error) {
	fe, fi := from.Protocols()
	te, ti := to.Protocols()
	switch {
	case !fe.Has(Canonical) || !fi.Has(Canonical):
		return 0, fmt.Errorf("%w: %T", ErrNoCanonical, from)
	case !te.Has(Canonical) || !ti.Has(Canonical):
		return 0, fmt.Errorf("%w: %T", ErrNoCanonical, to)
	}
	p, ok := (fe & ti).Highest()
	if !ok {
		return 0, ErrNoProtocol
	}
	return p, nil
}

// transferPlan says how a swap moves state: not at all (a null swap, or
// a stateless family), or by protocol.
type transferPlan struct {
	from, to Transferer
	protocol Protocol
}

func planTransfer(from, to any) (*transferPlan, error) {
	if same(from, to) {
		return nil, nil
	}
	ft, fok := from.(Transferer)
	tt, tok := to.(Transferer)
	switch {
	case !fok && !tok:
		return nil, nil // stateless components
	case !fok:
		return nil, fmt.Errorf("%w: %T has no state to give", ErrNoProtocol, from)
	case !tok:
		return nil, fmt.Errorf("%w: %T cannot take state", ErrNoProtocol, to)
	}
	p, err := Negotiate(ft, tt)
	if err != nil {
		return nil, err
	}
	return &transferPlan{from: ft, to: tt, protocol: p}, nil
}

// run moves the state. A panic in Export or Import becomes a
// *PanicError wrapped in ErrTransfer.
func (t *transferPlan) run() error {
	var st any
	err := protect(fmt.Sprintf("Export of %T", t.from), func() (err error) {
		st, err = t.from.Export(t.protocol)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: export by %T in protocol %d: %w", ErrTransfer, t.from, t.protocol, err)
	}
	err = protect(fmt.Sprintf("Import of %T", t.to), func() error { return t.to.Import(t.protocol, st) })
	if err != nil {
		return fmt.Errorf("%w: import by %T in protocol %d: %w", ErrTransfer, t.to, t.protocol, err)
	}
	return nil
}
