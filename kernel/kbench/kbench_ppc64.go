// Package kbench holds the in-kernel benchmarks. Each prints one JSON line
// per figure, measured in timebase ticks (and nanoseconds at the
// timebase's frequency); compare figures from one run with each other, not
// absolute times across runs, since QEMU's TCG shares a noisy host.
package kbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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

	Speedup   float64 `json:"speedup,omitempty"`    // over one CPU
	HostCores int     `json:"host_cores,omitempty"` // the host's, when known
}

func result(name string, n int, ticks float64, unit string) Result {
	return Result{Name: name, N: n, Ticks: ticks, Ns: ticks * 1e9 / float64(kernel.TimebaseHz()), Unit: unit}
}

// Run runs every benchmark and writes JSON lines to w.
func Run(w io.Writer) int {
	enc := json.NewEncoder(w)
	benches := []func() []Result{
		vmBenches, one(syscallRoundTrip), one(threadSwitch), wakeups, speedup, reconfigBenches,
		one(func() Result { return framesUsed("frames_used_after_bench") }),
	}
	for _, b := range benches {
		for _, r := range b() {
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(w, err)
				return 1
			}
		}
	}
	return 0
}

func one(f func() Result) func() []Result { return func() []Result { return []Result{f()} } }

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

// wakeups measures futex wake-up latency (FUTEX_WAKE in one thread to the
// waiter's return from FUTEX_WAIT in another), over all samples and over
// those where the two threads were on different CPUs, and a channel round
// trip between goroutines on two locked threads.
func wakeups() []Result {
	const n = 300
	var word uint32
	var wakeAt, wokeAt atomic.Uint64
	var lat, cross []uint64
	ping, pong := make(chan struct{}), make(chan struct{})
	var rtts []uint64
	waiterCPU := make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		waiterCPU <- kernel.CPUID()
		for i := 0; i < n; i++ {
			for atomic.LoadUint32(&word) == uint32(2*i) {
				futex(&word, futexWait, uintptr(2*i))
			}
			wokeAt.Store(kernel.Timebase())
			atomic.StoreUint32(&word, uint32(2*i+2))
			futex(&word, futexWake, 1)
		}
		for range ping {
			pong <- struct{}{}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wc := <-waiterCPU
	for i := 0; i < n; i++ {
		time.Sleep(50 * time.Microsecond) // let the waiter block
		wakeAt.Store(kernel.Timebase())
		atomic.StoreUint32(&word, uint32(2*i+1))
		futex(&word, futexWake, 1)
		for atomic.LoadUint32(&word) == uint32(2*i+1) {
			futex(&word, futexWait, uintptr(2*i+1))
		}
		if w, k := wokeAt.Load(), wakeAt.Load(); w > k {
			lat = append(lat, w-k)
			if kernel.CPUID() != wc {
				cross = append(cross, w-k)
			}
		}
	}
	for i := 0; i < n; i++ {
		t0 := kernel.Timebase()
		ping <- struct{}{}
		<-pong
		rtts = append(rtts, kernel.Timebase()-t0)
	}
	close(ping)
	out := []Result{result("futex_wake_latency", len(lat), median(lat), "wake")}
	if len(cross) > 0 {
		out = append(out, result("futex_wake_latency_cross_cpu", len(cross), median(cross), "wake"))
	}
	name := "channel_round_trip"
	if kernel.NumCPUs() > 1 {
		name += "_two_threads"
	}
	return append(out, result(name, len(rtts), median(rtts), "round trip"))
}

// speedup runs the same CPU-bound job split over 1, 2 and 4 goroutines
// (GOMAXPROCS set to match) and reports each time and its speed-up over
// one CPU. QEMU runs one host thread per virtual CPU, so the speed-up is
// bounded by the host's cores; K42_HOST_CORES (set by make bench) is
// reported beside it.
func speedup() []Result {
	const units = 4000
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	var base float64
	var out []Result
	host, _ := strconv.Atoi(os.Getenv("K42_HOST_CORES"))
	for _, p := range []int{1, 2, 4} {
		if p > kernel.NumCPUs() {
			break
		}
		runtime.GOMAXPROCS(p)
		var wg sync.WaitGroup
		t0 := kernel.Timebase()
		for g := 0; g < p; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(units / p)
			}()
		}
		wg.Wait()
		ticks := float64(kernel.Timebase() - t0)
		if p == 1 {
			base = ticks
		}
		r := result("parallel_job_"+strconv.Itoa(p)+"cpu", units, ticks, "job")
		r.Speedup = base / ticks
		r.HostCores = host
		out = append(out, r)
	}
	return out
}

var sinkWork atomic.Uint64

func work(units int) {
	x := uint64(1)
	for i := 0; i < units; i++ {
		for j := 0; j < 2000; j++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sinkWork.Add(x)
}
