// Package platform is the reconfiguration core's whole view of the
// machine: the number of the CPU the caller runs on, how many CPUs there
// are, and a monotonic clock. Everything in reconfig/ reaches the machine
// only through a Platform, so the same code runs on the host (Host, below)
// and in the kernel, which serves the interface from SPRG3, its CPU count
// and the timebase.
package platform

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Platform is the small interface the kernel serves.
type Platform interface {
	// CPU returns the number of the CPU the caller runs on, in
	// [0, NumCPU()). The answer may be stale as soon as it is returned
	// (the caller can be preempted and moved); callers use it only to
	// choose which per-CPU data to touch and remember that choice, never
	// for correctness.
	CPU() int
	// NumCPU is the number of CPUs. It does not change for the
	// platform's life.
	NumCPU() int
	// Now is a monotonic clock in nanoseconds.
	Now() int64
}

// host serves Platform on an ordinary Go process.
//
// What is approximated: a goroutine has no cheap, stable CPU number in
// portable Go (the runtime's P number is not exported). The host instead
// derives a "CPU" from the address of the calling goroutine's stack: each
// goroutine's stack is a separate block of memory (2 KiB at least), so
// different goroutines usually land on different per-CPU slots and one
// goroutine keeps landing on the same slot while its stack does not move
// (a stack that has grown past 2 KiB can give different slots at
// different depths). To make two
// running goroutines unlikely to share a slot, the host has four times
// GOMAXPROCS slots (a power of two). Two goroutines can still collide and
// then write the same cache line; that costs time, never correctness,
// because every user of CPU remembers the slot it chose.
type host struct {
	shift uint // 64 - log2(n): CPU takes the hash's top bits
	n     int
	start time.Time
}

// Host returns a Platform for an ordinary Go process, sized from
// GOMAXPROCS at the call.
func Host() Platform {
	n, log := 1, uint(0)
	for n < 4*runtime.GOMAXPROCS(0) {
		n <<= 1
		log++
	}
	return &host{shift: 64 - log, n: n, start: time.Now()}
}

func (h *host) CPU() int {
	var b byte
	// Goroutine stacks start at 2 KiB, so neighbouring goroutines' stacks
	// differ from bit 11 up. Fibonacci hashing spreads consecutive blocks
	// over the slots.
	a := uint64(uintptr(unsafe.Pointer(&b)) >> 11)
	return int((a * 0x9e3779b97f4a7c15) >> h.shift)
}

func (h *host) NumCPU() int { return h.n }

func (h *host) Now() int64 { return int64(time.Since(h.start)) }

var current atomic.Pointer[Platform]

// Install makes p the platform that Current returns. The kernel calls it
// once at start-up, after bringing its CPUs online and before anything
// asks for Current; on the host nobody needs to.
func Install(p Platform) { current.Store(&p) }

// Current returns the installed platform, installing Host first if none
// was installed.
func Current() Platform {
	if p := current.Load(); p != nil {
		return *p
	}
	h := Host()
	current.CompareAndSwap(nil, &h)
	return *current.Load()
}
