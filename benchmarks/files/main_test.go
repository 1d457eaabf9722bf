package main

import (
	"os"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs(nil)
	if err != nil || o != (options{"/tmp", 100, 200, 1000, 3, 64}) {
		t.Errorf("defaults %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-loops", "49"}, {"-mib", "0"}, {"-batch", "0"}, {"extra"}, {"-nosuch"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A small run of every measurement on the host, in a temporary
// directory: each figure is positive and the directory is left empty.
func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	stdout := os.Stdout
	null, _ := os.Open(os.DevNull)
	os.Stdout = null
	err := run(options{dir: dir, batches: 3, batch: 5, loops: 50, mib: 1, reads: 1})
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if ns, err := createLoop(dir, 50); err != nil || ns <= 0 {
		t.Errorf("createLoop: %v %v", ns, err)
	}
	if w, r, err := bigFile(dir, 1, 1); err != nil || w <= 0 || r <= 0 {
		t.Errorf("bigFile: %v %v %v", w, r, err)
	}
}
