// Command linux measures k42 against Linux on the same QEMU: it boots
// k42 with a benchmark program as its -app and Debian's ppc64el Linux
// kernel with the same program as a process under a small init, both
// with the same -smp and -m, writes both sides' figures to one results
// file under benchmarks/results/ and regenerates benchmarks/RESULTS.md
// (package k42/benchmarks/results). It runs on the host.
//
//	go run ./benchmarks/linux [-smp N] [-m SIZE] [-rounds N] [-timeout D] [-app PATH] [-only k42|linux]
//	    [-fetch] [-kernel VMLINUX] [-linux-params WORDS] [-k42-params WORDS] [-no-write]
//	    [-disk FILE [-disk-size SIZE] [-disk-iops N] [-disk-bps BYTES] [-disk-cache MODE] [-disk-fs ext4]]
//	    [-keep-configs] [-o FILE] [-- PROGRAM-ARGS...]
//	go run ./benchmarks/linux -test PKG [-smp N] [-m SIZE] [-timeout D] [-env KEY=VALUE] [-fs HOST[:GUEST]] [-- TESTFLAGS...]
//
// The Linux kernel is fetched once with apt (see fetchKernel; it needs
// root or sudo) and cached as .build/linux/vmlinux; -fetch only does
// that. The initramfs (.build/linux/initrd.cpio, written by package
// k42/qemu/runner/cpio) holds /init (k42/benchmarks/linux/pid1) and
// the program as /bench, both built for linux/ppc64le; k42 runs the
// big-endian linux/ppc64 build of the same source. QEMU's machine flags
// are the runner's (runner.MachineArgs). Each side boots -rounds times
// (default 3), alternating which goes first, because under TCG a figure
// moves more between boots than within one. The program's JSON lines
// become results records with config "k42" or "linux" and their round.
//
// With -test PKG it runs PKG's tests instead, on Linux only, as bin/k42
// -test PKG does on k42 (see gotest.go): go test -c for linux/ppc64le, run
// in PKG's source directory with the flags after "--". The test binary's
// output (its standard output and error, merged on the console) is the
// command's standard output; the exit status is the test binary's, 124
// when Linux did not finish within -timeout, 125 when QEMU ended without
// a status, 64 when the tests could not be built or booted (2 for a bad
// flag, as in every mode); go run turns every status but 0 into 1, so
// build the command to keep them. benchmarks/gotests runs it for its
// test-by-test comparison with k42.
//
// -linux-params adds words to Linux's command line before the "--" that
// ends it: kernel parameters such as mitigations=off, and KEY=VALUE words
// the kernel does not know, which become init's environment and so the
// program's (GOMAXPROCS=2, GODEBUG=...). k42 takes an environment
// variable as a boot argument k42.env.KEY=VALUE after the "--".
//
// -disk FILE and the other -disk flags are bin/k42's (runner.DiskFlags):
// both kernels get the same images with the same QEMU flags
// (runner.DiskArgs); see disks.go for what Linux's init does with them
// and -disk-fs ext4.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k42/benchmarks/results"
	"k42/qemu/runner"
)

// config is the command line.
type config struct {
	smp     int
	mem     string
	timeout time.Duration
	app     string
	only    string // "", "k42" or "linux"
	rounds  int    // boots of each side
	fetch   bool
	kernel  string
	params  []string // more Linux kernel parameters
	k42Opts []string // k42 kernel options (k42.NAME=VALUE), k42's side only
	noWrite bool
	keep    bool          // -keep-configs: the program names its records' configurations
	out     string        // -o: write the records here, as JSON lines, and nothing else
	icount  bool          // instruction counts: printed, never written (implies noWrite)
	args    []string      // the program's (with -test: the test binary's flags)
	command string        // the command line as recorded in the results
	test    string        // -test: the package whose tests run on Linux
	env     []string      // -test: the test binary's environment
	trees   []runner.Tree // -test: more host trees in the guest (-fs)
	disks   []runner.Disk // -disk: attached to both kernels
	diskFS  string        // -disk-fs: "" or "ext4", made on the host before every boot
}

const defaultApp = "./benchmarks/syscall"

func parseFlags(argv []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("linux", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	fs.IntVar(&c.smp, "smp", 1, "guest CPUs, for both kernels")
	fs.StringVar(&c.mem, "m", "512M", "guest memory (QEMU -m syntax), for both kernels")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Minute, "stop a boot after this long")
	fs.StringVar(&c.app, "app", defaultApp, "the benchmark: a Go main package (directory or .go file), standard library only")
	fs.StringVar(&c.only, "only", "", "run one side only: k42 or linux")
	fs.IntVar(&c.rounds, "rounds", 3, "boot each side this many times, alternating which goes first; the report shows the medians")
	fs.BoolVar(&c.fetch, "fetch", false, "fetch and cache the Linux kernel, then exit")
	fs.StringVar(&c.kernel, "kernel", "", "boot this ppc64le vmlinux instead of the cached Debian kernel")
	params := fs.String("linux-params", "", "more Linux kernel parameters, space-separated (for example mitigations=off)")
	k42Opts := fs.String("k42-params", "", "k42 kernel options for k42's side, space-separated k42.NAME=VALUE words (for example k42.store=memory, so that a benchmark may use /dev/vda raw)")
	fs.BoolVar(&c.icount, "icount", false, "count guest time in instructions on both kernels (QEMU -icount shift=0), so that the figures are deterministic path lengths; printed only, never written to results")
	fs.BoolVar(&c.noWrite, "no-write", false, "print the records; write no results file and leave RESULTS.md alone")
	fs.BoolVar(&c.keep, "keep-configs", false, "keep the configurations the program gives its records (benchmarks/paper's guest names k42's; Linux's name their file system) instead of making them the workload's qualifier; a record without one gets the kernel's name")
	fs.StringVar(&c.out, "o", "", "write the records, with the run's context, as JSON lines to this file instead of a results file under benchmarks/results/, and leave RESULTS.md alone (benchmarks/paper gathers its runs so)")
	fs.StringVar(&c.test, "test", "", "run the tests of this package (go test -c) on Linux in its source directory, as bin/k42 -test does on k42; the arguments after -- are the test binary's flags")
	fs.Func("fs", "with -test: copy the host tree HOST into the guest at GUEST (default: the same path), as bin/k42 -fs does (repeatable)", func(v string) error {
		t, err := runner.ParseTree(v)
		if err != nil {
			return err
		}
		c.trees = append(c.trees, t)
		return nil
	})
	fs.Func("env", "with -test: add KEY=VALUE to the test binary's environment, which is otherwise empty as on k42 (repeatable)", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("%q: want KEY=VALUE with a non-empty KEY", v)
		}
		c.env = append(c.env, v)
		return nil
	})
	var diskFlags runner.DiskFlags
	diskFlags.Register(fs)
	fs.StringVar(&c.diskFS, "disk-fs", "", "make this file system (ext4) on every -disk with mkfs.ext4 on the host before every boot, erasing it; Linux mounts the disks on /mnt, /mnt1, ...; default: raw devices")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./benchmarks/linux [flags] [-- PROGRAM-ARGS...]\n       go run ./benchmarks/linux -test PKG [flags] [-- TESTFLAGS...]\n\nboots k42 and Linux with the same benchmark program, records both, regenerates benchmarks/RESULTS.md;\nwith -test, runs PKG's tests on Linux (output on standard output, the test binary's exit status)\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(argv); err != nil {
		return nil, err
	}
	c.args = fs.Args()
	c.params = strings.Fields(*params)
	c.k42Opts = strings.Fields(*k42Opts)
	for _, w := range c.k42Opts {
		if !strings.HasPrefix(w, "k42.") || !strings.Contains(w, "=") {
			return nil, fmt.Errorf("-k42-params: %q is not a k42 option (k42.NAME=VALUE)", w)
		}
	}
	if c.icount {
		c.noWrite = true
	}
	switch {
	case c.smp < 1:
		return nil, errors.New("-smp must be at least 1")
	case c.rounds < 1:
		return nil, errors.New("-rounds must be at least 1")
	case c.mem == "":
		return nil, errors.New("-m must not be empty")
	case c.only != "" && c.only != "k42" && c.only != "linux":
		return nil, fmt.Errorf("-only %q: want k42 or linux", c.only)
	case c.test != "" && c.only == "k42":
		return nil, errors.New("-test runs on Linux only; bin/k42 -test runs the tests on k42")
	case len(c.env) > 0 && c.test == "":
		return nil, errors.New("-env needs -test (a benchmark takes KEY=VALUE words in -linux-params)")
	case len(c.trees) > 0 && c.test == "":
		return nil, errors.New("-fs needs -test")
	case !slices.Contains(diskFileSystems, c.diskFS):
		return nil, fmt.Errorf("-disk-fs %q: want ext4 (or none, for raw devices)", c.diskFS)
	case c.diskFS != "" && len(diskFlags.Paths) == 0:
		return nil, errors.New("-disk-fs needs -disk")
	case len(diskFlags.Paths) > 0 && c.test != "":
		return nil, errors.New("-disk is for the benchmarks; -test runs without disks")
	}
	var err error
	if c.disks, err = diskFlags.Disks(); err != nil {
		return nil, err
	}
	if c.only != "k42" && !c.fetch && c.test == "" {
		if _, err := kernelCommandLine(c.params, c.args); err != nil {
			return nil, err
		}
	}
	c.command = commandLine(argv)
	return c, nil
}

// commandLine is the command as a user would type it again.
func commandLine(argv []string) string {
	words := []string{"go", "run", "./benchmarks/linux"}
	for _, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "linux:", err)
		os.Exit(2)
	}
	if c.test != "" {
		os.Exit(runTestMode(c))
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "linux:", err)
		os.Exit(1)
	}
}

// runTestMode runs -test and returns the command's exit status.
func runTestMode(c *config) int {
	root, err := runner.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "linux:", err)
		return runner.StatusUsage
	}
	status, err := runTest(root, c, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "linux:", err)
	}
	return status
}

func run(c *config) error {
	root, err := runner.ModuleRoot()
	if err != nil {
		return err
	}
	if c.app == defaultApp { // the default names a folder of the module, from wherever it runs
		c.app = filepath.Join(root, defaultApp)
	}
	if c.fetch {
		p, err := fetchKernel(root, os.Stderr)
		if err == nil {
			_, err = fetchModules(root, os.Stderr)
		}
		if err == nil {
			fmt.Println(p)
		}
		return err
	}
	if len(c.disks) > 0 {
		if c.disks, err = runner.PrepareDisks(c.disks, os.Stderr); err != nil {
			return err
		}
		if c.diskFS != "" {
			if err := checkFormattable(c.disks); err != nil {
				return err
			}
			if _, err := mkfsCommand(); err != nil {
				return err
			}
		}
	}
	prepared := map[string]side{}
	for _, name := range sides(c.only, 1) {
		var s side
		var err error
		if name == "linux" {
			s, err = prepareLinux(root, c, os.Stderr)
		} else {
			s, err = prepareK42(root, c, os.Stderr)
		}
		if err != nil {
			return err
		}
		prepared[name] = s
	}
	ctx := results.NewContext(root, c.smp, c.mem)
	var recs []results.Record
	for round := 1; round <= c.rounds; round++ {
		for _, name := range sides(c.only, round) {
			fmt.Fprintf(os.Stderr, "linux: round %d of %d: %s\n", round, c.rounds, name)
			r, err := prepared[name].boot()
			if err != nil {
				return err
			}
			stamp(r, name, c, ctx)
			for i := range r {
				if r[i].Round == 0 || c.rounds > 1 {
					r[i].Round = round
				}
			}
			recs = append(recs, r...)
		}
	}
	if c.out != "" {
		return results.WriteFile(c.out, recs)
	}
	if c.noWrite {
		return writeLines(os.Stdout, recs)
	}
	path := filepath.Join(root, results.Dir, recs[0].Run+".jsonl")
	if err := results.WriteFile(path, recs); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "linux: wrote %d records to %s\n", len(recs), path)
	changed, err := results.Update(filepath.Join(root, results.Dir), filepath.Join(root, "benchmarks", "RESULTS.md"), true)
	if err != nil {
		return err
	}
	if changed {
		fmt.Fprintln(os.Stderr, "linux: regenerated benchmarks/RESULTS.md")
	}
	return writeLines(os.Stdout, recs)
}

// sides are the configurations a round boots, in order: Linux first in
// odd rounds, k42 first in even ones, so that a drift in the host's speed
// during a run does not always favour the same side.
func sides(only string, round int) []string {
	switch {
	case only != "":
		return []string{only}
	case round%2 == 1:
		return []string{"linux", "k42"}
	default:
		return []string{"k42", "linux"}
	}
}

// stamp gives one side's records their configuration and the run's
// context; the run is named after the experiment of the first record. A
// program that gives its figures a configuration of its own (the disk
// benchmark's raw or file) keeps it as a qualifier of the workload
// (disk_seq_read/raw), since the record's configuration is the kernel.
func stamp(recs []results.Record, cfg string, c *config, ctx results.Context) []results.Record {
	given := make([]string, len(recs))
	for i := range recs {
		given[i] = recs[i].Config
		if given[i] != "" && !c.keep {
			recs[i].Workload += "/" + recs[i].Config
		}
	}
	results.Stamp(recs, cfg, results.RunID(recs[0].Experiment, ctx.Date), c.command, ctx)
	if c.keep {
		for i := range recs {
			if given[i] != "" {
				recs[i].Config = given[i]
			}
		}
	}
	return recs
}

func writeLines(w io.Writer, recs []results.Record) error {
	for _, r := range recs {
		fmt.Fprintf(w, "%s\t%s %s %s\t%s %s\n", r.Config, r.Experiment, r.Workload, r.Metric, results.Number(r.Value), r.Unit)
	}
	return nil
}

// A side is one kernel that runs the program, prepared once per run and
// booted once per round.
type side interface {
	boot() ([]results.Record, error)
}

// linuxSide is Linux with the program in its initramfs.
type linuxSide struct {
	c              *config
	kernel, initrd string
	log            io.Writer
}

func prepareLinux(root string, c *config, log io.Writer) (*linuxSide, error) {
	s := &linuxSide{c: c, kernel: c.kernel, initrd: filepath.Join(root, cacheDir, "initrd.cpio"), log: log}
	if s.kernel == "" {
		var err error
		if s.kernel, err = fetchKernel(root, log); err != nil {
			return nil, err
		}
	}
	var disks *diskInit
	if len(c.disks) > 0 {
		// The modules of the fetched kernel; a kernel of one's own
		// (-kernel) is expected to have the drivers built in.
		var modules []string
		if c.kernel == "" {
			var err error
			if modules, err = fetchModules(root, log); err != nil {
				return nil, err
			}
		}
		var err error
		if disks, err = newDiskInit(len(c.disks), c.diskFS, modules); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	if err := buildInitramfs(root, c.app, s.initrd, disks, log); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "linux: initramfs built in %.1f s\n", time.Since(t0).Seconds())
	return s, nil
}

// boot boots Linux with the program and returns its records.
func (s *linuxSide) boot() ([]results.Record, error) {
	if err := formatDisks(s.c.disks, s.c.diskFS, s.log); err != nil {
		return nil, err
	}
	t0 := time.Now()
	res, err := bootLinux(&linuxMachine{Kernel: s.kernel, Initrd: s.initrd, CPUs: s.c.smp, Memory: s.c.mem, ICount: s.c.icount,
		Timeout: s.c.timeout, Args: s.c.args, Params: s.c.params, Disks: s.c.disks, Console: s.log})
	fmt.Fprintf(s.log, "linux: Linux booted, ran the program and powered off in %.1f s (init started %s s after boot)\n",
		time.Since(t0).Seconds(), res.InitAt)
	if err != nil {
		return nil, err
	}
	if res.Status != 0 {
		return nil, fmt.Errorf("the program exited with status %d on Linux", res.Status)
	}
	return scanRecords(res.Output, "Linux")
}

// k42Side is k42 with the program as its -app.
type k42Side struct {
	c         *config
	img, name string
	log       io.Writer
}

func prepareK42(root string, c *config, log io.Writer) (*k42Side, error) {
	t0 := time.Now()
	app, err := runner.PrepareApp(root, c.app)
	if err != nil {
		return nil, fmt.Errorf("-app: %w", err)
	}
	name := app.Name
	img, _, err := app.Build(root, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "linux: k42 image built in %.1f s\n", time.Since(t0).Seconds())
	return &k42Side{c: c, img: img, name: name, log: log}, nil
}

// boot boots k42 with the program and returns its records.
func (s *k42Side) boot() ([]results.Record, error) {
	// k42's side gets k42's own file system where Linux's gets ext4:
	// the first disk, formatted afresh before every boot (k42's root
	// file system, where /mnt is); the others raw.
	if s.c.diskFS != "" && len(s.c.disks) > 0 {
		if err := formatK42(s.c.disks[0].Path); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	var out bytes.Buffer
	res, err := runner.Run(&runner.Machine{Image: s.img, CPUs: s.c.smp, Memory: s.c.mem, Timeout: s.c.timeout, ICount: s.c.icount, Disks: s.c.disks,
		Bootargs: append(append([]string{"k42.argv0=" + s.name}, s.c.k42Opts...), s.c.args...), Stdout: &out, Stderr: s.log})
	fmt.Fprintf(s.log, "linux: k42 booted, ran the program and powered off in %.1f s\n", time.Since(t0).Seconds())
	if err != nil {
		return nil, err
	}
	if res.Status != 0 {
		return nil, fmt.Errorf("the program exited with status %d on k42", res.Status)
	}
	return scanRecords(out.Bytes(), "k42")
}

func scanRecords(out []byte, side string) ([]results.Record, error) {
	recs, err := results.Scan(bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("the program printed no results on %s", side)
	}
	return recs, nil
}
