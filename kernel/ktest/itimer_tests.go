package ktest

import (
	"bytes"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
	"unsafe"
)

// Interval timers and the CPU profiler built on them.

func init() {
	Add(
		Test{Name: "TestItimerRealAndProf", Fn: testItimers},
		Test{Name: "TestCPUProfileHasSamples", Fn: testCPUProfile},
	)
}

type itimerval struct{ interval, value syscall.Timeval }

func setitimer(which int, v *itimerval, old *itimerval) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SETITIMER, uintptr(which), uintptr(unsafe.Pointer(v)), uintptr(unsafe.Pointer(old)))
	if e != 0 {
		return e
	}
	return nil
}

func burn(d time.Duration) uint64 {
	x := uint64(1)
	for t0 := time.Now(); time.Since(t0) < d; {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

func testItimers(t TB) {
	// ITIMER_REAL: one SIGALRM after 30 ms; getitimer counts down.
	alrm := make(chan os.Signal, 4)
	signal.Notify(alrm, syscall.SIGALRM)
	defer signal.Stop(alrm)
	v := itimerval{value: syscall.Timeval{Usec: 30000}}
	if err := setitimer(0, &v, nil); err != nil {
		t.Fatalf("setitimer(ITIMER_REAL): %v", err)
	}
	var left itimerval
	syscall.RawSyscall(syscall.SYS_GETITIMER, 0, uintptr(unsafe.Pointer(&left)), 0)
	if left.value.Usec <= 0 || left.value.Usec > 30000 || left.value.Sec != 0 {
		t.Errorf("getitimer right after setting 30ms: %+v", left.value)
	}
	select {
	case <-alrm:
	case <-time.After(5 * time.Second):
		t.Fatalf("no SIGALRM within 5s of a 30ms ITIMER_REAL")
	}
	select {
	case <-alrm:
		t.Errorf("a second SIGALRM from a one-shot timer")
	case <-time.After(100 * time.Millisecond):
	}
	if err := setitimer(3, &v, nil); err != syscall.EINVAL {
		t.Errorf("setitimer(3): %v, want EINVAL", err)
	}

	// ITIMER_VIRTUAL every 10 ms of CPU time: SIGVTALRMs while the CPU
	// burns. (ITIMER_PROF counts the same on this kernel; its SIGPROF is
	// the runtime's own, which the profiler test below checks.)
	vt := make(chan os.Signal, 1000)
	signal.Notify(vt, syscall.SIGVTALRM)
	v = itimerval{interval: syscall.Timeval{Usec: 10000}, value: syscall.Timeval{Usec: 10000}}
	if err := setitimer(1, &v, nil); err != nil {
		t.Fatalf("setitimer(ITIMER_VIRTUAL): %v", err)
	}
	sinkU64 = burn(300 * time.Millisecond)
	var old itimerval
	setitimer(1, &itimerval{}, &old)
	signal.Stop(vt)
	if old.interval.Usec != 10000 {
		t.Errorf("the old ITIMER_VIRTUAL's interval: %+v", old.interval)
	}
	if n := len(vt); n < 5 {
		t.Errorf("%d SIGVTALRMs in 300ms of CPU with a 10ms ITIMER_VIRTUAL, want at least 5", n)
	}
}

// testCPUProfile: runtime/pprof collects samples of a busy loop.
func testCPUProfile(t TB) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Fatalf("StartCPUProfile: %v", err)
	}
	sinkU64 = burn(500 * time.Millisecond)
	pprof.StopCPUProfile()
	// The profile is gzip'd protobuf; a profile with samples is much
	// larger than an empty one, and names the burning function.
	if buf.Len() < 300 {
		t.Errorf("CPU profile of 500ms of work is %d bytes: no samples", buf.Len())
	}
}

var sinkU64 uint64
