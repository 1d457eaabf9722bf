package results

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// paperRecs is a fig6 run of two rounds: exclusive 1.5 × the default in
// both, the small-file cache 1.2 × exclusive.
func paperRecs() []Record {
	var recs []Record
	add := func(exp, cfg, workload, metric string, v float64, round int) {
		recs = append(recs, Record{Experiment: exp, Config: cfg, Workload: workload, Metric: metric, Value: v, Unit: "u",
			Round: round, Run: exp + "-20261202T000000Z", Command: "go run ./benchmarks/paper -only " + exp,
			Context: Context{Commit: "abc", QEMU: "QEMU 7.2", CPUs: 4, Mem: "512M", Date: "2026-12-02T00:00:00Z", HostCores: 2}})
	}
	for r := 1; r <= 2; r++ {
		base := 100.0 * float64(r)
		add("fig6", "default", "postmark-1k", "tps", base, r)
		add("fig6", "exclusive", "postmark-1k", "tps", 1.5*base, r)
		add("fig6", "smallfile", "postmark-1k", "tps", 1.8*base, r)
		add("fig6", "adaptive", "postmark-1k", "tps", 1.79*base, r)
		add("fig4", "default", "sdet-4", "scripts_per_hour", 1000, r)
		add("fig4", "swaps-10ms", "sdet-4", "scripts_per_hour", 995, r)
		for i, t := range []float64{10, 20, 30} {
			add("fig4", "swaps-contended", "sdet-4", "swap_time", t, r)
			add("fig4", "swaps-contended", "sdet-4", "swap_contended", float64(i%2), r)
		}
		add("fig4", "swaps-contended", "sdet-4", "scripts_per_hour", 990, r)
		add("table1", "k42", "attach", "mean", 5, r)
		add("table1", "k42", "call", "mean", 0.3, r)
	}
	return recs
}

func TestPaperSections(t *testing.T) {
	secs := Report(paperRecs())
	body := map[string]string{}
	for _, s := range secs {
		body[s.Name] = s.Body
	}
	f6 := body["fig6"]
	for _, want := range []string{
		"exclusive over default: 1.50 ×, goal ≥ 1.34 × — met.",
		"small-file cache over exclusive: 1.20 ×, goal ≥ 1.40 × — **not met**.",
		"adaptive 0.99 × of the better fixed one (smallfile), goal within 2% — met (from 2 rounds",
		"![", "figures/fig6.png", "go run ./benchmarks/paper -only fig6",
	} {
		if !strings.Contains(f6, want) {
			t.Errorf("fig6 lacks %q:\n%s", want, f6)
		}
	}
	f4 := body["fig4"]
	// Six swaps of 10, 20, 30 µs (twice): mean 20, a third contended; a
	// swap every 10 ms cost 0.5%.
	for _, want := range []string{"| swaps-contended | 990 [990–990] | 0.99 ×, 0.99–0.99 | 6 |  | 20 | 8.94 | 10 | 30 | 33% |",
		"over none: 0.995 ×, goal ≥ 0.99 × — met.", "ran 2 times"} {
		if !strings.Contains(f4, want) {
			t.Errorf("fig4 lacks %q:\n%s", want, f4)
		}
	}
}

func TestPaperPlots(t *testing.T) {
	dir := t.TempDir()
	if err := renderPlots(paperRecs(), dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fig4.png", "fig6.png", "table1.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
			t.Errorf("%s: %v", name, b)
		}
	}
}

func TestVerdictNearTheGoal(t *testing.T) {
	if v := verdict("x", 0.998, 1.0); !strings.Contains(v, "0.998 ×, goal ≥ 1.00 × — **not met**") {
		t.Errorf("%q", v)
	}
	if v := verdict("x", 1.5, 1.34); !strings.Contains(v, "1.50 ×, goal ≥ 1.34 × — met") {
		t.Errorf("%q", v)
	}
}
