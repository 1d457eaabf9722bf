// Command boottime measures how long the kernel takes to boot to the info
// line, as the host sees it (QEMU start to the JSON line on the runner's
// standard output) and as the kernel reports it (boot_ms: from its first
// instruction, by the timebase), over -n boots. It writes the medians as
// results records (experiment "boot") to benchmarks/results/boot-DATE.jsonl
// and regenerates benchmarks/RESULTS.md; -no-write prints them instead.
//
//	go run ./benchmarks/boottime [-n 5] [-smp 1] [-m 512M] [-no-write]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"k42/benchmarks/results"
	"k42/kernel"
	"k42/qemu/runner"
)

// firstLine records when the first line arrives.
type firstLine struct {
	mu  sync.Mutex
	buf bytes.Buffer
	at  time.Time
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at.IsZero() && bytes.IndexByte(p, '\n') >= 0 {
		f.at = time.Now()
	}
	return f.buf.Write(p)
}

func main() {
	n := flag.Int("n", 5, "boots")
	smp := flag.Int("smp", 1, "CPUs")
	mem := flag.String("m", "512M", "memory")
	noWrite := flag.Bool("no-write", false, "print the records; do not write results or RESULTS.md")
	flag.Parse()
	root, err := runner.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	img, _, err := runner.BuildKernel(root, "./kernel/k42", "k42", os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var host, kern []float64
	for i := 0; i < *n; i++ {
		out := &firstLine{}
		start := time.Now()
		res, err := runner.Run(&runner.Machine{Image: img, CPUs: *smp, Memory: *mem, Timeout: time.Minute,
			Bootargs: []string{"info"}, Stdout: out, Stderr: io.Discard})
		if err != nil || res.Status != 0 {
			fmt.Fprintln(os.Stderr, "boot failed:", err, res.Status)
			os.Exit(1)
		}
		var info kernel.Info
		if err := json.Unmarshal(out.buf.Bytes(), &info); err != nil {
			fmt.Fprintln(os.Stderr, "bad info line:", out.buf.String())
			os.Exit(1)
		}
		host = append(host, float64(out.at.Sub(start).Milliseconds()))
		kern = append(kern, float64(info.BootMs))
	}
	med := func(x []float64) float64 { sort.Float64s(x); return x[len(x)/2] }
	ctx := results.NewContext(root, *smp, *mem)
	id := results.RunID("boot", ctx.Date)
	recs := []results.Record{
		{Experiment: "boot", Workload: "boot_to_info_host", Metric: "median", Value: med(host), Unit: "ms", N: *n},
		{Experiment: "boot", Workload: "boot_to_info_kernel", Metric: "median", Value: med(kern), Unit: "ms", N: *n},
	}
	results.Stamp(recs, "k42", id, fmt.Sprintf("go run ./benchmarks/boottime -n %d -smp %d -m %s", *n, *smp, *mem), ctx)
	if *noWrite {
		json.NewEncoder(os.Stdout).Encode(recs)
		return
	}
	if err := results.WriteFile(filepath.Join(root, results.Dir, id+".jsonl"), recs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := results.Update(filepath.Join(root, results.Dir), filepath.Join(root, "benchmarks", "RESULTS.md"), true); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
