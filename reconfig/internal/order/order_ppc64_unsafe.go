//go:build ppc64

package order

import (
	"sync/atomic"
	"unsafe"
)

// Pointer is a pointer to a value that is immutable once published.
type Pointer[T any] struct {
	_ [0]*T // Pointer[T] and Pointer[U] do not convert
	_ noCopy
	v unsafe.Pointer
}

// Load returns the pointer: a plain load. Loads through the returned
// pointer are ordered after it by their address dependency on it, which
// with Store's barrier makes them see the published value and what the
// publisher wrote before it; nothing else is ordered. No isync and no
// sync are needed for that.
func (x *Pointer[T]) Load() *T { return (*T)(x.v) }

// Store publishes v: "sync; std" (with the garbage collector's write
// barrier). The sync orders everything the caller wrote, or saw written,
// before the pointer.
func (x *Pointer[T]) Store(v *T) { atomic.StorePointer(&x.v, unsafe.Pointer(v)) }
