// Package percpu owns the per-CPU counter arrays that the reconfiguration
// core, its wrappers and the page cache (mm/) update on their fast paths:
// each CPU has its own row of counters, padded to whole cache-line pairs,
// so that an update writes only its own CPU's lines. Plain portable Go,
// safe in any context that may make an atomic add.
package percpu

import (
	"sync/atomic"
	"unsafe"
)

// lineBytes is the unit rows are padded to: two 64-byte lines, because
// adjacent-line prefetchers pull lines in pairs.
const lineBytes = 128

// Counters is a matrix of counters: one row per CPU, width counters a row.
// Sums over CPUs are exact for counters whose every increment is undone on
// the same row, and otherwise a snapshot that may be a moment old.
type Counters struct {
	cells  []atomic.Int64
	stride int // cells between the starts of two rows
	width  int
	cpus   int
}

// New returns counters for cpus CPUs, width counters each.
func New(cpus, width int) *Counters {
	per := lineBytes / 8
	stride := (width + per - 1) / per * per
	return &Counters{cells: Aligned(stride * cpus), stride: stride, width: width, cpus: cpus}
}

// Width is the number of counters a CPU has.
func (c *Counters) Width() int { return c.width }

// CPUs is the number of rows.
func (c *Counters) CPUs() int { return c.cpus }

// At returns counter i of CPU cpu.
func (c *Counters) At(cpu, i int) *atomic.Int64 { return &c.cells[cpu*c.stride+i] }

// Add adds d to counter i of CPU cpu and returns the row's new value.
func (c *Counters) Add(cpu, i int, d int64) int64 { return c.cells[cpu*c.stride+i].Add(d) }

// Sums read many counters as one snapshot with the ordering of
// sync/atomic loads (each ordered after the caller's earlier stores, and
// acquiring: later accesses are ordered after them), paid once per sum
// rather than once per counter where the architecture allows it
// (load_ppc64.go: a sync before, plain loads, a sync and isync after;
// elsewhere sync/atomic loads).

// Sum returns counter i summed over CPUs.
func (c *Counters) Sum(i int) int64 {
	var s int64
	beginLoads()
	for cpu := 0; cpu < c.cpus; cpu++ {
		s += load(&c.cells[cpu*c.stride+i])
	}
	endLoads()
	return s
}

// TotalOf returns the first n counters of every row, summed.
func (c *Counters) TotalOf(n int) int64 {
	var s int64
	beginLoads()
	for cpu := 0; cpu < c.cpus; cpu++ {
		row := c.cells[cpu*c.stride : cpu*c.stride+n]
		for i := range row {
			s += load(&row[i])
		}
	}
	endLoads()
	return s
}

// Total returns every counter summed over CPUs.
func (c *Counters) Total() int64 {
	var s int64
	for i := 0; i < c.width; i++ {
		s += c.Sum(i)
	}
	return s
}

// Aligned returns n zeroed counters whose first starts a cache-line pair,
// so that rows cut from it at multiples of 16 counters share no line.
func Aligned(n int) []atomic.Int64 {
	per := lineBytes / 8
	cells := make([]atomic.Int64, n+per)
	skip := 0
	for uintptr(unsafe.Pointer(&cells[skip]))%lineBytes != 0 {
		skip++
	}
	return cells[skip : skip+n : skip+n]
}
