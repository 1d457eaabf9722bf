package sdet

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	content := strings.Repeat("0123456789abcdef", 5000) // 80,000 bytes: three reads
	write(t, src, content)
	os.Chmod(src, 0o640)
	sh := NewShell(nil)
	if err := sh.Copy(src, dst); err != nil {
		t.Fatal(err)
	}
	if read(t, dst) != content {
		t.Error("copy differs from its source")
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o640 {
		t.Errorf("copy's mode %v", fi.Mode())
	}
	st := sh.Stats()
	if st.BytesRead != int64(len(content)) || st.BytesWritten != int64(len(content)) || st.Ops < 8 {
		t.Errorf("stats %+v", st)
	}
	// And the copy diffs as the same.
	if d, err := sh.Diff(src, dst); err != nil || !d.Same() {
		t.Errorf("diff of a file and its copy: %+v %v", d, err)
	}
	if err := sh.Copy(dir, filepath.Join(dir, "x")); err == nil {
		t.Error("copy of a directory with Copy accepted")
	}
	if err := sh.Copy(filepath.Join(dir, "nosuch"), dst); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("copy of a missing file: %v", err)
	}
}

func TestCopyTree(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	write(t, filepath.Join(src, "a"), "a\n")
	write(t, filepath.Join(src, "sub", "b"), "bb\n")
	write(t, filepath.Join(src, "sub", "deeper", "c"), "")
	os.Mkdir(filepath.Join(src, "empty"), 0o755)
	sh := NewShell(nil)
	dst := filepath.Join(dir, "dst")
	if err := sh.CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if !sameTree(hashTree(t, src), hashTree(t, dst)) {
		t.Errorf("copied tree differs: %v, %v", hashTree(t, src), hashTree(t, dst))
	}
	if err := sh.CopyTree(src, dst); err == nil {
		t.Error("copy over an existing directory accepted")
	}
	if err := sh.CopyTree(filepath.Join(src, "a"), filepath.Join(dir, "a2")); err != nil || read(t, filepath.Join(dir, "a2")) != "a\n" {
		t.Errorf("CopyTree of a file: %v", err)
	}
}

func TestMove(t *testing.T) {
	dir := t.TempDir()
	sh := NewShell(nil)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "moved\n")
	if err := sh.Move(a, b); err != nil {
		t.Fatal(err)
	}
	if exists(a) || read(t, b) != "moved\n" {
		t.Error("file not moved")
	}
	// Into a directory.
	d := filepath.Join(dir, "d")
	os.Mkdir(d, 0o755)
	if err := sh.Move(b, d); err != nil {
		t.Fatal(err)
	}
	if exists(b) || read(t, filepath.Join(d, "b")) != "moved\n" {
		t.Error("file not moved into a directory")
	}
	// A directory, renamed, then into another.
	e := filepath.Join(dir, "e")
	if err := sh.Move(d, e); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "f")
	os.Mkdir(f, 0o755)
	if err := sh.Move(e, f); err != nil {
		t.Fatal(err)
	}
	if exists(d) || exists(e) || read(t, filepath.Join(f, "e", "b")) != "moved\n" {
		t.Error("directory not moved")
	}
	if err := sh.Move(filepath.Join(dir, "nosuch"), a); err == nil {
		t.Error("move of a missing file accepted")
	}
}

func TestMkdirAllRemoveAll(t *testing.T) {
	dir := t.TempDir()
	sh := NewShell(nil)
	p := filepath.Join(dir, "a", "b", "c")
	for range 2 {
		if err := sh.MkdirAll(p); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Fatalf("mkdir -p: %v", err)
	}
	write(t, filepath.Join(dir, "a", "file"), "x")
	write(t, filepath.Join(p, "deep"), "y")
	if err := sh.MkdirAll(filepath.Join(dir, "a", "file", "sub")); err == nil {
		t.Error("mkdir -p under a file accepted")
	}
	if err := sh.RemoveAll(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("rm -r left %v", ents)
	}
	if err := sh.RemoveAll(filepath.Join(dir, "a")); err == nil {
		t.Error("rm -r of a missing path accepted")
	}
}

func TestListFind(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "include", "known.h"), "#define KNOWN 1\n")
	write(t, filepath.Join(dir, "include", "sys", "other.h"), "")
	write(t, filepath.Join(dir, "src", "known.c"), "int known;\n")
	var out bytes.Buffer
	sh := NewShell(&out)
	n, err := sh.List(filepath.Join(dir, "include"))
	if err != nil || n != 2 || !strings.Contains(out.String(), " known.h\n") || !strings.Contains(out.String(), "total 2") {
		t.Errorf("ls -l: %d %v\n%s", n, err, out.String())
	}
	out.Reset()
	found, err := sh.Find(dir, "*.h")
	want := []string{filepath.Join(dir, "include", "known.h"), filepath.Join(dir, "include", "sys", "other.h")}
	if err != nil || !slices.Equal(found, want) || out.String() != want[0]+"\n"+want[1]+"\n" {
		t.Errorf("find *.h: %q %v, printed %q", found, err, out.String())
	}
	if found, err := sh.Find(dir, "known.c"); err != nil || len(found) != 1 || found[0] != filepath.Join(dir, "src", "known.c") {
		t.Errorf("find known.c: %q %v", found, err)
	}
	if found, err := sh.Find(dir, "sys"); err != nil || len(found) != 1 {
		t.Errorf("find sys (a directory): %q %v", found, err)
	}
	if _, err := sh.Find(dir, "[x"); err == nil {
		t.Error("bad pattern accepted")
	}
}

func TestGrep(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.h"), filepath.Join(dir, "b.h")
	write(t, a, "#define FOO 1\nint foo;\n#define FOOBAR 2\n")
	write(t, b, "FOO FOO\nnone\nlast FOO") // no final newline
	var out bytes.Buffer
	sh := NewShell(&out)
	n, err := sh.Grep("FOO", a, b)
	if err != nil || n != 4 {
		t.Errorf("grep FOO: %d %v", n, err)
	}
	want := a + ":#define FOO 1\n" + a + ":#define FOOBAR 2\n" + b + ":FOO FOO\n" + b + ":last FOO\n"
	if out.String() != want {
		t.Errorf("grep printed %q, want %q", out.String(), want)
	}
	if n, err := sh.Grep("absent", a, b); err != nil || n != 0 {
		t.Errorf("grep absent: %d %v", n, err)
	}
	if _, err := sh.Grep("x", filepath.Join(dir, "nosuch")); err == nil {
		t.Error("grep of a missing file accepted")
	}
}

func TestWC(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "one two\n  three\t\n")
	write(t, b, "four")
	var out bytes.Buffer
	sh := NewShell(&out)
	c, err := sh.WC(a)
	if err != nil || c != (Counts{Lines: 2, Words: 3, Bytes: 17}) {
		t.Errorf("wc a: %+v %v", c, err)
	}
	c, err = sh.WC(a, b)
	if err != nil || c != (Counts{Lines: 2, Words: 4, Bytes: 21}) || !strings.Contains(out.String(), "      2       4      21 total\n") {
		t.Errorf("wc a b: %+v %v\n%s", c, err, out.String())
	}
}

func TestSort(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	write(t, src, "pear\napple\nBanana\napple\nzed") // no final newline
	sh := NewShell(nil)
	n, err := sh.Sort(src, dst)
	if err != nil || n != 5 {
		t.Fatalf("sort: %d %v", n, err)
	}
	if got := read(t, dst); got != "Banana\napple\napple\npear\nzed\n" {
		t.Errorf("sorted %q", got)
	}
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	ten := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
	a := filepath.Join(dir, "a")
	write(t, a, lines(ten...))
	for _, c := range []struct {
		name string
		b    []string
		st   DiffStat
		out  string
	}{
		{"same", ten, DiffStat{}, ""},
		{"insert and delete", []string{"1", "2", "3", "new", "4", "5", "6", "8", "9", "10"},
			DiffStat{Deleted: 1, Inserted: 1, Hunks: 2}, "3a4\n> new\n7d7\n< 7\n"},
		{"change", []string{"1", "two", "3", "4", "5", "6", "7", "8", "nine", "ten"},
			DiffStat{Deleted: 3, Inserted: 3, Hunks: 2}, "2c2\n< 2\n---\n> two\n9,10c9,10\n< 9\n< 10\n---\n> nine\n> ten\n"},
		{"head and tail", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
			DiffStat{Deleted: 1, Inserted: 1, Hunks: 2}, "0a1\n> 0\n10d10\n< 10\n"},
		{"empty", nil, DiffStat{Deleted: 10, Hunks: 1}, "1,10d0\n" + "< " + strings.Join(ten, "\n< ") + "\n"},
	} {
		b := filepath.Join(dir, "b")
		write(t, b, "")
		if c.b != nil {
			write(t, b, lines(c.b...))
		}
		var out bytes.Buffer
		st, err := NewShell(&out).Diff(a, b)
		if err != nil || st != c.st || out.String() != c.out {
			t.Errorf("%s: %+v %v, printed\n%s", c.name, st, err, out.String())
		}
	}
}

// lcs is the length of a longest common subsequence, by the table.
func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}

// lineDiff's scripts turn a into b and are shortest, on random inputs;
// past maxDiff, they still turn a into b.
func TestLineDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = string(rune('a' + r.IntN(4)))
		}
		return s
	}
	check := func(a, b []string, shortest bool) {
		script := lineDiff(a, b)
		var got []string
		i, j, edits := 0, 0, 0
		for _, op := range script {
			switch op {
			case opEqual:
				if a[i] != b[j] {
					t.Fatalf("%q %q: equal step at %d, %d of unequal lines", a, b, i, j)
				}
				got = append(got, a[i])
				i, j = i+1, j+1
			case opDelete:
				i++
				edits++
			case opInsert:
				got = append(got, b[j])
				j++
				edits++
			}
		}
		if i != len(a) || !slices.Equal(got, b) {
			t.Fatalf("%q %q: script %q makes %q", a, b, script, got)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); shortest && edits != want {
			t.Fatalf("%q %q: %d edits, shortest %d", a, b, edits, want)
		}
	}
	for range 2000 {
		check(gen(r.IntN(12)), gen(r.IntN(12)), true)
	}
	big := func(prefix string, n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprint(prefix, i)
		}
		return s
	}
	check(big("a", 400), big("b", 400), false)
	a := big("x", 300)
	check(a, append(append(big("y", 200), a[:150]...), big("z", 200)...), false)
}

func TestEdit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	write(t, p, "a\nb\nc\n")
	os.Chmod(p, 0o600)
	sh := NewShell(nil)
	err := sh.Edit(p, []LineEdit{
		{Op: EditInsert, Line: 1, Text: "x"},           // x a b c
		{Op: EditDelete, Line: 3},                      // x a c
		{Op: EditSubst, Line: 3, Old: "c", New: "C++"}, // x a C++
		{Op: EditInsert, Line: 4, Text: "end"},         // x a C++ end
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "x\na\nC++\nend\n" {
		t.Errorf("edited %q", got)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	for _, bad := range [][]LineEdit{
		{{Op: EditDelete, Line: 1}, {Op: EditDelete, Line: 9}},
		{{Op: EditSubst, Line: 1, Old: "nothing", New: "y"}},
		{{Op: EditInsert, Line: 0, Text: "y"}},
		{{Op: 'q', Line: 1}},
	} {
		if err := sh.Edit(p, bad); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if got := read(t, p); got != "x\na\nC++\nend\n" {
		t.Errorf("failed edits changed the file: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	// No final newline stays so.
	write(t, p, "one\ntwo")
	if err := sh.Edit(p, []LineEdit{{Op: EditSubst, Line: 2, Old: "two", New: "2"}}); err != nil || read(t, p) != "one\n2" {
		t.Errorf("edit of a last line without newline: %q %v", read(t, p), err)
	}
}

func TestSpell(t *testing.T) {
	dir := t.TempDir()
	dict, doc := filepath.Join(dir, "words"), filepath.Join(dir, "doc")
	write(t, dict, "apple\nbanana\ncherry\nis\n")
	write(t, doc, "Apple is banana, chery\nCHERRY! a x1 bananna.\n")
	var out bytes.Buffer
	miss, err := NewShell(&out).Spell(doc, dict)
	if err != nil || !slices.Equal(miss, []string{"bananna", "chery"}) || out.String() != "bananna\nchery\n" {
		t.Errorf("spell: %q %v, printed %q", miss, err, out.String())
	}
}

func TestPrint(t *testing.T) {
	dir := t.TempDir()
	src, spool := filepath.Join(dir, "f.c"), filepath.Join(dir, "spool")
	os.Mkdir(spool, 0o755)
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "line %d\n", i+1)
	}
	write(t, src, b.String())
	sh := NewShell(nil)
	out, err := sh.Print(src, spool)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, out)
	if filepath.Dir(out) != spool || strings.Count(got, "\n") != 2*pageLines ||
		!strings.Contains(got, src+"  Page 1\n") || !strings.Contains(got, src+"  Page 2\n") ||
		!strings.Contains(got, "     1\tline 1\n") || !strings.Contains(got, "    60\tline 60\n") {
		t.Errorf("printed to %s:\n%s", out, got)
	}
	if out2, err := sh.Print(src, spool); err != nil || out2 == out {
		t.Errorf("second print: %s %v", out2, err)
	}
}

func TestCat(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "first\n")
	write(t, b, "second\n")
	var out bytes.Buffer
	n, err := NewShell(&out).Cat(a, b, a)
	if err != nil || n != 19 || out.String() != "first\nsecond\nfirst\n" {
		t.Errorf("cat: %d %v %q", n, err, out.String())
	}
}

// mtimes returns the modification times of dir's files.
func mtimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]time.Time{}
	for _, e := range ents {
		fi, _ := e.Info()
		m[e.Name()] = fi.ModTime()
	}
	return m
}

// changed returns the names whose time differs between a and b (or
// that are in one only).
func changed(a, b map[string]time.Time) []string {
	var names []string
	for n, t := range b {
		if at, ok := a[n]; !ok || !at.Equal(t) {
			names = append(names, n)
		}
	}
	for n := range a {
		if _, ok := b[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func TestMake(t *testing.T) {
	dir := t.TempDir()
	src, inc, sys := filepath.Join(dir, "src"), filepath.Join(dir, "include"), filepath.Join(dir, "sys")
	write(t, filepath.Join(inc, "a.h"), "#define A 1\n#include <s.h>\n")
	write(t, filepath.Join(sys, "s.h"), "#define S 2\n")
	write(t, filepath.Join(sys, "sys", "t.h"), "#define T 3\n")
	write(t, filepath.Join(src, "one.c"), "/* one */\n#include \"a.h\"\n#include <s.h>\nint one(void)\n{\n\treturn A;\n}\n")
	write(t, filepath.Join(src, "two.c"), "#include <sys/t.h>\nint two;\n")
	write(t, filepath.Join(src, "three.c"), "int three;\n")
	write(t, filepath.Join(src, "notes.txt"), "not a source\n")
	sh := NewShell(nil)
	r, err := sh.Make(src, inc, sys)
	if err != nil || r != (MakeResult{Sources: 3, Compiled: 3, Linked: true}) {
		t.Fatalf("first make: %+v %v", r, err)
	}
	exe := read(t, filepath.Join(src, "a.out"))
	if !strings.HasPrefix(exe, "K42EXE\none.c ") || !strings.Contains(exe, "\nthree.c ") || !strings.Contains(exe, "\ntwo.c ") {
		t.Errorf("a.out:\n%s", exe)
	}
	if d := read(t, filepath.Join(src, "one.d")); d != filepath.Join(src, "one.o")+": "+filepath.Join(src, "one.c")+"\n"+
		filepath.Join(inc, "a.h")+"\n"+filepath.Join(sys, "s.h")+"\n" {
		t.Errorf("one.d:\n%s", d)
	}
	if o := read(t, filepath.Join(src, "one.o")); !strings.HasPrefix(o, "K42OBJ one.c ") || !strings.HasSuffix(o, "int one(void)\n{\nreturn A;\n}\n") {
		t.Errorf("one.o:\n%s", o)
	}

	// Set every time back: sources and headers 2 hours, outputs 1 hour;
	// "touching" a file sets it to half an hour ago, newer than the
	// outputs and older than any output made from now on.
	now := time.Now()
	touch := func(path string, ago time.Duration) {
		if err := os.Chtimes(path, now.Add(-ago), now.Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(inc, "a.h"), filepath.Join(sys, "s.h"), filepath.Join(sys, "sys", "t.h")} {
		touch(p, 2*time.Hour)
	}
	for name := range mtimes(t, src) {
		ago := time.Hour
		if strings.HasSuffix(name, ".c") {
			ago = 2 * time.Hour
		}
		touch(filepath.Join(src, name), ago)
	}

	// Nothing changed: nothing written.
	before, w0 := mtimes(t, src), sh.Stats().BytesWritten
	r, err = sh.Make(src, inc, sys)
	if err != nil || r != (MakeResult{Sources: 3}) || sh.Stats().BytesWritten != w0 {
		t.Errorf("second make: %+v %v, %d bytes written", r, err, sh.Stats().BytesWritten-w0)
	}
	if c := changed(before, mtimes(t, src)); len(c) != 0 {
		t.Errorf("second make changed %v", c)
	}

	// A source touched: it and the link.
	touch(filepath.Join(src, "two.c"), 30*time.Minute)
	before = mtimes(t, src)
	r, err = sh.Make(src, inc, sys)
	if err != nil || r != (MakeResult{Sources: 3, Compiled: 1, Linked: true}) {
		t.Errorf("make after touching two.c: %+v %v", r, err)
	}
	if c := changed(before, mtimes(t, src)); !slices.Equal(c, []string{"a.out", "two.d", "two.o"}) {
		t.Errorf("make after touching two.c changed %v", c)
	}

	// A header touched, included through a.h: one.c.
	touch(filepath.Join(sys, "s.h"), 30*time.Minute)
	before = mtimes(t, src)
	if r, err = sh.Make(src, inc, sys); err != nil || r.Compiled != 1 || !r.Linked {
		t.Errorf("make after touching s.h: %+v %v", r, err)
	}
	if c := changed(before, mtimes(t, src)); !slices.Equal(c, []string{"a.out", "one.d", "one.o"}) {
		t.Errorf("make after touching s.h changed %v", c)
	}

	// An object newer than a.out: the link only.
	touch(filepath.Join(src, "a.out"), 3*time.Hour)
	if r, err = sh.Make(src, inc, sys); err != nil || r.Compiled != 0 || !r.Linked {
		t.Errorf("make with a.out older than the objects: %+v %v", r, err)
	}

	// A missing header: the error names it.
	write(t, filepath.Join(src, "bad.c"), "#include \"missing.h\"\n")
	if _, err := sh.Make(src, inc, sys); err == nil || !strings.Contains(err.Error(), "missing.h") || !strings.Contains(err.Error(), "bad.o") {
		t.Errorf("make with a missing header: %v", err)
	}
}
