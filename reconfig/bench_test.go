package reconfig_test

import (
	"testing"

	"k42/reconfig/bench"
	"k42/reconfig/platform"
)

// The benchmarks live in reconfig/bench so that the kernel runs the same
// code on its CPUs; these are their go test names.

var suite = bench.Suite{P: platform.Host()}

func BenchmarkCallDirect(b *testing.B)               { suite.CallDirect(b) }
func BenchmarkCallOTT(b *testing.B)                  { suite.CallOTT(b) }
func BenchmarkCallInterposed(b *testing.B)           { suite.CallInterposed(b) }
func BenchmarkCallInterposedNoPost(b *testing.B)     { suite.CallInterposedNoPost(b) }
func BenchmarkAttach(b *testing.B)                   { suite.Attach(b) }
func BenchmarkDetach(b *testing.B)                   { suite.Detach(b) }
func BenchmarkNullSwapIdle(b *testing.B)             { suite.NullSwapIdle(b) }
func BenchmarkNullSwapContended(b *testing.B)        { suite.NullSwapContended(b) }
func BenchmarkRequestEnterExit(b *testing.B)         { suite.RequestEnterExit(b) }
func BenchmarkRequestEnterExitParallel(b *testing.B) { suite.RequestEnterExitParallel(b) }
