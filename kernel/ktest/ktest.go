// Package ktest is the kernel's test harness and its test suite. Tests are
// ordinary functions of a TB, which both *testing.T (on the host, through
// ktest_test.go) and *T (inside the kernel, from the boot argument test)
// satisfy, so the portable tests run in both places. Output follows
// go test -v and ends with the line "N passed, N failed".
package ktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// TB is what a test uses; *testing.T implements it.
type TB interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	FailNow()
	Skipf(format string, args ...any)
	Cleanup(func())
}

// Test is a named test.
type Test struct {
	Name string
	Fn   func(t TB)
	// KernelOnly tests check behaviour only this kernel has (or that
	// differs from the host's Linux); they do not run on the host.
	KernelOnly bool
	// Timeout bounds the test; 0: the run's default.
	Timeout time.Duration
}

var (
	mu    sync.Mutex
	tests []Test
)

// Add registers tests.
func Add(ts ...Test) {
	mu.Lock()
	tests = append(tests, ts...)
	mu.Unlock()
}

// Tests returns the registered tests in registration order.
func Tests() []Test {
	mu.Lock()
	defer mu.Unlock()
	return append([]Test(nil), tests...)
}

// T is the in-kernel implementation of TB.
type T struct {
	name     string
	w        io.Writer
	mu       sync.Mutex
	failed   bool
	skipped  bool
	logs     []string
	cleanups []func()
	cleaned  sync.Once
}

func (t *T) Helper()      {}
func (t *T) Name() string { return t.name }
func (t *T) log(s string) {
	t.mu.Lock()
	t.logs = append(t.logs, s)
	t.mu.Unlock()
}
func (t *T) Logf(f string, a ...any) { t.log(fmt.Sprintf(f, a...)) }
func (t *T) Errorf(f string, a ...any) {
	t.log(fmt.Sprintf(f, a...))
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}
func (t *T) Fatalf(f string, a ...any) { t.Errorf(f, a...); t.FailNow() }
func (t *T) FailNow() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	runtime.Goexit()
}
func (t *T) Skipf(f string, a ...any) {
	t.log(fmt.Sprintf(f, a...))
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	runtime.Goexit()
}
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// runCleanups runs the cleanups, last registered first, once: when the
// test returns, or when it overruns its time and is abandoned. A panic in
// one fails the test and the others still run.
func (t *T) runCleanups() {
	t.cleaned.Do(func() {
		t.mu.Lock()
		cs := t.cleanups
		t.mu.Unlock()
		for i := len(cs) - 1; i >= 0; i-- {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("panic in cleanup: %v", r)
					}
				}()
				cs[i]()
			}()
		}
	})
}

// Summary counts the outcome of a run.
type Summary struct{ Passed, Failed, Skipped int }

// Run runs the tests whose names match pattern (all if empty) and reports
// like go test -v on w. A test that overruns its time (its Timeout, or
// timeout) is reported as failed, by name, with the stacks of its
// goroutines (every goroutine it started carries its name as a profiler
// label); its cleanups run, and the suite goes on with the next test.
func Run(w io.Writer, pattern string, timeout time.Duration) Summary {
	var re *regexp.Regexp
	if pattern != "" {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			fmt.Fprintf(w, "bad test pattern %q: %v\n", pattern, err)
			return Summary{Failed: 1}
		}
	}
	var s Summary
	for _, tc := range Tests() {
		if re != nil && !re.MatchString(tc.Name) {
			continue
		}
		fmt.Fprintf(w, "=== RUN   %s\n", tc.Name)
		t := &T{name: tc.Name, w: w}
		limit := timeout
		if tc.Timeout > 0 {
			limit = tc.Timeout
		}
		start := time.Now()
		done := make(chan struct{})
		go pprof.Do(context.Background(), pprof.Labels("ktest", tc.Name), func(context.Context) {
			defer close(done)
			defer t.runCleanups()
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("panic: %v", r)
				}
			}()
			tc.Fn(t)
		})
		timer := time.NewTimer(limit)
		select {
		case <-done:
			timer.Stop()
		case <-timer.C:
			t.Errorf("test timed out after %v; its goroutines:\n%s", limit, stacksLabelled(tc.Name))
			if os.Getenv("KTEST_ALL") != "" {
				buf := make([]byte, 1<<20)
				fmt.Fprintf(w, "%s", buf[:runtime.Stack(buf, true)])
			}
			t.runCleanups()
		}
		d := time.Since(start)
		t.mu.Lock()
		for _, l := range t.logs {
			for _, line := range strings.Split(l, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
		switch {
		case t.failed:
			s.Failed++
			fmt.Fprintf(w, "--- FAIL: %s (%.2fs)\n", tc.Name, d.Seconds())
		case t.skipped:
			s.Skipped++
			fmt.Fprintf(w, "--- SKIP: %s (%.2fs)\n", tc.Name, d.Seconds())
		default:
			s.Passed++
			fmt.Fprintf(w, "--- PASS: %s (%.2fs)\n", tc.Name, d.Seconds())
		}
		t.mu.Unlock()
	}
	fmt.Fprintf(w, "%d passed, %d failed", s.Passed, s.Failed)
	if s.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped", s.Skipped)
	}
	fmt.Fprintln(w)
	return s
}

// stacksLabelled returns the stacks of the goroutines labelled with test
// name, in the goroutine profile's text form.
func stacksLabelled(name string) string {
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		return err.Error()
	}
	want := fmt.Sprintf("%q:%q", "ktest", name)
	var out []string
	for _, rec := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(rec, "# labels: ") && strings.Contains(rec, want) {
			out = append(out, rec)
		}
	}
	if len(out) == 0 {
		return "(none found)"
	}
	return strings.Join(out, "\n\n")
}
