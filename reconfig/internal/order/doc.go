// Package order owns the memory-ordering primitives of the
// reconfiguration core's fast paths: the translation-table call
// (reconfig.Ref.Get), a request's generation.Domain.Enter and
// Request.End, and the hot-swap mediator's enter and exit. It lets each
// of them ask for exactly the ordering its algorithm needs, which on
// ppc64 is much less than sync/atomic gives.
//
// # Why
//
// sync/atomic is sequentially consistent. On ppc64 gc compiles an atomic
// load as "sync; ld; cmp; bne; isync", a store as "sync; st" and an add
// as "lwsync; ldarx; add; stdcx.; bne; lwsync". Under QEMU's TCG an isync
// ends the translation block and a sync is a host fence, so every atomic
// load on a fast path costs about half a direct interface call. K42's
// translation table used a plain load.
//
// # What Power guarantees, and what the callers rely on
//
// (Power ISA v3.0 Book II, the storage model; the model of Sarkar et
// al., "Understanding POWER multiprocessors", PLDI 2011.)
//
//   - An address dependency orders two loads: a load whose address is
//     computed from the value an earlier load returned is satisfied after
//     it. If that value is a pointer published by a store with a barrier
//     (lwsync or sync) before it, the dependent loads see every store the
//     publisher made, or had seen, before the barrier: barriers are
//     cumulative. This is message passing with a dependency on the
//     reading side; Linux's rcu_dereference is built on it. It covers
//     only what is reached through the loaded pointer.
//   - lwsync orders load→load, load→store and store→store, not
//     store→load. Before a store it is a release; gc's atomic add has
//     one on each side.
//   - sync (hwsync) orders every pair and is cumulative. Store buffering
//     (each side stores to one location, then loads the other's) needs a
//     sync between the store and the load on both sides; then at least
//     one side sees the other's store.
//   - isync after a compare-and-branch on a loaded value makes that load
//     an acquire. No caller here needs it: where a later access must
//     follow a load, an address dependency or a sync after the load
//     orders it.
//
// The primitives, on ppc64:
//
//   - Pointer.Store and Uint64.Store are sync/atomic stores: "sync; st",
//     a release (and more) for everything before them.
//   - Pointer.Load is a plain load: dependency-ordered, for values that
//     are immutable once published.
//   - Uint64.Load and Int64.Load are plain loads, for values whose
//     staleness the caller checks or tolerates.
//   - Int64.Add is sync/atomic's add.
//   - Fence is one sync (see order_ppc64.go for how it is produced).
//
// On every other architecture, the host where tests run with -race
// included, each operation is sync/atomic's and Fence does nothing: the
// race detector sees the synchronisation the algorithms rely on, and
// every ordering the ppc64 code gets from a barrier or a dependency is
// implied by sequential consistency.
//
// # The compiler
//
// A plain load that races with a store is, in the Go memory model, only
// guaranteed to return some value that was stored (for a word or less).
// The ppc64 code relies in addition on what gc does there: each Load is
// one load instruction, kept after the Fence or atomic operation before
// it (gc does not merge two loads separated by a call, an atomic
// operation or a Fence, each of which is a memory operation in its SSA
// memory chain), and gc has no value speculation, so an address computed
// from a loaded value stays an address dependency in the machine code.
// codegen_test.go compiles the callers for ppc64 and checks that each
// fast path has exactly the syncs its Fences ask for and no isync. A Load's value is meant to be
// used at once; do not spin on one, since in a loop without calls or
// atomic operations gc may keep the value in a register.
package order
