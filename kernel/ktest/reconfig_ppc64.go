package ktest

import (
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
