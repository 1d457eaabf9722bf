// Command kernel runs the in-kernel benchmarks (the test image's boot
// argument bench: kernel/kbench) and records them: it boots the kernel
// -rounds times, takes the results-format lines from its output, adds
// the run's context, writes benchmarks/results/kernel-DATE.jsonl and
// regenerates benchmarks/RESULTS.md. It runs on the host.
//
//	go run ./benchmarks/kernel [-smp 4] [-m 512M] [-rounds 1] [-timeout 10m] [-group fcm] [-no-write]
//
// -group fcm runs only the FCMs' suite (mm/fcm/fcmbench), written as
// benchmarks/results/fcm-DATE.jsonl; -group table1 only the paper's
// Table 1 (reconfig/bench's Table1), as table1-DATE.jsonl.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"k42/benchmarks/results"
	"k42/qemu/runner"
)

func main() {
	smp := flag.Int("smp", 4, "CPUs")
	mem := flag.String("m", "512M", "memory")
	rounds := flag.Int("rounds", 1, "boots")
	timeout := flag.Duration("timeout", 10*time.Minute, "per boot")
	noWrite := flag.Bool("no-write", false, "print the records; do not write results or RESULTS.md")
	group := flag.String("group", "", "run one group of benchmarks (fcm, table1)")
	flag.Parse()
	if *group != "" && *group != "fcm" && *group != "table1" {
		fmt.Fprintf(os.Stderr, "benchmarks/kernel: -group %q: the groups are fcm and table1\n", *group)
		os.Exit(2)
	}
	if err := run(*smp, *mem, *rounds, *timeout, *group, *noWrite); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks/kernel:", err)
		os.Exit(1)
	}
}

func run(smp int, mem string, rounds int, timeout time.Duration, group string, noWrite bool) error {
	root, err := runner.ModuleRoot()
	if err != nil {
		return err
	}
	img, _, err := runner.BuildKernel(root, "./kernel/k42test", "k42test", os.Stderr)
	if err != nil {
		return err
	}
	ctx := results.NewContext(root, smp, mem)
	name, bootargs := "kernel", []string{"bench"}
	command := fmt.Sprintf("go run ./benchmarks/kernel -smp %d -m %s -rounds %d", smp, mem, rounds)
	if group != "" {
		name, bootargs = group, append(bootargs, group)
		command += " -group " + group
	}
	id := results.RunID(name, ctx.Date)
	var all []results.Record
	for r := 1; r <= rounds; r++ {
		fmt.Fprintf(os.Stderr, "benchmarks/kernel: boot %d of %d\n", r, rounds)
		var out bytes.Buffer
		res, err := runner.Run(&runner.Machine{Image: img, CPUs: smp, Memory: mem, Timeout: timeout,
			Bootargs: append(bootargs, "k42.env.K42_HOST_CORES="+strconv.Itoa(runtime.NumCPU())),
			Stdout:   &out, Stderr: os.Stderr})
		if err != nil {
			return err
		}
		if res.Status != 0 {
			return fmt.Errorf("the benchmarks exited with status %d", res.Status)
		}
		recs, err := results.Scan(&out)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return fmt.Errorf("the benchmarks printed no results")
		}
		for i := range recs {
			if rounds > 1 {
				recs[i].Round = r
			}
			recs[i].GOARCH = "ppc64"
		}
		all = append(all, recs...)
	}
	results.Stamp(all, "k42", id, command, ctx)
	if noWrite {
		for _, r := range all {
			fmt.Printf("%s %s = %s %s\n", r.Workload, r.Metric, results.Number(r.Value), r.Unit)
		}
		return nil
	}
	path := filepath.Join(root, results.Dir, id+".jsonl")
	if err := results.WriteFile(path, all); err != nil {
		return err
	}
	if _, err := results.Update(filepath.Join(root, results.Dir), filepath.Join(root, "benchmarks", "RESULTS.md"), true); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchmarks/kernel: wrote %s and regenerated benchmarks/RESULTS.md\n", path)
	return nil
}
