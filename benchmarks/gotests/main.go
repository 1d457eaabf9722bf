// Command gotests judges k42 test by test against Linux on Go's own
// standard-library tests. It runs on the host. For each package it runs
// the package's real test binary (go test -c) twice under the same QEMU
// machine, with the same CPUs, memory and flags (by default -test.short
// -test.v): on k42, as bin/k42 -test PKG does (package k42/qemu/runner:
// BuildTest, then Run with the package's directory as a tree of the
// guest's file system and the boot arguments k42.argv0=NAME
// k42.cwd=DIR), and on Debian's ppc64el Linux, as go run ./benchmarks/linux
// -test PKG does (in the package's directory, at the same path, in an
// initramfs). It reads both outputs with package
// k42/benchmarks/gotests/testlog and prints, per package, each side's
// counts and the tests whose outcome differs: those that pass on Linux
// but not on k42 (with k42's failure lines), those that pass on k42 but
// not on Linux, and the other differences.
//
//	go run ./benchmarks/gotests [-pkgs os,io/fs,...] [-smp N] [-m SIZE] [-timeout D] [-retries N] [-only k42|linux]
//	    [-env KEY=VALUE] [-fs HOST[:GUEST]] [-out FILE] [-v] [-- TESTFLAGS...]
//
// A run that does not end within -timeout (default 6m) is stopped and
// its unfinished tests are reported as hung; a binary that dies mid-run
// leaves its running tests crashed. Either way the binary is run again
// (up to -retries times, default 3) with -test.skip naming the top-level
// tests it died in (the one that panicked, or else those that were
// running), and the reruns' results are merged in, so that the tests
// after a hang are judged too; the tests no run reached are missing. A
// run that QEMU ends because something outside sent it a signal says
// nothing about the kernel, and is run again as it was.
//
// Both guests hold the package's source directory (with its testdata)
// at its own path and, by default, $GOROOT/lib/time, the time-zone
// database the time package's tests load from GOROOT (-fs replaces it,
// -fs= drops it). The test binary's environment is empty on both kernels
// unless -env adds to it. The Linux side needs the kernel that
// go run ./benchmarks/linux -fetch caches.
//
// Every output is kept under .build/gotests/ (PKG.k42.log: k42's console
// and the program's output merged line by line; PKG.linux.log: the test
// binary's output on Linux; PKG.linux.console: Linux's own messages;
// PKG.k42.2.log and so on for reruns), and a JSON summary of the counts
// and differences is written to .build/gotests/summary.json (-out). The
// exit status is 0 whatever the tests did, and 1 only when the command
// itself failed.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k42/benchmarks/results"
	"k42/qemu/runner"
)

// defaultPkgs are the file-heavy packages first, then the others the
// kernel is checked with.
const defaultPkgs = "os,io/fs,path/filepath,testing/fstest,io,bufio,io/ioutil,syscall,time,sync"

// workDir holds the outputs and the summary, relative to the module root.
const workDir = ".build/gotests"

type config struct {
	pkgs    []string
	smp     int
	mem     string
	timeout time.Duration
	only    string
	env     []string
	flags   []string // the test binary's
	out     string
	verbose bool
	retries int
	trees   []runner.Tree // more host trees in both guests
}

func parseFlags(argv []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("gotests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	pkgs := fs.String("pkgs", defaultPkgs, "comma-separated packages whose tests run")
	fs.IntVar(&c.smp, "smp", 2, "guest CPUs, for both kernels")
	fs.StringVar(&c.mem, "m", "1G", "guest memory (QEMU -m syntax), for both kernels")
	fs.DurationVar(&c.timeout, "timeout", 6*time.Minute, "stop a run after this long and report its unfinished tests as hung")
	fs.StringVar(&c.only, "only", "", "run one side only: k42 or linux")
	fs.Func("env", "add KEY=VALUE to the test binary's environment on both kernels (repeatable)", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("%q: want KEY=VALUE with a non-empty KEY", v)
		}
		c.env = append(c.env, v)
		return nil
	})
	fs.IntVar(&c.retries, "retries", 3, "when a test binary crashes or hangs, run it again up to this many times, skipping (-test.skip) the tests it died in, so that the tests after them are judged too")
	treesSet := false
	fs.Func("fs", "copy the host tree HOST into both guests at GUEST (default: the same path) (repeatable; default: $GOROOT/lib/time, the time-zone database the time package's tests load; -fs= for none)", func(v string) error {
		if !treesSet {
			c.trees, treesSet = nil, true
		}
		if v == "" {
			return nil
		}
		t, err := runner.ParseTree(v)
		if err != nil {
			return err
		}
		c.trees = append(c.trees, t)
		return nil
	})
	fs.StringVar(&c.out, "out", "", "write the JSON summary here (default "+workDir+"/summary.json)")
	fs.BoolVar(&c.verbose, "v", false, "show both consoles as the runs go")
	if zone, err := goEnv("GOROOT"); err == nil {
		if t, err := runner.ParseTree(filepath.Join(zone, "lib", "time")); err == nil {
			c.trees = []runner.Tree{t}
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./benchmarks/gotests [flags] [-- TESTFLAGS...]\n\nruns each package's tests on k42 and on Linux and compares them test by test\n(TESTFLAGS default: -test.short -test.v)\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(argv); err != nil {
		return nil, err
	}
	for _, p := range strings.Split(*pkgs, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.pkgs = append(c.pkgs, p)
		}
	}
	c.flags = fs.Args()
	if len(c.flags) == 0 {
		c.flags = []string{"-test.short", "-test.v"}
	}
	switch {
	case len(c.pkgs) == 0:
		return nil, errors.New("-pkgs names no package")
	case c.smp < 1 || c.smp > 64:
		return nil, fmt.Errorf("-smp %d: the machine takes 1 to 64 CPUs", c.smp)
	case c.only != "" && c.only != "k42" && c.only != "linux":
		return nil, fmt.Errorf("-only %q: want k42 or linux", c.only)
	case c.timeout <= 0:
		return nil, errors.New("-timeout must be positive: a hang must end")
	case c.retries < 0:
		return nil, errors.New("-retries must not be negative")
	}
	if _, err := runner.MemoryBytes(c.mem); err != nil {
		return nil, err
	}
	if !hasVerbose(c.flags) {
		return nil, errors.New("the test flags must include -test.v: the comparison reads its per-test lines")
	}
	return c, nil
}

// hasSkip reports whether the test binary's flags hold a -test.skip, which
// a rerun's own would replace.
func hasSkip(flags []string) bool {
	for _, f := range flags {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-")
		if f == "test.skip" || strings.HasPrefix(f, "test.skip=") {
			return true
		}
	}
	return false
}

// goEnv is go env NAME.
func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	return strings.TrimSpace(string(out)), err
}

// hasVerbose reports whether the test binary's flags turn on -test.v.
func hasVerbose(flags []string) bool {
	for _, f := range flags {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-")
		if f == "test.v" || f == "test.v=true" {
			return true
		}
	}
	return false
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotests:", err)
		os.Exit(2)
	}
	if err := run(c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gotests:", err)
		os.Exit(1)
	}
}

// Summary is the JSON summary of a run.
type Summary struct {
	results.Context
	Command  string     `json:"command"`
	Flags    []string   `json:"test_flags"`
	Env      []string   `json:"env"`
	Timeout  string     `json:"timeout"`
	Trees    []string   `json:"trees"`
	Packages []*Package `json:"packages"`
}

func run(c *config, stdout, stderr io.Writer) error {
	root, err := runner.ModuleRoot()
	if err != nil {
		return err
	}
	work := filepath.Join(root, workDir)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if c.out == "" {
		c.out = filepath.Join(work, "summary.json")
	}
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, "gotests: "+format+"\n", args...) }
	r := &runs{root: root, work: work, c: c, log: io.Discard, progress: progress}
	if c.verbose {
		r.log = stderr
	}
	if c.only != "k42" {
		r.linuxTool = filepath.Join(work, "linux")
		progress("building the Linux peer (benchmarks/linux)")
		if err := goBuild(root, r.linuxTool, "./benchmarks/linux", stderr); err != nil {
			return err
		}
	}
	sum := &Summary{Context: results.NewContext(root, c.smp, c.mem), Command: commandLine(os.Args[1:]),
		Flags: c.flags, Env: c.env, Timeout: c.timeout.String()}
	if sum.Env == nil {
		sum.Env = []string{}
	}
	sum.Trees = []string{}
	for _, t := range c.trees {
		sum.Trees = append(sum.Trees, t.Host+":"+t.Guest)
	}
	for _, pkg := range c.pkgs {
		p := &Package{Name: pkg}
		if c.only != "linux" {
			progress("%s on k42", pkg)
			p.K42 = r.k42(pkg)
			progress("%s on k42: %s", pkg, p.K42.brief())
		}
		if c.only != "k42" {
			progress("%s on Linux", pkg)
			p.Linux = r.linux(pkg)
			progress("%s on Linux: %s", pkg, p.Linux.brief())
		}
		p.compare()
		printPackage(stdout, p)
		sum.Packages = append(sum.Packages, p)
		if err := writeSummary(c.out, sum); err != nil {
			return err
		}
	}
	printTable(stdout, sum.Packages)
	rel, _ := filepath.Rel(root, c.out)
	progress("wrote %s; the outputs are in %s", rel, workDir)
	return nil
}

func writeSummary(path string, sum *Summary) error {
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// commandLine is the command as a user would type it again.
func commandLine(argv []string) string {
	words := []string{"go", "run", "./benchmarks/gotests"}
	for _, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

func goBuild(root, out, pkg string, log io.Writer) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	return nil
}
