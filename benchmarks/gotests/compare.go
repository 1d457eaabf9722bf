package main

import (
	"slices"
	"strings"

	"k42/benchmarks/gotests/testlog"
)

// Side is one kernel's runs of a package's test binary: the first, and
// the reruns after a crash or hang, whose results are merged into the
// first's.
type Side struct {
	Error   string `json:"error,omitempty"` // why it did not run (the tests did not build, ...)
	Runs    []*Run `json:"runs"`
	Pass    int    `json:"pass"`    // over all runs
	Fail    int    `json:"fail"`    // unfinished tests included
	Skip    int    `json:"skip"`    //
	Crashed int    `json:"crashed"` // tests that never finished: crashed or hung

	log  *testlog.Log
	hung map[string]bool // tests unfinished in a run stopped by the timeout
}

// Run is one boot.
type Run struct {
	Status   int      `json:"status"`            // the exit status (the runner's 124 for a timeout, ...)
	TimedOut bool     `json:"timed_out"`         // stopped after -timeout: a hang
	Seconds  float64  `json:"seconds"`           // the boot's, the build excluded
	Done     bool     `json:"done"`              // the binary printed its final PASS or FAIL
	Final    string   `json:"final,omitempty"`   // which
	Crash    string   `json:"crash,omitempty"`   // its crash report's first line
	Skipped  []string `json:"skipped,omitempty"` // tests it skipped (-test.skip): earlier runs died in them
	Output   string   `json:"output"`            // the saved output, relative to the module root
	Console  string   `json:"console,omitempty"` // the saved console (Linux: the kernel's messages and init's lines)
	Error    string   `json:"error,omitempty"`   // the runner's, if it failed
	// Killed is the signal line QEMU printed when something outside sent
	// it one: the run says nothing about the kernel.
	Killed string `json:"killed,omitempty"`
}

// add merges run's results, log, into s.
func (s *Side) add(run *Run, log *testlog.Log) {
	s.Runs = append(s.Runs, run)
	run.Done, run.Final = log.Done, string(log.Final)
	if len(log.Crash) > 0 {
		run.Crash = log.Crash[0]
	}
	if run.TimedOut {
		if s.hung == nil {
			s.hung = map[string]bool{}
		}
		for _, t := range log.Tests {
			if t.Crashed {
				s.hung[t.Name] = true
			}
		}
	}
	if s.log == nil {
		s.log = log
	} else {
		s.log.Merge(log)
	}
	s.count()
}

// culprits are the top-level tests a rerun skips after log's binary
// died: those that panicked, or else those that were running (not paused)
// when it died or hung.
func culprits(log *testlog.Log) []string {
	var panicked, running []string
	add := func(list []string, name string) []string {
		top, _, _ := strings.Cut(name, "/")
		if !slices.Contains(list, top) {
			list = append(list, top)
		}
		return list
	}
	for _, t := range log.Tests {
		switch {
		case t.Panicked:
			panicked = add(panicked, t.Name)
		case t.Crashed && !t.Paused:
			running = add(running, t.Name)
		}
	}
	if len(panicked) > 0 {
		return panicked
	}
	return running
}

// Outcome is how a test ended on one side, as the report shows it.
type Outcome string

const (
	Pass    Outcome = "PASS"
	Fail    Outcome = "FAIL"
	Skip    Outcome = "SKIP"
	Crashed Outcome = "crashed" // it was running, or paused, when the binary died
	Hung    Outcome = "hung"    // the same, in a run stopped by the timeout
	Missing Outcome = "missing" // never started (the binary died first, or has no such test)
)

// outcome is the named test's outcome on s.
func (s *Side) outcome(name string) (Outcome, *testlog.Test) {
	if s == nil || s.log == nil {
		return Missing, nil
	}
	t := s.log.Test(name)
	switch {
	case t == nil:
		return Missing, nil
	case t.Crashed && s.hung[name]:
		return Hung, t
	case t.Crashed:
		return Crashed, t
	}
	return Outcome(t.Status), t
}

// Diff is one test whose outcome differs between the sides.
type Diff struct {
	Name        string   `json:"name"`
	Linux       Outcome  `json:"linux"`
	K42         Outcome  `json:"k42"`
	K42Output   []string `json:"k42_output,omitempty"`
	LinuxOutput []string `json:"linux_output,omitempty"`
}

// Package is one package's comparison.
type Package struct {
	Name  string `json:"package"`
	K42   *Side  `json:"k42"`
	Linux *Side  `json:"linux"`
	// PassLinuxOnly are the tests that pass on Linux and not on k42
	// (fail, skip, crash, hang, or never run): the kernel's work list.
	PassLinuxOnly []Diff `json:"pass_linux_only"`
	// PassK42Only pass on k42 and not on Linux.
	PassK42Only []Diff `json:"pass_k42_only"`
	// Other are the remaining differences, neither side passing (such as
	// a skip on Linux and a failure on k42).
	Other []Diff `json:"other"`
}

// compare fills p's lists of differences from its two sides. The order
// is Linux's order of the tests, then those only k42 named.
func (p *Package) compare() {
	p.PassLinuxOnly, p.PassK42Only, p.Other = nil, nil, nil
	if p.K42 == nil || p.Linux == nil {
		return // one side only (-only)
	}
	var names []string
	seen := map[string]bool{}
	for _, s := range []*Side{p.Linux, p.K42} {
		if s == nil || s.log == nil {
			continue
		}
		for _, t := range s.log.Tests {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	for _, name := range names {
		lo, lt := p.Linux.outcome(name)
		ko, kt := p.K42.outcome(name)
		if lo == ko {
			continue
		}
		d := Diff{Name: name, Linux: lo, K42: ko}
		if kt != nil && ko != Pass {
			d.K42Output = kt.Output
		}
		if lt != nil && lo != Pass {
			d.LinuxOutput = lt.Output
		}
		switch {
		case lo == Pass:
			p.PassLinuxOnly = append(p.PassLinuxOnly, d)
		case ko == Pass:
			p.PassK42Only = append(p.PassK42Only, d)
		default:
			p.Other = append(p.Other, d)
		}
	}
}

// count fills s's counts from its log.
func (s *Side) count() {
	s.Pass, s.Fail, s.Skip = s.log.Counts()
	s.Crashed = 0
	for _, t := range s.log.Tests {
		if t.Crashed {
			s.Crashed++
		}
	}
}
