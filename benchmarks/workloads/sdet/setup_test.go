package sdet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// small is a quick configuration.
func small(scripts int, seed uint64) Config {
	return Config{Scripts: scripts, Seed: seed, SourceFiles: 40, SystemFiles: 20}
}

// hashTree returns the tree at root: each file's path (relative) and
// the SHA-256 of its contents, each directory's path and "dir".
func hashTree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			m[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		m[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fileSizes returns the sizes of the regular files under root, sorted.
func fileSizes(t *testing.T, root string) []int64 {
	t.Helper()
	var sizes []int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		sizes = append(sizes, fi.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	return sizes
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustSetup(t *testing.T, root string, c Config) *Env {
	t.Helper()
	env, err := Setup(root, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Scripts: 1}, {Scripts: MaxScripts, SourceFiles: MinSourceFiles, SystemFiles: MinSystemFiles, Repeat: MaxRepeat}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, bad := range []struct {
		field string
		c     Config
	}{
		{"Scripts", Config{}},
		{"Scripts", Config{Scripts: MaxScripts + 1}},
		{"SourceFiles", Config{Scripts: 1, SourceFiles: MinSourceFiles - 1}},
		{"SourceFiles", Config{Scripts: 1, SourceFiles: -1}},
		{"SystemFiles", Config{Scripts: 1, SystemFiles: MaxFiles + 1}},
		{"Repeat", Config{Scripts: 1, Repeat: -1}},
	} {
		err := bad.c.Validate()
		if err == nil {
			t.Errorf("%+v accepted", bad.c)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "Config."+bad.field+" ") || strings.Contains(msg, "\n") {
			t.Errorf("%+v: %q does not name %s on one line", bad.c, msg, bad.field)
		}
	}
	d := Config{Scripts: 2}.WithDefaults()
	if d != (Config{Scripts: 2, SourceFiles: DefaultSourceFiles, SystemFiles: DefaultSystemFiles, Repeat: 1}) {
		t.Errorf("WithDefaults: %+v", d)
	}
}

func TestMix(t *testing.T) {
	n := 0
	for _, m := range Mix() {
		n += m.Count
		if commands[m.Name] == nil {
			t.Errorf("no command %q", m.Name)
		}
	}
	if n != MixSize || len(commands) != len(mix) {
		t.Errorf("mix of %d commands (MixSize %d), %d of %d names run", n, MixSize, len(commands), len(mix))
	}
	if got := (Config{Scripts: 1}).CommandsPerScript(); got != MixSize {
		t.Errorf("CommandsPerScript %d", got)
	}
	if got := (Config{Scripts: 1, Repeat: 3}).CommandsPerScript(); got != 3*MixSize {
		t.Errorf("CommandsPerScript with Repeat 3: %d", got)
	}
}

// Two Setups with one seed write the same trees; another seed, others.
// The file counts are the configuration's, and Close removes it all.
func TestSetupDeterministic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var trees [3][2]map[string]string
	for i, seed := range []uint64{7, 7, 8} {
		root := filepath.Join(dir, string(rune('a'+i)))
		env, err := Setup(root, small(1, seed))
		if err != nil {
			t.Fatal(err)
		}
		trees[i] = [2]map[string]string{hashTree(t, env.System), hashTree(t, env.Template)}
		if n := len(fileSizes(t, env.System)); n != 20 {
			t.Errorf("system tree: %d files, not 20", n)
		}
		if n := len(fileSizes(t, env.Template)); n != 40 {
			t.Errorf("template: %d files, not 40", n)
		}
		if ents, err := os.ReadDir(env.Home); err != nil || len(ents) != 0 {
			t.Errorf("home: %v %v", ents, err)
		}
		if err := env.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(root); !os.IsNotExist(err) {
			t.Errorf("Close left %s: %v", root, err)
		}
	}
	for k, name := range []string{"system", "template"} {
		if !sameTree(trees[0][k], trees[1][k]) {
			t.Errorf("%s trees of one seed differ", name)
		}
		if sameTree(trees[0][k], trees[2][k]) {
			t.Errorf("%s trees of seeds 7 and 8 are the same", name)
		}
	}
}

// The default trees: 200 and 150 files, sizes varied, a sorted
// dictionary of about 200 KiB, and every #include found.
func TestSetupDefault(t *testing.T) {
	t.Parallel()
	env := mustSetup(t, t.TempDir(), Config{Scripts: 1})
	sizes := fileSizes(t, env.Template)
	if len(sizes) != DefaultSourceFiles {
		t.Errorf("template: %d files", len(sizes))
	}
	if sizes[0] >= 1<<10 || sizes[len(sizes)-1] <= 8<<10 || sizes[len(sizes)-1] > 40<<10 {
		t.Errorf("template sizes from %d to %d", sizes[0], sizes[len(sizes)-1])
	}
	if n := len(fileSizes(t, env.System)); n != DefaultSystemFiles {
		t.Errorf("system tree: %d files", n)
	}
	dict, err := os.ReadFile(env.Dictionary)
	if err != nil {
		t.Fatal(err)
	}
	if len(dict) < 190<<10 || len(dict) > 210<<10 {
		t.Errorf("dictionary of %d bytes", len(dict))
	}
	words := strings.Split(strings.TrimSuffix(string(dict), "\n"), "\n")
	for i := 1; i < len(words); i++ {
		if words[i-1] >= words[i] {
			t.Fatalf("dictionary not sorted and unique: %q before %q", words[i-1], words[i])
		}
	}
	// Every module builds: its includes are all found.
	sh := NewShell(nil)
	for _, m := range env.tl.mods {
		dir := filepath.Join(env.Template, filepath.Dir(m[0]))
		tmp := filepath.Join(t.TempDir(), "m")
		if err := sh.CopyTree(dir, tmp); err != nil {
			t.Fatal(err)
		}
		r, err := sh.Make(tmp, filepath.Join(env.Template, "include"), env.Include)
		if err != nil || r.Compiled != len(m) || !r.Linked {
			t.Errorf("make %s: %+v %v", dir, r, err)
		}
	}
	// The documents have a few misspellings for spell to find.
	miss := 0
	for _, d := range env.tl.docs {
		m, err := sh.Spell(filepath.Join(env.Template, d), env.Dictionary)
		if err != nil {
			t.Fatal(err)
		}
		miss += len(m)
	}
	if miss == 0 || miss > len(env.tl.docs)*20 {
		t.Errorf("spell: %d words of %d documents not in the dictionary", miss, len(env.tl.docs))
	}
}

// Setup leaves an existing tree alone and fails.
func TestSetupExisting(t *testing.T) {
	root := t.TempDir()
	sys := filepath.Join(root, "system")
	if err := os.Mkdir(sys, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(sys, "keep"), []byte("x"), 0o644)
	if _, err := Setup(root, small(1, 1)); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Setup over an existing system tree: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(sys, "keep")); err != nil || !bytes.Equal(data, []byte("x")) {
		t.Errorf("existing tree touched: %q %v", data, err)
	}
	if _, err := Setup(root, Config{}); err == nil || !strings.Contains(err.Error(), "Config.Scripts") {
		t.Errorf("Setup with a bad config: %v", err)
	}
}
