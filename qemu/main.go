// Command qemu is the host-side runner: it builds a kernel image, boots
// it under QEMU's pseries machine, streams the console, enforces a
// timeout and exits with the kernel's own exit status. `make runner`
// builds it as bin/k42, which keeps every status; `go run ./qemu` works
// too, but go run turns every non-zero status into 1.
//
//	bin/k42 [-smp N] [-m SIZE] [-timeout D] [-app PATH | -test PKG] [-fs HOST[:GUEST]] [-env KEY=VALUE] [-v | -log FILE] [-build]
//	    [-disk FILE [-disk-size SIZE] [-disk-iops N] [-disk-bps BYTES] [-disk-cache MODE]] [-gdb [-gdb-port N]] -- BOOTARGS...
//
// Without -app it boots the default kernel (./kernel/k42: the console,
// the in-kernel tests and benchmarks). With -app it builds the Go main
// package at PATH (a directory or a .go file, written for Linux) linked
// with the kernel, and runs it with os.Args = [name, BOOTARGS...].
//
// The runner's standard output carries exactly the program's standard
// output (fd 1) and its standard error exactly the program's fd 2, plus
// the kernel's reports that end a boot (a fault, out of memory, a failed
// boot) and the runner's own complaints; so 2>&1 shows what the program
// printed. The console (routine kernel messages, the echo of console
// input) and QEMU's messages go to a log file (-log; by default
// k42-console.log in the temporary directory), or to standard error with
// -v or when the boot is the default kernel's interactive console.
//
// -disk FILE (repeatable) attaches a raw image as a virtio block device
// (runner.DiskFlags, runner.DiskArgs); a missing FILE is created sparse.
// -gdb starts QEMU stopped with its gdb server on -gdb-port (default
// 1234), prints the gdb-multiarch command that attaches with the
// kernel's symbols, and ignores -timeout.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k42/qemu/runner"
)

// treeFlags collects -fs HOST[:GUEST].
type treeFlags []runner.Tree

func (f *treeFlags) String() string { return fmt.Sprint(*f) }
func (f *treeFlags) Set(v string) error {
	t, err := runner.ParseTree(v)
	if err != nil {
		return err
	}
	*f = append(*f, t)
	return nil
}

// envFlags collects -env KEY=VALUE.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, " ") }
func (e *envFlags) Set(v string) error {
	k, _, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE with a non-empty KEY", v)
	}
	*e = append(*e, v)
	return nil
}

func main() {
	fs := flag.NewFlagSet("k42", flag.ContinueOnError)
	smp := fs.Int("smp", 1, "number of CPUs (1 to 64)")
	mem := fs.String("m", "512M", "guest memory (QEMU -m syntax)")
	timeout := fs.Duration("timeout", 0, "stop QEMU after this long (exit status 124); 0 = no limit")
	app := fs.String("app", "", "Go main package (directory or .go file) to run as the kernel's program")
	buildOnly := fs.Bool("build", false, "build the image and print its path; do not boot")
	testPkg := fs.String("test", "", "run the tests of this package (a standard-library package, one of this module's, or a directory) as go test would; the arguments after -- are the test binary's flags")
	var env envFlags
	fs.Var(&env, "env", "add KEY=VALUE to the program's environment (repeatable)")
	verbose := fs.Bool("v", false, "show the console (kernel messages) and QEMU's messages on standard error")
	logFile := fs.String("log", "", "write the console and QEMU's messages to this file (default: "+defaultLog()+")")
	fs.BoolVar(&icount, "icount", false, "count guest time in instructions (QEMU -icount shift=0: one instruction, one nanosecond), so that benchmarks report deterministic path lengths instead of emulated time")
	var trees treeFlags
	fs.Var(&trees, "fs", "copy the host tree HOST into the guest's file system at GUEST (default: the same path) (repeatable)")
	var diskFlags runner.DiskFlags
	diskFlags.Register(fs)
	gdb := fs.Bool("gdb", false, "start QEMU stopped, waiting for gdb on -gdb-port; print the gdb-multiarch command that attaches with the kernel's symbols; no -timeout")
	gdbPort := fs.Int("gdb-port", runner.DefaultGDBPort, "with -gdb: the TCP port `N` of QEMU's gdb server")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: k42 [flags] -- BOOTARGS...\n\nboot arguments of the default kernel: info, test [REGEXP], bench, crash=fault, crash=panic, crash=nil; none: the console\n\nexit status: the program's own; 2 Go panic; 3 kernel fault; 4 boot failed; 128+N killed by signal N (137: out of memory); 64 refused by the runner; 124 timeout; 125 QEMU ended without a status\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(runner.StatusUsage)
	}
	if *smp < 1 || *smp > 64 {
		fmt.Fprintf(os.Stderr, "k42 runner: -smp %d: the machine needs 1 to 64 CPUs\n", *smp)
		os.Exit(runner.StatusUsage)
	}
	if _, err := runner.MemoryBytes(*mem); err != nil {
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		os.Exit(runner.StatusUsage)
	}
	var words []string
	for _, kv := range env {
		words = append(words, "k42.env."+kv)
	}
	if *testPkg != "" && *app != "" {
		fmt.Fprintln(os.Stderr, "k42 runner: -app and -test are exclusive")
		os.Exit(runner.StatusUsage)
	}
	if *verbose && *logFile != "" {
		fmt.Fprintln(os.Stderr, "k42 runner: -v and -log are exclusive")
		os.Exit(runner.StatusUsage)
	}
	// The disks are checked (and missing images created) before the
	// build, so that a bad -disk fails at once; -build boots nothing.
	disks, err := diskFlags.Disks()
	if err == nil && !*buildOnly {
		disks, err = runner.PrepareDisks(disks, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		os.Exit(runner.StatusUsage)
	}
	port := 0
	if *gdb {
		if err := runner.CheckGDBPort(*gdbPort); err != nil {
			fmt.Fprintln(os.Stderr, "k42 runner:", err)
			os.Exit(runner.StatusUsage)
		}
		port = *gdbPort
		if *timeout != 0 {
			fmt.Fprintf(os.Stderr, "k42 runner: -gdb: ignoring -timeout %v (a debugging session takes its time)\n", *timeout)
			*timeout = 0
		}
	} else if isFlagSet(fs, "gdb-port") {
		fmt.Fprintln(os.Stderr, "k42 runner: -gdb-port needs -gdb")
		os.Exit(runner.StatusUsage)
	}
	console := consoleOutput{verbose: *verbose, path: *logFile}
	if !*verbose && *logFile == "" && *app == "" && *testPkg == "" && !hasProgramWords(fs.Args()) {
		console.verbose = true // the interactive console
	}
	os.Exit(run(*smp, *mem, *timeout, *app, *testPkg, trees, *buildOnly, console, machineExtras{disks, port}, append(words, fs.Args()...)))
}

// isFlagSet reports whether the command line set the flag name.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// machineExtras are the machine's devices beyond the console: disks, and
// the gdb server (port 0: none).
type machineExtras struct {
	disks   []runner.Disk
	gdbPort int
}

// icount is the -icount flag.
var icount bool

// defaultLog is where the console goes without -v or -log.
func defaultLog() string { return filepath.Join(os.TempDir(), "k42-console.log") }

// consoleOutput is where the console goes.
type consoleOutput struct {
	verbose bool   // standard error
	path    string // a log file ("" and not verbose: defaultLog)
}

// open returns the console's writer, its path (or "" for standard error)
// and a function that closes it.
func (c consoleOutput) open() (io.Writer, string, func(), error) {
	if c.verbose {
		return os.Stderr, "", func() {}, nil
	}
	p := c.path
	if p == "" {
		p = defaultLog()
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, "", nil, fmt.Errorf("-log: %w", err)
	}
	return f, p, func() { f.Close() }, nil
}

// hasProgramWords reports whether the boot arguments give the default
// kernel something to do besides its console: any word that is not a
// kernel option.
func hasProgramWords(words []string) bool {
	for _, w := range words {
		if !strings.HasPrefix(w, "k42.") {
			return true
		}
	}
	return false
}

func run(smp int, mem string, timeout time.Duration, app, testPkg string, trees []runner.Tree, buildOnly bool, console consoleOutput, extras machineExtras, bootargs []string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		return runner.StatusUsage
	}
	root, err := runner.ModuleRoot()
	if err != nil {
		return fail(err)
	}
	if err := runner.CheckBootargs(bootargs); err != nil {
		return fail(err)
	}
	var img, elf string
	if testPkg != "" {
		b, err := runner.BuildTest(root, testPkg, os.Stderr)
		if err != nil {
			return fail(err)
		}
		img, elf = b.Image, b.ELF
		// The tests run in their package's directory, which comes along
		// with its testdata and the files around it, as go test runs them.
		trees = append(trees, b.Trees...)
		bootargs = append([]string{"k42.argv0=" + b.Name, "k42.cwd=" + b.Dir}, bootargs...)
	} else if app != "" {
		a, err := runner.PrepareApp(root, app)
		if err != nil {
			return fail(fmt.Errorf("-app %s", err))
		}
		bootargs = append([]string{"k42.argv0=" + a.Name}, bootargs...)
		if img, elf, err = a.Build(root, os.Stderr); err != nil {
			return fail(err)
		}
	} else {
		pkg, name := runner.KernelImageFor(bootargs)
		if img, elf, err = runner.BuildKernel(root, pkg, name, os.Stderr); err != nil {
			return fail(err)
		}
	}
	if buildOnly {
		fmt.Println(img)
		return 0
	}
	con, logPath, closeLog, err := console.open()
	if err != nil {
		return fail(err)
	}
	defer closeLog()
	if extras.gdbPort != 0 {
		fmt.Fprintf(os.Stderr, "k42 runner: QEMU waits for a debugger on port %d; attach with:\n", extras.gdbPort)
		fmt.Fprintln(os.Stderr, runner.GDBCommand(elf, extras.gdbPort))
	}
	res, err := runner.Run(&runner.Machine{
		Image: img, CPUs: smp, Memory: mem, Timeout: timeout, Bootargs: bootargs, Files: trees, ICount: icount,
		Disks: extras.disks, GDBPort: extras.gdbPort,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Console: con,
	})
	if logPath != "" && (err != nil || res.Status == runner.StatusTimeout || res.Status == runner.StatusNoReport) {
		fmt.Fprintln(os.Stderr, "k42 runner: the console log is", logPath)
	}
	if err != nil {
		var ue *runner.UsageError
		if errors.As(err, &ue) {
			return fail(err)
		}
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		return runner.StatusNoReport
	}
	return res.Status
}
