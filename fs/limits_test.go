package fs

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
)

func TestInodeLimit(t *testing.T) {
	fsys := New(Options{MaxInodes: 5})
	for i := 0; i < 4; i++ { // the root is the fifth
		writeFile(t, fsys, fmt.Sprintf("/f%d", i), nil)
	}
	_, err := fsys.OpenAt(nil, "/x", syscall.O_CREAT|syscall.O_RDWR, 0o644)
	wantErrno(t, "create past the inode limit", err, syscall.ENOSPC)
	wantErrno(t, "mkdir past the inode limit", fsys.MkdirAt(nil, "/x", 0o755), syscall.ENOSPC)
	wantErrno(t, "symlink past the inode limit", fsys.SymlinkAt("t", nil, "/x"), syscall.ENOSPC)
	wantErrno(t, "mknod past the inode limit", fsys.MknodAt(nil, "/x", S_IFIFO, 0), syscall.ENOSPC)
	must(t, "link needs no inode", fsys.LinkAt(nil, "/f0", nil, "/x", 0))
	if s := fsys.Statfs(); s.Files != 5 || s.Ffree != 0 {
		t.Fatalf("statfs inodes %d free %d", s.Files, s.Ffree)
	}
	// An unlinked file holds its inode until closed.
	f := mustOpen(t, fsys, nil, "/f1", syscall.O_RDONLY, 0)
	must(t, "unlink", fsys.UnlinkAt(nil, "/f1", 0))
	wantErrno(t, "mkdir while held", fsys.MkdirAt(nil, "/y", 0o755), syscall.ENOSPC)
	f.Close()
	must(t, "mkdir after close", fsys.MkdirAt(nil, "/y", 0o755))
	checkTree(t, fsys, true)
}

func TestPageLimit(t *testing.T) {
	limit := NewPageLimit(4)
	fsys := New(Options{Pages: limit})
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	page := bytes.Repeat([]byte{1}, PageSize)
	for i := 0; i < 3; i++ {
		if n, err := f.Write(page); n != PageSize || err != nil {
			t.Fatalf("page %d: %d %v", i, n, err)
		}
	}
	// A write needing two pages with one left: a short write, then ENOSPC.
	two := bytes.Repeat([]byte{2}, 2*PageSize)
	n, err := f.Write(two)
	if n != PageSize || Errno(err) != syscall.ENOSPC {
		t.Fatalf("write over the limit: %d, %v", n, err)
	}
	if st, _ := f.Stat(); st.Size != 4*PageSize || st.Blocks != 4*PageSize/512 {
		t.Fatalf("size %d blocks %d", st.Size, st.Blocks)
	}
	n, err = f.Write([]byte("x"))
	wantErrno(t, "write when full", err, syscall.ENOSPC)
	if n != 0 {
		t.Fatalf("wrote %d when full", n)
	}
	// Rewriting held pages needs none, nor does growing by truncation.
	if n, err := f.WriteAt(two, PageSize); n != len(two) || err != nil {
		t.Fatalf("overwrite when full: %d %v", n, err)
	}
	must(t, "grow", f.Truncate(100*PageSize))
	_, err = f.WriteAt([]byte("x"), 50*PageSize)
	wantErrno(t, "write into a hole when full", err, syscall.ENOSPC)
	if s := fsys.Statfs(); s.Blocks != 4 || s.Bfree != 0 || s.Bavail != 0 || s.Bsize != PageSize || s.Type != TmpfsMagic || s.Namelen != 255 {
		t.Fatalf("statfs %+v", s)
	}
	must(t, "shrink", f.Truncate(PageSize+1))
	if s := fsys.Statfs(); s.Bfree != 2 {
		t.Fatalf("after shrinking to 2 pages: free %d", s.Bfree)
	}
	must(t, "unlink", fsys.UnlinkAt(nil, "/f", 0))
	if s := fsys.Statfs(); s.Bfree != 2 {
		t.Fatal("pages freed while the file is open")
	}
	f.Close()
	if s := fsys.Statfs(); s.Bfree != 4 || limit.Used() != 0 {
		t.Fatalf("after the last close: free %d used %d", s.Bfree, limit.Used())
	}
}

func TestMaxFileSize(t *testing.T) {
	const max = 10 * PageSize
	fsys := New(Options{MaxFileSize: max})
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	_, err := f.WriteAt([]byte("x"), max)
	wantErrno(t, "write at the maximum", err, syscall.EFBIG)
	n, err := f.WriteAt([]byte("abc"), max-1)
	if n != 1 || Errno(err) != syscall.EFBIG {
		t.Fatalf("write across the maximum: %d, %v", n, err)
	}
	if st, _ := f.Stat(); st.Size != max {
		t.Fatalf("size %d", st.Size)
	}
	wantErrno(t, "ftruncate past the maximum", f.Truncate(max+1), syscall.EFBIG)
	wantErrno(t, "truncate past the maximum", fsys.TruncateAt(nil, "/f", max+1), syscall.EFBIG)
	must(t, "truncate to the maximum", f.Truncate(max))
	if _, err := f.Seek(max+1, 0); Errno(err) != syscall.EINVAL {
		t.Fatalf("seek past the maximum: %v", err)
	}
}

func TestTruncateAt(t *testing.T) {
	fsys, _ := newTestFS(t)
	writeFile(t, fsys, "/f", []byte("hello"))
	must(t, "symlink", fsys.SymlinkAt("f", nil, "/l"))
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	must(t, "mknod", fsys.MknodAt(nil, "/c", S_IFCHR|0o666, DevNull))
	must(t, "truncate", fsys.TruncateAt(nil, "/l", 2))
	if got := readFile(t, fsys, "/f"); string(got) != "he" {
		t.Fatalf("contents %q", got)
	}
	wantErrno(t, "truncate dir", fsys.TruncateAt(nil, "/d", 0), syscall.EISDIR)
	wantErrno(t, "truncate device", fsys.TruncateAt(nil, "/c", 0), syscall.EINVAL)
	wantErrno(t, "truncate -1", fsys.TruncateAt(nil, "/f", -1), syscall.EINVAL)
	wantErrno(t, "truncate -1 missing", fsys.TruncateAt(nil, "/missing", -1), syscall.EINVAL)
	wantErrno(t, "truncate missing", fsys.TruncateAt(nil, "/missing", 0), syscall.ENOENT)
	wantErrno(t, "truncate f/", fsys.TruncateAt(nil, "/f/", 0), syscall.ENOTDIR)
}

func TestUsage(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	writeFile(t, fsys, "/d/f", make([]byte, PageSize+1))
	must(t, "symlink", fsys.SymlinkAt("f", nil, "/d/l"))
	must(t, "mknod", fsys.MknodAt(nil, "/d/c", S_IFCHR, DevNull))
	must(t, "mknod", fsys.MknodAt(nil, "/d/p", S_IFIFO, 0))
	want := Usage{Regular: 1, Dirs: 2, Symlinks: 1, Special: 2, Inodes: 6, MaxInodes: DefaultMaxInodes, Pages: 2, MaxPages: DefaultMaxPages}
	if u := fsys.Usage(); u != want {
		t.Fatalf("usage %+v, want %+v", u, want)
	}
	for _, p := range []string{"/d/f", "/d/l", "/d/c", "/d/p"} {
		must(t, "unlink", fsys.UnlinkAt(nil, p, 0))
	}
	must(t, "rmdir", fsys.UnlinkAt(nil, "/d", AT_REMOVEDIR))
	want = Usage{Dirs: 1, Inodes: 1, MaxInodes: DefaultMaxInodes, MaxPages: DefaultMaxPages}
	if u := fsys.Usage(); u != want {
		t.Fatalf("usage after removal %+v", u)
	}
}
