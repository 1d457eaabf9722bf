// Package measure owns what every benchmark program shares, so that the
// same figures mean the same thing on k42 and on Linux: the output record
// (one JSON line a figure, read by benchmarks/linux), the median, and the
// CPU-bound calibration loop whose time, beside each ratio, shows how fast
// the emulator ran plain code in that boot.
//
// Execution context: ordinary Go in a benchmark program, on k42 (as its
// program) or on Linux (as a process); standard library only.
package measure

import (
	"encoding/json"
	"io"
	"math"
	"runtime"
	"sort"
	"sync/atomic"
	"time"
)

// Figure is one output line.
type Figure struct {
	Experiment string  `json:"experiment"`
	Workload   string  `json:"workload"`
	Metric     string  `json:"metric"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	N          int     `json:"n"`
	GOARCH     string  `json:"goarch"`
	GOMAXPROCS int     `json:"gomaxprocs"`
}

// Emitter writes the figures of one experiment, one JSON line each.
type Emitter struct {
	experiment string
	enc        *json.Encoder
}

// NewEmitter returns an Emitter of experiment's figures to w.
func NewEmitter(w io.Writer, experiment string) *Emitter {
	return &Emitter{experiment, json.NewEncoder(w)}
}

// Emit writes one figure: value (kept to three decimals) in unit, from n
// samples.
func (e *Emitter) Emit(workload, metric string, value float64, unit string, n int) {
	e.enc.Encode(Figure{e.experiment, workload, metric, math.Round(value*1000) / 1000, unit, n, runtime.GOARCH, runtime.GOMAXPROCS(0)})
}

// Median returns the median of xs, which it sorts.
func Median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

var sink atomic.Uint64

// Calibration returns the median time of reps runs of an iters-long loop
// of integer and floating-point arithmetic, in ms.
func Calibration(iters, reps int) float64 {
	per := make([]float64, reps)
	for r := range per {
		t0 := time.Now()
		x, f := uint64(r+1), 1.0
		for i := 0; i < iters; i++ {
			x = x*6364136223846793005 + 1442695040888963407
			f = f*0.999999 + float64(x>>40)*1e-9
			if x&0xff == 0 {
				f = math.Sqrt(f + 1)
			}
		}
		per[r] = float64(time.Since(t0).Nanoseconds()) / 1e6
		sink.Add(x ^ math.Float64bits(f))
	}
	return Median(per)
}

// BatchTimes times batches batches of batch calls of fn: each batch's
// time per call, in ns.
func BatchTimes(batches, batch int, fn func()) []float64 {
	per := make([]float64, batches)
	for i := range per {
		t0 := time.Now()
		for range batch {
			fn()
		}
		per[i] = float64(time.Since(t0).Nanoseconds()) / float64(batch)
	}
	return per
}

// PerCall returns the median batch's time per call of fn, in ns.
func PerCall(batches, batch int, fn func()) float64 { return Median(BatchTimes(batches, batch, fn)) }

// Metric is one figure of a workload's report (benchmarks/workloads),
// before a program gives it its experiment and configuration.
type Metric struct {
	Name  string
	Value float64
	Unit  string
}

// Rate is n per second of d, 0 when d is not positive (JSON has no
// infinity).
func Rate(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}
