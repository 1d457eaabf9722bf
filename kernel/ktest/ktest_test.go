package ktest

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestPortable runs every portable test of the kernel suite on the host.
func TestPortable(t *testing.T) {
	for _, tc := range Tests() {
		if tc.KernelOnly {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) { tc.Fn(t) })
	}
}

func TestHarnessReportsLikeGoTest(t *testing.T) {
	saved := Tests()
	mu.Lock()
	tests = nil
	mu.Unlock()
	defer func() { mu.Lock(); tests = saved; mu.Unlock() }()
	Add(Test{Name: "TestOK", Fn: func(t TB) { t.Logf("fine") }},
		Test{Name: "TestBad", Fn: func(t TB) { t.Fatalf("broken %d", 7); panic("not reached") }},
		Test{Name: "TestPanics", Fn: func(t TB) { panic("boom") }},
		Test{Name: "TestSkipped", Fn: func(t TB) { t.Skipf("later") }})
	var out bytes.Buffer
	s := Run(&out, "", time.Minute)
	if s.Passed != 1 || s.Failed != 2 || s.Skipped != 1 {
		t.Fatalf("summary %+v\n%s", s, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != "1 passed, 2 failed, 1 skipped" {
		t.Fatalf("last line %q", last)
	}
	for _, want := range []string{"--- FAIL: TestBad", "    broken 7", "    panic: boom", "--- PASS: TestOK"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestHarnessSurvivesAHangingTest: a test that hangs is failed by name
// with its goroutines' stacks after its timeout, its cleanups run, and
// the suite goes on to the next test and its summary.
func TestHarnessSurvivesAHangingTest(t *testing.T) {
	saved := Tests()
	mu.Lock()
	tests = nil
	mu.Unlock()
	defer func() { mu.Lock(); tests = saved; mu.Unlock() }()
	release := make(chan struct{})
	defer close(release)
	cleaned := make(chan struct{})
	Add(Test{Name: "TestHangs", Timeout: 100 * time.Millisecond, Fn: func(t TB) {
		t.Cleanup(func() { close(cleaned) })
		go func() { <-release }() // a helper goroutine, also labelled
		hangHere(release)
	}}, Test{Name: "TestAfter", Fn: func(t TB) {}})
	var out bytes.Buffer
	s := Run(&out, "", time.Minute)
	select {
	case <-cleaned:
	default:
		t.Fatal("the hanging test's cleanup did not run")
	}
	if s.Passed != 1 || s.Failed != 1 {
		t.Fatalf("summary %+v\n%s", s, out.String())
	}
	for _, want := range []string{"--- FAIL: TestHangs", "test timed out after 100ms", "ktest.hangHere", "--- PASS: TestAfter", "1 passed, 1 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

//go:noinline
func hangHere(c chan struct{}) { <-c }
