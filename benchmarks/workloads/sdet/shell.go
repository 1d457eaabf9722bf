package sdet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Shell runs commands as one user's shell would, each a Go function
// working through package os, writing what it prints to Out (its
// terminal), and counting the file operations it makes. A Shell is for
// one goroutine at a time.
type Shell struct {
	// Out is the terminal; nil discards.
	Out io.Writer

	st  Stats
	seq int    // names made so far (Print's spool files)
	buf []byte // the copy buffer
}

// Stats is what a Shell's commands have done so far.
type Stats struct {
	// Ops counts calls into package os that reach the file system
	// (open, stat, read, write, close, readdir, mkdir, rename, remove
	// and so on): close to the system calls made. The terminal's writes
	// count if Out counts them (as Run's does).
	Ops          int64
	BytesRead    int64
	BytesWritten int64
}

// NewShell returns a Shell whose terminal is out (nil: none).
func NewShell(out io.Writer) *Shell { return &Shell{Out: out} }

// Stats returns the counts so far.
func (sh *Shell) Stats() Stats { return sh.st }

func (sh *Shell) out() io.Writer {
	if sh.Out == nil {
		return io.Discard
	}
	return sh.Out
}

// The counted operations.

func (sh *Shell) stat(path string) (fs.FileInfo, error) {
	sh.st.Ops++
	return os.Stat(path)
}

func (sh *Shell) lstat(path string) (fs.FileInfo, error) {
	sh.st.Ops++
	return os.Lstat(path)
}

// readDir is os.ReadDir: an open, one or more reads, a close.
func (sh *Shell) readDir(dir string) ([]fs.DirEntry, error) {
	sh.st.Ops += 3
	return os.ReadDir(dir)
}

func (sh *Shell) mkdir(path string, perm fs.FileMode) error {
	sh.st.Ops++
	return os.Mkdir(path, perm)
}

func (sh *Shell) rename(from, to string) error {
	sh.st.Ops++
	return os.Rename(from, to)
}

func (sh *Shell) remove(path string) error {
	sh.st.Ops++
	return os.Remove(path)
}

// readFile reads all of path: open, fstat, reads to end of file, close.
func (sh *Shell) readFile(path string) ([]byte, fs.FileInfo, error) {
	sh.st.Ops++
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		sh.st.Ops++
		f.Close()
	}()
	sh.st.Ops++
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	data := make([]byte, 0, fi.Size()+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		sh.st.Ops++
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		sh.st.BytesRead += int64(n)
		if err == io.EOF {
			return data, fi, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

// writeFile writes data to path, made or truncated: open, write, close.
func (sh *Shell) writeFile(path string, data []byte, perm fs.FileMode) error {
	sh.st.Ops++
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if len(data) > 0 {
		sh.st.Ops++
		n, err := f.Write(data)
		sh.st.BytesWritten += int64(n)
		if err != nil {
			f.Close()
			return err
		}
	}
	sh.st.Ops++
	return f.Close()
}

// The commands.

// Cat writes the files at paths to the terminal, in turn, and returns
// the bytes written.
func (sh *Shell) Cat(paths ...string) (int64, error) {
	var n int64
	for _, p := range paths {
		data, _, err := sh.readFile(p)
		if err != nil {
			return n, err
		}
		m, err := sh.out().Write(data)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Copy copies the regular file src to the file dst (made, or truncated),
// with src's permissions, as cp src dst does when dst is not a
// directory.
func (sh *Shell) Copy(src, dst string) error {
	sh.st.Ops++
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() {
		sh.st.Ops++
		in.Close()
	}()
	sh.st.Ops++
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "cp", Path: src, Err: errors.New("not a regular file")}
	}
	sh.st.Ops++
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if sh.buf == nil {
		sh.buf = make([]byte, 32<<10)
	}
	for {
		sh.st.Ops++
		n, rerr := in.Read(sh.buf)
		sh.st.BytesRead += int64(n)
		if n > 0 {
			sh.st.Ops++
			m, werr := out.Write(sh.buf[:n])
			sh.st.BytesWritten += int64(m)
			if werr != nil {
				out.Close()
				return werr
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	sh.st.Ops++
	return out.Close()
}

// CopyTree copies src to dst, which must not exist, as cp -r src dst
// does: a regular file is copied; a directory is made again with its
// permissions and everything in it copied, directories and regular
// files only.
func (sh *Shell) CopyTree(src, dst string) error {
	fi, err := sh.stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return sh.Copy(src, dst)
	}
	if err := sh.mkdir(dst, fi.Mode().Perm()); err != nil {
		return err
	}
	return sh.copyContents(src, dst)
}

// copyContents copies what is in the directory src into the directory
// dst.
func (sh *Shell) copyContents(src, dst string) error {
	ents, err := sh.readDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		switch {
		case e.IsDir():
			sh.st.Ops++
			fi, err := e.Info()
			if err != nil {
				return err
			}
			if err := sh.mkdir(d, fi.Mode().Perm()); err != nil {
				return err
			}
			if err := sh.copyContents(s, d); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if err := sh.Copy(s, d); err != nil {
				return err
			}
		default:
			return &fs.PathError{Op: "cp", Path: s, Err: errors.New("not a regular file or directory")}
		}
	}
	return nil
}

// Move renames src to dst, or into dst if dst is a directory, as mv
// does; src may be a directory.
func (sh *Shell) Move(src, dst string) error {
	if fi, err := sh.stat(dst); err == nil && fi.IsDir() {
		dst = filepath.Join(dst, filepath.Base(src))
	}
	return sh.rename(src, dst)
}

// MkdirAll makes path and the parents it lacks, as mkdir -p does.
func (sh *Shell) MkdirAll(path string) error {
	fi, err := sh.stat(path)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: path, Err: syscall.ENOTDIR}
	}
	if parent := filepath.Dir(path); parent != path {
		if err := sh.MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := sh.mkdir(path, 0o755); err != nil {
		if fi, serr := sh.stat(path); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return nil
}

// RemoveAll removes path and, if it is a directory, everything in it,
// as rm -r does: that path does not exist is an error.
func (sh *Shell) RemoveAll(path string) error {
	fi, err := sh.lstat(path)
	if err != nil {
		return err
	}
	return sh.removeTree(path, fi.IsDir())
}

func (sh *Shell) removeTree(path string, dir bool) error {
	if dir {
		ents, err := sh.readDir(path)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := sh.removeTree(filepath.Join(path, e.Name()), e.IsDir()); err != nil {
				return err
			}
		}
	}
	return sh.remove(path)
}

// List writes dir's entries to the terminal as ls -l does (reading the
// directory and stating every entry) and returns how many there are.
func (sh *Shell) List(dir string) (int, error) {
	ents, err := sh.readDir(dir)
	if err != nil {
		return 0, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s:\ntotal %d\n", dir, len(ents))
	for _, e := range ents {
		sh.st.Ops++
		fi, err := e.Info()
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(&b, "%v %8d %s %s\n", fi.Mode(), fi.Size(), fi.ModTime().Format("Jan _2 15:04"), e.Name())
	}
	_, err = sh.out().Write(b.Bytes())
	return len(ents), err
}

// Find walks the tree at root in lexical order, as find root -name
// pattern does, writes the paths whose last element matches pattern
// (filepath.Match) to the terminal, and returns them.
func (sh *Shell) Find(root, pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("find: pattern %q: %w", pattern, err)
	}
	fi, err := sh.lstat(root)
	if err != nil {
		return nil, err
	}
	var found []string
	var b bytes.Buffer
	var walk func(path, name string, dir bool) error
	walk = func(path, name string, dir bool) error {
		if ok, _ := filepath.Match(pattern, name); ok {
			found = append(found, path)
			b.WriteString(path)
			b.WriteByte('\n')
		}
		if !dir {
			return nil
		}
		ents, err := sh.readDir(path)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := walk(filepath.Join(path, e.Name()), e.Name(), e.IsDir()); err != nil {
				return err
			}
		}
		return nil
	}
	err = walk(root, filepath.Base(root), fi.IsDir())
	if _, werr := sh.out().Write(b.Bytes()); err == nil {
		err = werr
	}
	return found, err
}

// Grep writes the lines of the files at paths that hold pattern (a
// plain string, as grep -F takes it) to the terminal, as path:line, and
// returns how many lines matched.
func (sh *Shell) Grep(pattern string, paths ...string) (int, error) {
	p := []byte(pattern)
	n := 0
	var b bytes.Buffer
	for _, path := range paths {
		data, _, err := sh.readFile(path)
		if err != nil {
			return n, err
		}
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if bytes.Contains(line, p) {
				n++
				b.WriteString(path)
				b.WriteByte(':')
				b.Write(line)
				b.WriteByte('\n')
			}
		}
	}
	_, err := sh.out().Write(b.Bytes())
	return n, err
}

// Counts is what wc counts.
type Counts struct {
	Lines, Words, Bytes int64
}

func (c *Counts) add(o Counts) {
	c.Lines += o.Lines
	c.Words += o.Words
	c.Bytes += o.Bytes
}

// count counts data's newlines, words (runs of bytes other than space,
// tab, newline, carriage return, vertical tab and form feed) and bytes.
func count(data []byte) Counts {
	c := Counts{Bytes: int64(len(data))}
	in := false
	for _, ch := range data {
		switch ch {
		case '\n':
			c.Lines++
			in = false
		case ' ', '\t', '\r', '\v', '\f':
			in = false
		default:
			if !in {
				c.Words++
				in = true
			}
		}
	}
	return c
}

// WC counts the lines, words and bytes of the files at paths, writes
// each file's counts (and, for more than one, their total) to the
// terminal as wc does, and returns the total.
func (sh *Shell) WC(paths ...string) (Counts, error) {
	var total Counts
	var b bytes.Buffer
	for _, p := range paths {
		data, _, err := sh.readFile(p)
		if err != nil {
			return total, err
		}
		c := count(data)
		total.add(c)
		fmt.Fprintf(&b, "%7d %7d %7d %s\n", c.Lines, c.Words, c.Bytes, p)
	}
	if len(paths) > 1 {
		fmt.Fprintf(&b, "%7d %7d %7d total\n", total.Lines, total.Words, total.Bytes)
	}
	_, err := sh.out().Write(b.Bytes())
	return total, err
}

// splitLines returns data's lines without their newlines, and whether
// the last one had one.
func splitLines(data []byte) ([]string, bool) {
	if len(data) == 0 {
		return nil, true
	}
	s := string(data)
	nl := strings.HasSuffix(s, "\n")
	if nl {
		s = s[:len(s)-1]
	}
	return strings.Split(s, "\n"), nl
}

// joinLines returns lines, each ended by a newline but, if !nl, the
// last.
func joinLines(lines []string, nl bool) []byte {
	var b bytes.Buffer
	for i, l := range lines {
		b.WriteString(l)
		if nl || i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Sort writes the lines of src, sorted by byte value (as LC_ALL=C sort
// does), to dst and returns how many there are.
func (sh *Shell) Sort(src, dst string) (int, error) {
	data, _, err := sh.readFile(src)
	if err != nil {
		return 0, err
	}
	lines, _ := splitLines(data)
	sort.Strings(lines)
	return len(lines), sh.writeFile(dst, joinLines(lines, true), 0o644)
}

// EditOp is what a LineEdit does.
type EditOp byte

// The line edits, as ed's commands a (insert), d and s.
const (
	EditInsert EditOp = 'i' // Text becomes line Line (1 to lines+1)
	EditDelete EditOp = 'd' // line Line (1 to lines) is deleted
	EditSubst  EditOp = 's' // Old, which must be there, becomes New in line Line (its first)
)

// LineEdit is one edit of a file's lines; lines are numbered from 1, as
// ed numbers them, in the file as the edits before have left it.
type LineEdit struct {
	Op       EditOp
	Line     int
	Text     string // EditInsert's line
	Old, New string // EditSubst's
}

func (e LineEdit) apply(lines []string) ([]string, error) {
	switch e.Op {
	case EditInsert:
		if e.Line < 1 || e.Line > len(lines)+1 {
			return nil, fmt.Errorf("insert at line %d of %d", e.Line, len(lines))
		}
		return append(lines[:e.Line-1], append([]string{e.Text}, lines[e.Line-1:]...)...), nil
	case EditDelete:
		if e.Line < 1 || e.Line > len(lines) {
			return nil, fmt.Errorf("delete line %d of %d", e.Line, len(lines))
		}
		return append(lines[:e.Line-1], lines[e.Line:]...), nil
	case EditSubst:
		if e.Line < 1 || e.Line > len(lines) {
			return nil, fmt.Errorf("substitute in line %d of %d", e.Line, len(lines))
		}
		l := lines[e.Line-1]
		if !strings.Contains(l, e.Old) {
			return nil, fmt.Errorf("line %d: no match for %q", e.Line, e.Old)
		}
		lines[e.Line-1] = strings.Replace(l, e.Old, e.New, 1)
		return lines, nil
	}
	return nil, fmt.Errorf("unknown edit %q", e.Op)
}

// Edit applies edits, in turn, to the file at path, as an ed session
// would, and writes the result back through a temporary file in the
// same directory renamed over path (keeping path's permissions). If an
// edit cannot be made, Edit fails and path is left as it was.
func (sh *Shell) Edit(path string, edits []LineEdit) error {
	return sh.edit(path, len(edits), func(i int, _ []string) LineEdit { return edits[i] })
}

// edit applies n edits, the ith made by next from the lines as they
// are, to path.
func (sh *Shell) edit(path string, n int, next func(i int, lines []string) LineEdit) error {
	data, fi, err := sh.readFile(path)
	if err != nil {
		return err
	}
	lines, nl := splitLines(data)
	for i := range n {
		if lines, err = next(i, lines).apply(lines); err != nil {
			return fmt.Errorf("ed %s: edit %d: %w", path, i+1, err)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".ed")
	if err := sh.writeFile(tmp, joinLines(lines, nl), fi.Mode().Perm()); err != nil {
		sh.remove(tmp)
		return err
	}
	if err := sh.rename(tmp, path); err != nil {
		sh.remove(tmp)
		return err
	}
	return nil
}

// Spell looks the words of the document at doc up in the dictionary at
// dict (a word a line), writes those it lacks to the terminal, a line
// each, and returns them, sorted. A word is a run of two or more ASCII
// letters, looked up in lower case.
func (sh *Shell) Spell(doc, dict string) ([]string, error) {
	data, _, err := sh.readFile(doc)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	var words []string
	for i := 0; i < len(data); {
		if !isLetter(data[i]) {
			i++
			continue
		}
		j := i
		for j < len(data) && isLetter(data[j]) {
			j++
		}
		if j-i >= 2 {
			w := strings.ToLower(string(data[i:j]))
			if _, ok := index[w]; !ok {
				index[w] = len(words)
				words = append(words, w)
			}
		}
		i = j
	}
	dwords, _, err := sh.readFile(dict)
	if err != nil {
		return nil, err
	}
	found := make([]bool, len(words))
	for len(dwords) > 0 {
		line := dwords
		if i := bytes.IndexByte(dwords, '\n'); i >= 0 {
			line, dwords = dwords[:i], dwords[i+1:]
		} else {
			dwords = nil
		}
		if i, ok := index[string(line)]; ok {
			found[i] = true
		}
	}
	var missing []string
	for i, w := range words {
		if !found[i] {
			missing = append(missing, w)
		}
	}
	sort.Strings(missing)
	var b bytes.Buffer
	for _, w := range missing {
		b.WriteString(w)
		b.WriteByte('\n')
	}
	_, err = sh.out().Write(b.Bytes())
	return missing, err
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Page layout of Print, as pr's: 66 lines, a 5-line header and trailer.
const (
	pageLines = 66
	bodyLines = pageLines - 10
)

// Print formats the file at src as pr -n does (66-line pages, each with
// a header of the file's modification time, name and page number, lines
// numbered), writes it to a new file in spoolDir, as a print spooler
// would take it, and returns that file's path.
func (sh *Shell) Print(src, spoolDir string) (string, error) {
	data, fi, err := sh.readFile(src)
	if err != nil {
		return "", err
	}
	lines, _ := splitLines(data)
	when := fi.ModTime().Format("2006-01-02 15:04")
	var b bytes.Buffer
	for page, i := 1, 0; page == 1 || i < len(lines); page++ {
		fmt.Fprintf(&b, "\n\n%s  %s  Page %d\n\n\n", when, src, page)
		for j := 0; j < bodyLines; j++ {
			if i < len(lines) {
				fmt.Fprintf(&b, "%6d\t%s\n", i+1, lines[i])
				i++
			} else {
				b.WriteByte('\n')
			}
		}
		b.WriteString("\n\n\n\n\n")
	}
	sh.seq++
	dst := filepath.Join(spoolDir, fmt.Sprintf("%s.%d.pr", filepath.Base(src), sh.seq))
	return dst, sh.writeFile(dst, b.Bytes(), 0o644)
}
