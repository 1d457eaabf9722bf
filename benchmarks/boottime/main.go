// Command boottime measures how long the kernel takes to boot to the info
// line, as the host sees it (QEMU start to the JSON line on the runner's
// standard output) and as the kernel reports it (boot_ms: from its first
// instruction, by the timebase). It prints one JSON line.
//
//	go run ./benchmarks/boottime [-n 5] [-smp 1] [-m 512M]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

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
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"name": "boot_to_info", "n": *n, "cpus": *smp, "mem": *mem,
		"host_ms_median": med(host), "kernel_boot_ms_median": med(kern),
	})
}
