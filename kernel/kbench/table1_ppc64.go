package kbench

import (
	"k42/kernel/objects"
	"k42/reconfig/bench"
)

// table1Benches is the paper's Table 1 (§6.2) on the kernel's CPUs:
// attach, call through and detach an empty wrapper 100,000 times each
// (reconfig/bench's Table1), as experiment table1, in µs as the paper
// gives them: each operation's mean and standard deviation.
func table1Benches() []Result {
	const n, batch = 100_000, 100
	r, err := (bench.Suite{P: objects.Platform()}).Table1(n, batch)
	if err != nil {
		return []Result{{Experiment: "table1", Config: "k42", Workload: "error: " + err.Error(), Metric: "failed", Unit: "-"}}
	}
	var out []Result
	for _, op := range []struct {
		name string
		op   bench.Op
	}{{"attach", r.Attach}, {"call", r.Call}, {"detach", r.Detach}, {"call_no_wrapper", r.Direct}} {
		out = append(out,
			Result{Experiment: "table1", Config: "k42", Workload: op.name, Metric: "mean", Value: float64(op.op.Mean.Nanoseconds()) / 1e3, Unit: "µs", N: op.op.N},
			Result{Experiment: "table1", Config: "k42", Workload: op.name, Metric: "stddev", Value: float64(op.op.StdDev.Nanoseconds()) / 1e3, Unit: "µs", N: op.op.N})
	}
	return out
}
