package postmark

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// small is a quick configuration with every kind of transaction.
func small(seed uint64) Config {
	return Config{Files: 50, Transactions: 200, MinSize: 100, MaxSize: 3000,
		ReadBlock: 512, WriteBlock: 512, ReadBias: 5, CreateBias: 5, Subdirs: 4, Seed: seed}
}

type counts struct {
	created, createdTx, reads, appends, deleted, deletedTx int
	read, written                                          int64
}

func countsOf(r Report) counts {
	return counts{r.Created, r.CreatedInTransactions, r.Reads, r.Appends, r.Deleted, r.DeletedInTransactions, r.BytesRead, r.BytesWritten}
}

// mustRun runs c in a fresh directory and checks that it is left empty.
func mustRun(t *testing.T, c Config, progress func(string, int, int)) Report {
	t.Helper()
	dir := t.TempDir()
	r, err := Run(dir, c, progress)
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind in %s: %v", dir, ents)
	}
	return r
}

// checkConsistent checks the counts that hold for any run.
func checkConsistent(t *testing.T, r Report) {
	t.Helper()
	c := r.Config
	if r.Transactions != c.Transactions*max(r.Instances, 1) {
		t.Errorf("Transactions %d, config %d", r.Transactions, c.Transactions)
	}
	if r.Created != r.Deleted {
		t.Errorf("Created %d != Deleted %d", r.Created, r.Deleted)
	}
	if r.Created != c.Files*r.Instances+r.CreatedInTransactions {
		t.Errorf("Created %d != pool %d + in transactions %d", r.Created, c.Files*r.Instances, r.CreatedInTransactions)
	}
	if r.Reads+r.Appends > r.Transactions {
		t.Errorf("Reads %d + Appends %d > Transactions %d", r.Reads, r.Appends, r.Transactions)
	}
	if r.CreatedInTransactions+r.DeletedInTransactions > r.Transactions {
		t.Errorf("created %d + deleted %d in transactions > %d", r.CreatedInTransactions, r.DeletedInTransactions, r.Transactions)
	}
	if min := int64(r.Created+r.Appends) * int64(c.MinSize); r.BytesWritten < min {
		t.Errorf("BytesWritten %d < %d", r.BytesWritten, min)
	}
	if max := int64(r.Created+r.Appends) * int64(c.MaxSize); r.BytesWritten > max {
		t.Errorf("BytesWritten %d > %d", r.BytesWritten, max)
	}
	if r.Reads > 0 && r.BytesRead < int64(r.Reads)*int64(c.MinSize) {
		t.Errorf("BytesRead %d < %d reads of at least %d", r.BytesRead, r.Reads, c.MinSize)
	}
	if r.Elapsed < r.CreateElapsed || r.Elapsed < r.TransactionElapsed || r.Elapsed < r.DeleteElapsed || r.TransactionElapsed <= 0 {
		t.Errorf("times: %v total, %v %v %v", r.Elapsed, r.CreateElapsed, r.TransactionElapsed, r.DeleteElapsed)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := mustRun(t, small(7), nil), mustRun(t, small(7), nil)
	checkConsistent(t, a)
	checkConsistent(t, b)
	if countsOf(a) != countsOf(b) {
		t.Errorf("same seed, different counts:\n%+v\n%+v", countsOf(a), countsOf(b))
	}
	if a.Reads == 0 || a.Appends == 0 || a.CreatedInTransactions == 0 || a.DeletedInTransactions == 0 {
		t.Errorf("a kind of transaction missing: %+v", countsOf(a))
	}
	if c := mustRun(t, small(8), nil); countsOf(c) == countsOf(a) {
		t.Errorf("seeds 7 and 8 gave the same counts %+v", countsOf(a))
	}
}

// The same seed gives the same file names and sizes, seen at the end of
// the create phase.
func TestDeterministicTree(t *testing.T) {
	tree := func() map[string]int64 {
		dir := t.TempDir()
		m := map[string]int64{}
		mustRunIn(t, dir, small(3), func(phase string, done, total int) {
			if phase == PhaseCreate && done == total {
				m = walk(t, dir)
			}
		})
		return m
	}
	a, b := tree(), tree()
	if len(a) != 50 || len(a) != len(b) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, size := range a {
		if b[name] != size {
			t.Errorf("%s: %d and %d bytes", name, size, b[name])
		}
	}
}

func mustRunIn(t *testing.T, dir string, c Config, progress func(string, int, int)) Report {
	t.Helper()
	r, err := Run(dir, c, progress)
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind in %s: %v", dir, ents)
	}
	return r
}

// walk returns the files under dir (relative paths) and their sizes,
// skipping those removed while it looks (by another instance of RunN).
func walk(t *testing.T, dir string) map[string]int64 {
	m := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			var info fs.FileInfo
			if info, err = d.Info(); err == nil {
				rel, _ := filepath.Rel(dir, p)
				m[rel] = info.Size()
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Error(err) // not Fatal: it may run in RunN's goroutines
	}
	return m
}

func TestBiases(t *testing.T) {
	c := small(1)
	c.ReadBias = 10
	if r := mustRun(t, c, nil); r.Appends != 0 || r.Reads == 0 {
		t.Errorf("ReadBias 10: %d reads, %d appends", r.Reads, r.Appends)
	}
	c.ReadBias = 0
	if r := mustRun(t, c, nil); r.Reads != 0 || r.Appends == 0 {
		t.Errorf("ReadBias 0: %d reads, %d appends", r.Reads, r.Appends)
	}
	c = small(1)
	c.CreateBias = 10
	r := mustRun(t, c, nil)
	checkConsistent(t, r)
	if r.DeletedInTransactions != 0 || r.CreatedInTransactions != c.Transactions || r.Deleted != c.Files+c.Transactions {
		t.Errorf("CreateBias 10: %+v", countsOf(r))
	}
	c.CreateBias = 0
	r = mustRun(t, c, nil)
	checkConsistent(t, r)
	if r.CreatedInTransactions != 0 || r.DeletedInTransactions != c.Files {
		t.Errorf("CreateBias 0 (pool of %d emptied): %+v", c.Files, countsOf(r))
	}
}

// With one file size every byte count is exact: each create and append
// writes the size, each read of a file reads a multiple of it, and with
// no appends exactly it.
func TestBytesExact(t *testing.T) {
	c := small(5)
	c.MinSize, c.MaxSize, c.ReadBlock, c.WriteBlock = 1000, 1000, 300, 128
	r := mustRun(t, c, nil)
	checkConsistent(t, r)
	if want := int64(r.Created+r.Appends) * 1000; r.BytesWritten != want {
		t.Errorf("BytesWritten %d, want %d", r.BytesWritten, want)
	}
	if r.BytesRead%1000 != 0 || r.BytesRead < int64(r.Reads)*1000 {
		t.Errorf("BytesRead %d for %d reads", r.BytesRead, r.Reads)
	}
	c.ReadBias = 10
	r = mustRun(t, c, nil)
	if want := int64(r.Reads) * 1000; r.Reads == 0 || r.BytesRead != want {
		t.Errorf("no appends: BytesRead %d, want %d reads × 1000", r.BytesRead, r.Reads)
	}
}

// The pool as the create phase leaves it: every file in a subdirectory
// (Subdirs of them, all used), of a size in range, their total at most
// what was written; with Subdirs 0, all in the top directory.
func TestPoolAndSubdirs(t *testing.T) {
	for _, subdirs := range []int{0, 4} {
		c := small(11)
		c.Subdirs = subdirs
		dir := t.TempDir()
		var pool map[string]int64
		var dirs []string
		r := mustRunIn(t, dir, c, func(phase string, done, total int) {
			if phase == PhaseCreate && done == total {
				pool = walk(t, dir)
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					if e.IsDir() {
						dirs = append(dirs, e.Name())
					}
				}
			}
		})
		if len(pool) != c.Files || len(dirs) != subdirs {
			t.Fatalf("Subdirs %d: %d files, directories %v", subdirs, len(pool), dirs)
		}
		used := map[string]bool{}
		var total int64
		for name, size := range pool {
			d, _ := filepath.Split(name)
			if (subdirs == 0) != (d == "") {
				t.Errorf("Subdirs %d: file %s", subdirs, name)
			}
			used[d] = true
			if size < int64(c.MinSize) || size > int64(c.MaxSize) {
				t.Errorf("%s: %d bytes", name, size)
			}
			total += size
		}
		if subdirs > 0 && len(used) != subdirs {
			t.Errorf("files in %d of %d subdirectories", len(used), subdirs)
		}
		if r.BytesWritten < total {
			t.Errorf("BytesWritten %d < the pool's %d", r.BytesWritten, total)
		}
	}
}

func TestProgress(t *testing.T) {
	c := small(2)
	c.Files, c.Transactions = 1000, 1000
	calls := map[string]int{}
	last := map[string][2]int{}
	mustRun(t, c, func(phase string, done, total int) {
		calls[phase]++
		if l, ok := last[phase]; ok && done < l[0] {
			t.Errorf("%s: done %d after %d", phase, done, l[0])
		}
		last[phase] = [2]int{done, total}
	})
	for _, p := range []string{PhaseCreate, PhaseTransactions, PhaseDelete} {
		if calls[p] < 2 || calls[p] > 102 || last[p][0] != last[p][1] {
			t.Errorf("%s: %d calls, last %v", p, calls[p], last[p])
		}
	}
	if last[PhaseCreate][1] != 1000 || last[PhaseTransactions][1] != 1000 {
		t.Errorf("totals %v", last)
	}
}

// A file whose length changes behind the run's back fails the next read
// of it, with an error naming it.
func TestReadVerified(t *testing.T) {
	c := small(4)
	c.ReadBias = 10
	dir := t.TempDir()
	_, err := Run(dir, c, func(phase string, done, total int) {
		if phase == PhaseCreate && done == total {
			for name := range walk(t, dir) {
				os.Truncate(filepath.Join(dir, name), 1)
			}
		}
	})
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "read" || !strings.HasPrefix(oe.Path, dir) || !strings.Contains(err.Error(), "expected") {
		t.Fatalf("err = %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind after the failure: %v", ents)
	}
}

func TestOpError(t *testing.T) {
	c := small(1)
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := Run(dir, c, nil)
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "mkdir" || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	if s := err.Error(); !strings.HasPrefix(s, "postmark: mkdir "+filepath.Join(dir, "s0")+": ") || strings.Count(s, dir) != 1 {
		t.Errorf("message %q", s)
	}
	c.Subdirs = 0
	if _, err := Run(dir, c, nil); !errors.As(err, &oe) || oe.Op != "create" {
		t.Errorf("no subdirectories: err = %v", err)
	}
}

func TestRunN(t *testing.T) {
	dir := t.TempDir()
	c := small(20)
	var mu sync.Mutex
	var inCreate map[string]int64
	sum, each, err := RunN(dir, c, 3, func(phase string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		// Called from an instance in its create phase: its files are
		// there, and every file is in an instance's directory.
		if phase == PhaseCreate && done > 0 && inCreate == nil {
			inCreate = walk(t, dir)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if len(each) != 3 || sum.Instances != 3 || sum.Dir != dir {
		t.Fatalf("%d reports, %d instances, in %s", len(each), sum.Instances, sum.Dir)
	}
	if len(inCreate) == 0 {
		t.Error("no files seen in the create phase")
	}
	for name := range inCreate {
		if parts := strings.Split(name, string(filepath.Separator)); len(parts) != 3 ||
			(parts[0] != "pm0" && parts[0] != "pm1" && parts[0] != "pm2") || !strings.HasPrefix(parts[1], "s") {
			t.Errorf("file %s", name)
		}
	}
	for i, r := range each {
		if want := filepath.Join(dir, "pm"+strconv.Itoa(i)); r.Dir != want {
			t.Errorf("instance %d ran in %s, want %s", i, r.Dir, want)
		}
	}
	checkConsistent(t, sum)
	var want counts
	for i, r := range each {
		checkConsistent(t, r)
		if r.Config.Seed != c.Seed+uint64(i) {
			t.Errorf("instance %d: seed %d", i, r.Config.Seed)
		}
		// Each instance is the single run of its seed.
		cs := c
		cs.Seed += uint64(i)
		if one := mustRun(t, cs, nil); countsOf(one) != countsOf(r) {
			t.Errorf("instance %d: %+v, alone %+v", i, countsOf(r), countsOf(one))
		}
		k := countsOf(r)
		want.created += k.created
		want.createdTx += k.createdTx
		want.reads += k.reads
		want.appends += k.appends
		want.deleted += k.deleted
		want.deletedTx += k.deletedTx
		want.read += k.read
		want.written += k.written
		if r.TransactionElapsed > sum.TransactionElapsed || r.Elapsed > sum.Elapsed {
			t.Errorf("instance %d slower than the sum's times", i)
		}
	}
	if countsOf(sum) != want || sum.Transactions != 3*c.Transactions {
		t.Errorf("sum %+v, want %+v", countsOf(sum), want)
	}
	if _, _, err := RunN(dir, c, 0, nil); err == nil {
		t.Error("RunN with 0 instances accepted")
	}
}

func TestValidate(t *testing.T) {
	good := small(1)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mod := range map[string]func(*Config){
		"MinSize 9000 > MaxSize 8192": func(c *Config) { c.MinSize, c.MaxSize = 9000, 8192 },
		"MinSize 0":                   func(c *Config) { c.MinSize = 0 },
		"ReadBlock 0":                 func(c *Config) { c.ReadBlock = 0 },
		"WriteBlock 0":                func(c *Config) { c.WriteBlock = 0 },
		"ReadBias 11":                 func(c *Config) { c.ReadBias = 11 },
		"ReadBias -1":                 func(c *Config) { c.ReadBias = -1 },
		"CreateBias 11":               func(c *Config) { c.CreateBias = 11 },
		"Files -1":                    func(c *Config) { c.Files = -1 },
		"Transactions -1":             func(c *Config) { c.Transactions = -1 },
		"Subdirs -1":                  func(c *Config) { c.Subdirs = -1 },
	} {
		c := good
		mod(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "postmark: "+field) {
			t.Errorf("%s: %v", field, err)
		}
		if _, err := Run(t.TempDir(), c, nil); err == nil {
			t.Errorf("Run accepted %s", field)
		}
	}
}

func TestPresets(t *testing.T) {
	want := map[string]Config{
		"1k":  {Files: 1000, Transactions: 10000, MinSize: 128, MaxSize: 8192, ReadBlock: 512, WriteBlock: 512, ReadBias: 5, CreateBias: 5, Subdirs: 10, Seed: 42},
		"10k": {Files: 10000, Transactions: 50000, MinSize: 512, MaxSize: 16384, ReadBlock: 512, WriteBlock: 512, ReadBias: 5, CreateBias: 5, Subdirs: 10, Seed: 42},
	}
	for name, w := range want {
		c, err := Preset(name)
		if err != nil || c != w {
			t.Errorf("%s: %+v, %v", name, c, err)
		}
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
	}
	if _, err := Preset("100k"); err == nil || !strings.Contains(err.Error(), "(presets: 1k, 10k)") {
		t.Errorf("unknown preset: %v", err)
	}
	c, _ := Preset("10k")
	if s := c.Scale(0.01); s.Files != 100 || s.Transactions != 500 || s.MaxSize != c.MaxSize {
		t.Errorf("Scale(0.01): %+v", s)
	}
	if s := c.Scale(0); s.Files != 1 || s.Transactions != 1 {
		t.Errorf("Scale(0): %+v", s)
	}
}

func TestReport(t *testing.T) {
	r := mustRun(t, small(9), nil)
	ms := r.Metrics()
	names := []string{"tps", "elapsed", "creates_per_s", "reads_per_s", "appends_per_s", "deletes_per_s",
		"read_bytes_per_s", "write_bytes_per_s", "create_phase", "transaction_phase", "delete_phase"}
	if len(ms) != len(names) {
		t.Fatalf("%d metrics", len(ms))
	}
	for i, m := range ms {
		if m.Name != names[i] || m.Value < 0 {
			t.Errorf("metric %d: %+v", i, m)
		}
	}
	if ms[0] != (Metric{Name: "tps", Value: r.TPS(), Unit: "tx/s"}) || r.TPS() != float64(r.Transactions)/r.TransactionElapsed.Seconds() {
		t.Errorf("tps %+v", ms[0])
	}
	if r.CreatesPerSec() != float64(r.Created)/r.Elapsed.Seconds() {
		t.Errorf("creates per second %v", r.CreatesPerSec())
	}
	s := r.String()
	for _, want := range []string{"seconds of transactions", "created", "Creation alone", "appended", "megabytes written"} {
		if !strings.Contains(s, want) {
			t.Errorf("String lacks %q:\n%s", want, s)
		}
	}
	if (Report{}).TPS() != 0 {
		t.Error("TPS of an empty report")
	}
}

// TestAppendsStopAtTheHighBound: as PostMark's append_file, an append
// brings a file at most to MaxSize, and a file already there is not
// appended to: with every new file MaxSize bytes, no transaction appends;
// with room, every byte written stays within the files' bound.
func TestAppendsStopAtTheHighBound(t *testing.T) {
	c := small(3)
	c.MinSize, c.MaxSize, c.ReadBias = 1000, 1000, 0
	if r := mustRun(t, c, nil); r.Appends != 0 || r.BytesWritten != int64(r.Created)*1000 {
		t.Errorf("files born full: %d appends, %d bytes for %d files", r.Appends, r.BytesWritten, r.Created)
	}
	c = small(4)
	c.ReadBias = 0
	r := mustRun(t, c, nil)
	if r.Appends == 0 || r.BytesWritten > int64(r.Created)*int64(c.MaxSize) {
		t.Errorf("%d appends, %d bytes written for %d files of at most %d", r.Appends, r.BytesWritten, r.Created, c.MaxSize)
	}
}
