// Package results owns the benchmark results format: JSON lines, one
// object per figure, kept in files under benchmarks/results/ (one file per
// run of an experiment, named EXPERIMENT-DATE.jsonl), and the Markdown
// tables of benchmarks/RESULTS.md that are generated from them (report.go).
// It runs on the host: benchmarks/linux writes results with it and
// benchmarks/cmd/report regenerates RESULTS.md.
//
// A record is one figure of one configuration ("k42", "linux") in one run,
// with the run's context (commit, QEMU version, CPUs, memory, date, host
// cores) repeated on every line so that each line stands alone:
//
//	{"experiment":"syscall","config":"linux","workload":"getpid","metric":"median",
//	 "value":1930,"unit":"ns","n":200000,"run":"syscall-20261201T120000Z",
//	 "command":"go run ./benchmarks/linux -smp 1 -m 512M","commit":"c94b78d",
//	 "qemu":"QEMU emulator version 7.2.22 ...","cpus":1,"mem":"512M",
//	 "date":"2026-12-01T12:00:00Z","host_cores":2}
//
// Every record of one run has the same run and date: the ratios the report
// shows are taken within a run, never across runs. A run may boot each
// configuration several times (round 1, 2, ...); the report then shows
// the median over the rounds.
package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Record is one figure.
type Record struct {
	Experiment string  `json:"experiment"`
	Config     string  `json:"config"`
	Workload   string  `json:"workload"`
	Metric     string  `json:"metric"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	N          int     `json:"n,omitempty"`      // samples or operations behind Value
	GOARCH     string  `json:"goarch,omitempty"` // the measured program's
	Round      int     `json:"round,omitempty"`  // which boot of the run, from 1, when a run boots each side more than once
	Run        string  `json:"run"`              // shared by every record of one run
	Command    string  `json:"command"`          // the command that produced the run
	Context
}

// Context is where and when a run was made.
type Context struct {
	Commit    string `json:"commit"` // git rev-parse --short HEAD, "-dirty" with uncommitted changes (other than results)
	QEMU      string `json:"qemu"`   // first line of qemu-system-ppc64 --version
	CPUs      int    `json:"cpus"`   // the guest's (-smp)
	Mem       string `json:"mem"`    // the guest's (-m)
	Date      string `json:"date"`   // RFC 3339, UTC, when the run started
	HostCores int    `json:"host_cores"`
}

// Dir is the results folder, relative to the module root.
const Dir = "benchmarks/results"

// NewContext describes a run starting now in the repository at root.
func NewContext(root string, cpus int, mem string) Context {
	return Context{
		Commit:    gitCommit(root),
		QEMU:      qemuVersion(),
		CPUs:      cpus,
		Mem:       mem,
		Date:      time.Now().UTC().Format(time.RFC3339),
		HostCores: runtime.NumCPU(),
	}
}

func gitCommit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	// What the runs themselves write does not make the measured code dirty.
	diff := exec.Command("git", "diff", "--quiet", "HEAD", "--", ".", ":!"+Dir, ":!benchmarks/RESULTS.md")
	diff.Dir = root
	if err := diff.Run(); err != nil {
		commit += "-dirty"
	}
	return commit
}

func qemuVersion() string {
	out, err := exec.Command("qemu-system-ppc64", "--version").Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// RunID names a run of experiment started at date (RFC 3339): it is also
// the base of the run's file name.
func RunID(experiment, date string) string {
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return experiment + "-" + date
	}
	return experiment + "-" + t.UTC().Format("20060102T150405Z")
}

// Scan takes the records out of a program's output: lines holding a JSON
// object with an experiment, wherever they are among other lines (such
// as a console's kernel messages). Lines that are not such objects are
// skipped; carriage returns are dropped.
func Scan(r io.Reader) ([]Record, error) {
	var out []Record
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := bytes.TrimSpace(s.Bytes())
		i := bytes.IndexByte(line, '{')
		if i < 0 || line[len(line)-1] != '}' {
			continue
		}
		var rec Record
		if json.Unmarshal(line[i:], &rec) != nil || rec.Experiment == "" {
			continue
		}
		out = append(out, rec)
	}
	return out, s.Err()
}

// ReadFile reads a results file strictly: every non-empty line must be a
// record with an experiment, a config, a workload, a metric and a unit.
// A record without a run takes the file's base name as its run.
func ReadFile(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	run := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var out []Record
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var rec Record
		dec := json.NewDecoder(strings.NewReader(line))
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		if rec.Experiment == "" || rec.Config == "" || rec.Workload == "" || rec.Metric == "" || rec.Unit == "" {
			return nil, fmt.Errorf("%s:%d: a record needs experiment, config, workload, metric and unit", path, i+1)
		}
		if rec.Run == "" {
			rec.Run = run
		}
		out = append(out, rec)
	}
	return out, nil
}

// ReadDir reads every *.jsonl file in dir, in name order. A missing dir
// holds no records.
func ReadDir(dir string) ([]Record, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Record
	for _, f := range files {
		recs, err := ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// WriteFile writes records as JSON lines to path, creating its folder.
func WriteFile(path string, recs []Record) error {
	if len(recs) == 0 {
		return errors.New("results: no records to write")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// Stamp gives every record the configuration, run, command and context.
func Stamp(recs []Record, config, run, command string, ctx Context) {
	for i := range recs {
		recs[i].Config, recs[i].Run, recs[i].Command, recs[i].Context = config, run, command, ctx
	}
}
