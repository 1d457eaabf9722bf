package ktest

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Tests of the Go runtime's behaviour on the kernel: each one exercises a
// kernel service the runtime depends on (threads, futexes, timers,
// signals, memory).

func init() {
	Add(
		Test{Name: "TestGoroutines", Fn: testGoroutines},
		Test{Name: "TestChannelPingPong", Fn: testPingPong},
		Test{Name: "TestSelectAndTimers", Fn: testSelectTimers},
		Test{Name: "TestSleepDurations", Fn: testSleep},
		Test{Name: "TestMutexContention", Fn: testMutex},
		Test{Name: "TestGCUnderAllocationPressure", Fn: testGCPressure},
		Test{Name: "TestFinalizers", Fn: testFinalizers},
		Test{Name: "TestRecover", Fn: testRecover},
		Test{Name: "TestMaps", Fn: testMaps},
		Test{Name: "TestPreemptCallFreeLoop", Fn: testPreempt},
		Test{Name: "TestLockedThreads", Fn: testLockedThreads},
		Test{Name: "TestFreeOSMemory", Fn: testFreeOSMemory},
	)
}

func testGoroutines(t TB) {
	var wg sync.WaitGroup
	var sum atomic.Int64
	for i := 1; i <= 1000; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			sum.Add(int64(n))
		}(i)
	}
	wg.Wait()
	if got := sum.Load(); got != 500500 {
		t.Fatalf("sum of 1..1000 computed by goroutines = %d, want 500500", got)
	}
}

func testPingPong(t TB) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	const n = 10000
	v := 0
	for i := 0; i < n; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	if v != n {
		t.Fatalf("after %d round trips the counter is %d", n, v)
	}
	if _, ok := <-pong; ok {
		t.Fatalf("pong not closed")
	}
}

func testSelectTimers(t TB) {
	never := make(chan int)
	start := time.Now()
	select {
	case <-never:
		t.Fatalf("received from a channel nobody sends on")
	case <-time.After(30 * time.Millisecond):
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("time.After(30ms) fired after %v", d)
	}
	var fired atomic.Int32
	done := make(chan struct{})
	time.AfterFunc(10*time.Millisecond, func() { fired.Add(1); close(done) })
	<-done
	tk := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range tk.C {
		if ticks++; ticks == 5 {
			break
		}
	}
	tk.Stop()
	if fired.Load() != 1 || ticks != 5 {
		t.Fatalf("AfterFunc fired %d times, ticker ticked %d times", fired.Load(), ticks)
	}
	tm := time.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatalf("stopping a pending timer reported it already fired")
	}
}

func testSleep(t TB) {
	for _, d := range []time.Duration{time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond} {
		start := time.Now()
		time.Sleep(d)
		got := time.Since(start)
		if got < d {
			t.Errorf("time.Sleep(%v) returned after %v", d, got)
		}
		if got > d+2*time.Second {
			t.Errorf("time.Sleep(%v) took %v", d, got)
		}
	}
	a, b := time.Now(), time.Now()
	if b.Before(a) {
		t.Fatalf("monotonic clock went backwards")
	}
	if time.Now().Year() < 2020 {
		t.Errorf("wall clock reads %v: the real-time clock was not set", time.Now())
	}
}

func testMutex(t TB) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	workers := 2 * runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				mu.Lock()
				counter++
				if i%100 == 0 {
					runtime.Gosched()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counter != workers*2000 {
		t.Fatalf("counter = %d, want %d", counter, workers*2000)
	}
}

var sink []byte

type node struct {
	next *node
	val  [48]byte
	id   int
}

func testGCPressure(t TB) {
	// Keep a live heap of about 4 MiB and allocate ten times that.
	const liveNodes = 4 << 20 / 64
	var live *node
	for i := 0; i < liveNodes; i++ {
		live = &node{next: live, id: i}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	garbage := 0
	for allocated := 0; allocated < 10*(4<<20); allocated += 1024 {
		b := make([]byte, 1024)
		b[0] = byte(allocated)
		sink = b // escapes: a real heap allocation
		garbage += int(b[0])
	}
	runtime.ReadMemStats(&after)
	if after.NumGC == before.NumGC {
		t.Errorf("no garbage collection while allocating 40 MiB")
	}
	n, want := 0, liveNodes-1
	for p := live; p != nil; p = p.next {
		if p.id != want {
			t.Fatalf("live list corrupted: node %d has id %d", n, p.id)
		}
		n++
		want--
	}
	if n != liveNodes {
		t.Fatalf("live list has %d nodes, want %d", n, liveNodes)
	}
	t.Logf("%d GCs, heap in use %d KiB", after.NumGC-before.NumGC, after.HeapInuse>>10)
	_ = garbage
}

func testFinalizers(t TB) {
	done := make(chan struct{})
	func() {
		x := new([64]byte)
		runtime.SetFinalizer(x, func(*[64]byte) { close(done) })
	}()
	deadline := time.After(5 * time.Second)
	for {
		runtime.GC()
		select {
		case <-done:
			return
		case <-deadline:
			t.Fatalf("finalizer did not run within 5s")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func testRecover(t TB) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = errors.New("recovered")
			}
		}()
		var m map[string]int
		m["x"] = 1 // panics: assignment to entry in nil map
		return nil
	}()
	if err == nil {
		t.Fatalf("panic was not recovered")
	}
	ch := make(chan any)
	go func() {
		defer func() { ch <- recover() }()
		panic("in a goroutine")
	}()
	if r := <-ch; r != "in a goroutine" {
		t.Fatalf("recover() in goroutine = %v", r)
	}
}

func testMaps(t TB) {
	m := map[int]string{}
	for i := 0; i < 100000; i++ {
		m[i] = string(rune('a' + i%26))
	}
	for i := 0; i < 100000; i += 2 {
		delete(m, i)
	}
	if len(m) != 50000 || m[99999] != string(rune('a'+99999%26)) {
		t.Fatalf("map has %d entries, m[99999]=%q", len(m), m[99999])
	}
}

// testPreempt needs asynchronous preemption: with one P, a goroutine
// spinning without function calls must not keep the main goroutine from
// running (the runtime sends SIGURG with tgkill; the kernel delivers it).
func testPreempt(t TB) {
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) }) // also if the test hangs
	var stop atomic.Uint32
	t.Cleanup(func() { stop.Store(1) })
	var spins uint64
	started := make(chan struct{})
	go func() {
		close(started)
		for stop.Load() == 0 { // atomic loads are intrinsics: no calls
			spins++
		}
	}()
	<-started
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	stop.Store(1)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("main goroutine starved for %v by a call-free loop", d)
	}
}

func testLockedThreads(t TB) {
	// Eight goroutines locked to their threads at the same time need eight
	// distinct threads: the runtime must clone them and each must run.
	const n = 8
	tids := make(chan int, n)
	var locked, release sync.WaitGroup
	locked.Add(n)
	release.Add(1)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tids <- syscall.Gettid()
			locked.Done()
			release.Wait() // hold the thread until all are locked
		}()
	}
	locked.Wait()
	release.Done()
	wg.Wait()
	close(tids)
	seen := map[int]bool{}
	for tid := range tids {
		seen[tid] = true
	}
	if len(seen) != n {
		t.Fatalf("%d goroutines locked at once ran on %d distinct threads", n, len(seen))
	}
}

var freeSink []byte

// testFreeOSMemory: a 32 MiB buffer made garbage is returned to the
// kernel by FreeOSMemory: the heap's idle-and-retained memory shrinks by
// most of it (HeapReleased alone is cumulative and already non-zero).
func testFreeOSMemory(t TB) {
	debug.FreeOSMemory()
	freeSink = make([]byte, 32<<20)
	for i := range freeSink {
		freeSink[i] = 1
	}
	var held, after runtime.MemStats
	runtime.ReadMemStats(&held)
	freeSink = nil
	runtime.GC()
	debug.FreeOSMemory()
	runtime.ReadMemStats(&after)
	retained := func(m *runtime.MemStats) int64 { return int64(m.HeapSys - m.HeapReleased) }
	if d := retained(&held) - retained(&after); d < 24<<20 {
		t.Errorf("FreeOSMemory returned %d KiB of a 32 MiB buffer (retained heap %d -> %d KiB)",
			d>>10, retained(&held)>>10, retained(&after)>>10)
	}
	if after.HeapReleased <= held.HeapReleased {
		t.Errorf("HeapReleased did not grow: %d -> %d", held.HeapReleased, after.HeapReleased)
	}
}

func init() {
	Add(Test{Name: "TestNilDereferenceRecovered", Fn: testNilDeref})
}

type nilTarget struct{ a, b int }

//go:noinline
func writeThrough(p *nilTarget) { p.b = 1 }

// testNilDeref: a nil-pointer write must become the runtime's nil-pointer
// panic (SIGSEGV delivered for the fault), which recover() stops.
func testNilDeref(t TB) {
	var msg string
	func() {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		writeThrough(nil)
	}()
	if !strings.Contains(msg, "nil pointer dereference") {
		t.Fatalf("recovered %q, want the runtime's nil pointer dereference panic", msg)
	}
}
