package sdet

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// script is one running script: its shell, random source and home, and
// what it knows of the home (where the files it works on are now).
type script struct {
	env   *Env
	sh    *Shell
	r     *rand.Rand
	home  string
	tty   *os.File
	out   *bufio.Writer
	count map[string]int // commands done, by name
	seq   int            // names made so far

	// Paths relative to home.
	mods     [][]string // each module's .c files (never moved or removed)
	headers  []string   // include/*.h (never moved or removed)
	docs     []string   // doc/*.txt (mv renames them)
	testDirs []string   // in tests/ or attic/ (mv moves them)
	scratchF []string   // files made in scratch/ (rm removes them)
	scratchD []string   // directories made in scratch/ (rm removes them)
	attic    bool       // whether attic/ has been made
}

// ttyWriter is a script's terminal: the file's writes are counted as
// the Shell's.
type ttyWriter struct {
	f  *os.File
	st *Stats
}

func (t ttyWriter) Write(p []byte) (int, error) {
	t.st.Ops++
	n, err := t.f.Write(p)
	t.st.BytesWritten += int64(n)
	return n, err
}

// commands is what each command of the mix does; k is which of the
// command's runs in this repetition it is (0 to its count-1), for the
// commands whose runs differ.
var commands = map[string]func(s *script, k int) error{
	"edit":  (*script).edit,
	"make":  (*script).make,
	"grep":  (*script).grep,
	"ls":    (*script).ls,
	"find":  (*script).find,
	"cat":   (*script).cat,
	"cp":    (*script).cp,
	"mv":    (*script).mv,
	"mkdir": (*script).mkdir,
	"rm":    (*script).rm,
	"wc":    (*script).wc,
	"sort":  (*script).sort,
	"diff":  (*script).diff,
	"spell": (*script).spell,
	"print": (*script).print,
}

// runScript runs script i of c in env: clone, the mix c.Repeat times,
// removal of the home. done is called after each command of the mix.
// It returns the script's counts, and its first error, naming the
// script, the command and what failed.
func runScript(env *Env, c Config, i int, done func()) (Stats, map[string]int, error) {
	s := &script{
		env:   env,
		sh:    NewShell(nil),
		r:     rand.New(rand.NewPCG(c.Seed+uint64(i), 0x5de7)),
		home:  filepath.Join(env.Home, strconv.Itoa(i)),
		count: map[string]int{},
	}
	err := s.run(c, done)
	if err != nil {
		err = fmt.Errorf("sdet: script %d: %w", i, err)
	}
	return s.sh.st, s.count, err
}

func (s *script) run(c Config, done func()) (err error) {
	// The clone: cp -r template home, the home made first so that a
	// failure after it can be cleaned up.
	if err := s.sh.mkdir(s.home, 0o755); err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	defer func() {
		if s.tty != nil {
			s.out.Flush()
			s.tty.Close()
			s.tty = nil
		}
		if rerr := s.sh.RemoveAll(s.home); rerr != nil && err == nil {
			err = fmt.Errorf("rm -r home: %w", rerr)
		}
	}()
	if err := s.sh.copyContents(s.env.Template, s.home); err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	for _, d := range []string{"scratch", "spool"} {
		if err := s.sh.mkdir(s.abs(d), 0o755); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	s.sh.st.Ops++
	tty, err := os.OpenFile(s.abs(".tty"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	s.tty = tty
	s.out = bufio.NewWriterSize(ttyWriter{tty, &s.sh.st}, 4096)
	s.sh.Out = s.out
	tl := &s.env.tl
	for _, m := range tl.mods {
		s.mods = append(s.mods, append([]string(nil), m...))
	}
	s.headers = append([]string(nil), tl.headers...)
	s.docs = append([]string(nil), tl.docs...)
	s.testDirs = append([]string(nil), tl.testDirs...)

	type step struct {
		name string
		k    int
	}
	var steps []step
	for range c.WithDefaults().Repeat {
		steps = steps[:0]
		for _, m := range mix {
			for k := range m.Count {
				steps = append(steps, step{m.Name, k})
			}
		}
		s.r.Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
		for _, st := range steps {
			if err := commands[st.name](s, st.k); err != nil {
				return fmt.Errorf("%s: %w", st.name, err)
			}
			s.count[st.name]++
			done()
		}
	}
	if err := s.out.Flush(); err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	s.sh.st.Ops++
	err = s.tty.Close()
	s.tty = nil
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}

// abs returns the path of rel in the home.
func (s *script) abs(rel string) string { return filepath.Join(s.home, filepath.FromSlash(rel)) }

func (s *script) absAll(rels []string) []string {
	out := make([]string, len(rels))
	for i, r := range rels {
		out[i] = s.abs(r)
	}
	return out
}

func (s *script) sys(rel string) string { return filepath.Join(s.env.System, filepath.FromSlash(rel)) }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// word returns a vocabulary word, the first ones most often.
func (s *script) word() string {
	u := s.r.Float64()
	return s.env.vocab[int(u*u*float64(len(s.env.vocab)))]
}

// next returns a number not returned before, for new names.
func (s *script) next() string {
	s.seq++
	return strconv.Itoa(s.seq)
}

// name returns a new name made of a word and a number.
func (s *script) name() string { return s.word() + "." + s.next() }

func (s *script) cfile() string { return pick(s.r, pick(s.r, s.mods)) }

// textFile returns a source, a header or a document.
func (s *script) textFile() string {
	switch x := s.r.IntN(20); {
	case x < 12:
		return s.cfile()
	case x < 15:
		return pick(s.r, s.headers)
	default:
		return pick(s.r, s.docs)
	}
}

func (s *script) edit(int) error {
	path := s.textFile()
	code := strings.HasSuffix(path, ".c") || strings.HasSuffix(path, ".h")
	n := 2 + s.r.IntN(5)
	return s.sh.edit(s.abs(path), n, func(_ int, lines []string) LineEdit {
		op := s.r.IntN(3)
		if len(lines) < 2 {
			op = 0
		}
		if op == 2 {
			for range 3 {
				line := 1 + s.r.IntN(len(lines))
				if f := strings.Fields(lines[line-1]); len(f) > 0 {
					return LineEdit{Op: EditSubst, Line: line, Old: pick(s.r, f), New: s.word()}
				}
			}
			op = 0
		}
		if op == 1 {
			return LineEdit{Op: EditDelete, Line: 1 + s.r.IntN(len(lines))}
		}
		text := s.word() + " " + s.word() + " " + s.word() + "."
		if code {
			text = fmt.Sprintf("\t%s = %s(%s, %d);", s.word(), s.word(), s.word(), s.r.IntN(100))
		}
		return LineEdit{Op: EditInsert, Line: 1 + s.r.IntN(len(lines)+1), Text: text}
	})
}

func (s *script) make(int) error {
	m := pick(s.r, s.mods)
	r, err := s.sh.Make(filepath.Dir(s.abs(m[0])), s.abs("include"), s.env.Include)
	if err == nil {
		fmt.Fprintf(s.out, "make: %d of %d compiled, linked %v\n", r.Compiled, r.Sources, r.Linked)
	}
	return err
}

func (s *script) grep(k int) error {
	var files []string
	pattern := s.word()
	switch k % 3 {
	case 0: // a module's sources
		files = s.absAll(pick(s.r, s.mods))
	case 1: // the home's headers and the system's
		pattern = strings.ToUpper(pattern)
		files = s.absAll(s.headers)
		for _, h := range s.env.sl.headers {
			files = append(files, s.sys(h))
		}
	default: // the documents
		files = s.absAll(s.docs)
	}
	n, err := s.sh.Grep(pattern, files...)
	if err == nil {
		fmt.Fprintf(s.out, "grep %s: %d lines\n", pattern, n)
	}
	return err
}

// dirs returns the home's directories as they are now.
func (s *script) dirs() []string {
	ds := []string{"", "include", "doc", "tests", "scratch", "spool"}
	for _, m := range s.mods {
		ds = append(ds, filepath.Dir(m[0]))
	}
	return append(ds, s.testDirs...)
}

func (s *script) ls(k int) error {
	var dir string
	switch k % 3 {
	case 0:
		dir = s.home
	case 1:
		dir = s.abs(pick(s.r, s.dirs()))
	default:
		dir = s.sys(pick(s.r, s.env.sl.dirs))
	}
	_, err := s.sh.List(dir)
	return err
}

func (s *script) find(k int) error {
	if k%2 == 0 {
		pattern := pick(s.r, []string{"*.c", "*.h", "*.txt", "*.t", filepath.Base(pick(s.r, s.headers))})
		_, err := s.sh.Find(s.home, pattern)
		return err
	}
	pattern := pick(s.r, []string{"*.h", "*.dat", "*.c", filepath.Base(pick(s.r, s.env.sl.headers))})
	_, err := s.sh.Find(s.env.System, pattern)
	return err
}

func (s *script) cat(k int) error {
	var files []string
	switch k % 3 {
	case 0:
		for range 1 + s.r.IntN(2) {
			files = append(files, s.abs(pick(s.r, s.docs)))
		}
	case 1:
		files = []string{s.abs(s.cfile()), s.abs(pick(s.r, s.headers))}
	default:
		files = []string{s.sys(pick(s.r, s.env.sl.data))}
	}
	_, err := s.sh.Cat(files...)
	return err
}

// copyFile copies a source, header or document into scratch/.
func (s *script) copyFile() error {
	src := s.textFile()
	dst := "scratch/" + filepath.Base(src) + "." + s.next()
	if err := s.sh.Copy(s.abs(src), s.abs(dst)); err != nil {
		return err
	}
	s.scratchF = append(s.scratchF, dst)
	return nil
}

// copyDir copies a test directory into scratch/ (cp -r).
func (s *script) copyDir() error {
	src := pick(s.r, s.testDirs)
	dst := "scratch/" + filepath.Base(src) + "." + s.next()
	if err := s.sh.CopyTree(s.abs(src), s.abs(dst)); err != nil {
		return err
	}
	s.scratchD = append(s.scratchD, dst)
	return nil
}

func (s *script) cp(k int) error {
	if k%2 == 0 {
		return s.copyFile()
	}
	return s.copyDir()
}

func (s *script) mv(k int) error {
	if k%2 == 0 { // rename a document
		i := s.r.IntN(len(s.docs))
		dst := "doc/" + s.name() + ".txt"
		if err := s.sh.Move(s.abs(s.docs[i]), s.abs(dst)); err != nil {
			return err
		}
		s.docs[i] = dst
		return nil
	}
	// Move a test directory from tests/ into attic/, or back.
	i := s.r.IntN(len(s.testDirs))
	to := "attic"
	if strings.HasPrefix(s.testDirs[i], "attic/") {
		to = "tests"
	}
	if !s.attic {
		if err := s.sh.MkdirAll(s.abs("attic")); err != nil {
			return err
		}
		s.attic = true
	}
	if err := s.sh.Move(s.abs(s.testDirs[i]), s.abs(to)); err != nil {
		return err
	}
	s.testDirs[i] = to + "/" + filepath.Base(s.testDirs[i])
	return nil
}

func (s *script) mkdir(int) error {
	top := "scratch/" + s.name()
	if err := s.sh.MkdirAll(s.abs(top + "/" + s.word())); err != nil {
		return err
	}
	s.scratchD = append(s.scratchD, top)
	return nil
}

// take removes and returns a random element of *xs.
func take(r *rand.Rand, xs *[]string) string {
	i := r.IntN(len(*xs))
	x := (*xs)[i]
	(*xs)[i] = (*xs)[len(*xs)-1]
	*xs = (*xs)[:len(*xs)-1]
	return x
}

func (s *script) rm(k int) error {
	if k%2 == 0 { // a scratch file, copied first if there is none
		if len(s.scratchF) == 0 {
			if err := s.copyFile(); err != nil {
				return err
			}
		}
		return s.sh.RemoveAll(s.abs(take(s.r, &s.scratchF)))
	}
	if len(s.scratchD) == 0 {
		if err := s.copyDir(); err != nil {
			return err
		}
	}
	return s.sh.RemoveAll(s.abs(take(s.r, &s.scratchD)))
}

func (s *script) wc(int) error {
	var files []string
	for range 1 + s.r.IntN(3) {
		files = append(files, s.abs(s.textFile()))
	}
	_, err := s.sh.WC(files...)
	return err
}

func (s *script) sort(k int) error {
	var src string
	if k%2 == 0 {
		src = s.abs(pick(s.r, s.docs))
	} else {
		src = s.sys(pick(s.r, s.env.sl.data))
	}
	dst := "scratch/" + filepath.Base(src) + ".sorted." + s.next()
	if _, err := s.sh.Sort(src, s.abs(dst)); err != nil {
		return err
	}
	s.scratchF = append(s.scratchF, dst)
	return nil
}

func (s *script) diff(int) error {
	f := s.cfile()
	if s.r.IntN(4) == 0 {
		f = pick(s.r, s.headers)
	}
	_, err := s.sh.Diff(filepath.Join(s.env.Template, filepath.FromSlash(f)), s.abs(f))
	return err
}

func (s *script) spell(int) error {
	_, err := s.sh.Spell(s.abs(pick(s.r, s.docs)), s.env.Dictionary)
	return err
}

func (s *script) print(k int) error {
	src := s.cfile()
	if k%2 == 1 {
		src = pick(s.r, s.docs)
	}
	_, err := s.sh.Print(s.abs(src), s.abs("spool"))
	return err
}
