package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"k42/benchmarks/workloads/sdet"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs(nil)
	want := options{
		dir:         "/tmp/sdet",
		config:      sdet.Config{Scripts: runtime.GOMAXPROCS(0), Seed: 1, SourceFiles: 200, SystemFiles: 150, Repeat: 1},
		streamSize:  64 << 20,
		streamDir:   "/tmp/sdet/streams",
		streamBlock: 64 << 10,
	}
	if err != nil || o != want {
		t.Errorf("defaults %+v, %v", o, err)
	}
	if w := o.workload(); w != "sdet-"+strconv.Itoa(runtime.GOMAXPROCS(0)) {
		t.Errorf("workload %q", w)
	}
	o, err = parseArgs([]string{"-dir", "/x", "-scripts", "4", "-seed", "9", "-source-files", "30", "-system-files", "12",
		"-repeat", "2", "-streams", "2", "-stream-size", "3M", "-stream-block", "4K", "-json"})
	want = options{
		dir:         "/x",
		config:      sdet.Config{Scripts: 4, Seed: 9, SourceFiles: 30, SystemFiles: 12, Repeat: 2},
		streams:     2,
		streamSize:  3 << 20,
		streamDir:   "/x/streams",
		streamBlock: 4 << 10,
		json:        true,
	}
	if err != nil || o != want || o.workload() != "sdet-4+streams-2" {
		t.Errorf("every flag: %+v %q, %v", o, o.workload(), err)
	}
	if o, err := parseArgs([]string{"-stream-dir", "/s", "-stream-size", "1000"}); err != nil || o.streamDir != "/s" || o.streamSize != 1000 {
		t.Errorf("-stream-dir /s -stream-size 1000: %+v %v", o, err)
	}
	for _, bad := range [][]string{
		{"-nosuch"}, {"extra"}, {"-scripts", "x"}, {"-scripts", "0"}, {"-source-files", "5"},
		{"-system-files", "-3"}, {"-repeat", "0"}, {"-streams", "-1"}, {"-stream-size", "x"},
		{"-stream-size", "-1"}, {"-stream-size", "12T"}, {"-streams", "1", "-stream-size", "0"},
		{"-stream-block", "0"}, {"-seed", "-1"}, {"-dir", ""},
	} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error of more than one line: %q", bad, err)
		}
	}
	if _, err := parseArgs([]string{"-source-files", "5"}); err == nil || !strings.Contains(err.Error(), "SourceFiles") {
		t.Errorf("-source-files 5: %v", err)
	}
	if _, err := parseArgs([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// A small run end to end, with a streaming reader: the summary, a JSON
// line a figure, the directory left as it was.
func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	o, err := parseArgs([]string{"-dir", filepath.Join(dir, "sdet"), "-scripts", "2", "-source-files", "20",
		"-system-files", "10", "-streams", "1", "-stream-size", "256K", "-json"})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(o, &out, &log); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if !strings.Contains(log.String(), "2 scripts in ") || !strings.Contains(log.String(), "100% (68/68 commands)") ||
		!strings.Contains(log.String(), "streams: 1 readers") {
		t.Errorf("summary:\n%s", log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	var rec struct {
		Experiment, Workload, Metric, Unit string
		Value                              float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Experiment != "sdet" || rec.Workload != "sdet-2+streams-1" || rec.Metric != "scripts_per_hour" ||
		rec.Unit != "scripts/h" || rec.Value <= 0 {
		t.Errorf("first record %+v", rec)
	}
	if err := json.Unmarshal([]byte(lines[4]), &rec); err != nil || rec.Metric != "stream_mb_per_s" {
		t.Errorf("fifth record %+v %v", rec, err)
	}

	// Set up over a tree already there: an error, the tree kept.
	os.MkdirAll(filepath.Join(dir, "sdet", "home"), 0o755)
	if err := run(o, &out, &log); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("run over an existing tree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sdet", "home")); err != nil {
		t.Error(err)
	}
}
