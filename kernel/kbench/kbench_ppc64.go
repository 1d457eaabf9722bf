// Package kbench holds the in-kernel benchmarks. Each prints one JSON line
// per figure, measured in timebase ticks (and nanoseconds at the
// timebase's frequency); compare figures from one run with each other, not
// absolute times across runs, since QEMU's TCG shares a noisy host.
package kbench

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync/atomic"
	"syscall"
	"unsafe"

	"k42/kernel"
)

// Result is one benchmark figure.
type Result struct {
	Name  string  `json:"name"`
	N     int     `json:"n"`
	Ticks float64 `json:"ticks"` // per operation (median for latencies)
	Ns    float64 `json:"ns"`
	Unit  string  `json:"unit"`
}

func result(name string, n int, ticks float64, unit string) Result {
	return Result{Name: name, N: n, Ticks: ticks, Ns: ticks * 1e9 / float64(kernel.TimebaseHz()), Unit: unit}
}

// Run runs every benchmark and writes JSON lines to w.
func Run(w io.Writer) int {
	enc := json.NewEncoder(w)
	for _, b := range []func() Result{syscallRoundTrip, futexWakeLatency, threadSwitch} {
		if err := enc.Encode(b()); err != nil {
			fmt.Fprintln(w, err)
			return 1
		}
	}
	return 0
}

// syscallRoundTrip: sc into the kernel and back (getpid, no work).
func syscallRoundTrip() Result {
	const n = 20000
	t0 := kernel.Timebase()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	return result("syscall_round_trip", n, float64(kernel.Timebase()-t0)/n, "op")
}

const (
	futexWait = 128 | 0
	futexWake = 128 | 1
)

func futex(addr *uint32, op, val uintptr) uintptr {
	r, _, _ := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), op, val, 0, 0, 0)
	return r
}

func median(xs []uint64) float64 {
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	return float64(xs[len(xs)/2])
}

// futexWakeLatency: from FUTEX_WAKE in one thread to the waiter's return
// from FUTEX_WAIT in another.
func futexWakeLatency() Result {
	const n = 300
	var word uint32
	var wokeAt, wakeAt atomic.Uint64
	lat := make([]uint64, 0, n)
	done := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < n; i++ {
			ready <- struct{}{}
			for atomic.LoadUint32(&word) == uint32(i) {
				futex(&word, futexWait, uintptr(i))
			}
			wokeAt.Store(kernel.Timebase())
			done <- struct{}{}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i < n; i++ {
		<-ready
		// Wake only once the waiter sleeps in the kernel.
		for {
			atomic.StoreUint32(&word, uint32(i+1))
			wakeAt.Store(kernel.Timebase())
			if futex(&word, futexWake, 1) == 1 {
				break
			}
			atomic.StoreUint32(&word, uint32(i))
			runtime.Gosched()
			if atomic.LoadUint32(&word) != uint32(i) {
				break
			}
		}
		<-done
		if w, k := wokeAt.Load(), wakeAt.Load(); w > k {
			lat = append(lat, w-k)
		}
	}
	return result("futex_wake_latency", len(lat), median(lat), "wake")
}

// threadSwitch: two threads alternate through futexes; each hand-off is a
// wake, a block and a switch.
func threadSwitch() Result {
	const n = 2000
	var turn uint32
	done := make(chan struct{})
	pass := func(me uint32) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < n; i++ {
			for {
				t := atomic.LoadUint32(&turn)
				if t%2 == me {
					break
				}
				futex(&turn, futexWait, uintptr(t))
			}
			atomic.AddUint32(&turn, 1)
			futex(&turn, futexWake, 1)
		}
		done <- struct{}{}
	}
	t0 := kernel.Timebase()
	go pass(0)
	go pass(1)
	<-done
	<-done
	return result("thread_switch", 2*n, float64(kernel.Timebase()-t0)/(2*n), "hand-off")
}
