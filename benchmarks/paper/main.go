// Command paper runs the K42 paper's evaluation (§6) on k42 and beside
// Linux on the same QEMU: Table 1 (interposition's costs, in the kernel:
// kernel/kbench's table1 group), Figure 4 (null FCM swaps during 4-way
// SDET), Figure 5 (single against replicated FCMs under Postmark and
// SDET), Figure 6 (Postmark under shared sessions, exclusive sessions and
// the small-file cache), Figure 7 (1-way SDET against streaming readers
// on a throttled disk) and the same workloads on Linux (tmpfs, and ext4 on
// the same throttled virtio disk). It runs on the host.
//
//	go run ./benchmarks/paper [-quick] [-only table1,fig4,fig5,fig6,fig7,linux] [-rounds N] [-smp 4] [-m 512M] [-timeout D] [-no-write]
//
// Every experiment boots the kernel through the runner with boot
// arguments: Table 1 the test image with "bench table1"; the others
// k42 with the program benchmarks/paper/guest, which runs the workloads
// (benchmarks/workloads/postmark, benchmarks/workloads/sdet) in every
// configuration of the experiment in turn, round after round, selecting
// each through /proc/k42/ctl, so that ratios come from one boot. The
// boots go through benchmarks/linux (built once into .build/bin), which
// also boots Linux with the same program for the linux experiment.
//
// The records are written to benchmarks/results/EXPERIMENT-DATE.jsonl (one
// date for the whole run); then benchmarks/RESULTS.md and the figures'
// PNGs (benchmarks/figures/) are regenerated from every results file
// (package k42/benchmarks/results). -quick is make bench-quick: smaller
// workloads, one round, fewer streams. Progress goes to standard error.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k42/benchmarks/results"
	"k42/qemu/runner"
)

type options struct {
	quick   bool
	only    []string
	rounds  int
	smp     int
	mem     string
	timeout time.Duration
	noWrite bool
}

var allExperiments = []string{"table1", "fig4", "fig5", "fig6", "fig7", "linux"}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("paper", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.quick, "quick", false, "the reduced run of make bench-quick: smaller workloads, one round")
	only := fs.String("only", "", "comma-separated experiments to run (default all: "+strings.Join(allExperiments, ",")+")")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds of every configuration within a boot (default 5; -quick 1); the linux experiment boots each side this many times (default 3; -quick 1)")
	fs.IntVar(&o.smp, "smp", 4, "guest CPUs")
	fs.StringVar(&o.mem, "m", "512M", "guest memory")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "stop a boot after this long")
	fs.BoolVar(&o.noWrite, "no-write", false, "print the records; write no results, figures or RESULTS.md")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.only = allExperiments
	if *only != "" {
		o.only = strings.Split(*only, ",")
		for _, e := range o.only {
			if !slices.Contains(allExperiments, e) {
				return o, fmt.Errorf("-only: no experiment %q (want %s)", e, strings.Join(allExperiments, ", "))
			}
		}
	}
	switch {
	case o.rounds < 0:
		return o, errors.New("-rounds must be at least 1")
	case o.smp < 4 && (slices.Contains(o.only, "fig4") || slices.Contains(o.only, "fig5") || slices.Contains(o.only, "linux")):
		return o, fmt.Errorf("-smp %d: 4-way SDET needs at least 4 CPUs", o.smp)
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paper:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "paper:", err)
		os.Exit(1)
	}
}

// The disks, sparse images throttled by QEMU, with cache=none so that
// the host's page cache does not serve the misses; both kernels' disks
// get the same options (benchmarks/linux passes them to each).
//
// The ext4 comparison's: 32 MiB/s and 4,000 requests a second.
//
// Figure 7's: 4 MiB/s and 1,000 requests a second, the cost of the
// paper's streams, which ran over NFS (a file server on a shared
// 100 Mbit/s network). So slow a disk keeps the streaming readers waiting
// on it, as NFS clients wait, rather than taking the emulator's CPUs from
// SDET: what they take from SDET is the page cache.
const (
	diskSize     = "2G"
	diskIOPS     = "4000"
	diskBPS      = "32M"
	fig7DiskIOPS = "1000"
	fig7DiskBPS  = "4M"
)

// Figure 7's page cache: small, so that streams of files half again its
// size fill it while SDET's working set (a few MiB) fits.
func fig7PageCache(quick bool) string {
	if quick {
		return "8M"
	}
	return "32M"
}

// boot is one call of benchmarks/linux: its flags and the guest's.
type boot struct {
	what  string   // for the progress lines
	flags []string // benchmarks/linux's
	guest []string // the guest program's
}

func (o options) boots(exp string) []boot {
	common := []string{"-smp", strconv.Itoa(o.smp), "-m", o.mem, "-timeout", o.timeout.String(), "-app", "./benchmarks/paper/guest", "-keep-configs"}
	guest := []string{"-exp", exp}
	if o.quick {
		guest = append(guest, "-quick")
	}
	if o.rounds > 0 {
		guest = append(guest, "-rounds", strconv.Itoa(o.rounds))
	}
	disk := func(name string) []string {
		iops, bps := diskIOPS, diskBPS
		if name == "fig7" {
			iops, bps = fig7DiskIOPS, fig7DiskBPS
		}
		return []string{"-disk", filepath.Join(".build", "paper", name+".img"), "-disk-size", diskSize,
			"-disk-iops", iops, "-disk-bps", bps, "-disk-cache", "none", "-disk-fs", "ext4"}
	}
	switch exp {
	case "fig7":
		flags := append(append(append([]string{"-only", "k42", "-rounds", "1"}, common...), disk("fig7")...),
			"-k42-params", "k42.pagecache="+fig7PageCache(o.quick))
		return []boot{{"k42 on a throttled disk", flags, append(guest, "-dir", "/mnt")}}
	case "linux":
		sides := "1"
		if !o.quick {
			sides = "3"
		}
		if o.rounds > 0 {
			sides = strconv.Itoa(o.rounds)
		}
		g := []string{"-exp", "linux", "-rounds", "1"}
		if o.quick {
			g = append(g, "-quick")
		}
		withRounds := append([]string{"-rounds", sides}, common...)
		return []boot{
			{"k42 (memory store) and Linux (tmpfs)", withRounds, append(g, "-store", "tmpfs")},
			{"k42 and Linux (ext4) on the same throttled disk", append(withRounds, disk("linux")...), append(g, "-store", "disk", "-dir", "/mnt")},
		}
	}
	return []boot{{"k42", append([]string{"-only", "k42", "-rounds", "1"}, common...), guest}}
}

func run(o options) error {
	root, err := runner.ModuleRoot()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, ".build", "paper"), 0o755); err != nil {
		return err
	}
	date := time.Now().UTC().Format(time.RFC3339)
	ctx := results.NewContext(root, o.smp, o.mem)
	ctx.Date = date
	tool := filepath.Join(root, ".build", "bin", "benchlinux")
	if slices.ContainsFunc(o.only, func(e string) bool { return e != "table1" }) {
		cmd := exec.Command("go", "build", "-o", tool, "./benchmarks/linux")
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building benchmarks/linux: %w", err)
		}
	}
	var failed []string
	var written []string
	t0 := time.Now()
	for _, exp := range o.only {
		fmt.Fprintf(os.Stderr, "paper: %s (%.0f s so far)\n", exp, time.Since(t0).Seconds())
		var recs []results.Record
		var err error
		if exp == "table1" {
			recs, err = table1(root, o, ctx)
		} else {
			recs, err = o.experiment(root, tool, exp, ctx)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "paper: %s failed: %v\n", exp, err)
			failed = append(failed, exp)
			continue
		}
		if o.noWrite {
			for _, r := range recs {
				fmt.Printf("%s\t%s\t%s\t%s\t%s %s\n", r.Experiment, r.Config, r.Workload, r.Metric, results.Number(r.Value), r.Unit)
			}
			continue
		}
		path := filepath.Join(root, results.Dir, results.RunID(exp, date)+".jsonl")
		if err := results.WriteFile(path, recs); err != nil {
			return err
		}
		written = append(written, path)
	}
	if len(written) > 0 {
		if _, err := results.Update(filepath.Join(root, results.Dir), filepath.Join(root, "benchmarks", "RESULTS.md"), true); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "paper: wrote %s; regenerated benchmarks/RESULTS.md and its figures in %.0f s\n", strings.Join(written, ", "), time.Since(t0).Seconds())
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed (above)", strings.Join(failed, ", "))
	}
	return nil
}

// experiment boots what exp needs through benchmarks/linux and returns the
// records, stamped with the run's context and command.
func (o options) experiment(root, tool, exp string, ctx results.Context) ([]results.Record, error) {
	var all []results.Record
	for i, b := range o.boots(exp) {
		out := filepath.Join(root, ".build", "paper", fmt.Sprintf("%s-%d.jsonl", exp, i))
		os.Remove(out)
		args := append(append(append([]string{}, b.flags...), "-o", out, "--"), b.guest...)
		fmt.Fprintf(os.Stderr, "paper: %s: %s: benchlinux %s\n", exp, b.what, strings.Join(args, " "))
		cmd := exec.Command(tool, args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s: %w", b.what, err)
		}
		recs, err := results.ReadFile(out)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	// One run: the boots' records keep their configurations and rounds
	// and take this run's name, command and context.
	id, command := results.RunID(exp, ctx.Date), o.command(exp)
	for i := range all {
		all[i].Experiment, all[i].Run, all[i].Command, all[i].Context = exp, id, command, ctx
	}
	return all, nil
}

// command is the command line that reruns exp as this run ran it.
func (o options) command(exp string) string {
	c := "go run ./benchmarks/paper -only " + exp
	if o.quick {
		c += " -quick"
	}
	if o.rounds > 0 {
		c += " -rounds " + strconv.Itoa(o.rounds)
	}
	return c + fmt.Sprintf(" -smp %d -m %s", o.smp, o.mem)
}

// table1 boots the test image with "bench table1" (kernel/kbench).
func table1(root string, o options, ctx results.Context) ([]results.Record, error) {
	img, _, err := runner.BuildKernel(root, "./kernel/k42test", "k42test", os.Stderr)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	res, err := runner.Run(&runner.Machine{Image: img, CPUs: o.smp, Memory: o.mem, Timeout: o.timeout,
		Bootargs: []string{"bench", "table1"}, Stdout: &out, Stderr: os.Stderr})
	if err != nil {
		return nil, err
	}
	if res.Status != 0 {
		return nil, fmt.Errorf("the benchmark exited with status %d", res.Status)
	}
	recs, err := results.Scan(&out)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("the benchmark printed no results")
	}
	for i := range recs {
		recs[i].GOARCH = "ppc64"
	}
	results.Stamp(recs, "k42", results.RunID("table1", ctx.Date), o.command("table1"), ctx)
	return recs, nil
}
