package kbench

import (
	"testing"

	"k42/kernel"
	"k42/kernel/objects"
	"k42/reconfig/bench"
)

// reconfigBenches runs the reconfiguration core's benchmarks (the code
// behind go test -bench in reconfig/) on the kernel's CPUs with the
// kernel's platform, one JSON line each, named as go test names them.
func reconfigBenches() []Result {
	var out []Result
	for _, b := range (bench.Suite{P: objects.Platform()}).Named() {
		r := testing.Benchmark(b.F)
		if r.N == 0 {
			continue // the benchmark failed
		}
		ns := float64(r.T.Nanoseconds()) / float64(r.N)
		res := result("Benchmark"+b.Name, r.N, ns*float64(kernel.TimebaseHz())/1e9, "op")
		res.Ns = ns
		out = append(out, res)
	}
	return out
}
