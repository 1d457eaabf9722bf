package fs

import (
	"errors"
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
