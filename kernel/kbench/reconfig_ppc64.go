package kbench

import (
	"testing"

	"k42/kernel/objects"
	"k42/reconfig/bench"
)

// reconfigBenches runs the reconfiguration core's benchmarks (the code
// behind go test -bench in reconfig/) on the kernel's CPUs with the
// kernel's platform, one JSON line each, named as go test names them.
func reconfigBenches() []Result {
	var out []Result
	ns := map[string]float64{}
	for _, b := range (bench.Suite{P: objects.Platform()}).Named() {
		r := testing.Benchmark(b.F)
		if r.N == 0 {
			continue // the benchmark failed
		}
		ns[b.Name] = float64(r.T.Nanoseconds()) / float64(r.N)
		out = append(out, figure("Benchmark"+b.Name, "mean", r.N, ns[b.Name], "ns"))
	}
	// The goal the issue sets: the table call within 1.5 x a direct call.
	if d, o := ns["CallDirect"], ns["CallOTT"]; d > 0 && o > 0 {
		out = append(out, figure("call_ott_over_direct", "ratio", 1, o/d, "x"))
	}
	return out
}
