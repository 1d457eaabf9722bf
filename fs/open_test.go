package fs

import (
	"fmt"
	"syscall"
	"testing"
)

func openTree(t *testing.T) *FS {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	writeFile(t, fsys, "/f", []byte("hello"))
	for link, target := range map[string]string{"/l": "f", "/ld": "d", "/dangling": "nowhere", "/loop": "loop", "/ldangdir": "d/new"} {
		must(t, "symlink", fsys.SymlinkAt(target, nil, link))
	}
	return fsys
}

func TestOpenFlags(t *testing.T) {
	const (
		rd, wr, rw = syscall.O_RDONLY, syscall.O_WRONLY, syscall.O_RDWR
		creat      = syscall.O_CREAT
		excl       = syscall.O_EXCL
		trunc      = syscall.O_TRUNC
		dir        = syscall.O_DIRECTORY
		nofollow   = syscall.O_NOFOLLOW
	)
	tests := []struct {
		path  string
		flags int
		errno syscall.Errno
		check func(t *testing.T, fsys *FS, f *File)
	}{
		{path: "f", flags: rd},
		{path: "missing", flags: rd, errno: syscall.ENOENT},
		{path: "missing", flags: rw | creat, check: func(t *testing.T, fsys *FS, f *File) {
			st, _ := f.Stat()
			if st.Mode != S_IFREG|0o4751 || st.Size != 0 || st.Nlink != 1 {
				t.Errorf("created: mode %o size %d nlink %d", st.Mode, st.Size, st.Nlink)
			}
		}},
		{path: "f", flags: rw | creat, check: func(t *testing.T, fsys *FS, f *File) {
			if st, _ := f.Stat(); st.Mode != S_IFREG|0o644 || st.Size != 5 {
				t.Errorf("existing file changed by O_CREAT: mode %o size %d", st.Mode, st.Size)
			}
		}},
		{path: "f", flags: rw | creat | excl, errno: syscall.EEXIST},
		{path: "l", flags: rw | creat | excl, errno: syscall.EEXIST},
		{path: "dangling", flags: rw | creat | excl, errno: syscall.EEXIST},
		{path: "dangling", flags: rw | creat, check: func(t *testing.T, fsys *FS, f *File) {
			mustStat(t, fsys, "/nowhere", AT_SYMLINK_NOFOLLOW) // made through the link
		}},
		{path: "ldangdir", flags: rw | creat, check: func(t *testing.T, fsys *FS, f *File) {
			mustStat(t, fsys, "/d/new", AT_SYMLINK_NOFOLLOW)
		}},
		{path: "l", flags: rd, check: func(t *testing.T, fsys *FS, f *File) {
			if st, _ := f.Stat(); st.Mode&S_IFMT != S_IFREG {
				t.Errorf("opened %o through link", st.Mode)
			}
		}},
		{path: "l", flags: rd | nofollow, errno: syscall.ELOOP},
		{path: "l", flags: rw | creat | nofollow, errno: syscall.ELOOP},
		{path: "ld", flags: rd | nofollow | dir, errno: syscall.ENOTDIR},
		{path: "ld", flags: rd | dir},
		{path: "loop", flags: rd, errno: syscall.ELOOP},
		{path: "loop", flags: rw | creat, errno: syscall.ELOOP},
		{path: "f", flags: rd | dir, errno: syscall.ENOTDIR},
		{path: "f", flags: wr | dir, errno: syscall.ENOTDIR},
		{path: "missing", flags: wr | dir, errno: syscall.ENOENT},
		{path: "d", flags: rd},
		{path: "d", flags: wr, errno: syscall.EISDIR},
		{path: "d", flags: rw, errno: syscall.EISDIR},
		{path: "d", flags: 3, errno: syscall.EISDIR},
		{path: "d", flags: rd | trunc, errno: syscall.EISDIR},
		{path: "d", flags: rd | creat, errno: syscall.EISDIR},
		{path: "d", flags: rd | creat | excl, errno: syscall.EEXIST},
		{path: ".", flags: rd | creat, errno: syscall.EISDIR},
		{path: "..", flags: rd | creat | excl, errno: syscall.EEXIST},
		{path: "/", flags: rd | creat, errno: syscall.EISDIR},
		{path: "new/", flags: rw | creat, errno: syscall.EISDIR},
		{path: "f/", flags: rw | creat, errno: syscall.EISDIR},
		{path: "d/", flags: rd | creat, errno: syscall.EISDIR},
		{path: "f/", flags: rd, errno: syscall.ENOTDIR},
		{path: "missing/x", flags: rw | creat, errno: syscall.ENOENT},
		{path: "f/x", flags: rw | creat, errno: syscall.ENOTDIR},
		{path: "x", flags: rd | creat | dir, errno: syscall.EINVAL},
		{path: "x", flags: rw | O_TMPFILE | dir, errno: syscall.EOPNOTSUPP},
		{path: "", flags: rd, errno: syscall.ENOENT},
		{path: "f", flags: rd | trunc, check: func(t *testing.T, fsys *FS, f *File) {
			if st, _ := f.Stat(); st.Size != 0 {
				t.Errorf("O_RDONLY|O_TRUNC left size %d (Linux truncates)", st.Size)
			}
		}},
		{path: "f", flags: wr | syscall.O_APPEND | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC | creat | trunc, check: func(t *testing.T, fsys *FS, f *File) {
			want := wr | syscall.O_APPEND | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
			if got := f.Flags(); got != want {
				t.Errorf("F_GETFL %#x, want %#x", got, want)
			}
		}},
		{path: "f", flags: O_PATH | rw | creat | excl | trunc, check: func(t *testing.T, fsys *FS, f *File) {
			if got := f.Flags(); got != O_PATH {
				t.Errorf("O_PATH F_GETFL %#x", got)
			}
			if st, _ := f.Stat(); st.Size != 5 {
				t.Errorf("O_PATH truncated: size %d", st.Size)
			}
			_, err := f.Read(make([]byte, 1))
			wantErrno(t, "read O_PATH", err, syscall.EBADF)
			_, err = f.Write([]byte("x"))
			wantErrno(t, "write O_PATH", err, syscall.EBADF)
			_, err = f.Seek(0, 0)
			wantErrno(t, "seek O_PATH", err, syscall.EBADF)
			wantErrno(t, "fchmod O_PATH", f.Chmod(0), syscall.EBADF)
			wantErrno(t, "fchown O_PATH", f.Chown(1, 1), syscall.EBADF)
			wantErrno(t, "fsync O_PATH", f.Sync(), syscall.EBADF)
			wantErrno(t, "ftruncate O_PATH", f.Truncate(0), syscall.EBADF)
			wantErrno(t, "F_SETFL O_PATH", f.SetFlags(syscall.O_APPEND), syscall.EBADF)
			_, err = f.ReadDir(0)
			wantErrno(t, "getdents O_PATH", err, syscall.EBADF)
		}},
		{path: "l", flags: O_PATH | nofollow, check: func(t *testing.T, fsys *FS, f *File) {
			if st, _ := f.Stat(); st.Mode&S_IFMT != S_IFLNK {
				t.Errorf("O_PATH|O_NOFOLLOW opened mode %o", st.Mode)
			}
			target, err := fsys.ReadlinkAt(f.Node(), "")
			if err != nil || target != "f" {
				t.Errorf("readlinkat(O_PATH link, \"\"): %q, %v", target, err)
			}
		}},
		{path: "d", flags: O_PATH | wr, check: func(t *testing.T, fsys *FS, f *File) {
			mustOpen(t, fsys, f.Node(), "..", rd, 0).Close() // usable as a dirfd
		}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s,%#x", tc.path, tc.flags), func(t *testing.T) {
			fsys := openTree(t)
			f, err := fsys.OpenAt(nil, tc.path, tc.flags, 0o4751)
			wantErrno(t, "open", err, tc.errno)
			if err != nil {
				if f != nil {
					t.Fatal("File with an error")
				}
				checkTree(t, fsys, true)
				return
			}
			if f.Name() != tc.path || f.Node() == nil {
				t.Errorf("Name %q, Node %v", f.Name(), f.Node())
			}
			if tc.check != nil {
				tc.check(t, fsys, f)
			}
			must(t, "close", f.Close())
			checkTree(t, fsys, true)
		})
	}
}

func TestOpenAccessMode(t *testing.T) {
	fsys := openTree(t)
	for _, tc := range []struct {
		flags       int
		read, write bool
	}{
		{syscall.O_RDONLY, true, false},
		{syscall.O_WRONLY, false, true},
		{syscall.O_RDWR, true, true},
		{3, false, false},
	} {
		f := mustOpen(t, fsys, nil, "f", tc.flags, 0)
		errno := func(ok bool) syscall.Errno {
			if ok {
				return 0
			}
			return syscall.EBADF
		}
		_, err := f.Read(make([]byte, 1))
		wantErrno(t, fmt.Sprintf("read, flags %d", tc.flags), err, errno(tc.read))
		_, err = f.ReadAt(make([]byte, 1), 0)
		wantErrno(t, fmt.Sprintf("pread, flags %d", tc.flags), err, errno(tc.read))
		_, err = f.Write(nil)
		wantErrno(t, fmt.Sprintf("write, flags %d", tc.flags), err, errno(tc.write))
		_, err = f.WriteAt([]byte("h"), 0)
		wantErrno(t, fmt.Sprintf("pwrite, flags %d", tc.flags), err, errno(tc.write))
		f.Close()
	}
}

// TestOpenProtectedSticky: O_CREAT of an existing device in a
// world-writable sticky directory, owned by neither the directory's owner
// nor root, is refused even to root (Linux's may_create_in_sticky); other
// opens, and regular files, are not.
func TestOpenProtectedSticky(t *testing.T) {
	fsys := New(Options{Devices: map[uint64]Device{DevNull: Null{}}})
	must(t, "mkdir", fsys.MkdirAt(nil, "/tmp", 0o1777))
	must(t, "mknod", fsys.MknodAt(nil, "/tmp/dev", S_IFCHR|0o666, DevNull))
	writeFile(t, fsys, "/tmp/reg", nil)
	must(t, "chown", fsys.ChownAt(nil, "/tmp/dev", 1000, 1000, 0))
	must(t, "chown", fsys.ChownAt(nil, "/tmp/reg", 1000, 1000, 0))
	_, err := fsys.OpenAt(nil, "/tmp/dev", syscall.O_RDWR|syscall.O_CREAT, 0o666)
	wantErrno(t, "O_CREAT of another's device in /tmp", err, syscall.EACCES)
	mustOpen(t, fsys, nil, "/tmp/dev", syscall.O_RDWR, 0).Close()
	mustOpen(t, fsys, nil, "/tmp/reg", syscall.O_RDWR|syscall.O_CREAT, 0).Close()
	must(t, "chown dir", fsys.ChownAt(nil, "/tmp", 1000, -1, 0))
	mustOpen(t, fsys, nil, "/tmp/dev", syscall.O_RDWR|syscall.O_CREAT, 0).Close() // the directory's owner's
	must(t, "chown dir", fsys.ChownAt(nil, "/tmp", 0, -1, 0))
	must(t, "chmod dir", fsys.ChmodAt(nil, "/tmp", 0o1775, 0))
	mustOpen(t, fsys, nil, "/tmp/dev", syscall.O_RDWR|syscall.O_CREAT, 0).Close() // not world-writable
}
