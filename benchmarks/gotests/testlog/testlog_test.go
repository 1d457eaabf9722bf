package testlog

import (
	"compress/gzip"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rebuild testdata/fixture and rewrite its captured outputs (testdata/fixture-*.txt)")

// fixtureRuns are the captured runs of testdata/fixture: the environment
// (FIXTURE=mode) and the binary's flags. Standard output and error are
// merged, as on a console.
var fixtureRuns = []struct {
	file, mode string
	flags      []string
}{
	{"fixture-verbose.txt", "", []string{"-test.v", "-test.short"}},
	{"fixture-panic.txt", "panic", []string{"-test.v", "-test.short"}},
	{"fixture-hang.txt", "hang", []string{"-test.v", "-test.short", "-test.timeout=2s"}},
	{"fixture-fatal.txt", "fatal", []string{"-test.v", "-test.short"}},
}

// TestFixtures -update regenerates the fixtures from the fixture package.
func TestFixtures(t *testing.T) {
	if !*update {
		t.Skip("rewrites the fixtures only with -update")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fixture.test")
	build := exec.Command("go", "test", "-c", "-trimpath", "-o", bin, ".")
	build.Dir = filepath.Join("testdata", "fixture")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, r := range fixtureRuns {
		cmd := exec.Command(bin, r.flags...)
		cmd.Env = append(os.Environ(), "FIXTURE="+r.mode)
		out, _ := cmd.CombinedOutput() // every run but one fails on purpose
		if err := os.WriteFile(filepath.Join("testdata", r.file), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFixture(t *testing.T, name string) *Log {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = z
	}
	l, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// statuses renders every test's result, "NAME STATUS" (with "crashed" or
// "paused" for an unfinished one), sorted.
func statuses(l *Log) []string {
	var s []string
	for _, t := range l.Tests {
		line := t.Name + " " + string(t.Status)
		if t.Crashed {
			line += " crashed"
		}
		if t.Paused {
			line += " paused"
		}
		if t.Panicked {
			line += " panicked"
		}
		s = append(s, line)
	}
	slices.Sort(s)
	return s
}

func checkStatuses(t *testing.T, l *Log, want []string) {
	t.Helper()
	slices.Sort(want)
	if got := statuses(l); !slices.Equal(got, want) {
		t.Errorf("results:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// hasLine reports whether test name's output holds a line containing s.
func hasLine(t *testing.T, l *Log, name, s string) {
	t.Helper()
	tt := l.Test(name)
	if tt == nil {
		t.Errorf("no test %s", name)
		return
	}
	for _, line := range tt.Output {
		if strings.Contains(line, s) {
			return
		}
	}
	t.Errorf("%s's output has no line with %q:\n\t%s", name, s, strings.Join(tt.Output, "\n\t"))
}

// onlyIn reports whether test name, and no other, has a line containing s.
func onlyIn(t *testing.T, l *Log, name, s string) {
	t.Helper()
	hasLine(t, l, name, s)
	for _, tt := range l.Tests {
		if tt.Name == name {
			continue
		}
		for _, line := range tt.Output {
			if strings.Contains(line, s) {
				t.Errorf("%s's output has %q, which is %s's", tt.Name, line, name)
			}
		}
	}
}

// The fixture's tests before the parallel ones resume, as every run
// reports them.
var sequential = []string{
	"TestPass PASS", "TestFail FAIL", "TestSkip SKIP",
	"TestSubtests FAIL", "TestSubtests/ok PASS", "TestSubtests/fails FAIL",
	"TestSubtests/nested FAIL", "TestSubtests/nested/deep_skip SKIP",
	"TestSubtests/nested/deep_fail FAIL", "TestSubtests/nested/deep_ok PASS",
	"TestSubtests/ok#01 PASS", "TestStdout PASS",
	"TestParallelSubtests FAIL", "TestParallelSubtests/p0 PASS",
	"TestParallelSubtests/p1 FAIL", "TestParallelSubtests/p2 PASS",
}

func TestVerbose(t *testing.T) {
	l := readFixture(t, "fixture-verbose.txt")
	checkStatuses(t, l, append(slices.Clone(sequential),
		"TestParallelA PASS", "TestParallelB FAIL", "TestParallelC PASS",
		"TestHang PASS", "TestFatal PASS", "Example_good PASS", "Example_bad FAIL"))
	if !l.Done || l.Final != Fail || l.Crash != nil || l.Preamble != nil || l.Epilogue != nil {
		t.Errorf("done %v final %q crash %q preamble %q epilogue %q", l.Done, l.Final, l.Crash, l.Preamble, l.Epilogue)
	}
	if got := l.Test("TestFail").Output; !slices.Equal(got, []string{
		"    fixture_test.go:23: first failure",
		"    fixture_test.go:24: second failure",
		"        over two lines",
	}) {
		t.Errorf("TestFail's output %q", got)
	}
	onlyIn(t, l, "TestSubtests/fails", "the subtest failed")
	onlyIn(t, l, "TestSubtests/nested/deep_fail", "deep failure")
	onlyIn(t, l, "TestSubtests/nested/deep_skip", "deep skip")
	onlyIn(t, l, "TestStdout", "a line the test printed itself")
	onlyIn(t, l, "TestStdout", "a line on standard error")
	// Parallel tests' lines, however they interleaved.
	onlyIn(t, l, "TestParallelA", "TestParallelA after 10ms")
	onlyIn(t, l, "TestParallelB", "TestParallelB after 30ms")
	onlyIn(t, l, "TestParallelB", "TestParallelB failed after 90ms")
	onlyIn(t, l, "TestParallelC", "TestParallelC after 50ms")
	onlyIn(t, l, "TestParallelSubtests", "the parent's own line")
	for i, d := range []string{"40ms", "20ms", "30ms"} {
		name := "TestParallelSubtests/p" + string(rune('0'+i))
		onlyIn(t, l, name, name+" after "+d)
	}
	onlyIn(t, l, "TestParallelSubtests/p1", "TestParallelSubtests/p1 failed after 40ms")
	if got := l.Test("Example_bad").Output; !slices.Equal(got, []string{"got:", "got this", "want:", "wanted that"}) {
		t.Errorf("Example_bad's output %q", got)
	}
	if got := l.Test("TestSkip").Output; len(got) != 1 || !strings.HasSuffix(got[0], "skipped on purpose") {
		t.Errorf("TestSkip's output %q", got)
	}
	if p, f, s := l.Counts(); p != 12 || f != 9 || s != 2 {
		t.Errorf("counts %d %d %d", p, f, s)
	}
}

// TestPanic: a parallel test panics while another runs and a third waits;
// the testing package has reported the panicking test FAIL.
func TestPanic(t *testing.T) {
	l := readFixture(t, "fixture-panic.txt")
	checkStatuses(t, l, append(slices.Clone(sequential),
		"TestParallelA PASS", "TestParallelB FAIL panicked", "TestParallelC FAIL crashed",
		"TestHang PASS", "TestFatal PASS"))
	if l.Done || len(l.Crash) == 0 || l.Crash[0] != "panic: boom in TestParallelB [recovered, repanicked]" {
		t.Fatalf("done %v, crash %q", l.Done, l.Crash)
	}
	hasLine(t, l, "TestParallelB", "about to panic")
	hasLine(t, l, "TestParallelB", "panic: boom in TestParallelB")
	hasLine(t, l, "TestParallelC", "crashed: running when the test binary died with:")
	hasLine(t, l, "TestParallelC", "panic: boom in TestParallelB")
	for _, tt := range l.Tests {
		if n := len(tt.Output); n > 20 {
			t.Errorf("%s has %d lines of output: the crash report is not theirs", tt.Name, n)
		}
	}
}

// TestHangTimeout: the testing package's own timeout panics with the test
// that hangs still running, and parallel tests paused.
func TestHangTimeout(t *testing.T) {
	l := readFixture(t, "fixture-hang.txt")
	checkStatuses(t, l, append(slices.Clone(sequential),
		"TestParallelA FAIL crashed paused", "TestParallelB FAIL crashed paused", "TestParallelC FAIL crashed paused",
		"TestHang FAIL crashed"))
	if len(l.Crash) == 0 || l.Crash[0] != "panic: test timed out after 2s" {
		t.Fatalf("crash %q", l.Crash)
	}
	hasLine(t, l, "TestHang", "hanging")
	hasLine(t, l, "TestHang", "crashed: running when the test binary died with:")
	hasLine(t, l, "TestHang", "panic: test timed out after 2s")
	hasLine(t, l, "TestParallelA", "crashed: paused (t.Parallel), never resumed")
}

func TestFatalError(t *testing.T) {
	l := readFixture(t, "fixture-fatal.txt")
	checkStatuses(t, l, append(slices.Clone(sequential),
		"TestParallelA FAIL crashed paused", "TestParallelB FAIL crashed paused", "TestParallelC FAIL crashed paused",
		"TestHang PASS", "TestFatal FAIL crashed"))
	hasLine(t, l, "TestFatal", "fatal error: sync: unlock of unlocked mutex")
}

// TestHostOS is go test -v -short os as the host ran it: go test -c os,
// then os.test -test.short -test.v in $GOROOT/src/os, output merged
// (Go 1.26, linux/amd64, as root).
func TestHostOS(t *testing.T) {
	l := readFixture(t, "os-host.txt.gz")
	if !l.Done || l.Final != Pass || l.Crash != nil || l.Preamble != nil {
		t.Fatalf("done %v final %q crash %q preamble %q", l.Done, l.Final, l.Crash, l.Preamble)
	}
	// Counted with grep -cE '^ *--- PASS: ' and so on.
	if p, f, s := l.Counts(); p != 3661 || f != 0 || s != 21 || len(l.Tests) != 3682 {
		t.Errorf("counts %d %d %d of %d", p, f, s, len(l.Tests))
	}
	for _, tt := range l.Tests {
		if tt.Crashed {
			t.Errorf("%s crashed", tt.Name)
		}
	}
	for name, status := range map[string]Status{
		"TestRenameCaseDifference":                     Pass,
		"TestRenameCaseDifference/dir":                 Skip,
		"TestNonPollable":                              Skip,
		"TestFilePermissions":                          Skip,
		"TestExecutableDeleted":                        Pass,
		"ExampleUserConfigDir":                         Pass,
		"TestOpenFileCreateExclDanglingSymlink/InRoot": Pass,
	} {
		if tt := l.Test(name); tt == nil || tt.Status != status {
			t.Errorf("%s: %+v, want %s", name, tt, status)
		}
	}
	hasLine(t, l, "TestRenameCaseDifference/dir", "case sensitive filesystem")
	hasLine(t, l, "TestNonPollable", "skipping test with tight loops in short mode")
	hasLine(t, l, "TestFilePermissions", "skipping test when running as root")
}

// Made-up cases the fixtures do not show.
func TestEdgeCases(t *testing.T) {
	t.Run("stray final line", func(t *testing.T) {
		l := ParseString("=== RUN   TestA\nPASS\nmore of A\n--- PASS: TestA (0.00s)\nPASS\nk42: power off\n")
		if !l.Done || l.Final != Pass || !slices.Equal(l.Epilogue, []string{"k42: power off"}) {
			t.Errorf("done %v final %q epilogue %q", l.Done, l.Final, l.Epilogue)
		}
		if got := l.Test("TestA").Output; !slices.Equal(got, []string{"PASS", "more of A"}) {
			t.Errorf("TestA's output %q", got)
		}
	})
	t.Run("preamble and carriage returns", func(t *testing.T) {
		l := ParseString("k42: 1024 MiB, 2 CPUs\r\n=== RUN   TestA\r\n    a_test.go:1: x\r\n--- FAIL: TestA (1.50s)\r\nFAIL\r\n")
		if !slices.Equal(l.Preamble, []string{"k42: 1024 MiB, 2 CPUs"}) || !l.Done || l.Final != Fail {
			t.Errorf("preamble %q done %v final %q", l.Preamble, l.Done, l.Final)
		}
		a := l.Test("TestA")
		if a.Status != Fail || a.Elapsed.Seconds() != 1.5 || !slices.Equal(a.Output, []string{"    a_test.go:1: x"}) {
			t.Errorf("TestA %+v", a)
		}
	})
	t.Run("output ends", func(t *testing.T) {
		// A kernel that stops: no report at all.
		l := ParseString("=== RUN   TestA\n=== PAUSE TestA\n=== RUN   TestB\n=== RUN   TestB/x\n    b_test.go:3: waiting\n")
		checkStatuses(t, l, []string{"TestA FAIL crashed paused", "TestB FAIL crashed", "TestB/x FAIL crashed"})
		if l.Done || l.Crash != nil {
			t.Errorf("done %v crash %q", l.Done, l.Crash)
		}
		hasLine(t, l, "TestB/x", "crashed: running when the output ended")
		hasLine(t, l, "TestB/x", "waiting")
	})
	t.Run("report before the result", func(t *testing.T) {
		// Standard error merged with standard output may put the panic
		// before the FAIL lines the testing package printed first.
		l := ParseString("=== RUN   TestA\n=== RUN   TestA/x\npanic: oops [recovered]\n--- FAIL: TestA (0.00s)\n    --- FAIL: TestA/x (0.00s)\n\ngoroutine 1 [running]:\n")
		checkStatuses(t, l, []string{"TestA FAIL panicked", "TestA/x FAIL panicked"})
		hasLine(t, l, "TestA/x", "panic: oops")
		if len(l.Crash) != 3 {
			t.Errorf("crash %q", l.Crash)
		}
	})
	t.Run("buffered output after the result", func(t *testing.T) {
		// Without -test.v: no RUN lines, the log follows the result.
		l := ParseString("--- FAIL: TestA (0.00s)\n    a_test.go:1: bad\n    --- FAIL: TestA/x (0.00s)\n        a_test.go:2: worse\nFAIL\n")
		checkStatuses(t, l, []string{"TestA FAIL", "TestA/x FAIL"})
		onlyIn(t, l, "TestA", "bad")
		onlyIn(t, l, "TestA/x", "worse")
	})
	t.Run("indented log that looks like a report", func(t *testing.T) {
		l := ParseString("=== RUN   TestA\n    a_test.go:1: panic: not really\n--- PASS: TestA (0.00s)\nPASS\n")
		if l.Crash != nil || !l.Done || l.Test("TestA").Status != Pass {
			t.Errorf("crash %q done %v", l.Crash, l.Done)
		}
	})
}

func TestMerge(t *testing.T) {
	first := ParseString("=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestP\n=== PAUSE TestP\n=== RUN   TestB\n=== RUN   TestB/x\n    b_test.go:1: stuck\n")
	// Run again with -test.skip '^TestB$'.
	second := ParseString("=== RUN   TestA\n    a_test.go:1: flaky\n--- FAIL: TestA (0.00s)\n=== RUN   TestP\n=== PAUSE TestP\n=== RUN   TestC\n--- SKIP: TestC (0.00s)\n=== CONT  TestP\n--- PASS: TestP (0.00s)\nFAIL\n")
	first.Merge(second)
	checkStatuses(t, first, []string{"TestA PASS", "TestP PASS", "TestB FAIL crashed", "TestB/x FAIL crashed", "TestC SKIP"})
	if !first.Done || first.Final != Fail || first.Test("TestP").Crashed {
		t.Errorf("done %v final %q", first.Done, first.Final)
	}
	if names := statuses(first); len(first.Tests) != 5 || first.Tests[4].Name != "TestC" || len(names) != 5 {
		t.Errorf("order %v", first.Tests)
	}
	hasLine(t, first, "TestB/x", "stuck")
}
