package fs

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// pathTree builds the tree the resolution tests walk.
func pathTree(t *testing.T) *FS {
	fsys, _ := newTestFS(t)
	for _, d := range []string{"/d", "/d/sub", "/e"} {
		must(t, "mkdir "+d, fsys.MkdirAt(nil, d, 0o755))
	}
	writeFile(t, fsys, "/d/f", []byte("x"))
	writeFile(t, fsys, "/f", []byte("y"))
	for link, target := range map[string]string{
		"/l": "d", "/lf": "d/f", "/dangling": "nowhere", "/abs": "/d/sub",
		"/loop1": "loop2", "/loop2": "loop1", "/self": "self", "/d/up": "../e",
		"/lslash": "d/", "/lfslash": "d/f/",
	} {
		must(t, "symlink "+link, fsys.SymlinkAt(target, nil, link))
	}
	// A chain of 40 links ending at d, and one of 41.
	must(t, "symlink", fsys.SymlinkAt("d", nil, "/c40"))
	for i := 39; i >= 1; i-- {
		must(t, "symlink", fsys.SymlinkAt(fmt.Sprintf("c%d", i+1), nil, fmt.Sprintf("/c%d", i)))
	}
	must(t, "symlink", fsys.SymlinkAt("c1", nil, "/c0"))
	return fsys
}

func TestResolve(t *testing.T) {
	fsys := pathTree(t)
	ino := func(path string) uint64 {
		st, err := fsys.StatAt(nil, path, AT_SYMLINK_NOFOLLOW)
		if err != nil {
			t.Fatalf("setup: lstat %s: %v", path, err)
		}
		return st.Ino
	}
	root, d, sub, e, df, f := ino("/"), ino("/d"), ino("/d/sub"), ino("/e"), ino("/d/f"), ino("/f")
	long := strings.Repeat("n", 256)
	dots := strings.Repeat("./", (pathMax-2)/2) // 4094 bytes
	tests := []struct {
		path  string
		flags int
		ino   uint64 // when errno is 0
		errno syscall.Errno
	}{
		{path: "d", ino: d},
		{path: "/d", ino: d},
		{path: "d/", ino: d},
		{path: "d//sub", ino: sub},
		{path: "d/./sub/.", ino: sub},
		{path: "d/sub/..", ino: d},
		{path: "d/sub/../../e", ino: e},
		{path: "/..", ino: root},
		{path: "../../d", ino: d},
		{path: "///", ino: root},
		{path: ".", ino: root},
		{path: "..", ino: root},
		{path: "d/f/", errno: syscall.ENOTDIR},
		{path: "d/f/.", errno: syscall.ENOTDIR},
		{path: "d/f/x", errno: syscall.ENOTDIR},
		{path: "f/..", errno: syscall.ENOTDIR},
		{path: "missing", errno: syscall.ENOENT},
		{path: "missing/", errno: syscall.ENOENT},
		{path: "missing/x", errno: syscall.ENOENT},
		{path: "", errno: syscall.ENOENT},
		{path: "", flags: AT_EMPTY_PATH, ino: root},
		{path: "l", ino: d},
		{path: "l/", flags: AT_SYMLINK_NOFOLLOW, ino: d},
		{path: "l/f", ino: df},
		{path: "lf", ino: df},
		{path: "lf/", errno: syscall.ENOTDIR},
		{path: "lf/", flags: AT_SYMLINK_NOFOLLOW, errno: syscall.ENOTDIR},
		{path: "lslash", ino: d},
		{path: "lfslash", errno: syscall.ENOTDIR},
		{path: "abs/..", ino: d},
		{path: "d/up", ino: e},
		{path: "l/up/../d/f", ino: df},
		{path: "dangling", errno: syscall.ENOENT},
		{path: "loop1", errno: syscall.ELOOP},
		{path: "loop1/x", errno: syscall.ELOOP},
		{path: "self/", errno: syscall.ELOOP},
		{path: "self/", flags: AT_SYMLINK_NOFOLLOW, errno: syscall.ELOOP},
		{path: "c1", ino: d}, // 40 links
		{path: "c1/f", ino: df},
		{path: "c0", errno: syscall.ELOOP}, // 41
		{path: "c0/f", errno: syscall.ELOOP},
		{path: long, errno: syscall.ENAMETOOLONG},
		{path: "d/" + long + "/x", errno: syscall.ENAMETOOLONG},
		{path: "missing/" + long, errno: syscall.ENOENT},
		{path: long[:255], errno: syscall.ENOENT},
		{path: dots + "f", ino: f},                       // 4095 bytes
		{path: dots + "ff", errno: syscall.ENAMETOOLONG}, // 4096
		{path: "d\x00", errno: syscall.EINVAL},
		{path: "d", flags: 0x1, errno: syscall.EINVAL},
	}
	for _, tc := range tests {
		st, err := fsys.StatAt(nil, tc.path, tc.flags)
		wantErrno(t, fmt.Sprintf("stat(%.40q, %#x)", tc.path, tc.flags), err, tc.errno)
		if tc.errno == 0 && st.Ino != tc.ino {
			t.Errorf("stat(%.40q, %#x): inode %d, want %d", tc.path, tc.flags, st.Ino, tc.ino)
		}
	}

	// Without following, the last component is the link itself.
	for _, p := range []string{"l", "lf", "dangling", "loop1", "c0"} {
		st := mustStat(t, fsys, p, AT_SYMLINK_NOFOLLOW)
		if st.Mode&S_IFMT != S_IFLNK || st.Mode&0o777 != 0o777 {
			t.Errorf("lstat %s: mode %o", p, st.Mode)
		}
	}
	if st := mustStat(t, fsys, "abs", AT_SYMLINK_NOFOLLOW); st.Size != int64(len("/d/sub")) {
		t.Errorf("lstat abs: size %d", st.Size)
	}
}

func TestResolveFromNode(t *testing.T) {
	fsys := pathTree(t)
	d, err := fsys.Lookup(nil, "d", 0)
	must(t, "lookup d", err)
	fnode, err := fsys.Lookup(nil, "f", 0)
	must(t, "lookup f", err)
	l, err := fsys.Lookup(nil, "l", AT_SYMLINK_NOFOLLOW)
	must(t, "lookup l", err)
	if l.Type() != S_IFLNK || d.Type() != S_IFDIR || !d.IsDir() || fnode.IsDir() {
		t.Fatalf("types: l %o d %o f %o", l.Type(), d.Type(), fnode.Type())
	}
	sub := mustStat(t, fsys, "/d/sub", 0).Ino
	tests := []struct {
		dir   *Node
		path  string
		flags int
		ino   uint64
		errno syscall.Errno
	}{
		{dir: d, path: "sub", ino: sub},
		{dir: d, path: "..", ino: fsys.Root().Ino()},
		{dir: d, path: "", flags: AT_EMPTY_PATH, ino: d.Ino()},
		{dir: fnode, path: "x", errno: syscall.ENOTDIR},
		{dir: fnode, path: ".", errno: syscall.ENOTDIR},
		{dir: fnode, path: "/d/sub", ino: sub},
		{dir: fnode, path: "", flags: AT_EMPTY_PATH, ino: fnode.Ino()},
		{dir: l, path: "", flags: AT_EMPTY_PATH, ino: l.Ino()},
		{dir: l, path: "f", errno: syscall.ENOTDIR}, // a symlink node is not a directory
	}
	for _, tc := range tests {
		st, err := fsys.StatAt(tc.dir, tc.path, tc.flags)
		wantErrno(t, fmt.Sprintf("stat(%d, %q, %#x)", tc.dir.Ino(), tc.path, tc.flags), err, tc.errno)
		if tc.errno == 0 && st.Ino != tc.ino {
			t.Errorf("stat(%d, %q): inode %d, want %d", tc.dir.Ino(), tc.path, st.Ino, tc.ino)
		}
	}
}

func TestRemovedDirectory(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/a", 0o755))
	must(t, "mkdir", fsys.MkdirAt(nil, "/a/gone", 0o755))
	gone, err := fsys.Lookup(nil, "/a/gone", 0)
	must(t, "lookup", err)
	must(t, "rmdir", fsys.UnlinkAt(nil, "/a/gone", AT_REMOVEDIR))

	a := mustStat(t, fsys, "/a", 0).Ino
	if st, err := fsys.StatAt(gone, "..", 0); err != nil || st.Ino != a {
		t.Errorf("removed dir's ..: %v, %v (Linux keeps the old parent)", st.Ino, err)
	}
	if st, err := fsys.StatAt(gone, ".", 0); err != nil || st.Ino != gone.Ino() || st.Nlink != 0 {
		t.Errorf("removed dir's .: ino %d nlink %d, %v", st.Ino, st.Nlink, err)
	}
	_, err = fsys.StatAt(gone, strings.Repeat("x", 300), 0)
	wantErrno(t, "long name in removed dir", err, syscall.ENOENT)
	_, err = fsys.OpenAt(gone, "new", syscall.O_CREAT|syscall.O_RDWR, 0o644)
	wantErrno(t, "create in removed dir", err, syscall.ENOENT)
	wantErrno(t, "mkdir in removed dir", fsys.MkdirAt(gone, "new", 0o755), syscall.ENOENT)
	wantErrno(t, "symlink in removed dir", fsys.SymlinkAt("x", gone, "new"), syscall.ENOENT)
	writeFile(t, fsys, "/f", nil)
	wantErrno(t, "link into removed dir", fsys.LinkAt(nil, "/f", gone, "new", 0), syscall.ENOENT)
	wantErrno(t, "rename into removed dir", fsys.RenameAt(nil, "/f", gone, "new", 0), syscall.ENOENT)
	_, err = fsys.PathOf(gone)
	wantErrno(t, "getcwd of removed dir", err, syscall.ENOENT)
	f := mustOpen(t, fsys, gone, ".", syscall.O_RDONLY, 0)
	_, err = f.ReadDir(0)
	wantErrno(t, "readdir of removed dir", err, syscall.ENOENT)
	must(t, "close", f.Close())
	checkTree(t, fsys, true)
}

func TestPathOf(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/a", 0o755))
	must(t, "mkdir", fsys.MkdirAt(nil, "/a/b", 0o755))
	b, _ := fsys.Lookup(nil, "/a/b", 0)
	for _, tc := range []struct {
		dir  *Node
		want string
	}{{nil, "/"}, {fsys.Root(), "/"}, {b, "/a/b"}} {
		if got, err := fsys.PathOf(tc.dir); err != nil || got != tc.want {
			t.Errorf("PathOf: %q, %v; want %q", got, err, tc.want)
		}
	}
	must(t, "mkdir", fsys.MkdirAt(nil, "/c", 0o755))
	must(t, "rename", fsys.RenameAt(nil, "/a", nil, "/c/x", 0))
	if got, err := fsys.PathOf(b); err != nil || got != "/c/x/b" {
		t.Errorf("PathOf after rename: %q, %v", got, err)
	}
	writeFile(t, fsys, "/f", nil)
	fnode, _ := fsys.Lookup(nil, "/f", 0)
	_, err := fsys.PathOf(fnode)
	wantErrno(t, "PathOf(file)", err, syscall.ENOTDIR)
}
