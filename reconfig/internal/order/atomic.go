//go:build !ppc64

package order

import "sync/atomic"

// On architectures other than ppc64 every operation is sync/atomic's, so
// that the race detector sees what the callers synchronise on. See the
// package documentation.

// Pointer is a pointer to a value that is immutable once published.
type Pointer[T any] struct{ p atomic.Pointer[T] }

// Load returns the pointer. It is ordered before every load made through
// the returned pointer (on ppc64 by the address dependency alone).
func (x *Pointer[T]) Load() *T { return x.p.Load() }

// Store publishes v: everything the caller wrote, or saw written, before
// Store is visible to a Load that returns v and to the loads made
// through it.
func (x *Pointer[T]) Store(v *T) { x.p.Store(v) }

// Uint64 is an integer read on a fast path without a barrier.
type Uint64 struct{ v atomic.Uint64 }

// Load returns the value: a sequentially consistent load here, a plain
// one on ppc64 (some value stored, perhaps not the latest; a later Load
// of the same Uint64 never returns an older value).
func (x *Uint64) Load() uint64 { return x.v.Load() }

// Store stores v, with a full barrier before it.
func (x *Uint64) Store(v uint64) { x.v.Store(v) }

// Int64 is an integer updated atomically and read on a fast path without
// a barrier.
type Int64 struct{ v atomic.Int64 }

// Load returns the value, as Uint64.Load does.
func (x *Int64) Load() int64 { return x.v.Load() }

// Add adds d and returns the new value, atomically, as sync/atomic's Add
// (on ppc64: lwsync before and after).
func (x *Int64) Add(d int64) int64 { return x.v.Add(d) }

// Fence orders every memory access before it before every access after
// it, store→load included. Here, where every access the callers order
// is a sequentially consistent sync/atomic operation, that order is
// already given and Fence does nothing.
func Fence() {}
