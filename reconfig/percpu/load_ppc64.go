package percpu

import (
	"sync/atomic"
	"unsafe"
)

// On ppc64 every sync/atomic load is "hwsync; ld; cmp; bne; isync", and
// under QEMU's TCG the hwsync is a host fence and the isync ends the
// translation block, so a sum over tens of counters paid them tens of
// times. A sum pays them once: beginLoads is a hwsync (the store of
// atomic.StoreUint32), which orders every earlier store of the caller
// before the loads; the loads are plain doubleword loads, single-copy
// atomic on an aligned doubleword; endLoads is an atomic load (hwsync,
// ld, cmp, bne, isync), after which no later access is performed before
// the loads: together an acquiring snapshot.

// The fences' words are the caller's own (on its stack), so that no
// cache line is shared between the CPUs that sum.

func beginLoads() {
	var w uint32
	atomic.StoreUint32(&w, 0)
}

func endLoads() {
	var w uint32
	atomic.LoadUint32(&w)
}

func load(p *atomic.Int64) int64 { return *(*int64)(unsafe.Pointer(p)) }
