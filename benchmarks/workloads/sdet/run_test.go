package sdet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Three scripts at once: all succeed, every command of the mix is
// counted, the homes are gone, and the shared trees are as they were.
func TestRun(t *testing.T) {
	t.Parallel()
	env := mustSetup(t, t.TempDir(), small(3, 11))
	sys, tmpl := hashTree(t, env.System), hashTree(t, env.Template)
	var calls, last, total int
	r, err := Run(env, small(3, 11), func(done, tot int) {
		calls++
		if done <= last || done > tot {
			t.Errorf("progress %d of %d after %d", done, tot, last)
		}
		last, total = done, tot
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Scripts != 3 || r.Failed != 0 || r.Subtasks != 3*MixSize || r.Elapsed <= 0 {
		t.Errorf("report %+v", r)
	}
	for _, m := range Mix() {
		if r.PerSubtask[m.Name] != 3*m.Count {
			t.Errorf("%s done %d times, not %d", m.Name, r.PerSubtask[m.Name], 3*m.Count)
		}
	}
	if r.ScriptsPerHour() <= 0 || r.Ops < 1000 || r.BytesRead == 0 || r.BytesWritten == 0 {
		t.Errorf("report %v", r)
	}
	if total != 3*MixSize || last != total || calls > 101 {
		t.Errorf("progress: %d calls, last %d of %d", calls, last, total)
	}
	ms := r.Metrics()
	if len(ms) < 3 || ms[0].Name != "scripts_per_hour" || ms[0].Unit != "scripts/h" || ms[0].Value != r.ScriptsPerHour() ||
		ms[1].Name != "elapsed" || ms[1].Unit != "s" || ms[2].Name != "subtasks_per_s" || ms[2].Unit != "1/s" {
		t.Errorf("metrics %+v", ms)
	}
	if ents, err := os.ReadDir(env.Home); err != nil || len(ents) != 0 {
		t.Errorf("homes left: %v %v", ents, err)
	}
	if !sameTree(sys, hashTree(t, env.System)) {
		t.Error("the system tree changed")
	}
	if !sameTree(tmpl, hashTree(t, env.Template)) {
		t.Error("the template changed")
	}
}

// The smallest trees, the mix run many times, several seeds: the
// scripts' bookkeeping of their homes holds up (rm and mv run out of
// nothing, make and diff find their files).
func TestRunRepeat(t *testing.T) {
	t.Parallel()
	c := Config{Scripts: 4, Seed: 3, SourceFiles: MinSourceFiles, SystemFiles: MinSystemFiles, Repeat: 4}
	env := mustSetup(t, t.TempDir(), c)
	r, err := Run(env, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scripts != 4 || r.Subtasks != int64(4*c.CommandsPerScript()) {
		t.Errorf("report %+v", r)
	}
	if ents, _ := os.ReadDir(env.Home); len(ents) != 0 {
		t.Errorf("homes left: %v", ents)
	}
}

// The default trees: one script's file operations are in the budget.
func TestRunDefaultBudget(t *testing.T) {
	t.Parallel()
	env := mustSetup(t, t.TempDir(), Config{Scripts: 1})
	r, err := Run(env, Config{Scripts: 1, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops < 2000 || r.Ops > 6000 {
		t.Errorf("one script made %d file operations", r.Ops)
	}
	t.Logf("%v", r)
}

// A script whose home cannot be made fails, naming itself, the clone
// and the path; the others complete; the obstacle is left alone.
func TestRunHomeError(t *testing.T) {
	t.Parallel()
	env := mustSetup(t, t.TempDir(), small(3, 1))
	block := filepath.Join(env.Home, "1")
	if err := os.WriteFile(block, []byte("not a home"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Run(env, small(3, 1), nil)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, "script 1: clone: mkdir "+block) || strings.Contains(msg, "script 0") || strings.Contains(msg, "script 2") {
		t.Errorf("error %q", msg)
	}
	if r.Scripts != 2 || r.Failed != 1 || r.Subtasks != 2*MixSize {
		t.Errorf("report %+v", r)
	}
	if data, err := os.ReadFile(block); err != nil || string(data) != "not a home" {
		t.Errorf("the file in the way: %q %v", data, err)
	}
	os.Remove(block)
	if ents, _ := os.ReadDir(env.Home); len(ents) != 0 {
		t.Errorf("homes left: %v", ents)
	}
	if _, err := Run(env, Config{}, nil); err == nil {
		t.Error("Run with no scripts accepted")
	}
}

// A script that fails part way (its template lost a module's header)
// names the command and the file, and removes its home.
func TestRunCommandError(t *testing.T) {
	t.Parallel()
	env := mustSetup(t, t.TempDir(), Config{Scripts: 1, SourceFiles: MinSourceFiles, SystemFiles: MinSystemFiles})
	for _, h := range env.sl.headers {
		os.Remove(filepath.Join(env.System, h))
	}
	_, err := Run(env, Config{Scripts: 1}, nil)
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "script 0: ") || !strings.Contains(err.Error(), ".h") {
		t.Errorf("error %v", err)
	}
	if ents, _ := os.ReadDir(env.Home); len(ents) != 0 {
		t.Errorf("homes left: %v", ents)
	}
}
