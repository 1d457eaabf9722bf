package kernel

import "sync/atomic"

// spinlock serialises the trap handlers of different CPUs. It is only
// taken inside the trap handler, where interrupts are off, so a CPU never
// spins on a lock it holds itself. (Go code reaches kernel state through
// system calls, never by taking these locks.)
//
// Ordering: sync/atomic's CompareAndSwap on ppc64 is lwarx/stwcx. between
// lwsync barriers, so the critical section's loads and stores cannot move
// above the acquire; Store is preceded by a full sync, so they cannot
// move below the release.
type spinlock struct{ v uint32 }

func (l *spinlock) lock() {
	for !atomic.CompareAndSwapUint32(&l.v, 0, 1) {
		for atomic.LoadUint32(&l.v) != 0 {
		}
	}
}

func (l *spinlock) unlock() { atomic.StoreUint32(&l.v, 0) }
