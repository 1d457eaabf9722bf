package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k42/benchmarks/gotests/testlog"
	"k42/qemu/runner"
)

func TestParseFlags(t *testing.T) {
	c0, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := c0
	if c.retries != 3 || strings.Join(c.pkgs, ",") != defaultPkgs || c.smp != 2 || c.mem != "1G" || c.timeout != 6*time.Minute ||
		!slices.Equal(c.flags, []string{"-test.short", "-test.v"}) || c.env != nil {
		t.Errorf("defaults %+v", c)
	}
	c, err = parseFlags([]string{"-pkgs", " os, io/fs ,", "-smp", "1", "-m", "512M", "-env", "A=1", "--", "-test.v", "-test.run", "TestX"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.pkgs, []string{"os", "io/fs"}) || !slices.Equal(c.flags, []string{"-test.v", "-test.run", "TestX"}) || !slices.Equal(c.env, []string{"A=1"}) {
		t.Errorf("%+v", c)
	}
	for _, bad := range [][]string{
		{"-pkgs", ","}, {"-smp", "0"}, {"-m", "300M"}, {"-only", "bsd"}, {"-timeout", "0"},
		{"-env", "=1"}, {"--", "-test.short"}, {"-nosuch"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range []string{"-test.v", "--test.v", "-test.v=true"} {
		if !hasVerbose([]string{"-test.short", ok}) {
			t.Errorf("%s not taken for -test.v", ok)
		}
	}
	if hasVerbose([]string{"-test.v=test2json"}) { // its framing is not parsed
		t.Error("-test.v=test2json taken")
	}
	if !hasSkip([]string{"-test.v", "-test.skip", "X"}) || !hasSkip([]string{"--test.skip=X"}) || hasSkip([]string{"-test.v"}) {
		t.Error("hasSkip")
	}

	// The trees: GOROOT's time-zone database by default, replaced by
	// -fs, none with -fs=.
	c = c0
	if len(c.trees) != 1 || !strings.HasSuffix(c.trees[0].Host, "/lib/time") || c.trees[0].Guest != c.trees[0].Host {
		t.Errorf("default trees %+v", c.trees)
	}
	dir := t.TempDir()
	if c, err := parseFlags([]string{"-fs", dir + ":/opt/a", "-fs", dir}, io.Discard); err != nil || len(c.trees) != 2 || c.trees[0].Guest != "/opt/a" || c.trees[1].Guest != dir {
		t.Errorf("-fs twice: %+v, %v", c, err)
	}
	if c, err := parseFlags([]string{"-fs="}, io.Discard); err != nil || len(c.trees) != 0 {
		t.Errorf("-fs=: %+v, %v", c, err)
	}
	if _, err := parseFlags([]string{"-fs", "/no/such/tree"}, io.Discard); err == nil {
		t.Error("a missing tree accepted")
	}
	if _, err := parseFlags([]string{"-retries", "-1"}, io.Discard); err == nil {
		t.Error("-retries -1 accepted")
	}
}

func side(out string, status int, timedOut bool) *Side {
	s := &Side{}
	s.add(&Run{Status: status, TimedOut: timedOut, Output: ".build/gotests/x.log"}, testlog.ParseString(out))
	return s
}

const linuxOut = `=== RUN   TestA
--- PASS: TestA (0.00s)
=== RUN   TestB
=== RUN   TestB/x
=== RUN   TestB/y
--- PASS: TestB (0.00s)
    --- PASS: TestB/x (0.00s)
    --- PASS: TestB/y (0.00s)
=== RUN   TestC
    c_test.go:1: no unixpacket here
--- SKIP: TestC (0.00s)
=== RUN   TestD
--- PASS: TestD (0.00s)
=== RUN   TestE
    e_test.go:9: Linux fails this one
--- FAIL: TestE (0.00s)
=== RUN   TestF
    f_test.go:2: needs exec
--- SKIP: TestF (0.00s)
=== RUN   TestG
--- PASS: TestG (0.00s)
FAIL
`

// k42Out differs in every way there is: a subtest fails, a skip becomes
// a pass, a pass a skip, a failure a pass, a skip a failure, and the
// binary hangs in TestD, never reaching TestG.
const k42Out = `k42: 1024 MiB, 2 CPUs
=== RUN   TestA
--- PASS: TestA (0.00s)
=== RUN   TestB
=== RUN   TestB/x
    b_test.go:5: read /tmp/x: bad address
=== RUN   TestB/y
    b_test.go:6: not implemented
--- FAIL: TestB (0.00s)
    --- FAIL: TestB/x (0.00s)
    --- SKIP: TestB/y (0.00s)
=== RUN   TestC
--- PASS: TestC (0.00s)
=== RUN   TestE
--- PASS: TestE (0.00s)
=== RUN   TestF
    f_test.go:5: unexpected error
--- FAIL: TestF (0.00s)
=== RUN   TestD
    d_test.go:3: waiting
`

func TestCompare(t *testing.T) {
	p := &Package{Name: "x", Linux: side(linuxOut, 1, false), K42: side(k42Out, runner.StatusTimeout, true)}
	p.compare()
	render := func(ds []Diff) []string {
		var s []string
		for _, d := range ds {
			s = append(s, d.Name+" "+string(d.Linux)+" "+string(d.K42))
		}
		return s
	}
	if got, want := render(p.PassLinuxOnly), []string{"TestB PASS FAIL", "TestB/x PASS FAIL", "TestB/y PASS SKIP", "TestD PASS hung", "TestG PASS missing"}; !slices.Equal(got, want) {
		t.Errorf("PASS on Linux only: %q, want %q", got, want)
	}
	if got, want := render(p.PassK42Only), []string{"TestC SKIP PASS", "TestE FAIL PASS"}; !slices.Equal(got, want) {
		t.Errorf("PASS on k42 only: %q, want %q", got, want)
	}
	if got, want := render(p.Other), []string{"TestF SKIP FAIL"}; !slices.Equal(got, want) {
		t.Errorf("other: %q, want %q", got, want)
	}
	if d := p.PassLinuxOnly[1]; !slices.Equal(d.K42Output, []string{"    b_test.go:5: read /tmp/x: bad address"}) || d.LinuxOutput != nil {
		t.Errorf("TestB/x: %+v", d)
	}
	if d := p.PassLinuxOnly[3]; len(d.K42Output) != 2 || d.K42Output[0] != "    d_test.go:3: waiting" {
		t.Errorf("TestD: %q", d.K42Output)
	}
	if d := p.PassK42Only[0]; !slices.Equal(d.LinuxOutput, []string{"    c_test.go:1: no unixpacket here"}) || d.K42Output != nil {
		t.Errorf("TestC: %+v", d)
	}
	if k := p.K42; k.Pass != 3 || k.Fail != 4 || k.Skip != 1 || k.Crashed != 1 || k.Runs[0].Done {
		t.Errorf("k42 counts %+v", k)
	}

	var out bytes.Buffer
	printPackage(&out, p)
	printTable(&out, []*Package{p})
	for _, want := range []string{
		"=== x\n",
		"k42:   3 pass, 4 fail, 1 skip (1 of the failures unfinished)\n         run 1: status 124 in 0 s; HUNG: stopped by the timeout [.build/gotests/x.log]\n",
		"Linux: 6 pass, 1 fail, 2 skip\n         run 1: status 1 in 0 s; ran to its end [.build/gotests/x.log]\n",
		"  PASS on Linux, not on k42: 5\n    TestB: k42 FAIL (through its subtests)\n    TestB/x: k42 FAIL\n          b_test.go:5: read /tmp/x: bad address\n",
		"    TestD: k42 hung\n          d_test.go:3: waiting\n      crashed: running when the output ended",
		"    never run on k42 (1):\n        TestG\n",
		"  PASS on k42, not on Linux: 2\n    TestC: Linux SKIP\n          c_test.go:1: no unixpacket here\n",
		"  other differences: 1\n    TestF: Linux SKIP, k42 FAIL\n      k42:\n          f_test.go:5: unexpected error\n      Linux:\n          f_test.go:2: needs exec\n",
		"x        3         4     1     6           1     2     5                2              1      hung",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report has no %q:\n%s", want, out.String())
		}
	}

	// The JSON summary carries the same.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Package
	if err := json.Unmarshal(b, &back); err != nil || len(back.PassLinuxOnly) != 5 || back.K42.Crashed != 1 || !back.K42.Runs[0].TimedOut ||
		back.PassLinuxOnly[4].K42 != Missing {
		t.Errorf("JSON %s: %v", b, err)
	}
}

func TestPrintDiffsGroups(t *testing.T) {
	lines := func(s string) []string {
		return []string{"    x_test.go:9: listen unix /tmp/" + s + ": socket: function not implemented"}
	}
	ds := []Diff{
		{Name: "TestS", K42: Fail},
		{Name: "TestS/Unix", K42: Fail},
		{Name: "TestS/Unix/1", K42: Fail, K42Output: lines("a1")},
		{Name: "TestS/Unix/42", K42: Fail, K42Output: lines("a23")},
		{Name: "TestS/Unix/1025", K42: Fail, K42Output: lines("a7")},
		{Name: "TestS/TCP/1", K42: Fail, K42Output: lines("a7")}, // another parent
		{Name: "TestT", K42: Skip, K42Output: lines("b")},
		{Name: "TestU", K42: Skip, K42Output: lines("b")}, // top-level tests are not grouped
		{Name: "TestV", K42: Fail},                        // no output, no subtests
	}
	var out bytes.Buffer
	printDiffs(&out, ds, "k42", func(d Diff) (Outcome, []string) { return d.K42, d.K42Output })
	want := `    TestS: k42 FAIL (through its subtests)
    TestS/Unix: k42 FAIL (through its subtests)
    TestS/Unix/{1,42,1025}: k42 FAIL (3 tests, the same lines)
          x_test.go:9: listen unix /tmp/a1: socket: function not implemented
    TestS/TCP/1: k42 FAIL
          x_test.go:9: listen unix /tmp/a7: socket: function not implemented
    TestT: k42 SKIP
          x_test.go:9: listen unix /tmp/b: socket: function not implemented
    TestU: k42 SKIP
          x_test.go:9: listen unix /tmp/b: socket: function not implemented
    TestV: k42 FAIL
        (no output of its own)
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestByTopLevel(t *testing.T) {
	got := byTopLevel([]string{"TestA", "FuzzB", "FuzzB/seed#0", "FuzzB/seed#1", "TestC/x", "TestC/x/y", "TestD"})
	want := []string{"TestA", "FuzzB (+2 subtests)", "TestC/... (2 subtests)", "TestD"}
	if !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestCompareOneSide: with -only, nothing is compared.
func TestCompareOneSide(t *testing.T) {
	p := &Package{Name: "x", K42: side(k42Out, 124, true)}
	p.compare()
	if p.PassLinuxOnly != nil || p.PassK42Only != nil || p.Other != nil {
		t.Errorf("%+v", p)
	}
	var out bytes.Buffer
	printPackage(&out, p)
	printTable(&out, []*Package{p})
	if strings.Contains(out.String(), "PASS on") || !strings.Contains(out.String(), "Linux: not run") {
		t.Errorf("%s", out.String())
	}
}

func TestBuildFailureIsReported(t *testing.T) {
	p := &Package{Name: "x", K42: &Side{Error: "building the tests of x: exit status 1\n./x_test.go:3: undefined: y"},
		Linux: side(linuxOut, 1, false)}
	p.compare()
	if len(p.PassLinuxOnly) != 6 || p.PassLinuxOnly[0].K42 != Missing {
		t.Errorf("%+v", p.PassLinuxOnly)
	}
	var out bytes.Buffer
	printPackage(&out, p)
	if !strings.Contains(out.String(), "k42:   did not run: building the tests of x: exit status 1\n") ||
		!strings.Contains(out.String(), "./x_test.go:3: undefined: y") {
		t.Errorf("%s", out.String())
	}
}

func TestCulprits(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want []string
	}{
		// A hang: the running tests, not the paused one, by their top-level name.
		{"=== RUN   TestP\n=== PAUSE TestP\n=== RUN   TestA\n=== RUN   TestA/x\n=== RUN   TestA/x/y\n", []string{"TestA"}},
		// A panic: the test that panicked, not the ones beside it.
		{"=== RUN   TestA\n=== PAUSE TestA\n=== RUN   TestB\n=== PAUSE TestB\n=== CONT  TestA\n=== CONT  TestB\n--- FAIL: TestB (0.00s)\npanic: x\n", []string{"TestB"}},
		// Died between tests.
		{"=== RUN   TestA\n--- PASS: TestA (0.00s)\n", nil},
	} {
		if got := culprits(testlog.ParseString(tc.out)); !slices.Equal(got, tc.want) {
			t.Errorf("culprits %q, want %q\n%s", got, tc.want, tc.out)
		}
	}
}

// TestReruns drives the rerun loop with a fake kernel: the binary hangs in
// TestB, then panics in TestD, then runs to its end.
func TestReruns(t *testing.T) {
	outs := []string{
		"=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n",
		"=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestC\n--- PASS: TestC (0.00s)\n=== RUN   TestD\n--- FAIL: TestD (0.00s)\npanic: boom\n",
		"=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestC\n--- PASS: TestC (0.00s)\n=== RUN   TestE\n--- PASS: TestE (0.00s)\nPASS\n",
	}
	var got [][]string
	r := &runs{c: &config{flags: []string{"-test.v"}, retries: 3}, progress: func(string, ...any) {}}
	s := r.side("x", func(flags []string, n int) (*Run, *testlog.Log) {
		got = append(got, flags)
		run := &Run{Status: []int{124, 2, 0}[n], TimedOut: n == 0}
		return run, testlog.ParseString(outs[n])
	})
	want := [][]string{{"-test.v"}, {"-test.v", "-test.skip=^(TestB)$"}, {"-test.v", "-test.skip=^(TestB|TestD)$"}}
	if len(got) != 3 || !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) || !slices.Equal(got[2], want[2]) {
		t.Fatalf("flags %q, want %q", got, want)
	}
	for name, o := range map[string]Outcome{"TestA": Pass, "TestB": Hung, "TestC": Pass, "TestD": Fail, "TestE": Pass} {
		if got, _ := s.outcome(name); got != o {
			t.Errorf("%s: %s, want %s", name, got, o)
		}
	}
	if len(s.Runs) != 3 || !slices.Equal(s.Runs[2].Skipped, []string{"TestB", "TestD"}) || s.Runs[1].Crash != "panic: boom" || !s.Runs[2].Done {
		t.Errorf("runs %+v %+v %+v", s.Runs[0], s.Runs[1], s.Runs[2])
	}
	if ending(s) != "hung, 2 rerun(s)" {
		t.Errorf("ending %q", ending(s))
	}

	// A QEMU killed from outside is run again as it was, and the tests
	// it left unfinished get the new run's results.
	got = nil
	s = r.side("x", func(flags []string, n int) (*Run, *testlog.Log) {
		got = append(got, flags)
		if n == 0 {
			out := "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\nqemu-system-ppc64: terminating on signal 15 from pid 123 ()\n"
			return &Run{Status: 125, Killed: killed([]byte(out))}, testlog.ParseString(out)
		}
		return &Run{}, testlog.ParseString("=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- PASS: TestB (0.00s)\nPASS\n")
	})
	if len(got) != 2 || !slices.Equal(got[1], []string{"-test.v"}) || s.Runs[0].Killed != "qemu-system-ppc64: terminating on signal 15 from pid 123 ()" {
		t.Errorf("flags %q, runs %+v", got, s.Runs)
	}
	if o, _ := s.outcome("TestB"); o != Pass || s.Crashed != 0 {
		t.Errorf("TestB %s, %d crashed", o, s.Crashed)
	}

	// -retries 0, and a user's own -test.skip, stop after the first run.
	for _, c := range []*config{{flags: []string{"-test.v"}, retries: 0}, {flags: []string{"-test.v", "-test.skip=X"}, retries: 3}} {
		n := 0
		r := &runs{c: c, progress: func(string, ...any) {}}
		r.side("x", func(flags []string, _ int) (*Run, *testlog.Log) {
			n++
			return &Run{Status: 124, TimedOut: true}, testlog.ParseString(outs[0])
		})
		if n != 1 {
			t.Errorf("%+v: %d runs", c, n)
		}
	}
}

func TestMerger(t *testing.T) {
	m := &merger{}
	a, b := m.writer(), m.writer()
	a.Write([]byte("=== RUN   TestA\n    a_"))
	b.Write([]byte("k42: a kernel line\n"))
	a.Write([]byte("test.go:1: x\n--- PASS"))
	b.Write([]byte("partial"))
	a.Write([]byte(": TestA (0.00s)\n"))
	a.Close()
	b.Close()
	want := "=== RUN   TestA\nk42: a kernel line\n    a_test.go:1: x\n--- PASS: TestA (0.00s)\npartial\n"
	if got := string(m.bytes()); got != want {
		t.Errorf("merged %q, want %q", got, want)
	}
	// Concurrent writers never cut each other's lines.
	m = &merger{}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := m.writer()
			line := strings.Repeat(string(rune('a'+i)), 50) + "\n"
			for range 200 {
				w.Write([]byte(line[:7]))
				w.Write([]byte(line[7:]))
			}
		}()
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSuffix(string(m.bytes()), "\n"), "\n") {
		if len(l) != 50 || strings.Count(l, l[:1]) != 50 {
			t.Fatalf("a cut line %q", l)
		}
	}
}

func TestBootedLine(t *testing.T) {
	m := bootedRe.FindStringSubmatch("linux: io.test built and packed in 9.1 s\nlinux: Linux booted, ran io.test and powered off in 4.8 s (init started 1.92 s after boot)\n")
	if m == nil || m[1] != "4.8" {
		t.Errorf("%q", m)
	}
}

// TestBothKernels runs the tool itself for one small package on both
// kernels: unicode/utf16's tests are pure computation, so they must
// agree.
func TestBothKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU; skipped with -short")
	}
	root, err := runner.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".build", "linux", "vmlinux")); err != nil {
		t.Skip("no cached Linux kernel (go run ./benchmarks/linux -fetch downloads it)")
	}
	if _, err := exec.LookPath("qemu-system-ppc64"); err != nil {
		t.Skip("qemu-system-ppc64 not installed (make qemu installs it)")
	}
	c, err := parseFlags([]string{"-pkgs", "unicode/utf16", "-smp", "1", "-m", "512M", "-timeout", "3m", "-out", filepath.Join(t.TempDir(), "s.json")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(c, &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	b, err := os.ReadFile(c.out)
	if err != nil {
		t.Fatal(err)
	}
	var sum Summary
	if err := json.Unmarshal(b, &sum); err != nil || len(sum.Packages) != 1 {
		t.Fatalf("%s: %v", b, err)
	}
	p := sum.Packages[0]
	if p.K42.Pass == 0 || p.K42.Pass != p.Linux.Pass || p.K42.Fail+p.Linux.Fail != 0 || len(p.K42.Runs) != 1 || len(p.Linux.Runs) != 1 ||
		len(p.PassLinuxOnly)+len(p.PassK42Only)+len(p.Other) != 0 {
		t.Errorf("%s\n%s\n%s", b, out.String(), log.String())
	}
}
