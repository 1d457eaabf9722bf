package ktest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"k42/kernel/sys"

	"k42/kernel"
)

// SMP tests: they assert what each CPU did, from per-CPU counters, rather
// than assume the scheduler spread the work.

func init() {
	Add(
		Test{Name: "TestSMPEveryCPUOnline", Fn: testCPUsOnline, KernelOnly: true},
		Test{Name: "TestSMPParallelWorkOnEveryCPU", Fn: testParallelEveryCPU, KernelOnly: true},
		Test{Name: "TestSMPFutexWakeAcrossCPUs", Fn: testFutexAcrossCPUs, KernelOnly: true},
		Test{Name: "TestSMPChannelsAndMutexAcrossCPUs", Fn: testChannelsAcrossCPUs, KernelOnly: true},
		Test{Name: "TestSMPGoroutineChurnWithGC", Fn: testChurn, KernelOnly: true},
		Test{Name: "TestSMPCPUIDMatchesScheduler", Fn: testCPUIDMatches, KernelOnly: true},
	)
}

func testCPUsOnline(t TB) {
	n := kernel.NumCPUs()
	if runtime.NumCPU() != n || runtime.GOMAXPROCS(0) != n {
		t.Fatalf("NumCPU %d, GOMAXPROCS %d, kernel CPUs %d", runtime.NumCPU(), runtime.GOMAXPROCS(0), n)
	}
	st, err := sys.CPUStats()
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	for i, s := range st {
		if s.Traps == 0 {
			t.Errorf("CPU %d has taken no interrupts: it is not running", i)
		}
	}
}

// spin does CPU-bound work and counts it against the CPU it runs on.
func spin(counts []atomic.Int64, iters int) uint64 {
	x := uint64(1)
	for i := 0; i < iters; i++ {
		for j := 0; j < 1000; j++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		counts[kernel.CPUID()].Add(1)
	}
	return x
}

func testParallelEveryCPU(t TB) {
	n := kernel.NumCPUs()
	counts := make([]atomic.Int64, n)
	var wg sync.WaitGroup
	for g := 0; g < runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spin(counts, 20000)
		}()
	}
	wg.Wait()
	for i := range counts {
		if counts[i].Load() == 0 {
			t.Errorf("CPU %d did none of the parallel job (per-CPU counts %v)", i, loads(counts))
		}
	}
	t.Logf("work units per CPU: %v", loads(counts))
}

func loads(c []atomic.Int64) []int64 {
	out := make([]int64, len(c))
	for i := range c {
		out[i] = c[i].Load()
	}
	return out
}

func testFutexAcrossCPUs(t TB) {
	if kernel.NumCPUs() < 2 {
		t.Skipf("needs 2 CPUs")
	}
	// Placement is the scheduler's choice, so try rounds until a wake has
	// crossed CPUs (or give up after a few seconds): every round must
	// still wake its waiter.
	crossed, rounds := 0, 0
	for deadline := time.Now().Add(5 * time.Second); crossed < 3 && time.Now().Before(deadline); rounds++ {
		var word uint32
		waiterCPU := make(chan int, 1)
		done := make(chan syscall.Errno, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			waiterCPU <- kernel.CPUID()
			// A signal (the runtime's preemption) ends a wait with EINTR,
			// on Linux too: wait again, or the waker would find no one.
			e := syscall.EINTR
			for e == syscall.EINTR {
				_, _, e = syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), futexWaitPrivate, 0, 0, 0, 0)
			}
			done <- e
		}()
		wc := <-waiterCPU
		for spin := time.Now().Add(time.Millisecond); time.Now().Before(spin); {
			// keep this CPU busy so the waiter's thread settles elsewhere
		}
		for {
			n, _, _ := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), futexWakePrivate, 1, 0, 0, 0)
			if n == 1 {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		if kernel.CPUID() != wc {
			crossed++
		}
		select {
		case e := <-done:
			if e != 0 {
				t.Fatalf("woken waiter got %v", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("waiter on CPU %d never woke", wc)
		}
	}
	if crossed == 0 {
		t.Fatalf("no wake crossed CPUs in %d rounds", rounds)
	}
	t.Logf("%d of %d wakes crossed CPUs", crossed, rounds)
}

func testChannelsAcrossCPUs(t TB) {
	var cpusSeen [64]atomic.Bool
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			cpusSeen[kernel.CPUID()].Store(true)
			pong <- v + 1
		}
	}()
	v := 0
	for i := 0; i < 5000; i++ {
		cpusSeen[kernel.CPUID()].Store(true)
		ping <- v
		v = <-pong
	}
	close(ping)
	if v != 5000 {
		t.Fatalf("counter %d", v)
	}
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for g := 0; g < 4*kernel.NumCPUs(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				total++
				mu.Unlock()
				cpusSeen[kernel.CPUID()].Store(true)
			}
		}()
	}
	wg.Wait()
	if total != 4000*kernel.NumCPUs() {
		t.Fatalf("mutex-protected total %d", total)
	}
	seen := 0
	for i := range cpusSeen {
		if cpusSeen[i].Load() {
			seen++
		}
	}
	if kernel.NumCPUs() > 1 && seen < 2 {
		t.Fatalf("channel and mutex work ran on %d CPU(s)", seen)
	}
}

func testChurn(t TB) {
	const total = 100000
	var wg sync.WaitGroup
	var sum atomic.Int64
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	counts := make([]atomic.Int64, kernel.NumCPUs())
	sem := make(chan struct{}, 512)
	for i := 0; i < total; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			b := make([]byte, 256+i%1024)
			b[len(b)-1] = byte(i)
			sum.Add(int64(b[len(b)-1]))
			counts[kernel.CPUID()].Add(1)
			<-sem
		}(i)
	}
	wg.Wait()
	var want int64
	for i := 0; i < total; i++ {
		want += int64(byte(i))
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if sum.Load() != want {
		t.Fatalf("sum %d, want %d", sum.Load(), want)
	}
	if after.NumGC == before.NumGC {
		t.Errorf("no GC ran during the churn")
	}
	for i := range counts {
		if counts[i].Load() == 0 {
			t.Errorf("CPU %d ran none of the goroutines (%v)", i, loads(counts))
		}
	}
	t.Logf("goroutines per CPU %v, %d GCs", loads(counts), after.NumGC-before.NumGC)
}

// testCPUIDMatches checks that the SPRG-based CPU number agrees with the
// scheduler's own record, while threads are preempted and migrated.
func testCPUIDMatches(t TB) {
	var bad, agreed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(time.Second)
	for g := 0; g < 3*kernel.NumCPUs(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(1)
			for time.Now().Before(stop) {
				before := kernel.CPUID()
				sched := sys.SchedulerCPU()
				after := kernel.CPUID()
				if before == after {
					if sched != before {
						bad.Add(1)
					} else {
						agreed.Add(1)
					}
				}
				for j := 0; j < 2000; j++ { // be preempted now and then
					x = x*6364136223846793005 + 1
				}
			}
			_ = x
		}()
	}
	wg.Wait()
	if bad.Load() != 0 || agreed.Load() == 0 {
		t.Fatalf("CPUID disagreed with the scheduler %d times (agreed %d)", bad.Load(), agreed.Load())
	}
}
