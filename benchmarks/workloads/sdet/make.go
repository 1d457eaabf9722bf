package sdet

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// MakeResult is what a Make did.
type MakeResult struct {
	Sources  int  // .c files in the directory
	Compiled int  // of them compiled again
	Linked   bool // whether a.out was linked again
}

// Make builds the C sources of dir as make with a makefile of
// "a.out: *.o" and "%.o: %.c" rules and gcc -MD's dependency files
// would: for each x.c (in lexical order) whose x.o is missing, older
// than x.c, or older than a file x.d lists (the headers its last compile
// read), it compiles x.c, reading it and every header it includes,
// recursively (quoted names are looked for in the source's directory
// and then in include, in order; bracketed ones in include), and writes
// x.o (a checksum of all it read and a copy of the source's code lines)
// and x.d; then, if any object was compiled or is newer than a.out, it
// links a.out from all the objects. Nothing stale, nothing is written.
func (sh *Shell) Make(dir string, include ...string) (MakeResult, error) {
	var r MakeResult
	ents, err := sh.readDir(dir)
	if err != nil {
		return r, err
	}
	var objs []string
	var newest time.Time
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".c") {
			continue
		}
		r.Sources++
		c := filepath.Join(dir, e.Name())
		base := strings.TrimSuffix(c, ".c")
		o, d := base+".o", base+".d"
		stale, mtime, err := sh.stale(c, o, d)
		if err != nil {
			return r, fmt.Errorf("make %s: %w", o, err)
		}
		if stale {
			if err := sh.compile(c, o, d, include); err != nil {
				return r, fmt.Errorf("make %s: %w", o, err)
			}
			r.Compiled++
		} else if mtime.After(newest) {
			newest = mtime
		}
		objs = append(objs, o)
	}
	out := filepath.Join(dir, "a.out")
	if r.Compiled == 0 {
		fi, err := sh.stat(out)
		if err == nil && !newest.After(fi.ModTime()) {
			return r, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r, fmt.Errorf("make %s: %w", out, err)
		}
	}
	if err := sh.link(out, objs); err != nil {
		return r, fmt.Errorf("make %s: %w", out, err)
	}
	r.Linked = true
	return r, nil
}

// stale reports whether o must be made again from c, and o's
// modification time if not.
func (sh *Shell) stale(c, o, d string) (bool, time.Time, error) {
	cfi, err := sh.stat(c)
	if err != nil {
		return false, time.Time{}, err
	}
	ofi, err := sh.stat(o)
	if errors.Is(err, fs.ErrNotExist) {
		return true, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	ot := ofi.ModTime()
	if cfi.ModTime().After(ot) {
		return true, time.Time{}, nil
	}
	deps, _, err := sh.readFile(d)
	if errors.Is(err, fs.ErrNotExist) {
		return true, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	// The first line is "o: c"; then a header a line.
	lines, _ := splitLines(deps)
	for _, h := range lines[min(1, len(lines)):] {
		fi, err := sh.stat(h)
		if err != nil || fi.ModTime().After(ot) {
			return true, time.Time{}, nil // gone or newer: compile, and see
		}
	}
	return false, ot, nil
}

// compile "compiles" c into o and writes the dependency file d.
func (sh *Shell) compile(c, o, d string, include []string) error {
	src, _, err := sh.readFile(c)
	if err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write(src)
	seen := map[string]bool{}
	var deps []string
	var scan func(path string, data []byte) error
	scan = func(path string, data []byte) error {
		for _, line := range bytes.Split(data, []byte("\n")) {
			name, quoted, ok := includeOf(line)
			if !ok {
				continue
			}
			dirs := include
			if quoted {
				dirs = append([]string{filepath.Dir(path)}, include...)
			}
			found := false
			for _, dir := range dirs {
				p := filepath.Join(dir, name)
				if seen[p] {
					found = true
					break
				}
				hdr, _, err := sh.readFile(p)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				found, seen[p] = true, true
				deps = append(deps, p)
				h.Write(hdr)
				if err := scan(p, hdr); err != nil {
					return err
				}
				break
			}
			if !found {
				return fmt.Errorf("%s: #include %s: not found in %s", path, name, strings.Join(dirs, ", "))
			}
		}
		return nil
	}
	if err := scan(c, src); err != nil {
		return err
	}
	var obj bytes.Buffer
	fmt.Fprintf(&obj, "K42OBJ %s %016x %d\n", filepath.Base(c), h.Sum64(), len(deps))
	for _, line := range bytes.Split(src, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || t[0] == '*' || bytes.HasPrefix(t, []byte("/*")) {
			continue
		}
		obj.Write(t)
		obj.WriteByte('\n')
	}
	if err := sh.writeFile(o, obj.Bytes(), 0o644); err != nil {
		return err
	}
	dep := o + ": " + c + "\n"
	for _, p := range deps {
		dep += p + "\n"
	}
	return sh.writeFile(d, []byte(dep), 0o644)
}

// includeOf returns the name an #include line names, and whether it is
// quoted rather than bracketed.
func includeOf(line []byte) (string, bool, bool) {
	t := bytes.TrimSpace(line)
	if !bytes.HasPrefix(t, []byte("#include")) {
		return "", false, false
	}
	t = bytes.TrimSpace(t[len("#include"):])
	if len(t) < 3 {
		return "", false, false
	}
	end := byte('>')
	if t[0] == '"' {
		end = '"'
	} else if t[0] != '<' {
		return "", false, false
	}
	i := bytes.IndexByte(t[1:], end)
	if i <= 0 {
		return "", false, false
	}
	return string(t[1 : 1+i]), end == '"', true
}

// link writes out from the objects: a table of their names, checksums
// and sizes, their contents, and a checksum of everything.
func (sh *Shell) link(out string, objs []string) error {
	var table, body bytes.Buffer
	h := fnv.New64a()
	table.WriteString("K42EXE\n")
	for _, o := range objs {
		data, _, err := sh.readFile(o)
		if err != nil {
			return err
		}
		first, _, _ := bytes.Cut(data, []byte("\n"))
		if !bytes.HasPrefix(first, []byte("K42OBJ ")) {
			return fmt.Errorf("%s: not an object", o)
		}
		fmt.Fprintf(&table, "%s %d\n", first[len("K42OBJ "):], len(data))
		h.Write(data)
		body.Write(data)
	}
	fmt.Fprintf(&table, "end %016x\n", h.Sum64())
	table.Write(body.Bytes())
	return sh.writeFile(out, table.Bytes(), 0o755)
}
