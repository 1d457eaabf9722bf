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

// Table 1's experiment runs on the host: every operation is counted, the
// means are positive, a batch size that cannot fit is refused, and the
// objects are left without wrappers (a call after it is a plain call).
func TestTable1(t *testing.T) {
	r, err := suite.Table1(2000, 100)
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]bench.Op{"attach": r.Attach, "call": r.Call, "detach": r.Detach, "direct": r.Direct} {
		if op.N != 2000 || op.Mean <= 0 || op.StdDev < 0 {
			t.Errorf("%s: %+v", name, op)
		}
	}
	if _, err := suite.Table1(10, 100); err == nil {
		t.Error("n < batch accepted")
	}
}
