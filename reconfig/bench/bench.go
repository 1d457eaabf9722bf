// Package bench holds the reconfiguration core's benchmarks as ordinary
// functions of a *testing.B over a Platform, so that the same code runs as
// `go test -bench` on the host (reconfig/bench_test.go) and inside the
// kernel on its CPUs (kernel/kbench, through testing.Benchmark).
//
// They measure what the paper's Table 1 and Figure 4 measure (§6.2).
// Compare figures within one run: the goals are ratios (CallOTT ≤ 1.5 ×
// CallDirect, CallInterposed ≤ 5 × CallOTT) and bounds (Attach, Detach ≤
// 2 µs, NullSwapIdle ≤ 50 µs on the host).
package bench

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
)

// Suite runs the benchmarks over platform P.
type Suite struct{ P platform.Platform }

// Named lists the benchmarks with their benchstat names.
func (s Suite) Named() []struct {
	Name string
	F    func(*testing.B)
} {
	return []struct {
		Name string
		F    func(*testing.B)
	}{
		{"CallDirect", s.CallDirect}, {"CallOTT", s.CallOTT},
		{"CallInterposed", s.CallInterposed}, {"CallInterposedNoPost", s.CallInterposedNoPost},
		{"Attach", s.Attach}, {"Detach", s.Detach},
		{"NullSwapIdle", s.NullSwapIdle}, {"NullSwapContended", s.NullSwapContended},
		{"RequestEnterExit", s.RequestEnterExit}, {"RequestEnterExitParallel", s.RequestEnterExitParallel},
	}
}

// EmptyWrapper is the paper's empty wrapper: PreCall and PostCall return.
type EmptyWrapper struct{}

func (EmptyWrapper) PreCall(*reconfig.Call)  {}
func (EmptyWrapper) PostCall(*reconfig.Call) {}

// preOnlyWrapper asks to skip PostCall.
type preOnlyWrapper struct{}

func (preOnlyWrapper) PreCall(c *reconfig.Call) { c.SkipPost() }
func (preOnlyWrapper) PostCall(*reconfig.Call)  {}

//go:noinline
func opaque(a testcomp.Adder) testcomp.Adder { return a }

// NewTable returns a table over the suite's platform.
func (su Suite) NewTable(tb testing.TB) *reconfig.Table {
	d, err := generation.New(su.P, 2)
	if err != nil {
		tb.Fatal(err)
	}
	return reconfig.NewTable(d)
}

// NewAdder creates a PlainAdder object named name in t.
func NewAdder(tb testing.TB, t *reconfig.Table, name string) *reconfig.Entry[testcomp.Adder] {
	e, err := reconfig.Create(t, name, testcomp.AdderInterface, testcomp.Adder(&testcomp.PlainAdder{}))
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

var sink int64

// CallDirect is a plain interface call: the baseline.
func (su Suite) CallDirect(b *testing.B) {
	a := opaque(&testcomp.PlainAdder{})
	var s int64
	for i := 0; i < b.N; i++ {
		s += a.Add(1)
	}
	sink = s
}

// CallOTT calls through the translation table.
func (su Suite) CallOTT(b *testing.B) {
	r := NewAdder(b, su.NewTable(b), "a").Ref()
	var s int64
	for i := 0; i < b.N; i++ {
		s += r.Get().Add(1)
	}
	sink = s
}

// CallInterposed calls through the table and an empty wrapper.
func (su Suite) CallInterposed(b *testing.B) { su.benchWrapped(b, EmptyWrapper{}) }

// CallInterposedNoPost is the same with PostCall skipped.
func (su Suite) CallInterposedNoPost(b *testing.B) { su.benchWrapped(b, preOnlyWrapper{}) }

func (su Suite) benchWrapped(b *testing.B, w reconfig.Wrapper) {
	e := NewAdder(b, su.NewTable(b), "a")
	_, err := e.Attach(w)
	if err != nil {
		b.Fatal(err)
	}
	r := e.Ref()
	b.ResetTimer()
	var s int64
	for i := 0; i < b.N; i++ {
		s += r.Get().Add(1)
	}
	sink = s
}

const attachBatch = 1024

// Attach attaches an empty wrapper to an object that has none.
// The objects are detached in batches with the timer stopped.
func (su Suite) Attach(b *testing.B) { su.benchAttachDetach(b, true) }

// Detach detaches an empty wrapper (the interposer's reclamation
// is registered with the generation mechanism; here, idle, it completes
// inside Detach). The wrappers are attached in batches with the timer
// stopped.
func (su Suite) Detach(b *testing.B) { su.benchAttachDetach(b, false) }

func (su Suite) benchAttachDetach(b *testing.B, timeAttach bool) {
	t := su.NewTable(b)
	es := make([]*reconfig.Entry[testcomp.Adder], attachBatch)
	for i := range es {
		es[i] = NewAdder(b, t, "a"+strconv.Itoa(i))
	}
	as := make([]*reconfig.Attachment, attachBatch)
	w := EmptyWrapper{}
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

// NullSwapIdle swaps a component with itself with no calls.
func (su Suite) NullSwapIdle(b *testing.B) {
	e := NewAdder(b, su.NewTable(b), "a")
	for i := 0; i < b.N; i++ {
		if _, err := e.NullSwap(reconfig.SwapOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// NullSwapContended swaps a counter with itself while GOMAXPROCS
// goroutines call it without pause, each call a request (the paper's
// swaps at points of contention). A caller yields between requests, as a
// K42 request thread ends and returns to the scheduler; without that, the
// callers and the swapper are GOMAXPROCS+1 runnable goroutines on
// GOMAXPROCS CPUs and the swapper loses whole 10 ms time slices. It
// reports the mean (ns/op), the median, the 99th percentile and the
// longest swap.
func (su Suite) NullSwapContended(b *testing.B) {
	t := su.NewTable(b)
	d := t.Domain()
	e, err := reconfig.Create(t, "c", testcomp.CounterInterface, testcomp.Counter(&testcomp.AtomicCounter{}))
	if err != nil {
		b.Fatal(err)
	}
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
				runtime.Gosched()
			}
		}()
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := e.NullSwap(reconfig.SwapOptions{})
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, rep.Total)
	}
	b.StopTimer()
	stop.Store(true)
	wg.Wait()
	slices.Sort(times)
	us := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))]) / 1e3 }
	b.ReportMetric(us(0.5), "p50-µs")
	b.ReportMetric(us(0.99), "p99-µs")
	b.ReportMetric(us(1), "max-µs")
}

// RequestEnterExit starts and ends a request.
func (su Suite) RequestEnterExit(b *testing.B) {
	d, err := generation.New(su.P, 2)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		d.Enter().End()
	}
}

// RequestEnterExitParallel does the same on every CPU at once:
// per-CPU counters keep it from slowing down.
func (su Suite) RequestEnterExitParallel(b *testing.B) {
	d, err := generation.New(su.P, 2)
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d.Enter().End()
		}
	})
}
