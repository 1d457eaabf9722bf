package ktest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"k42/kernel"
	"k42/kernel/objects"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/testcomp"
)

// The reconfiguration core's stress workload, run on the kernel's CPUs
// with the kernel's platform (SPRG3 CPU numbers, the timebase): the same
// code the host tests run with -race.

func init() {
	Add(Test{Name: "TestReconfigStressOnAllCPUs", Fn: testReconfigStress, KernelOnly: true})
}

func testReconfigStress(t TB) {
	d, err := generation.New(objects.Platform(), objects.Generations)
	if err != nil {
		t.Fatalf("domain: %v", err)
	}
	tab := reconfig.NewTable(d)
	cfg := testcomp.StressConfig{Callers: 8, CallsPerCaller: 100000, Swaps: 1000, AttachCycles: 1000}
	res, err := testcomp.Stress(tab, "stress/counter", cfg)
	if err != nil {
		t.Fatalf("stress: %v", err)
	}
	if err := res.Check(); err != nil {
		t.Fatalf("%v", err)
	}
	if res.Final != int64(cfg.Callers*cfg.CallsPerCaller) || res.Swaps != cfg.Swaps {
		t.Fatalf("final count %d after %d swaps; want %d after %d", res.Final, res.Swaps, cfg.Callers*cfg.CallsPerCaller, cfg.Swaps)
	}
	t.Logf("%d calls on %d CPUs, %d swaps (mean %v, max %v), %d attach cycles, %d done while calls ran, in %v",
		res.Calls, kernel.NumCPUs(), res.Swaps, res.MeanSwap, res.MaxSwap, res.Attaches, res.Overlap, res.Elapsed)
}

func init() {
	Add(Test{Name: "TestReconfigBlockDeadlineSurvivesReopen", Fn: testReopenWindow, KernelOnly: true},
		Test{Name: "TestReconfigPanickingImportUnderLoad", Fn: testPanickingImport, KernelOnly: true})
}

// testReopenWindow: the host test's reopen-window workload on the
// kernel's CPUs: every swap returns within its timeouts.
func testReopenWindow(t TB) {
	d, err := generation.New(objects.Platform(), 3)
	if err != nil {
		t.Fatalf("domain: %v", err)
	}
	res, err := testcomp.ReopenWindow(reconfig.NewTable(d), 200, 30*time.Second)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if res.CallsAfter == 0 {
		t.Fatalf("no call served after %d swaps", res.Swaps)
	}
	t.Logf("%d swaps with 1-5 µs block timeouts (%d failed cleanly), calls flowing after", res.Swaps, res.Failed)
}

// panicImport is a counter whose Import panics.
type panicImport struct{ testcomp.AtomicCounter }

func (*panicImport) Import(reconfig.Protocol, any) error { panic("import exploded") }

// testPanickingImport: callers on every CPU keep calling while a swap's
// Import panics; the swap fails with the panic, no call is lost, and the
// object swaps again afterwards.
func testPanickingImport(t TB) {
	tab := objects.Table()
	old := &testcomp.AtomicCounter{}
	e, err := reconfig.Create[testcomp.Counter](tab, "ktest/panicky", testcomp.CounterInterface, old)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer e.Destroy()
	d := tab.Domain()
	stop := make(chan struct{})
	var calls atomic.Int64
	var wg sync.WaitGroup
	for range 2 * kernel.NumCPUs() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d.Do(func() { e.Ref().Get().Add(context.Background(), 1) })
				calls.Add(1)
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	_, err = e.Swap(&panicImport{}, reconfig.SwapOptions{})
	var se *reconfig.SwapError
	if !errors.As(err, &se) || se.Panic != "import exploded" {
		t.Errorf("swap with a panicking Import returned %v, want a SwapError carrying the panic", err)
	}
	next := &testcomp.AtomicCounter{}
	if _, err := e.Swap(next, reconfig.SwapOptions{}); err != nil {
		t.Errorf("swap after the failed one: %v", err)
	}
	time.Sleep(10 * time.Millisecond)
	close(stop)
	wg.Wait()
	var total int64
	d.Do(func() { total = e.Ref().Get().Value(context.Background()) })
	if total != calls.Load() {
		t.Fatalf("counter says %d after %d calls: calls were lost", total, calls.Load())
	}
	if next.Served() == 0 {
		t.Fatalf("the new counter served no call")
	}
}
