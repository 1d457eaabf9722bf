package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs([]string{"-exp", "fig6"})
	if err != nil || o.rounds != 5 || o.dir != "/tmp" || o.store != "tmpfs" || strings.Join(o.configs, ",") != "default,exclusive,smallfile,smallfile-16k,adaptive" {
		t.Errorf("fig6 defaults: %+v, %v", o, err)
	}
	if o, _ := parseArgs([]string{"-exp", "fig7"}); o.rounds != 3 {
		t.Errorf("fig7 rounds %d, want 3", o.rounds)
	}
	o, err = parseArgs([]string{"-exp", "fig7", "-quick", "-dir", "/mnt"})
	if err != nil || o.rounds != 1 || o.streamDir != "/mnt" || len(o.streams) != 3 {
		t.Errorf("fig7 -quick: %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-exp", "fig7", "-streams", "0,3", "-configs", "default"})
	if err != nil || len(o.streams) != 2 || o.streams[1] != 3 || len(o.configs) != 1 {
		t.Errorf("-streams, -configs: %+v, %v", o, err)
	}
	for _, bad := range [][]string{{}, {"-exp", "fig9"}, {"-exp", "fig6", "-rounds", "-1"}, {"-exp", "fig6", "-configs", "fast"},
		{"-exp", "fig7", "-streams", "1,x"}, {"-exp", "fig7", "-stream-rate", "-1"}, {"-exp", "fig6", "-store", "nfs"}, {"-exp", "fig6", "extra"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Every configuration an experiment names exists, and each selects all
// three policies and the FCM factory, so that none inherits the one run
// before it.
func TestSettingsAreComplete(t *testing.T) {
	for exp, cfgs := range experiments {
		for _, c := range cfgs {
			if strings.HasPrefix(c, "swaps-") {
				continue
			}
			s, ok := settings[c]
			if !ok {
				t.Errorf("%s: no setting %q", exp, c)
				continue
			}
			joined := strings.Join(s.commands, "; ")
			for _, want := range []string{"sessions=", "sharing=", "sequential=", "upgrade fcm "} {
				if !strings.Contains(joined, want) {
					t.Errorf("%s: %q does not set %q", c, joined, want)
				}
			}
		}
	}
}

func TestParseSwapReport(t *testing.T) {
	r, err := parseSwapReport("swap fcm:/etc/hosts: *fcm.Single -> *fcm.Single in 3.663541ms (1 tries; forward 1.174047ms, block 431.576µs, transfer 32.311µs); 4 calls forwarded, 2 blocked, 0 recursive, 3 in flight at block; no state transfer")
	if err != nil || r.total != 3663541*time.Nanosecond || r.forwarded != 4 || r.blocked != 2 || r.inFlight != 3 {
		t.Errorf("%+v, %v", r, err)
	}
	if _, err := parseSwapReport("error: no such object"); err == nil {
		t.Error("a report without a time accepted")
	}
}

func TestCounters(t *testing.T) {
	answer := "budget 32768 pages (131072 KiB)\nused 21 pages\nhits 0\nmisses 21\n"
	if n, ok := counter(answer, "misses"); !ok || n != 21 {
		t.Errorf("misses: %d %v", n, ok)
	}
	if n, ok := counter(answer, "budget"); !ok || n != 32768 {
		t.Errorf("budget: %d %v", n, ok)
	}
	if _, ok := counter(answer, "evictions"); ok {
		t.Error("a missing counter found")
	}
}

// On the host (no /proc/k42/ctl) fig6 runs as Linux's configuration:
// one record set per round, named by -store, every metric PostMark
// reports, the directory left empty.
func TestFig6OnTheHost(t *testing.T) {
	dir := t.TempDir()
	o, err := parseArgs([]string{"-exp", "fig6", "-quick", "-rounds", "2", "-dir", dir})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(o, &out, &log); err != nil {
		t.Fatal(err, log.String())
	}
	tps := map[int]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r.Experiment != "fig6" || r.Config != "linux-tmpfs" || r.Workload != "postmark-1k" {
			t.Errorf("record %+v", r)
		}
		if r.Metric == "tps" && r.Value > 0 {
			tps[r.Round] = true
		}
	}
	if !tps[1] || !tps[2] {
		t.Errorf("tps by round: %v", tps)
	}
	if !strings.Contains(log.String(), "100%") {
		t.Errorf("no progress: %q", log.String())
	}
}

func TestCountSwaps(t *testing.T) {
	log := "16:43:20.561291 sessions   session:/tmp/notes#58/0: exclusive -> shared (a second open of the file) in 11.874398ms\n" +
		"16:43:21.000001 sequential fcm:/mnt/streams/0: single -> sequential (a run of 21 sequential pages) in 9ms\n" +
		"16:43:22.100000 sequential fcm:/mnt/streams/1: single -> sequential (a run of 21 sequential pages) in 9ms\n"
	since := time.Date(2026, 12, 2, 16, 43, 21, 0, time.UTC)
	n := countSwaps(log, since)
	if n["sequential"] != 2 || n["sessions"] != 0 {
		t.Errorf("%v", n)
	}
	if n := countSwaps("no decisions yet\n", since); len(n) != 0 {
		t.Errorf("%v", n)
	}
}
