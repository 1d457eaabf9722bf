package main

import (
	"bytes"
	"encoding/json"
	"k42/benchmarks/workloads/postmark"
	"os"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs(nil)
	want, _ := postmark.Preset("1k")
	if err != nil || o.config != want || o.dir != "/tmp" || o.n != 1 || o.json || o.workload != "postmark-1k" {
		t.Errorf("defaults %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-preset", "10k", "-n", "4", "-json"})
	want, _ = postmark.Preset("10k")
	if err != nil || o.config != want || o.n != 4 || !o.json || o.workload != "postmark-10k-nway4" {
		t.Errorf("-preset 10k -n 4: %+v, %v", o, err)
	}
	// A flag at the preset's own value leaves it the preset.
	if o, err := parseArgs([]string{"-files", "1000"}); err != nil || o.workload != "postmark-1k" {
		t.Errorf("-files 1000: %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-files", "7", "-transactions", "9", "-min", "10", "-max", "20",
		"-read-block", "3", "-write-block", "4", "-read-bias", "10", "-create-bias", "0", "-subdirs", "0", "-seed", "5"})
	c := postmark.Config{Files: 7, Transactions: 9, MinSize: 10, MaxSize: 20, ReadBlock: 3, WriteBlock: 4, ReadBias: 10, CreateBias: 0, Subdirs: 0, Seed: 5}
	if err != nil || o.config != c || o.workload != "postmark-custom" {
		t.Errorf("every field: %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-preset", "10k", "-scale", "0.01"})
	if err != nil || o.config.Files != 100 || o.config.Transactions != 500 || o.workload != "postmark-custom" {
		t.Errorf("-scale 0.01: %+v, %v", o, err)
	}
	for _, bad := range [][]string{
		{"-nosuch"}, {"extra"}, {"-files", "x"}, {"-preset", "2k"}, {"-min", "9000"},
		{"-read-bias", "11"}, {"-write-block", "0"}, {"-n", "0"}, {"-scale", "0"}, {"-files", "-1"},
	} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error of more than one line: %q", bad, err)
		}
	}
	if _, err := parseArgs([]string{"-min", "9000"}); err == nil || !strings.Contains(err.Error(), "MinSize 9000 > MaxSize 8192") {
		t.Errorf("-min 9000: %v", err)
	}
}

// A small run end to end: the summary, a JSON line a metric, the
// directory left as it was.
func TestRunSmall(t *testing.T) {
	for _, n := range []int{1, 2} {
		o, err := parseArgs([]string{"-dir", t.TempDir(), "-scale", "0.01", "-n", string(rune('0' + n)), "-json"})
		if err != nil {
			t.Fatal(err)
		}
		var out, log bytes.Buffer
		if err := run(o, &out, &log); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(o.dir); len(ents) != 0 {
			t.Errorf("left behind: %v", ents)
		}
		if !strings.Contains(log.String(), "seconds of transactions") {
			t.Errorf("summary:\n%s", log.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 11 {
			t.Fatalf("%d lines:\n%s", len(lines), out.String())
		}
		var rec struct {
			Experiment, Workload, Metric, Unit string
			Value                              float64
		}
		if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
			t.Fatal(err)
		}
		workload := "postmark-custom"
		if n > 1 {
			workload += "-nway2"
		}
		if rec.Experiment != "postmark" || rec.Workload != workload || rec.Metric != "tps" || rec.Unit != "tx/s" || rec.Value <= 0 {
			t.Errorf("first record %s", lines[0])
		}
	}
}
