// Package wrappers holds the generic wrappers that operators attach to
// objects (paper §4.3.1): a per-method call counter, an in-flight call
// counter, a latency profiler with histograms, and a tracer that writes
// every call to an io.Writer (the console). They work on any component
// interface; each is sized for one object's methods and platform, so
// attach a fresh one to each object. Counters are per CPU, so wrappers add
// no shared cache-line writes to the calls they watch.
//
// If a component panics, PostCall does not run (see reconfig.Interposer):
// the panicking call is missing from the profiler and the tracer, and the
// in-flight count keeps it.
package wrappers

import (
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"strings"
	"sync"
	"time"

	"k42/reconfig"
	"k42/reconfig/percpu"
	"k42/reconfig/platform"
)

// perCPU is the per-CPU, per-method counter block every wrapper here
// keeps.
type perCPU struct {
	methods []reconfig.Method
	cells   *percpu.Counters
}

func newPerCPU(p platform.Platform, methods []reconfig.Method, perMethod int) perCPU {
	return perCPU{methods: methods, cells: percpu.New(p.NumCPU(), max(1, len(methods)*perMethod))}
}

// row returns the caller's CPU row, folded into the counters' rows.
func (w *perCPU) row(c *reconfig.Call) int {
	cpu := c.CPU()
	if n := w.cells.CPUs(); cpu >= n {
		cpu %= n
	}
	return cpu
}

// CallCounter counts calls per method. It needs no PostCall.
type CallCounter struct{ perCPU }

// NewCallCounter returns a counter for an object with the given methods
// on platform p.
func NewCallCounter(p platform.Platform, methods []reconfig.Method) *CallCounter {
	return &CallCounter{newPerCPU(p, methods, 1)}
}

// PreCall implements reconfig.Wrapper.
func (w *CallCounter) PreCall(c *reconfig.Call) {
	w.cells.Add(w.row(c), c.Method().Index, 1)
	c.SkipPost()
}

// PostCall implements reconfig.Wrapper; it is never called.
func (w *CallCounter) PostCall(*reconfig.Call) {}

// Counts returns the calls per method, in method order.
func (w *CallCounter) Counts() []reconfig.MethodCount {
	out := make([]reconfig.MethodCount, len(w.methods))
	for i, m := range w.methods {
		out[i] = reconfig.MethodCount{Method: m.Name, Calls: w.cells.Sum(i)}
	}
	return out
}

// Total returns the calls to all methods.
func (w *CallCounter) Total() int64 { return w.cells.Total() }

func (w *CallCounter) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calls %d", w.Total())
	for _, m := range w.Counts() {
		if m.Calls != 0 {
			fmt.Fprintf(&b, " %s=%d", m.Method, m.Calls)
		}
	}
	return b.String()
}

// InFlight counts the calls inside the object now.
type InFlight struct{ perCPU }

// NewInFlight returns an in-flight counter for an object with the given
// methods on platform p.
func NewInFlight(p platform.Platform, methods []reconfig.Method) *InFlight {
	return &InFlight{newPerCPU(p, methods, 1)}
}

// PreCall implements reconfig.Wrapper. The call's row is kept in
// c.State so that PostCall undoes the count on the same CPU's row.
func (w *InFlight) PreCall(c *reconfig.Call) {
	row := w.row(c)
	w.cells.Add(row, c.Method().Index, 1)
	c.State = uint64(row)
}

// PostCall implements reconfig.Wrapper.
func (w *InFlight) PostCall(c *reconfig.Call) {
	w.cells.Add(int(c.State), c.Method().Index, -1)
}

// Current returns the calls in flight now.
func (w *InFlight) Current() int64 { return w.cells.Total() }

// ByMethod returns the calls in flight per method.
func (w *InFlight) ByMethod() []reconfig.MethodCount {
	out := make([]reconfig.MethodCount, len(w.methods))
	for i, m := range w.methods {
		out[i] = reconfig.MethodCount{Method: m.Name, Calls: w.cells.Sum(i)}
	}
	return out
}

func (w *InFlight) String() string { return fmt.Sprintf("in flight %d", w.Current()) }

// Buckets is the number of histogram buckets: bucket b counts calls that
// took [2^(b-1), 2^b) nanoseconds (bucket 0: under 1 ns).
const Buckets = 65

// Profiler measures how long calls take, per method, as histograms.
type Profiler struct{ perCPU }

// per-method columns: Buckets bucket counts, then the sum of ns.
const profCols = Buckets + 1

// NewProfiler returns a profiler for an object with the given methods on
// platform p.
func NewProfiler(p platform.Platform, methods []reconfig.Method) *Profiler {
	return &Profiler{newPerCPU(p, methods, profCols)}
}

// PreCall implements reconfig.Wrapper.
func (w *Profiler) PreCall(c *reconfig.Call) { c.State = uint64(c.Platform().Now()) }

// PostCall implements reconfig.Wrapper.
func (w *Profiler) PostCall(c *reconfig.Call) {
	d := uint64(max(0, c.Platform().Now()-int64(c.State)))
	row, base := w.row(c), c.Method().Index*profCols
	w.cells.Add(row, base+bits.Len64(d), 1)
	w.cells.Add(row, base+Buckets, int64(d))
}

// Histogram is one method's latency histogram.
type Histogram struct {
	Method  string
	Calls   int64
	Total   time.Duration
	Buckets [Buckets]int64
}

// Mean returns the mean call time.
func (h Histogram) Mean() time.Duration {
	if h.Calls == 0 {
		return 0
	}
	return h.Total / time.Duration(h.Calls)
}

// Histograms returns a histogram per method, in method order.
func (w *Profiler) Histograms() []Histogram {
	out := make([]Histogram, len(w.methods))
	for i, m := range w.methods {
		h := Histogram{Method: m.Name}
		for b := range Buckets {
			h.Buckets[b] = w.cells.Sum(i*profCols + b)
			h.Calls += h.Buckets[b]
		}
		h.Total = time.Duration(w.cells.Sum(i*profCols + Buckets))
		out[i] = h
	}
	return out
}

// String renders the histograms as text, one bar per non-empty bucket.
func (w *Profiler) String() string {
	var b strings.Builder
	for _, h := range w.Histograms() {
		if h.Calls == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %d calls, mean %v\n", h.Method, h.Calls, h.Mean())
		var most int64
		for _, n := range h.Buckets {
			most = max(most, n)
		}
		for i, n := range h.Buckets {
			if n == 0 {
				continue
			}
			lo, hi := time.Duration(0), time.Duration(1)
			if i > 0 {
				lo, hi = time.Duration(1)<<(i-1), time.Duration(1)<<min(i, 62)
			}
			fmt.Fprintf(&b, "  [%v, %v) %8d %s\n", lo, hi, n, strings.Repeat("#", int(1+39*n/most)))
		}
	}
	if b.Len() == 0 {
		return "no calls\n"
	}
	return b.String()
}

// Tracer writes a line for every call to an io.Writer: object, method,
// arguments, results, duration and CPU. Lines from concurrent calls are
// whole; their order is the order in which calls returned.
type Tracer struct {
	mu  sync.Mutex
	out io.Writer
	err error
}

// NewTracer returns a tracer writing to out.
func NewTracer(out io.Writer) *Tracer { return &Tracer{out: out} }

// PreCall implements reconfig.Wrapper.
func (t *Tracer) PreCall(c *reconfig.Call) { c.State = uint64(c.Platform().Now()) }

// PostCall implements reconfig.Wrapper.
func (t *Tracer) PostCall(c *reconfig.Call) {
	d := time.Duration(c.Platform().Now() - int64(c.State))
	m := c.Method()
	line := fmt.Sprintf("%s.%s(%s) -> (%s) %v cpu %d\n", c.Object(), m.Name,
		values(c.Arg, len(m.Params)), values(c.Result, len(m.Results)), d, c.CPU())
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := io.WriteString(t.out, line); err != nil && t.err == nil {
		t.err = err
	}
}

// Err returns the first write error, if any.
func (t *Tracer) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *Tracer) String() string { return "tracer" }

func values(at func(int) any, n int) string {
	parts := make([]string, n)
	for i := range n {
		v := reflect.ValueOf(at(i))
		if v.Kind() != reflect.Pointer || v.IsNil() {
			parts[i] = "?"
			continue
		}
		e := v.Elem()
		if e.Kind() == reflect.Interface && !e.IsNil() && e.Type().String() == "context.Context" {
			parts[i] = "ctx"
			continue
		}
		parts[i] = fmt.Sprintf("%v", e.Interface())
	}
	return strings.Join(parts, ", ")
}
