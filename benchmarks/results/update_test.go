package results_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k42/benchmarks/results"
)

func TestUpdateRewritesOnlyTheSections(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "RESULTS.md")
	src, err := os.ReadFile("testdata/two-runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "syscall-a.jsonl"), src, 0o644)
	prose := "# Results\n\nhand-written\n"
	os.WriteFile(md, []byte(prose), 0o644)
	changed, err := results.Update(dir, md, true)
	if err != nil || !changed {
		t.Fatalf("Update: %v %v", changed, err)
	}
	b, _ := os.ReadFile(md)
	doc := string(b)
	if !strings.HasPrefix(doc, prose) || !strings.Contains(doc, results.Begin("syscall")) || !strings.Contains(doc, "| getpid | median | ns | 3,800 | 1,900 | 2.00 × | 1.10 × |") {
		t.Fatalf("document:\n%s", doc)
	}
	if changed, err := results.Update(dir, md, false); err != nil || changed {
		t.Errorf("a second run would change it: %v %v", changed, err)
	}
}

// TestResultsMDUpToDate: the checked-in RESULTS.md holds the tables of the
// checked-in results.
func TestResultsMDUpToDate(t *testing.T) {
	changed, err := results.Update(".", "../RESULTS.md", false)
	if err != nil {
		t.Fatal(err)
	}
	if changed {
		t.Errorf("benchmarks/RESULTS.md is not up to date with benchmarks/results: run %s", results.ReportCommand)
	}
}
