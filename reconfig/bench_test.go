package reconfig_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
)

// The benchmarks measure what the paper's Table 1 and Figure 4 measure
// (§6.2), on the host. Compare figures within one run: the goals are
// ratios (CallOTT ≤ 1.5 × CallDirect, CallInterposed ≤ 5 × CallOTT) and
// bounds (Attach, Detach ≤ 2 µs, NullSwapIdle ≤ 50 µs).

// emptyWrapper is the paper's empty wrapper: PreCall and PostCall return.
type emptyWrapper struct{}

func (emptyWrapper) PreCall(*reconfig.Call)  {}
func (emptyWrapper) PostCall(*reconfig.Call) {}

// preOnlyWrapper asks to skip PostCall.
type preOnlyWrapper struct{}

func (preOnlyWrapper) PreCall(c *reconfig.Call) { c.SkipPost() }
func (preOnlyWrapper) PostCall(*reconfig.Call)  {}

//go:noinline
func opaque(a testcomp.Adder) testcomp.Adder { return a }

func newBenchTable(tb testing.TB) *reconfig.Table {
	d, err := generation.New(platform.Host(), 2)
	require.NoError(tb, err)
	return reconfig.NewTable(d)
}

func newAdder(tb testing.TB, t *reconfig.Table, name string) *reconfig.Entry[testcomp.Adder] {
	e, err := reconfig.Create(t, name, testcomp.AdderInterface, testcomp.Adder(&testcomp.PlainAdder{}))
	require.NoError(tb, err)
	return e
}

var sink int64

// BenchmarkCallDirect is a plain interface call: the baseline.
func BenchmarkCallDirect(b *testing.B) {
	a := opaque(&testcomp.PlainAdder{})
	var s int64
	for i := 0; i < b.N; i++ {
		s += a.Add(1)
	}
	sink = s
}

// BenchmarkCallOTT calls through the translation table.
func BenchmarkCallOTT(b *testing.B) {
	r := newAdder(b, newBenchTable(b), "a").Ref()
	var s int64
	for i := 0; i < b.N; i++ {
		s += r.Get().Add(1)
	}
	sink = s
}

// BenchmarkCallInterposed calls through the table and an empty wrapper.
func BenchmarkCallInterposed(b *testing.B) { benchWrapped(b, emptyWrapper{}) }

// BenchmarkCallInterposedNoPost is the same with PostCall skipped.
func BenchmarkCallInterposedNoPost(b *testing.B) { benchWrapped(b, preOnlyWrapper{}) }

func benchWrapped(b *testing.B, w reconfig.Wrapper) {
	e := newAdder(b, newBenchTable(b), "a")
	_, err := e.Attach(w)
	require.NoError(b, err)
	r := e.Ref()
	b.ResetTimer()
	var s int64
	for i := 0; i < b.N; i++ {
		s += r.Get().Add(1)
	}
	sink = s
}

const attachBatch = 1024

// BenchmarkAttach attaches an empty wrapper to an object that has none.
// The objects are detached in batches with the timer stopped.
func BenchmarkAttach(b *testing.B) { benchAttachDetach(b, true) }

// BenchmarkDetach detaches an empty wrapper (the interposer's reclamation
// is registered with the generation mechanism; here, idle, it completes
// inside Detach). The wrappers are attached in batches with the timer
// stopped.
func BenchmarkDetach(b *testing.B) { benchAttachDetach(b, false) }

func benchAttachDetach(b *testing.B, timeAttach bool) {
	t := newBenchTable(b)
	es := make([]*reconfig.Entry[testcomp.Adder], attachBatch)
	for i := range es {
		es[i] = newAdder(b, t, "a"+strconv.Itoa(i))
	}
	as := make([]*reconfig.Attachment, attachBatch)
	w := emptyWrapper{}
	b.ResetTimer()
	for i := 0; i < b.N; i += attachBatch {
		n := min(attachBatch, b.N-i)
		if !timeAttach {
			b.StopTimer()
		}
		for j := 0; j < n; j++ {
			as[j], _ = es[j].Attach(w)
		}
		if timeAttach {
			b.StopTimer()
		} else {
			b.StartTimer()
		}
		for j := 0; j < n; j++ {
			_ = es[j].Detach(as[j])
		}
		if timeAttach {
			b.StartTimer()
		}
	}
}

// BenchmarkNullSwapIdle swaps a component with itself with no calls.
func BenchmarkNullSwapIdle(b *testing.B) {
	e := newAdder(b, newBenchTable(b), "a")
	for i := 0; i < b.N; i++ {
		if _, err := e.NullSwap(reconfig.SwapOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNullSwapContended swaps a counter with itself while GOMAXPROCS
// goroutines call it without pause, each call a request (the paper's
// swaps at points of contention). It reports the mean (ns/op) and the
// longest swap (max-µs).
func BenchmarkNullSwapContended(b *testing.B) {
	t := newBenchTable(b)
	d := t.Domain()
	e, err := reconfig.Create(t, "c", testcomp.CounterInterface, testcomp.Counter(&testcomp.AtomicCounter{}))
	require.NoError(b, err)
	r := e.Ref()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for !stop.Load() {
				req := d.Enter()
				r.Get().Add(ctx, 1)
				req.End()
			}
		}()
	}
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := e.NullSwap(reconfig.SwapOptions{})
		if err != nil {
			b.Fatal(err)
		}
		worst = max(worst, rep.Total)
	}
	b.StopTimer()
	stop.Store(true)
	wg.Wait()
	b.ReportMetric(float64(worst)/1e3, "max-µs")
}

// BenchmarkRequestEnterExit starts and ends a request.
func BenchmarkRequestEnterExit(b *testing.B) {
	d, err := generation.New(platform.Host(), 2)
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		d.Enter().End()
	}
}
