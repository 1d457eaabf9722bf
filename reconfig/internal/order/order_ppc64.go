package order

import "sync/atomic"

// noCopy makes go vet's copylocks check refuse copies, as sync/atomic's
// types do.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// Uint64 is an integer read on a fast path without a barrier.
type Uint64 struct {
	_ noCopy
	v uint64
}

// Load returns the value: a plain load, which returns some value stored
// (an aligned doubleword is never torn), perhaps not the latest; a later
// Load of the same Uint64 never returns an older value (Power keeps
// load→load coherence).
func (x *Uint64) Load() uint64 { return x.v }

// Store stores v: "sync; std".
func (x *Uint64) Store(v uint64) { atomic.StoreUint64(&x.v, v) }

// Int64 is an integer updated atomically and read on a fast path without
// a barrier.
type Int64 struct {
	_ noCopy
	v int64
}

// Load returns the value, as Uint64.Load does.
func (x *Int64) Load() int64 { return x.v }

// Add adds d and returns the new value: "lwsync; ldarx; add; stdcx.;
// bne; lwsync". The first lwsync makes it a release.
func (x *Int64) Add(d int64) int64 { return atomic.AddInt64(&x.v, d) }

// Fence orders every memory access before it before every access after
// it, store→load included: one sync (hwsync), and no isync.
//
// Go has no fence, but gc compiles a sequentially consistent atomic store
// on ppc64 as "sync; stw", so Fence stores to a word on its own stack
// that nothing reads. Unlike an assembly function it is inlined: the cost
// is the sync and one store to a line the CPU already owns. (gc keeps
// the atomic store, and keeps later loads after it, because it is a
// memory operation in the SSA memory chain; x stays on the stack because
// sync/atomic's functions are go:noescape. codegen_test.go checks the
// instructions.)
func Fence() {
	var x uint32
	atomic.StoreUint32(&x, 0)
}
