package main

import (
	"os"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs(nil)
	if err != nil || o != (options{"/tmp", 60, 200, 200}) {
		t.Errorf("defaults %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-opens", "9"}, {"-batch", "0"}, {"-batches", "0"}, {"extra"}, {"-nosuch"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A small run of every measurement on the host, in a temporary
// directory: it finishes, the figures are positive, the directory is
// left empty.
func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	stdout := os.Stdout
	null, _ := os.Open(os.DevNull)
	os.Stdout = null
	err := run(options{dir: dir, batches: 3, batch: 5, opens: 10})
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	r, err := opens(dir, 10, nil)
	if err != nil || r.plain <= 0 || r.second <= 0 || r.null != 0 {
		t.Errorf("opens: %+v %v", r, err)
	}
	if lo, med, hi := pairedRatio(3, 5, func() {}, func() {}); lo <= 0 || med < lo || hi < med {
		t.Errorf("pairedRatio: %v %v %v", lo, med, hi)
	}
}
