package results

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestReadDirAndReport(t *testing.T) {
	recs, err := ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 19 {
		t.Fatalf("%d records, want 19", len(recs))
	}
	if recs[0].Run != "other" {
		t.Errorf("a record without a run takes the file's name: %q", recs[0].Run)
	}
	secs := Report(recs)
	if len(secs) != 2 || secs[0].Name != "boot" || secs[1].Name != "syscall" {
		t.Fatalf("sections %+v", secs)
	}
	for _, s := range secs {
		golden(t, s.Name+".md", s.Body)
	}
}

func TestSpliceKeepsProse(t *testing.T) {
	doc := "# Results\n\nprose before\n\n" + Begin("syscall") + "\nstale table\n" + End("syscall") + "\n\nprose after\n"
	out, err := Splice(doc, []Section{{Name: "syscall", Title: "T", Body: "new table\n"}, {Name: "boot", Title: "Boot", Body: "b\n"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "# Results\n\nprose before\n\n" + Begin("syscall") + "\nnew table\n" + End("syscall") + "\n\nprose after\n" +
		"\n## Boot\n\n" + Begin("boot") + "\nb\n" + End("boot") + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	again, err := Splice(out, []Section{{Name: "syscall", Title: "T", Body: "new table\n"}, {Name: "boot", Title: "Boot", Body: "b\n"}})
	if err != nil || again != out {
		t.Errorf("splicing twice changed the document (%v):\n%s", err, again)
	}
	if _, err := Splice(End("x")+Begin("x"), []Section{{Name: "x"}}); err == nil {
		t.Error("markers out of order accepted")
	}
}

func TestScanSkipsConsoleNoise(t *testing.T) {
	out := "[    2.1] random: crng init done\r\n" +
		`{"experiment":"syscall","workload":"getpid","metric":"median","value":1930,"unit":"ns"}` + "\r\n" +
		"{not json}\n" +
		`{"name":"no experiment"}` + "\n" +
		`[    3.0] x {"experiment":"syscall","workload":"calibration","metric":"median","value":160,"unit":"ms"}` + "\n"
	recs, err := Scan(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Value != 1930 || recs[1].Workload != "calibration" {
		t.Fatalf("got %+v", recs)
	}
}

func TestReadFileRejectsIncompleteRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(path, []byte(`{"experiment":"syscall","value":1}`+"\n"), 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("got %v", err)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "syscall-x.jsonl")
	recs := []Record{{Experiment: "syscall", Workload: "getpid", Metric: "median", Value: 1, Unit: "ns"}}
	ctx := Context{Commit: "abc", CPUs: 1, Mem: "512M", Date: "2026-12-01T10:00:00Z", HostCores: 2}
	Stamp(recs, "linux", RunID("syscall", ctx.Date), "cmd", ctx)
	if recs[0].Run != "syscall-20261201T100000Z" {
		t.Errorf("run %q", recs[0].Run)
	}
	if err := WriteFile(path, recs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != recs[0] {
		t.Errorf("got %+v, want %+v", got, recs)
	}
}

func TestNumber(t *testing.T) {
	for x, want := range map[float64]string{1930.5: "1,931", 1234567: "1,234,567", 172: "172", 6.562: "6.56", 0.5: "0.5", -2500: "-2,500"} {
		if got := Number(x); got != want {
			t.Errorf("Number(%v) = %q, want %q", x, got, want)
		}
	}
}
