package fs

import (
	"bytes"
	"fmt"
	"io"
	"syscall"
	"testing"
)

func TestReadWrite(t *testing.T) {
	fsys, _ := newTestFS(t)
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	if n, err := f.Write([]byte("hello, world")); n != 12 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if n, err := f.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("read at EOF: %d, %v", n, err)
	}
	if n, err := f.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read at EOF: %d, %v", n, err)
	}
	if pos, err := f.Seek(7, io.SeekStart); pos != 7 || err != nil {
		t.Fatalf("seek: %d, %v", pos, err)
	}
	buf := make([]byte, 10)
	if n, err := f.Read(buf); n != 5 || err != nil || string(buf[:n]) != "world" {
		t.Fatalf("read: %d %q %v", n, buf[:n], err)
	}
	if n, err := f.ReadAt(buf, 0); n != 10 || err != nil || string(buf) != "hello, wor" {
		t.Fatalf("pread: %d %q %v", n, buf, err)
	}
	if n, err := f.ReadAt(buf, 8); n != 4 || err != io.EOF || string(buf[:n]) != "orld" {
		t.Fatalf("short pread: %d %q %v (want io.EOF)", n, buf[:n], err)
	}
	if n, err := f.ReadAt(buf, 100); n != 0 || err != io.EOF {
		t.Fatalf("pread past EOF: %d %v", n, err)
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != 12 {
		t.Fatalf("pread moved the offset to %d", pos)
	}
	if n, err := f.WriteAt([]byte("H"), 0); n != 1 || err != nil {
		t.Fatalf("pwrite: %d %v", n, err)
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != 12 {
		t.Fatalf("pwrite moved the offset to %d", pos)
	}
	_, err := f.ReadAt(buf, -1)
	wantErrno(t, "pread at -1", err, syscall.EINVAL)
	_, err = f.WriteAt(buf, -1)
	wantErrno(t, "pwrite at -1", err, syscall.EINVAL)
	if got := readFile(t, fsys, "/f"); string(got) != "Hello, world" {
		t.Fatalf("contents %q", got)
	}
	// A read across pages and past EOF.
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*PageSize/16+7)
	if n, err := f.WriteAt(big, 100); n != len(big) || err != nil {
		t.Fatalf("big pwrite: %d %v", n, err)
	}
	got := make([]byte, len(big)+50)
	n, err := f.ReadAt(got, 100)
	if n != len(big) || err != io.EOF || !bytes.Equal(got[:n], big) {
		t.Fatalf("big pread: %d %v, equal %v", n, err, bytes.Equal(got[:n], big))
	}
}

func TestHoles(t *testing.T) {
	fsys, _ := newTestFS(t)
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	// A write past EOF leaves a hole that reads as zeros.
	f.WriteAt([]byte("ab"), 0)
	f.WriteAt([]byte("z"), 3*PageSize+10)
	st, _ := f.Stat()
	if st.Size != 3*PageSize+11 || st.Blocks != 2*PageSize/512 {
		t.Fatalf("size %d blocks %d, want %d and %d", st.Size, st.Blocks, 3*PageSize+11, 2*PageSize/512)
	}
	want := make([]byte, st.Size)
	want[0], want[1], want[3*PageSize+10] = 'a', 'b', 'z'
	if got := readFile(t, fsys, "/f"); !bytes.Equal(got, want) {
		t.Fatal("holes do not read as zeros")
	}

	// Shrinking discards data; growing again reads zeros, not old data.
	ff := bytes.Repeat([]byte{0xff}, 2*PageSize)
	f.WriteAt(ff, 0)
	for _, tc := range []struct{ down, up int64 }{{100, 2 * PageSize}, {PageSize + 10, 2 * PageSize}, {PageSize, 3 * PageSize}, {0, 100}} {
		f.WriteAt(ff, 0)
		must(t, "truncate down", f.Truncate(tc.down))
		must(t, "truncate up", f.Truncate(tc.up))
		got := make([]byte, tc.up)
		if n, err := f.ReadAt(got, 0); int64(n) != tc.up || (err != nil && err != io.EOF) {
			t.Fatalf("read %d: %v", n, err)
		}
		for i, b := range got {
			if want := byte(0); int64(i) < tc.down {
				want = 0xff
				if b != want {
					t.Fatalf("truncate %d then %d: byte %d is %#x, want %#x", tc.down, tc.up, i, b, want)
				}
			} else if b != 0 {
				t.Fatalf("truncate %d then %d: byte %d is %#x, old data came back", tc.down, tc.up, i, b)
			}
		}
		if st, _ := f.Stat(); st.Size != tc.up || st.Blocks > (tc.down+PageSize-1)/PageSize*8 {
			t.Fatalf("truncate %d then %d: size %d blocks %d", tc.down, tc.up, st.Size, st.Blocks)
		}
	}
	// Writing within a page past EOF zeroes the gap.
	must(t, "truncate", f.Truncate(0))
	f.WriteAt([]byte("0123456789"), 0)
	must(t, "truncate", f.Truncate(3))
	f.WriteAt([]byte("!"), 8)
	if got := readFile(t, fsys, "/f"); string(got) != "012\x00\x00\x00\x00\x00!" {
		t.Fatalf("gap after shrink and write: %q", got)
	}
}

func TestAppend(t *testing.T) {
	fsys, _ := newTestFS(t)
	writeFile(t, fsys, "/f", []byte("hello"))
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_APPEND, 0)
	defer f.Close()
	f.Seek(0, io.SeekStart)
	if n, err := f.Write([]byte(" world")); n != 6 || err != nil {
		t.Fatalf("append: %d %v", n, err)
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != 11 {
		t.Fatalf("offset after append %d", pos)
	}
	// pwrite on an O_APPEND file appends too (Linux), and leaves the offset.
	f.Seek(2, io.SeekStart)
	if n, err := f.WriteAt([]byte("!"), 0); n != 1 || err != nil {
		t.Fatalf("pwrite: %d %v", n, err)
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != 2 {
		t.Fatalf("offset after pwrite %d", pos)
	}
	if got := readFile(t, fsys, "/f"); string(got) != "hello world!" {
		t.Fatalf("contents %q", got)
	}
	// F_SETFL turns O_APPEND off and on; the access mode stays.
	must(t, "setfl", f.SetFlags(syscall.O_NONBLOCK|syscall.O_WRONLY))
	if f.Flags() != syscall.O_RDWR|syscall.O_NONBLOCK {
		t.Fatalf("flags %#x", f.Flags())
	}
	f.WriteAt([]byte("H"), 0)
	if got := readFile(t, fsys, "/f"); string(got) != "Hello world!" {
		t.Fatalf("contents %q", got)
	}
}

func TestSeek(t *testing.T) {
	fsys, _ := newTestFS(t)
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	f.WriteAt([]byte("x"), 100)
	f.WriteAt([]byte("x"), 3*PageSize+10) // pages 0 and 3; size 3*PageSize+11
	const size = 3*PageSize + 11
	tests := []struct {
		off    int64
		whence int
		want   int64
		errno  syscall.Errno
	}{
		{10, io.SeekStart, 10, 0},
		{5, io.SeekCurrent, 15, 0}, // from 10
		{-20, io.SeekCurrent, 0, syscall.EINVAL},
		{-1, io.SeekEnd, size - 1, 0},
		{10, io.SeekEnd, size + 10, 0},
		{-size - 1, io.SeekEnd, 0, syscall.EINVAL},
		{-1, io.SeekStart, 0, syscall.EINVAL},
		{DefaultMaxFileSize + 1, io.SeekStart, 0, syscall.EINVAL},
		{0, 5, 0, syscall.EINVAL},
		{0, -1, 0, syscall.EINVAL},
		// SEEK_DATA and SEEK_HOLE by page, as the host showed for ext4.
		{0, seekData, 0, 0},
		{0, seekHole, PageSize, 0},
		{PageSize, seekData, 3 * PageSize, 0},
		{PageSize, seekHole, PageSize, 0},
		{5000, seekData, 3 * PageSize, 0},
		{5000, seekHole, 5000, 0},
		{3 * PageSize, seekData, 3 * PageSize, 0},
		{3 * PageSize, seekHole, size, 0},
		{size, seekData, 0, syscall.ENXIO},
		{size, seekHole, 0, syscall.ENXIO},
		{-1, seekData, 0, syscall.ENXIO},
	}
	for _, tc := range tests {
		if tc.errno != 0 {
			f.Seek(10, io.SeekStart)
		}
		pos, err := f.Seek(tc.off, tc.whence)
		wantErrno(t, fmt.Sprintf("seek(%d, %d)", tc.off, tc.whence), err, tc.errno)
		if tc.errno == 0 && pos != tc.want {
			t.Errorf("seek(%d, %d) = %d, want %d", tc.off, tc.whence, pos, tc.want)
		}
		if tc.errno != 0 {
			if cur, _ := f.Seek(0, io.SeekCurrent); cur != 10 {
				t.Errorf("failed seek(%d, %d) moved the offset to %d", tc.off, tc.whence, cur)
			}
		}
	}
	// After growing by truncate the tail is a hole.
	must(t, "truncate", f.Truncate(10*PageSize))
	if pos, _ := f.Seek(3*PageSize+11, seekHole); pos != 4*PageSize {
		t.Errorf("hole after page 3 at %d", pos)
	}
	if _, err := f.Seek(9*PageSize, seekData); Errno(err) != syscall.ENXIO {
		t.Errorf("data in the truncated tail: %v", err)
	}
	// Past EOF, then a write: the gap is a hole.
	f.Seek(20*PageSize, io.SeekStart)
	f.Write([]byte("e"))
	if st, _ := f.Stat(); st.Size != 20*PageSize+1 {
		t.Errorf("size %d", st.Size)
	}
}

func TestSeekWithoutPageSeeker(t *testing.T) {
	fsys := New(Options{Data: func(uint64, string) Data { return struct{ Data }{NewPageStore(NewPageLimit(100))} }})
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	f.WriteAt([]byte("x"), 3*PageSize)
	if pos, err := f.Seek(10, seekData); pos != 10 || err != nil {
		t.Errorf("SEEK_DATA without page knowledge: %d, %v", pos, err)
	}
	if pos, err := f.Seek(10, seekHole); pos != 3*PageSize+1 || err != nil {
		t.Errorf("SEEK_HOLE without page knowledge: %d, %v", pos, err)
	}
}

func TestFileErrors(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	writeFile(t, fsys, "/f", []byte("data"))

	d := mustOpen(t, fsys, nil, "/d", syscall.O_RDONLY, 0)
	_, err := d.Read(make([]byte, 1))
	wantErrno(t, "read dir", err, syscall.EISDIR)
	_, err = d.ReadAt(make([]byte, 1), 0)
	wantErrno(t, "pread dir", err, syscall.EISDIR)
	wantErrno(t, "ftruncate dir", d.Truncate(0), syscall.EINVAL)
	must(t, "fsync dir", d.Sync())
	_, err = d.Seek(0, io.SeekEnd)
	wantErrno(t, "seek end dir", err, syscall.EINVAL)
	_, err = d.Seek(-1, io.SeekStart)
	wantErrno(t, "seek -1 dir", err, syscall.EINVAL)
	d.Close()

	ro := mustOpen(t, fsys, nil, "/f", syscall.O_RDONLY, 0)
	wantErrno(t, "ftruncate read-only", ro.Truncate(0), syscall.EINVAL)
	_, err = ro.ReadDir(1)
	wantErrno(t, "getdents file", err, syscall.ENOTDIR)
	ro.Close()

	rw := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR, 0)
	wantErrno(t, "ftruncate -1", rw.Truncate(-1), syscall.EINVAL)
	wantErrno(t, "ftruncate past max", rw.Truncate(DefaultMaxFileSize+1), syscall.EFBIG)
	must(t, "fsync", rw.Sync())
	must(t, "close", rw.Close())

	// Every method of a closed File says EBADF.
	_, err = rw.Read(make([]byte, 1))
	wantErrno(t, "read closed", err, syscall.EBADF)
	_, err = rw.Write([]byte("x"))
	wantErrno(t, "write closed", err, syscall.EBADF)
	_, err = rw.ReadAt(make([]byte, 1), 0)
	wantErrno(t, "pread closed", err, syscall.EBADF)
	_, err = rw.WriteAt([]byte("x"), 0)
	wantErrno(t, "pwrite closed", err, syscall.EBADF)
	_, err = rw.Seek(0, 0)
	wantErrno(t, "seek closed", err, syscall.EBADF)
	_, err = rw.Stat()
	wantErrno(t, "fstat closed", err, syscall.EBADF)
	wantErrno(t, "ftruncate closed", rw.Truncate(0), syscall.EBADF)
	wantErrno(t, "fsync closed", rw.Sync(), syscall.EBADF)
	wantErrno(t, "fchmod closed", rw.Chmod(0), syscall.EBADF)
	wantErrno(t, "fchown closed", rw.Chown(0, 0), syscall.EBADF)
	wantErrno(t, "futimens closed", rw.Utimens(nil), syscall.EBADF)
	wantErrno(t, "setfl closed", rw.SetFlags(0), syscall.EBADF)
	_, err = rw.ReadDir(0)
	wantErrno(t, "getdents closed", err, syscall.EBADF)
	wantErrno(t, "close closed", rw.Close(), syscall.EBADF)
	if got := readFile(t, fsys, "/f"); string(got) != "data" {
		t.Fatalf("contents %q", got)
	}
}

// recordingData wraps a PageStore and counts calls, to check the file
// system goes through Data for every byte and releases it exactly once.
type recordingData struct {
	*PageStore
	reads, writes, truncates, syncs, releases int
	mu                                        chan struct{}
}

type recorder struct {
	limit *PageLimit
	files map[uint64]*recordingData
}

func newRecorder() *recorder {
	return &recorder{limit: NewPageLimit(1000), files: map[uint64]*recordingData{}}
}

func (r *recorder) factory(ino uint64, _ string) Data {
	d := &recordingData{PageStore: NewPageStore(r.limit), mu: make(chan struct{}, 1)}
	r.files[ino] = d
	return d
}

func (d *recordingData) count(c *int) { d.mu <- struct{}{}; *c++; <-d.mu }
func (d *recordingData) ReadAt(p []byte, off int64) (int, error) {
	d.count(&d.reads)
	return d.PageStore.ReadAt(p, off)
}
func (d *recordingData) WriteAt(p []byte, off int64) (int, error) {
	d.count(&d.writes)
	return d.PageStore.WriteAt(p, off)
}
func (d *recordingData) Truncate(size int64) error {
	d.count(&d.truncates)
	return d.PageStore.Truncate(size)
}
func (d *recordingData) Sync() error { d.count(&d.syncs); return nil }
func (d *recordingData) Release()    { d.count(&d.releases); d.PageStore.Release() }

func TestUnlinkWhileOpen(t *testing.T) {
	rec := newRecorder()
	fsys := New(Options{Data: rec.factory, Pages: rec.limit})
	writeFile(t, fsys, "/f", bytes.Repeat([]byte("x"), 3*PageSize))
	ino := mustStat(t, fsys, "/f", 0).Ino
	data := rec.files[ino]
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR, 0)
	g := mustOpen(t, fsys, nil, "/f", syscall.O_RDONLY, 0)
	must(t, "unlink", fsys.UnlinkAt(nil, "/f", 0))
	if _, err := fsys.StatAt(nil, "/f", 0); Errno(err) != syscall.ENOENT {
		t.Fatalf("stat after unlink: %v", err)
	}
	if st, _ := f.Stat(); st.Nlink != 0 || st.Size != 3*PageSize {
		t.Fatalf("fstat after unlink: nlink %d size %d", st.Nlink, st.Size)
	}
	if n, err := f.WriteAt([]byte("yy"), PageSize); n != 2 || err != nil {
		t.Fatalf("write after unlink: %d %v", n, err)
	}
	buf := make([]byte, 4)
	if n, _ := g.ReadAt(buf, PageSize-1); n != 4 || string(buf) != "xyyx" {
		t.Fatalf("read after unlink through another File: %q", buf[:n])
	}
	if u := fsys.Usage(); u.Regular != 1 || u.Pages != 3 {
		t.Fatalf("usage while open: %+v", u)
	}
	must(t, "close f", f.Close())
	if data.releases != 0 {
		t.Fatal("released while a File is open")
	}
	must(t, "close g", g.Close())
	if data.releases != 1 {
		t.Fatalf("released %d times", data.releases)
	}
	if u := fsys.Usage(); u.Regular != 0 || u.Pages != 0 || u.Inodes != 1 {
		t.Fatalf("usage after last close: %+v", u)
	}
	if data.reads == 0 || data.writes == 0 {
		t.Fatalf("Data not used: %+v", data)
	}

	// A file with another name is not released; rename over an open file
	// keeps it readable.
	writeFile(t, fsys, "/a", []byte("old"))
	must(t, "link", fsys.LinkAt(nil, "/a", nil, "/b", 0))
	data = rec.files[mustStat(t, fsys, "/a", 0).Ino]
	must(t, "unlink a", fsys.UnlinkAt(nil, "/a", 0))
	if data.releases != 0 || string(readFile(t, fsys, "/b")) != "old" {
		t.Fatal("unlinking one of two names released the file")
	}
	h := mustOpen(t, fsys, nil, "/b", syscall.O_RDONLY, 0)
	writeFile(t, fsys, "/new", []byte("new"))
	must(t, "rename over", fsys.RenameAt(nil, "/new", nil, "/b", 0))
	if n, _ := h.ReadAt(buf, 0); string(buf[:n]) != "old" {
		t.Fatalf("replaced file through its File: %q", buf[:n])
	}
	if data.releases != 0 {
		t.Fatal("released while open")
	}
	h.Close()
	if data.releases != 1 {
		t.Fatalf("replaced file released %d times", data.releases)
	}
	// Unlinking a closed file releases at once.
	data = rec.files[mustStat(t, fsys, "/b", 0).Ino]
	must(t, "unlink b", fsys.UnlinkAt(nil, "/b", 0))
	if data.releases != 1 || rec.limit.Used() != 0 {
		t.Fatalf("unlinked closed file: released %d, pages %d", data.releases, rec.limit.Used())
	}
	checkTree(t, fsys, true)
}

func TestSyncGoesToData(t *testing.T) {
	rec := newRecorder()
	fsys := New(Options{Data: rec.factory, Pages: rec.limit})
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT|syscall.O_DSYNC, 0o644)
	defer f.Close()
	data := rec.files[f.Node().Ino()]
	f.Write([]byte("x"))
	if data.syncs != 1 {
		t.Fatalf("O_DSYNC write: %d syncs", data.syncs)
	}
	must(t, "fsync", f.Sync())
	if data.syncs != 2 {
		t.Fatalf("fsync: %d syncs", data.syncs)
	}
	must(t, "truncate", f.Truncate(0))
	if data.truncates != 1 {
		t.Fatalf("truncate: %d Data truncates", data.truncates)
	}
}

// namedData records the names the file system gives a file's Data.
type namedData struct {
	*PageStore
	names *[]string
}

func (d namedData) Renamed(path string) { *d.names = append(*d.names, path) }

// TestDataLearnsItsPath: the factory gets the path the file is created at
// and a Renamer hears of every rename, also by exchange and over another
// file.
func TestDataLearnsItsPath(t *testing.T) {
	var names []string
	fsys := New(Options{Data: func(_ uint64, path string) Data {
		names = append(names, "new "+path)
		return namedData{NewPageStore(NewPageLimit(100)), &names}
	}})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.MkdirAt(nil, "d", 0o755))
	must(fsys.MkdirAt(nil, "d/e", 0o755))
	f := mustOpen(t, fsys, nil, "/d/e/a", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	must(f.Close())
	must(fsys.MknodAt(nil, "b", 0o644, 0))
	must(fsys.RenameAt(nil, "d/e/a", nil, "d/x", 0))
	must(fsys.RenameAt(nil, "d/x", nil, "b", RENAME_EXCHANGE))
	must(fsys.RenameAt(nil, "d/x", nil, "b", 0))
	want := fmt.Sprint([]string{"new /d/e/a", "new /b", "/d/x", "/b", "/d/x", "/b"})
	if got := fmt.Sprint(names); got != want {
		t.Fatalf("names %s, want %s", got, want)
	}
}
