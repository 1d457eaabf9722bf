// Command syscall is the system-call benchmark that runs unchanged as
// k42's program (go run ./qemu -app ./benchmarks/syscall) and as a
// process on Linux under the same QEMU (benchmarks/linux), so that every
// k42 figure has a Linux figure from the same source beside it. It uses
// only the standard library and package syscall.
//
//	syscall [-batches N] [-batch N] [-pingpongs N] [-calib N] [-reps N]
//
// It prints one JSON line per figure on standard output, in the fields of
// benchmarks/results (experiment, workload, metric, value, unit, n); the
// host adds the configuration and the run's context. Figures:
//
//   - getpid: syscall.RawSyscall(SYS_GETPID) round trips, timed in
//     batches; the median and the best batch, per call.
//   - futex_pingpong: two goroutines, each locked to its own OS thread,
//     hand a shared word back and forth with FUTEX_WAIT/FUTEX_WAKE
//     (private); the median round trip (two wakes, two blocks), timed in
//     groups of fifty so that reading the clock (system calls on k42,
//     the vDSO on Linux) does not weigh on it.
//   - time_now: time.Now, which reads the wall and the monotonic clock
//     (the vDSO on Linux; two clock_gettime system calls where the kernel
//     offers no vDSO, as on k42); the median of 50 batches of 100, per
//     call.
//   - calibration: a CPU-bound integer and floating-point loop with no
//     system calls; the median repetition. It shows how fast the two
//     builds (big-endian ppc64 on k42, ppc64le on Linux) run plain code
//     under TCG, beside every system-call ratio.
package main

import (
	"errors"
	"flag"
	"fmt"
	"k42/benchmarks/measure"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// options are the command line's.
type options struct {
	batches, batch, pingpongs, calib, reps int
}

func parseArgs(args []string) (options, error) {
	fs := flag.NewFlagSet("syscall", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.batches, "batches", 200, "getpid: batches")
	fs.IntVar(&o.batch, "batch", 1000, "getpid: calls per batch")
	fs.IntVar(&o.pingpongs, "pingpongs", 2000, "futex ping-pong: round trips")
	fs.IntVar(&o.calib, "calib", 2_000_000, "calibration: loop iterations per repetition")
	fs.IntVar(&o.reps, "reps", 5, "calibration: repetitions")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.batches < 1 || o.batch < 1 || o.pingpongs < 50 || o.calib < 1 || o.reps < 1 {
		return o, errors.New("-batches, -batch, -calib and -reps must be at least 1, -pingpongs at least 50")
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "syscall:", err)
		os.Exit(2)
	}
	emit := measure.NewEmitter(os.Stdout, "syscall").Emit

	med, best := getpid(o.batches, o.batch)
	emit("getpid", "median", med, "ns", o.batches*o.batch)
	emit("getpid", "best", best, "ns", o.batches*o.batch)

	emit("futex_pingpong", "median", pingPong(o.pingpongs), "ns", o.pingpongs)

	emit("time_now", "median", timeNow(50, 100), "ns", 50*100)

	emit("calibration", "median", measure.Calibration(o.calib, o.reps), "ms", o.reps)
}

// getpid returns the median and the best batch's time per call, in ns.
func getpid(batches, batch int) (med, best float64) {
	per := make([]float64, batches)
	for i := range per {
		t0 := time.Now()
		for j := 0; j < batch; j++ {
			syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		}
		per[i] = float64(time.Since(t0).Nanoseconds()) / float64(batch)
	}
	med = measure.Median(per)
	return med, per[0] // median sorted per
}

const (
	futexWait    = 0
	futexWake    = 1
	futexPrivate = 128
)

func futex(addr *uint32, op, val uintptr) {
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), op|futexPrivate, val, 0, 0, 0)
}

// waitFor blocks until *word == want.
func waitFor(word *uint32, want uint32) {
	for {
		v := atomic.LoadUint32(word)
		if v == want {
			return
		}
		futex(word, futexWait, uintptr(v))
	}
}

// pingPong returns the median round trip in ns: the word goes 0 -> 1 in
// the pinger's thread, 1 -> 0 in the ponger's, each change followed by a
// wake and each side blocking until the other has moved.
func pingPong(n int) float64 {
	const group = 50
	var word uint32
	done := make(chan struct{})
	go func() { // ponger
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < n/group*group; i++ {
			waitFor(&word, 1)
			atomic.StoreUint32(&word, 0)
			futex(&word, futexWake, 1)
		}
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	per := make([]float64, 0, n/group)
	for g := 0; g < n/group; g++ {
		t0 := time.Now()
		for i := 0; i < group; i++ {
			atomic.StoreUint32(&word, 1)
			futex(&word, futexWake, 1)
			waitFor(&word, 0)
		}
		per = append(per, float64(time.Since(t0).Nanoseconds())/group)
	}
	<-done
	return measure.Median(per)
}

// timeNow returns the median batch's time per time.Now call, in ns.
func timeNow(batches, batch int) float64 {
	per := make([]float64, batches)
	for i := range per {
		t0 := time.Now()
		for j := 0; j < batch; j++ {
			sinkTime = time.Now()
		}
		per[i] = float64(time.Since(t0).Nanoseconds()) / float64(batch)
	}
	return measure.Median(per)
}

var sinkTime time.Time
