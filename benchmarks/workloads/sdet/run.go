package sdet

import (
	"k42/benchmarks/measure"

	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Report is what a Run did and how long it took.
type Report struct {
	Scripts int           // scripts that completed without error
	Failed  int           // scripts that failed
	Elapsed time.Duration // from the scripts' start to the last one's end

	// Subtasks counts the mix's commands done, all scripts together
	// (Scripts × CommandsPerScript when none failed).
	Subtasks int64
	// Ops, BytesRead and BytesWritten are the scripts' Shells' Stats
	// added up: the clone and the removal of the homes included.
	Ops          int64
	BytesRead    int64
	BytesWritten int64
	// PerSubtask counts the commands done by name.
	PerSubtask map[string]int
}

// ScriptsPerHour is the SDET figure: scripts completed per hour of
// Elapsed.
func (r Report) ScriptsPerHour() float64 { return measure.Rate(float64(r.Scripts)*3600, r.Elapsed) }

// SubtasksPerSecond is the mix's commands done per second of Elapsed.
func (r Report) SubtasksPerSecond() float64 { return measure.Rate(float64(r.Subtasks), r.Elapsed) }

// OpsPerSecond is the file operations made per second of Elapsed.
func (r Report) OpsPerSecond() float64 { return measure.Rate(float64(r.Ops), r.Elapsed) }

// Metric is one figure of a Report.
type Metric = measure.Metric

// Metrics returns the Report's figures: scripts_per_hour (scripts/h),
// elapsed (s), subtasks_per_s (1/s) and fs_ops_per_s (1/s).
func (r Report) Metrics() []Metric {
	return []Metric{
		{Name: "scripts_per_hour", Value: r.ScriptsPerHour(), Unit: "scripts/h"},
		{Name: "elapsed", Value: r.Elapsed.Seconds(), Unit: "s"},
		{Name: "subtasks_per_s", Value: r.SubtasksPerSecond(), Unit: "1/s"},
		{Name: "fs_ops_per_s", Value: r.OpsPerSecond(), Unit: "1/s"},
	}
}

// String is a one-line summary.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d scripts in %v: %.1f scripts/h, %d commands (%.1f/s), %d file ops (%.0f/s), %d KiB read, %d KiB written",
		r.Scripts, r.Elapsed.Round(time.Millisecond), r.ScriptsPerHour(), r.Subtasks, r.SubtasksPerSecond(),
		r.Ops, r.OpsPerSecond(), r.BytesRead>>10, r.BytesWritten>>10)
	if r.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", r.Failed)
	}
	return b.String()
}

// Run runs c.Scripts scripts at once in env, a goroutine each, and
// waits for them all. Only c.Scripts, c.Seed and c.Repeat matter to it:
// the trees are env's. progress, if not nil, is called as the scripts'
// commands complete, at most about 100 times, with the commands done
// and the total (Scripts × c.CommandsPerScript()); the calls are made
// one at a time, done increasing, the last with done = total when every
// script succeeds.
//
// A script stops at its first error (the others go on) and removes its
// home if it made it; Run returns every script's error, each naming the
// script, the command and what failed, and the Report of what was done.
func Run(env *Env, c Config, progress func(done, total int)) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	c = c.WithDefaults()
	total := c.Scripts * c.CommandsPerScript()
	step := max(1, (total+99)/100)
	var (
		done     atomic.Int64
		mu       sync.Mutex
		reported int64
	)
	tick := func() {
		n := done.Add(1)
		if progress == nil || (n%int64(step) != 0 && n != int64(total)) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if n > reported {
			reported = n
			progress(int(n), total)
		}
	}
	type result struct {
		st    Stats
		count map[string]int
		err   error
	}
	results := make([]result, c.Scripts)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range c.Scripts {
		wg.Go(func() {
			st, count, err := runScript(env, c, i, tick)
			results[i] = result{st, count, err}
		})
	}
	wg.Wait()
	r := Report{Elapsed: time.Since(start), PerSubtask: map[string]int{}}
	var errs []error
	for _, res := range results {
		if res.err != nil {
			r.Failed++
			errs = append(errs, res.err)
		} else {
			r.Scripts++
		}
		r.Ops += res.st.Ops
		r.BytesRead += res.st.BytesRead
		r.BytesWritten += res.st.BytesWritten
		for name, n := range res.count {
			r.PerSubtask[name] += n
			r.Subtasks += int64(n)
		}
	}
	return r, errors.Join(errs...)
}
