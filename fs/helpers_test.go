package fs

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeClock is a clock tests advance by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 123_456_789)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) Timespec {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return TimespecOf(c.t)
}

func newTestFS(t testing.TB) (*FS, *fakeClock) {
	t.Helper()
	c := newFakeClock()
	return New(Options{Clock: c.Now}), c
}

// wantErrno fails unless err carries errno (0: no error).
func wantErrno(t testing.TB, what string, err error, errno syscall.Errno) {
	t.Helper()
	if got := Errno(err); got != errno {
		t.Fatalf("%s: errno %v (%d), want %v (%d); error: %v", what, got, int(got), errno, int(errno), err)
	}
	if errno != 0 && !errors.Is(err, errno) {
		t.Fatalf("%s: errors.Is(%v, %v) is false", what, err, errno)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mustOpen(t testing.TB, fsys *FS, dir *Node, path string, flags int, mode uint32) *File {
	t.Helper()
	f, err := fsys.OpenAt(dir, path, flags, mode)
	if err != nil {
		t.Fatalf("open %q: %v", path, err)
	}
	return f
}

// writeFile makes path (creating or truncating) holding data.
func writeFile(t testing.TB, fsys *FS, path string, data []byte) {
	t.Helper()
	f := mustOpen(t, fsys, nil, path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if n, err := f.Write(data); err != nil || n != len(data) {
		t.Fatalf("write %q: %d, %v", path, n, err)
	}
	must(t, "close", f.Close())
}

// readFile returns the contents of path.
func readFile(t testing.TB, fsys *FS, path string) []byte {
	t.Helper()
	f := mustOpen(t, fsys, nil, path, syscall.O_RDONLY, 0)
	defer f.Close()
	st, err := f.Stat()
	must(t, "fstat", err)
	buf := make([]byte, st.Size+10)
	n, err := f.ReadAt(buf, 0)
	if int64(n) != st.Size || (err != nil && Errno(err) != 0) {
		t.Fatalf("read %q: %d of %d, %v", path, n, st.Size, err)
	}
	return buf[:n]
}

func mustStat(t testing.TB, fsys *FS, path string, flags int) Stat {
	t.Helper()
	st, err := fsys.StatAt(nil, path, flags)
	if err != nil {
		t.Fatalf("stat %q: %v", path, err)
	}
	return st
}

func names(ents []DirEntry) []string {
	var out []string
	for _, e := range ents {
		out = append(out, e.Name)
	}
	return out
}

// checkTree checks the namespace's invariants: every directory's link
// count is 2 plus its subdirectories, its size 20 per entry plus 40, its
// ".." its parent and its name its entry's; every other node's link count
// is the number of its names; directory tables agree with their cookie
// order; PathOf and ".." agree with the walk. With no Files open
// (allClosed), the inode and page counts must equal what is reachable.
func checkTree(t testing.TB, fsys *FS, allClosed bool) {
	t.Helper()
	type dirAt struct {
		n    *Node
		path string
	}
	var dirs []dirAt
	names := map[*Node]int{}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	fsys.ns.RLock()
	var walk func(d *Node, path string)
	walk = func(d *Node, path string) {
		dirs = append(dirs, dirAt{d, path})
		t := d.entries
		subdirs, live := 0, 0
		var last int64
		for _, e := range t.order {
			if e.cookie <= last {
				bad("%s: cookies out of order", path)
			}
			last = e.cookie
			if e.node == nil {
				continue
			}
			live++
			if t.byName[e.name] != e {
				bad("%s/%s: in the cookie order but not the name table", path, e.name)
			}
		}
		if live != len(t.byName) {
			bad("%s: %d live entries in order, %d by name", path, live, len(t.byName))
		}
		if e := t.next; e <= last {
			bad("%s: next cookie %d not above %d", path, e, last)
		}
		for name, e := range t.byName {
			n := e.node
			if e.name != name || n == nil {
				bad("%s/%s: bad entry", path, name)
				continue
			}
			names[n]++
			if n.kind == S_IFDIR {
				subdirs++
				if n.parent != d {
					bad("%s/%s: .. is not its parent", path, name)
				}
				if n.name != name {
					bad("%s/%s: named %q", path, name, n.name)
				}
				if n.dead {
					bad("%s/%s: reachable but removed", path, name)
				}
				if names[n] > 1 {
					bad("%s/%s: a directory with two names", path, name)
					continue
				}
				walk(n, path+"/"+name)
			}
		}
		d.mu.RLock()
		if want := uint32(2 + subdirs); d.nlink != want {
			bad("%s: nlink %d, want %d", path, d.nlink, want)
		}
		if want := int64(direntSize * (2 + len(t.byName))); d.size != want {
			bad("%s: size %d, want %d", path, d.size, want)
		}
		d.mu.RUnlock()
	}
	walk(fsys.root, "")
	var counts [4]int64 // directories are counted by the walk, the root included
	pages := int64(0)
	for n, c := range names {
		counts[kindIndex(n.kind)]++
		if n.kind == S_IFDIR {
			continue
		}
		n.mu.RLock()
		if n.nlink != uint32(c) {
			bad("inode %d: nlink %d, %d names", n.ino, n.nlink, c)
		}
		if n.released {
			bad("inode %d: released but named", n.ino)
		}
		if n.data != nil {
			pages += int64(n.data.Resident())
		}
		n.mu.RUnlock()
	}
	counts[1] = int64(len(dirs))
	fsys.ns.RUnlock()

	for _, d := range dirs {
		want := d.path
		if want == "" {
			want = "/"
		}
		if got, err := fsys.PathOf(d.n); err != nil || got != want {
			bad("PathOf(%s) = %q, %v", want, got, err)
		}
		if d.n == fsys.root {
			continue
		}
		par, err := fsys.Lookup(d.n, "..", 0)
		if err != nil || par.kind != S_IFDIR {
			bad("%s/..: %v", d.path, err)
			continue
		}
		pp, _ := fsys.PathOf(par)
		if wantParent := path.Dir(d.path); pp != wantParent {
			bad("%s/.. is %s", d.path, pp)
		}
	}
	if allClosed {
		u := fsys.Usage()
		if got := [4]int64{u.Regular, u.Dirs, u.Symlinks, u.Special}; got != counts {
			bad("usage by type %v, reachable %v", got, counts)
		}
		if u.Inodes != counts[0]+counts[1]+counts[2]+counts[3] {
			bad("inodes in use %d, reachable %v", u.Inodes, counts)
		}
		if u.Pages != pages {
			bad("pages in use %d, resident in reachable files %d", u.Pages, pages)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = problems[:20]
		}
		t.Fatalf("tree invariants:\n  %s", strings.Join(problems, "\n  "))
	}
}
