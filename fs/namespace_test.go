package fs

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// nsTree builds the tree the namespace tests change.
func nsTree(t *testing.T) *FS {
	fsys, _ := newTestFS(t)
	for _, d := range []string{"/d1", "/d2", "/d3", "/d3/sub", "/d3/sub/deep"} {
		must(t, "mkdir", fsys.MkdirAt(nil, d, 0o755))
	}
	writeFile(t, fsys, "/f1", []byte("one"))
	writeFile(t, fsys, "/f2", []byte("two"))
	writeFile(t, fsys, "/d2/x", []byte("x"))
	writeFile(t, fsys, "/h1", []byte("h"))
	must(t, "link", fsys.LinkAt(nil, "/h1", nil, "/h2", 0))
	must(t, "symlink", fsys.SymlinkAt("f1", nil, "/l"))
	must(t, "symlink", fsys.SymlinkAt("d1", nil, "/ld"))
	must(t, "symlink", fsys.SymlinkAt("nowhere", nil, "/dangling"))
	return fsys
}

func TestCreateErrors(t *testing.T) {
	long := strings.Repeat("n", 256)
	type op struct {
		name string
		run  func(fsys *FS, path string) error
	}
	ops := []op{
		{"mkdir", func(fsys *FS, p string) error { return fsys.MkdirAt(nil, p, 0o755) }},
		{"mknod", func(fsys *FS, p string) error { return fsys.MknodAt(nil, p, S_IFREG|0o644, 0) }},
		{"symlink", func(fsys *FS, p string) error { return fsys.SymlinkAt("t", nil, p) }},
		{"link", func(fsys *FS, p string) error { return fsys.LinkAt(nil, "/f1", nil, p, 0) }},
	}
	tests := []struct {
		path string
		want map[string]syscall.Errno // by op; missing: 0
	}{
		{path: "new"},
		{path: "d1/new"},
		{path: "new/", want: map[string]syscall.Errno{"mknod": syscall.ENOENT, "symlink": syscall.ENOENT, "link": syscall.ENOENT}},
		{path: "f1", want: all(syscall.EEXIST)},
		{path: "f1/", want: all(syscall.EEXIST)},
		{path: "d1", want: all(syscall.EEXIST)},
		{path: "dangling", want: all(syscall.EEXIST)},
		{path: "dangling/", want: all(syscall.EEXIST)},
		{path: "l", want: all(syscall.EEXIST)},
		{path: ".", want: all(syscall.EEXIST)},
		{path: "..", want: all(syscall.EEXIST)},
		{path: "/", want: all(syscall.EEXIST)},
		{path: "d1/.", want: all(syscall.EEXIST)},
		{path: "missing/new", want: all(syscall.ENOENT)},
		{path: "f1/new", want: all(syscall.ENOTDIR)},
		{path: "ld/new"}, // through a link to a directory
		{path: long, want: all(syscall.ENAMETOOLONG)},
		{path: long[:255]},
		{path: "", want: all(syscall.ENOENT)},
	}
	for _, tc := range tests {
		for _, o := range ops {
			fsys := nsTree(t)
			err := o.run(fsys, tc.path)
			wantErrno(t, fmt.Sprintf("%s %.30q", o.name, tc.path), err, tc.want[o.name])
			checkTree(t, fsys, true)
		}
	}
}

func all(e syscall.Errno) map[string]syscall.Errno {
	return map[string]syscall.Errno{"mkdir": e, "mknod": e, "symlink": e, "link": e}
}

func TestMkdir(t *testing.T) {
	fsys := nsTree(t)
	rootLinks := mustStat(t, fsys, "/", 0).Nlink
	must(t, "mkdir", fsys.MkdirAt(nil, "/n/", 0o7777))
	st := mustStat(t, fsys, "/n", 0)
	if st.Mode != S_IFDIR|0o1777 || st.Nlink != 2 || st.Size != 40 {
		t.Errorf("new dir: mode %o (mkdir drops set-ID bits) nlink %d size %d", st.Mode, st.Nlink, st.Size)
	}
	if got := mustStat(t, fsys, "/", 0).Nlink; got != rootLinks+1 {
		t.Errorf("parent nlink %d, want %d", got, rootLinks+1)
	}
	checkTree(t, fsys, true)
}

func TestSymlinkTarget(t *testing.T) {
	fsys := nsTree(t)
	wantErrno(t, "empty target", fsys.SymlinkAt("", nil, "/s"), syscall.ENOENT)
	wantErrno(t, "target too long", fsys.SymlinkAt(strings.Repeat("a", pathMax), nil, "/s"), syscall.ENAMETOOLONG)
	// A bad target is reported before a bad path.
	wantErrno(t, "empty target, existing path", fsys.SymlinkAt("", nil, "/f1"), syscall.ENOENT)
	target := strings.Repeat("a/", 2047) + "a" // 4095 bytes
	must(t, "long target", fsys.SymlinkAt(target, nil, "/s"))
	got, err := fsys.ReadlinkAt(nil, "/s")
	if err != nil || got != target {
		t.Fatalf("readlink: %d bytes, %v", len(got), err)
	}
	if st := mustStat(t, fsys, "/s", AT_SYMLINK_NOFOLLOW); st.Size != int64(len(target)) || st.Mode != S_IFLNK|0o777 {
		t.Fatalf("symlink stat: size %d mode %o", st.Size, st.Mode)
	}
	_, err = fsys.ReadlinkAt(nil, "/f1")
	wantErrno(t, "readlink of a file", err, syscall.EINVAL)
	_, err = fsys.ReadlinkAt(nil, "/l/")
	wantErrno(t, "readlink l/", err, syscall.ENOTDIR)
	_, err = fsys.ReadlinkAt(nil, "")
	wantErrno(t, "readlink of empty path, root", err, syscall.ENOENT)
	_, err = fsys.ReadlinkAt(nil, "/missing")
	wantErrno(t, "readlink missing", err, syscall.ENOENT)
}

func TestLink(t *testing.T) {
	fsys := nsTree(t)
	must(t, "link", fsys.LinkAt(nil, "/f1", nil, "/d1/f1b", 0))
	st := mustStat(t, fsys, "/d1/f1b", 0)
	if st.Ino != mustStat(t, fsys, "/f1", 0).Ino || st.Nlink != 2 {
		t.Fatalf("link: ino %d nlink %d", st.Ino, st.Nlink)
	}
	// Without AT_SYMLINK_FOLLOW the link itself gets the name.
	must(t, "link symlink", fsys.LinkAt(nil, "/l", nil, "/l2", 0))
	if st := mustStat(t, fsys, "/l2", AT_SYMLINK_NOFOLLOW); st.Mode&S_IFMT != S_IFLNK || st.Nlink != 2 {
		t.Fatalf("linked symlink: mode %o nlink %d", st.Mode, st.Nlink)
	}
	must(t, "link follow", fsys.LinkAt(nil, "/l", nil, "/f1c", AT_SYMLINK_FOLLOW))
	if st := mustStat(t, fsys, "/f1", 0); st.Nlink != 3 {
		t.Fatalf("after AT_SYMLINK_FOLLOW: f1 nlink %d", st.Nlink)
	}
	wantErrno(t, "link dangling follow", fsys.LinkAt(nil, "/dangling", nil, "/x", AT_SYMLINK_FOLLOW), syscall.ENOENT)
	wantErrno(t, "link dir", fsys.LinkAt(nil, "/d1", nil, "/x", 0), syscall.EPERM)
	wantErrno(t, "link ld follow", fsys.LinkAt(nil, "/ld", nil, "/x", AT_SYMLINK_FOLLOW), syscall.EPERM)
	wantErrno(t, "link f1/", fsys.LinkAt(nil, "/f1/", nil, "/x", 0), syscall.ENOTDIR)
	wantErrno(t, "link missing", fsys.LinkAt(nil, "/missing", nil, "/x", 0), syscall.ENOENT)
	wantErrno(t, "link flags", fsys.LinkAt(nil, "/f1", nil, "/x", AT_SYMLINK_NOFOLLOW), syscall.EINVAL)
	// The old path is resolved before the new one is looked at.
	wantErrno(t, "link missing to empty", fsys.LinkAt(nil, "/missing", nil, "", 0), syscall.ENOENT)
	wantErrno(t, "link to empty", fsys.LinkAt(nil, "/f1", nil, "", 0), syscall.ENOENT)
	// AT_EMPTY_PATH links the node of the starting directory argument.
	f2, _ := fsys.Lookup(nil, "/f2", 0)
	must(t, "link empty path", fsys.LinkAt(f2, "", nil, "/f2b", AT_EMPTY_PATH))
	wantErrno(t, "link empty path without flag", fsys.LinkAt(f2, "", nil, "/f2c", 0), syscall.ENOENT)
	// An unlinked file cannot get a name again.
	must(t, "unlink", fsys.UnlinkAt(nil, "/f2", 0))
	must(t, "unlink", fsys.UnlinkAt(nil, "/f2b", 0))
	wantErrno(t, "link unlinked", fsys.LinkAt(f2, "", nil, "/f2d", AT_EMPTY_PATH), syscall.ENOENT)
	checkTree(t, fsys, true)
}

func TestUnlinkRmdir(t *testing.T) {
	tests := []struct {
		path  string
		rmdir bool
		errno syscall.Errno
	}{
		{path: "f1"},
		{path: "l"}, // the link, not its target
		{path: "dangling"},
		{path: "d1", errno: syscall.EISDIR},
		{path: "d1/", errno: syscall.EISDIR},
		{path: "f1/", errno: syscall.ENOTDIR},
		{path: "ld/", errno: syscall.ENOTDIR},
		{path: "missing/", errno: syscall.ENOENT},
		{path: "missing", errno: syscall.ENOENT},
		{path: ".", errno: syscall.EISDIR},
		{path: "/", errno: syscall.EISDIR},
		{path: strings.Repeat("n", 256), errno: syscall.ENAMETOOLONG},
		{path: "d1", rmdir: true},
		{path: "d1/", rmdir: true},
		{path: "d1//", rmdir: true},
		{path: "d2", rmdir: true, errno: syscall.ENOTEMPTY},
		{path: "d3/sub/..", rmdir: true, errno: syscall.ENOTEMPTY},
		{path: "d1/.", rmdir: true, errno: syscall.EINVAL},
		{path: ".", rmdir: true, errno: syscall.EINVAL},
		{path: "/", rmdir: true, errno: syscall.EBUSY},
		{path: "f1", rmdir: true, errno: syscall.ENOTDIR},
		{path: "ld", rmdir: true, errno: syscall.ENOTDIR},
		{path: "ld/", rmdir: true, errno: syscall.ENOTDIR},
		{path: "missing", rmdir: true, errno: syscall.ENOENT},
	}
	for _, tc := range tests {
		fsys := nsTree(t)
		flags := 0
		if tc.rmdir {
			flags = AT_REMOVEDIR
		}
		before, _ := fsys.StatAt(nil, tc.path, AT_SYMLINK_NOFOLLOW)
		rootLinks := mustStat(t, fsys, "/", 0).Nlink
		err := fsys.UnlinkAt(nil, tc.path, flags)
		wantErrno(t, fmt.Sprintf("unlinkat(%.20q, %#x)", tc.path, flags), err, tc.errno)
		if err == nil {
			if _, err := fsys.StatAt(nil, tc.path, AT_SYMLINK_NOFOLLOW); Errno(err) != syscall.ENOENT {
				t.Errorf("%q still there: %v", tc.path, err)
			}
			want := rootLinks
			if before.IsDir() {
				want--
			}
			if got := mustStat(t, fsys, "/", 0).Nlink; got != want {
				t.Errorf("unlinkat(%q): root nlink %d, want %d", tc.path, got, want)
			}
		}
		checkTree(t, fsys, true)
	}
	fsys := nsTree(t)
	wantErrno(t, "unlinkat flags", fsys.UnlinkAt(nil, "f1", 1), syscall.EINVAL)
	// The last name of a hard-linked file.
	must(t, "unlink h1", fsys.UnlinkAt(nil, "/h1", 0))
	if st := mustStat(t, fsys, "/h2", 0); st.Nlink != 1 {
		t.Errorf("h2 nlink %d", st.Nlink)
	}
}

func TestRename(t *testing.T) {
	type result struct {
		path string
		was  string // the path whose inode it must now be; "" for absent
	}
	tests := []struct {
		old, new string
		flags    int
		errno    syscall.Errno
		after    []result
	}{
		{old: "f1", new: "f2", after: []result{{"f2", "f1"}, {"f1", ""}}},
		{old: "f1", new: "d1/f", after: []result{{"d1/f", "f1"}, {"f1", ""}}},
		{old: "f1", new: "d1", errno: syscall.EISDIR},
		{old: "d1", new: "f1", errno: syscall.ENOTDIR},
		{old: "d1", new: "d2", errno: syscall.ENOTEMPTY},
		{old: "d2", new: "d1", after: []result{{"d1", "d2"}, {"d1/x", "d2/x"}, {"d2", ""}}},
		{old: "d2", new: "d3/sub/deep", after: []result{{"d3/sub/deep/x", "d2/x"}}},
		{old: "d3", new: "d3/sub/x", errno: syscall.EINVAL},
		{old: "d3", new: "d3/sub", errno: syscall.EINVAL},
		{old: "d3/sub", new: "d3/sub/deep/x", errno: syscall.EINVAL},
		{old: "d3/sub/deep", new: "d3", errno: syscall.ENOTEMPTY},
		{old: "d3/sub/deep", new: "d3", flags: RENAME_EXCHANGE, errno: syscall.EINVAL},
		{old: "d3", new: "d3/sub", flags: RENAME_EXCHANGE, errno: syscall.EINVAL},
		{old: "d3/sub/deep", new: "d1", after: []result{{"d1", "d3/sub/deep"}, {"d3/sub/deep", ""}}},
		{old: "d1", new: "d3/sub/deep/moved", after: []result{{"d3/sub/deep/moved", "d1"}}},
		{old: "f1", new: "f1", after: []result{{"f1", "f1"}}},
		{old: "h1", new: "h2", after: []result{{"h1", "h1"}, {"h2", "h1"}}}, // same inode: nothing happens
		{old: "h1", new: "h2", flags: RENAME_EXCHANGE, after: []result{{"h1", "h1"}, {"h2", "h1"}}},
		{old: "f1", new: "f2", flags: RENAME_NOREPLACE, errno: syscall.EEXIST},
		{old: "f1", new: "new", flags: RENAME_NOREPLACE, after: []result{{"new", "f1"}}},
		{old: "f1", new: "d1", flags: RENAME_EXCHANGE, after: []result{{"f1", "d1"}, {"d1", "f1"}}},
		{old: "f1", new: "d3/sub", flags: RENAME_EXCHANGE, after: []result{{"f1", "d3/sub"}, {"d3/sub", "f1"}, {"f1/deep", "d3/sub/deep"}}},
		{old: "f1", new: "missing", flags: RENAME_EXCHANGE, errno: syscall.ENOENT},
		{old: "f1", new: "d1/", flags: RENAME_EXCHANGE, after: []result{{"d1", "f1"}}},
		{old: "d1", new: "f1/", flags: RENAME_EXCHANGE, errno: syscall.ENOTDIR},
		{old: "missing", new: "f1", errno: syscall.ENOENT},
		{old: "missing/x", new: "/", errno: syscall.ENOENT},
		{old: ".", new: "x", errno: syscall.EBUSY},
		{old: "d1/..", new: "x", errno: syscall.EBUSY},
		{old: "/", new: "x", errno: syscall.EBUSY},
		{old: "f1", new: ".", errno: syscall.EBUSY},
		{old: "f1", new: ".", flags: RENAME_NOREPLACE, errno: syscall.EEXIST},
		{old: "f1/", new: "x", errno: syscall.ENOTDIR},
		{old: "f1", new: "x/", errno: syscall.ENOTDIR},
		{old: "d1/", new: "x/", after: []result{{"x", "d1"}}},
		{old: "ld/", new: "x", errno: syscall.ENOTDIR},
		{old: "l", new: "x", after: []result{{"x", "l"}, {"f1", "f1"}}}, // the link moves, not its target
		{old: "f1", new: strings.Repeat("n", 256), errno: syscall.ENAMETOOLONG},
		{old: "f1", new: "missing/x", errno: syscall.ENOENT},
		{old: "f1", new: "f2/x", errno: syscall.ENOTDIR},
		{old: "f1", new: "x", flags: RENAME_NOREPLACE | RENAME_EXCHANGE, errno: syscall.EINVAL},
		{old: "f1", new: "x", flags: RENAME_WHITEOUT, errno: syscall.EINVAL},
		{old: "f1", new: "x", flags: 8, errno: syscall.EINVAL},
		{old: "missing", new: "", errno: syscall.ENOENT},
		{old: "f1", new: "", errno: syscall.ENOENT},
	}
	for _, tc := range tests {
		fsys := nsTree(t)
		inos := map[string]uint64{}
		for _, r := range tc.after {
			if r.was != "" {
				inos[r.was] = mustStat(t, fsys, r.was, AT_SYMLINK_NOFOLLOW).Ino
			}
		}
		name := fmt.Sprintf("rename(%.20q, %.20q, %d)", tc.old, tc.new, tc.flags)
		wantErrno(t, name, fsys.RenameAt(nil, tc.old, nil, tc.new, tc.flags), tc.errno)
		for _, r := range tc.after {
			st, err := fsys.StatAt(nil, r.path, AT_SYMLINK_NOFOLLOW)
			if r.was == "" {
				if Errno(err) != syscall.ENOENT {
					t.Errorf("%s: %s exists", name, r.path)
				}
			} else if err != nil || st.Ino != inos[r.was] {
				t.Errorf("%s: %s is inode %d (%v), want %s's %d", name, r.path, st.Ino, err, r.was, inos[r.was])
			}
		}
		checkTree(t, fsys, true)
	}
}

func TestRenameReplacedInodes(t *testing.T) {
	fsys := nsTree(t)
	f2, _ := fsys.Lookup(nil, "/f2", 0)
	must(t, "rename", fsys.RenameAt(nil, "/f1", nil, "/f2", 0))
	if st := f2.Stat(); st.Nlink != 0 {
		t.Fatalf("replaced file nlink %d", st.Nlink)
	}
	d1, _ := fsys.Lookup(nil, "/d1", 0)
	must(t, "rename", fsys.RenameAt(nil, "/d3/sub/deep", nil, "/d1", 0))
	if st := d1.Stat(); st.Nlink != 0 {
		t.Fatalf("replaced dir nlink %d", st.Nlink)
	}
	if _, err := fsys.PathOf(d1); Errno(err) != syscall.ENOENT {
		t.Fatalf("replaced dir still has a path: %v", err)
	}
	if u := fsys.Usage(); u.Regular != 3 { // f2 (was f1), d2/x, h1=h2
		t.Fatalf("regular files in use %d", u.Regular)
	}
	checkTree(t, fsys, true)
}

func TestRenameFromNodes(t *testing.T) {
	fsys := nsTree(t)
	d1, _ := fsys.Lookup(nil, "/d1", 0)
	d2, _ := fsys.Lookup(nil, "/d2", 0)
	must(t, "rename", fsys.RenameAt(d2, "x", d1, "y", 0))
	if _, err := fsys.StatAt(d1, "y", 0); err != nil {
		t.Fatal(err)
	}
	must(t, "rename dir", fsys.RenameAt(nil, "/d1", d2, "d1", 0))
	if p, _ := fsys.PathOf(d1); p != "/d2/d1" {
		t.Fatalf("moved dir path %q", p)
	}
	if st, _ := fsys.StatAt(d1, "..", 0); st.Ino != d2.Ino() {
		t.Fatal(".. not updated by the move")
	}
	checkTree(t, fsys, true)
}
