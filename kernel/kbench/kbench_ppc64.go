// Package kbench holds the in-kernel benchmarks, run by the test image's
// boot argument bench. Each figure is one JSON line in the project's
// results format (experiment "kernel", config "k42", workload, metric,
// value, unit; see k42/benchmarks/results), timed by the timebase; the
// host (benchmarks/kernel) adds the run's context and writes them under
// benchmarks/results/. Compare figures from one run with each other, not
// absolute times across runs, since QEMU's TCG shares a noisy host.
//
// Execution context: ordinary Go in the test image, after boot.
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

// Result is one figure, in the results format (without the run's
// context, which the host adds).
type Result struct {
	Experiment string  `json:"experiment"`
	Config     string  `json:"config"`
	Workload   string  `json:"workload"`
	Metric     string  `json:"metric"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	N          int     `json:"n,omitempty"`
}

// figure makes a Result of the kernel experiment.
func figure(workload, metric string, n int, value float64, unit string) Result {
	return Result{Experiment: "kernel", Config: "k42", Workload: workload, Metric: metric, Value: value, Unit: unit, N: n}
}

// result makes a time figure from timebase ticks.
func result(workload, metric string, n int, ticks float64) Result {
	return figure(workload, metric, n, ticks*1e9/float64(kernel.TimebaseHz()), "ns")
}

// Run runs every benchmark and writes JSON lines to w.
func Run(w io.Writer) int {
	return run(w, []func() []Result{
		vmBenches, one(syscallRoundTrip), one(threadSwitch), wakeups, speedup, reconfigBenches, fcmBenches,
		one(func() Result { return framesUsed("frames_used_after_bench") }),
	})
}

// RunGroup runs one group of benchmarks: fcm (the FCMs' suite) or
// table1 (the paper's Table 1).
func RunGroup(w io.Writer, group string) int {
	switch group {
	case "fcm":
		return run(w, []func() []Result{fcmBenches})
	case "table1":
		return run(w, []func() []Result{table1Benches})
	}
	fmt.Fprintf(w, "kbench: no group %q (want fcm or table1)\n", group)
	return 2
}

func run(w io.Writer, benches []func() []Result) int {
	enc := json.NewEncoder(w)
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
	return result("syscall_round_trip", "mean", n, float64(kernel.Timebase()-t0)/n)
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
	return result("thread_switch", "mean", 2*n, float64(kernel.Timebase()-t0)/(2*n))
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
	out := []Result{result("futex_wake_latency", "median", len(lat), median(lat))}
	if len(cross) > 0 {
		out = append(out, result("futex_wake_latency_cross_cpu", "median", len(cross), median(cross)))
	}
	name := "channel_round_trip"
	if kernel.NumCPUs() > 1 {
		name += "_two_threads"
	}
	return append(out, result(name, "median", len(rtts), median(rtts)))
}

// speedup runs the same CPU-bound job split over 1, 2 and 4 goroutines
// (GOMAXPROCS set to match), in 5 interleaved rounds (1, 2, 4, 1, 2, 4,
// ...) so that a slow moment of the host does not fall on one
// configuration only, and reports each configuration's median time and
// its speed-up over one CPU (median, lowest and highest of the rounds,
// each round's own 1-CPU time the base). QEMU runs one host thread per
// virtual CPU, so the speed-up is bounded by the host's cores
// (K42_HOST_CORES, set by the host, is reported beside it); the results
// report marks any figure above that bound as an artifact rather than
// showing it.
func speedup() []Result {
	const units, rounds = 4000, 5
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	var ps []int
	for _, p := range []int{1, 2, 4} {
		if p <= kernel.NumCPUs() {
			ps = append(ps, p)
		}
	}
	times := make(map[int][]float64)
	ups := make(map[int][]float64)
	for range rounds {
		var base float64
		for _, p := range ps {
			runtime.GOMAXPROCS(p)
			runtime.GC()
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
			times[p] = append(times[p], ticks)
			ups[p] = append(ups[p], base/ticks)
		}
	}
	var out []Result
	host, _ := strconv.Atoi(os.Getenv("K42_HOST_CORES"))
	if host > 0 {
		out = append(out, figure("host", "cores", 1, float64(host), "cores"))
	}
	for _, p := range ps {
		name := "parallel_job_" + strconv.Itoa(p) + "cpu"
		out = append(out, result(name, "median", rounds, medianF(times[p])))
		if p > 1 {
			u := ups[p]
			sort.Float64s(u)
			out = append(out, figure(name, "speedup_median", rounds, medianF(u), "x"),
				figure(name, "speedup_min", rounds, u[0], "x"),
				figure(name, "speedup_max", rounds, u[len(u)-1], "x"))
		}
	}
	return out
}

func medianF(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
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
