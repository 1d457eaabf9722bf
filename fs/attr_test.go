package fs

import (
	"syscall"
	"testing"
	"time"
)

func TestTimes(t *testing.T) {
	fsys, clock := newTestFS(t)
	t0 := TimespecOf(clock.Now())
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	t1 := clock.Advance(time.Second)
	f := mustOpen(t, fsys, nil, "/d/f", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	defer f.Close()
	st, _ := f.Stat()
	if st.Atime != t1 || st.Mtime != t1 || st.Ctime != t1 || st.Btime != t1 {
		t.Fatalf("new file times %+v, want all %v", st, t1)
	}
	if d := mustStat(t, fsys, "/d", 0); d.Mtime != t1 || d.Ctime != t1 || d.Btime != t0 {
		t.Fatalf("parent after create: mtime %v ctime %v btime %v", d.Mtime, d.Ctime, d.Btime)
	}

	t2 := clock.Advance(time.Second)
	f.Write([]byte("data"))
	if st, _ = f.Stat(); st.Mtime != t2 || st.Ctime != t2 || st.Atime != t1 {
		t.Fatalf("after write: %+v", st)
	}
	clock.Advance(time.Second)
	f.Write(nil)
	if st2, _ := f.Stat(); st2.Mtime != t2 {
		t.Fatal("an empty write changed mtime")
	}

	// relatime: the first read after a change updates atime, the next
	// does not, one a day later does.
	t3 := clock.Advance(time.Second)
	f.ReadAt(make([]byte, 2), 0)
	if st, _ = f.Stat(); st.Atime != t3 {
		t.Fatalf("read after write: atime %v, want %v", st.Atime, t3)
	}
	clock.Advance(time.Hour)
	f.ReadAt(make([]byte, 2), 0)
	if st, _ = f.Stat(); st.Atime != t3 {
		t.Fatalf("second read moved atime to %v", st.Atime)
	}
	t4 := clock.Advance(24 * time.Hour)
	f.ReadAt(make([]byte, 2), 0)
	if st, _ = f.Stat(); st.Atime != t4 {
		t.Fatalf("read a day later: atime %v, want %v", st.Atime, t4)
	}
	// O_NOATIME: never.
	clock.Advance(48 * time.Hour)
	g := mustOpen(t, fsys, nil, "/d/f", syscall.O_RDONLY|syscall.O_NOATIME, 0)
	g.ReadAt(make([]byte, 2), 0)
	g.Close()
	if st, _ = f.Stat(); st.Atime != t4 {
		t.Fatal("O_NOATIME read moved atime")
	}

	// Metadata changes: ctime only.
	t5 := clock.Advance(time.Second)
	f.Chmod(0o600)
	if st, _ = f.Stat(); st.Ctime != t5 || st.Mtime != t2 {
		t.Fatalf("after chmod: ctime %v mtime %v", st.Ctime, st.Mtime)
	}
	t6 := clock.Advance(time.Second)
	must(t, "link", fsys.LinkAt(nil, "/d/f", nil, "/d/g", 0))
	if st, _ = f.Stat(); st.Ctime != t6 {
		t.Fatal("link did not change ctime")
	}
	if d := mustStat(t, fsys, "/d", 0); d.Mtime != t6 || d.Ctime != t6 {
		t.Fatal("link did not change the directory's times")
	}
	t7 := clock.Advance(time.Second)
	must(t, "rename", fsys.RenameAt(nil, "/d/g", nil, "/h", 0))
	if st, _ = f.Stat(); st.Ctime != t7 {
		t.Fatal("rename did not change ctime")
	}
	for _, p := range []string{"/", "/d"} {
		if d := mustStat(t, fsys, p, 0); d.Mtime != t7 || d.Ctime != t7 {
			t.Fatalf("rename did not change %s's times", p)
		}
	}
	t8 := clock.Advance(time.Second)
	must(t, "unlink", fsys.UnlinkAt(nil, "/h", 0))
	if st, _ = f.Stat(); st.Ctime != t8 || st.Mtime != t2 {
		t.Fatal("unlink did not change ctime (only)")
	}

	// Truncation to the same size changes nothing; to another, m and c.
	clock.Advance(time.Second)
	f.Truncate(4)
	if st, _ = f.Stat(); st.Mtime != t2 {
		t.Fatal("truncate to the same size changed mtime")
	}
	t9 := clock.Advance(time.Second)
	f.Truncate(5)
	if st, _ = f.Stat(); st.Mtime != t9 || st.Ctime != t9 {
		t.Fatal("truncate did not change mtime and ctime")
	}
	t10 := clock.Advance(time.Second)
	mustOpen(t, fsys, nil, "/d/f", syscall.O_WRONLY|syscall.O_TRUNC, 0).Close()
	if st, _ = f.Stat(); st.Mtime != t10 || st.Size != 0 {
		t.Fatal("O_TRUNC did not change mtime")
	}
	if st.Btime != t1 {
		t.Fatal("birth time changed")
	}
	// A directory read updates the directory's atime.
	t11 := clock.Advance(time.Second)
	dir := mustOpen(t, fsys, nil, "/d", syscall.O_RDONLY, 0)
	dir.ReadDir(0)
	dir.Close()
	if d := mustStat(t, fsys, "/d", 0); d.Atime != t11 {
		t.Fatal("readdir did not update atime")
	}
}

func TestUtimens(t *testing.T) {
	fsys, clock := newTestFS(t)
	writeFile(t, fsys, "/f", nil)
	must(t, "symlink", fsys.SymlinkAt("f", nil, "/l"))
	old := mustStat(t, fsys, "/f", 0)
	at := Timespec{Sec: 1234, Nsec: 567}
	mt := Timespec{Sec: -5, Nsec: 999_999_999}
	now := clock.Advance(time.Minute)
	must(t, "utimensat", fsys.UtimensAt(nil, "/l", &[2]Timespec{at, mt}, 0))
	st := mustStat(t, fsys, "/f", 0)
	if st.Atime != at || st.Mtime != mt || st.Ctime != now {
		t.Fatalf("times %v %v %v", st.Atime, st.Mtime, st.Ctime)
	}
	if lst := mustStat(t, fsys, "/l", AT_SYMLINK_NOFOLLOW); lst.Mtime == mt {
		t.Fatal("the link changed, not its target")
	}
	now = clock.Advance(time.Minute)
	must(t, "utimensat now/omit", fsys.UtimensAt(nil, "/f", &[2]Timespec{{Nsec: UTIME_NOW}, {Nsec: UTIME_OMIT}}, 0))
	if st = mustStat(t, fsys, "/f", 0); st.Atime != now || st.Mtime != mt {
		t.Fatalf("UTIME_NOW/UTIME_OMIT: %v %v", st.Atime, st.Mtime)
	}
	now = clock.Advance(time.Minute)
	must(t, "utimensat nil", fsys.UtimensAt(nil, "/f", nil, 0))
	if st = mustStat(t, fsys, "/f", 0); st.Atime != now || st.Mtime != now {
		t.Fatal("nil times are not now")
	}
	must(t, "utimensat nofollow", fsys.UtimensAt(nil, "/l", &[2]Timespec{at, at}, AT_SYMLINK_NOFOLLOW))
	if lst := mustStat(t, fsys, "/l", AT_SYMLINK_NOFOLLOW); lst.Mtime != at {
		t.Fatal("AT_SYMLINK_NOFOLLOW did not change the link")
	}
	// Both omitted: nothing at all, not even a lookup.
	must(t, "omit omit", fsys.UtimensAt(nil, "/missing", &[2]Timespec{{Nsec: UTIME_OMIT}, {Nsec: UTIME_OMIT}}, 0))
	bad := &[2]Timespec{{Nsec: 1_000_000_000}, {}}
	wantErrno(t, "bad nsec", fsys.UtimensAt(nil, "/f", bad, 0), syscall.EINVAL)
	wantErrno(t, "bad nsec, missing", fsys.UtimensAt(nil, "/missing", bad, 0), syscall.ENOENT)
	wantErrno(t, "negative nsec", fsys.UtimensAt(nil, "/f", &[2]Timespec{{Nsec: -1}, {}}, 0), syscall.EINVAL)
	wantErrno(t, "bad flags", fsys.UtimensAt(nil, "/f", nil, 4), syscall.EINVAL)
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDONLY, 0)
	must(t, "futimens", f.Utimens(&[2]Timespec{mt, at}))
	if st, _ := f.Stat(); st.Atime != mt || st.Mtime != at || old.Btime != st.Btime {
		t.Fatal("futimens")
	}
	f.Close()
}

func TestChmodChown(t *testing.T) {
	fsys, _ := newTestFS(t)
	writeFile(t, fsys, "/f", nil)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	must(t, "symlink", fsys.SymlinkAt("f", nil, "/l"))

	must(t, "chmod", fsys.ChmodAt(nil, "/l", 0o7751|0o170000, 0))
	if st := mustStat(t, fsys, "/f", 0); st.Mode != S_IFREG|0o7751 {
		t.Fatalf("chmod through link: %o", st.Mode)
	}
	wantErrno(t, "chmod link nofollow", fsys.ChmodAt(nil, "/l", 0o644, AT_SYMLINK_NOFOLLOW), syscall.EOPNOTSUPP)
	must(t, "chmod file nofollow", fsys.ChmodAt(nil, "/f", 0o6755, AT_SYMLINK_NOFOLLOW))
	wantErrno(t, "chmod bad flags", fsys.ChmodAt(nil, "/f", 0, AT_REMOVEDIR), syscall.EINVAL)

	// chown: -1 keeps; non-directories lose set-user-ID, and set-group-ID
	// when group-executable.
	must(t, "chown", fsys.ChownAt(nil, "/f", 1000, -1, 0))
	if st := mustStat(t, fsys, "/f", 0); st.Uid != 1000 || st.Gid != 0 || st.Mode != S_IFREG|0o755 {
		t.Fatalf("after chown: uid %d gid %d mode %o", st.Uid, st.Gid, st.Mode)
	}
	must(t, "chmod", fsys.ChmodAt(nil, "/f", 0o6745, 0))
	must(t, "chown", fsys.ChownAt(nil, "/f", -1, -1, 0))
	if st := mustStat(t, fsys, "/f", 0); st.Mode != S_IFREG|0o2745 {
		t.Fatalf("chown -1 -1 without group x: mode %o", st.Mode)
	}
	must(t, "chmod dir", fsys.ChmodAt(nil, "/d", 0o6755, 0))
	must(t, "chown dir", fsys.ChownAt(nil, "/d", 5, 1000, 0))
	if st := mustStat(t, fsys, "/d", 0); st.Mode != S_IFDIR|0o6755 || st.Uid != 5 || st.Gid != 1000 {
		t.Fatalf("chown dir: mode %o uid %d gid %d", st.Mode, st.Uid, st.Gid)
	}
	must(t, "lchown", fsys.ChownAt(nil, "/l", 7, 7, AT_SYMLINK_NOFOLLOW))
	if st := mustStat(t, fsys, "/l", AT_SYMLINK_NOFOLLOW); st.Uid != 7 || st.Gid != 7 {
		t.Fatal("lchown did not change the link")
	}
	// The set-group-ID bit of a directory is inherited: new nodes take its
	// group, new directories the bit.
	writeFile(t, fsys, "/d/f", nil)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d/sub", 0o755))
	if st := mustStat(t, fsys, "/d/f", 0); st.Gid != 1000 || st.Mode != S_IFREG|0o644 {
		t.Fatalf("file in setgid dir: gid %d mode %o", st.Gid, st.Mode)
	}
	if st := mustStat(t, fsys, "/d/sub", 0); st.Gid != 1000 || st.Mode != S_IFDIR|0o2755 {
		t.Fatalf("dir in setgid dir: gid %d mode %o", st.Gid, st.Mode)
	}
	f := mustOpen(t, fsys, nil, "/f", syscall.O_RDONLY, 0)
	defer f.Close()
	must(t, "fchmod", f.Chmod(0o640))
	must(t, "fchown", f.Chown(3, 4))
	if st, _ := f.Stat(); st.Mode != S_IFREG|0o640 || st.Uid != 3 || st.Gid != 4 {
		t.Fatalf("fchmod/fchown: %+v", st)
	}
}

func TestAccess(t *testing.T) {
	fsys, _ := newTestFS(t)
	for path, mode := range map[string]uint32{"/none": 0, "/ux": 0o100, "/ox": 0o001, "/rw": 0o666} {
		must(t, "mknod", fsys.MknodAt(nil, path, S_IFREG|mode, 0))
	}
	must(t, "mkdir", fsys.MkdirAt(nil, "/d0", 0))
	must(t, "symlink", fsys.SymlinkAt("none", nil, "/l"))
	tests := []struct {
		path  string
		mode  uint32
		flags int
		errno syscall.Errno
	}{
		{"/none", F_OK, 0, 0},
		{"/none", R_OK | W_OK, 0, 0}, // root reads and writes anything
		{"/none", X_OK, 0, syscall.EACCES},
		{"/rw", X_OK, AT_EACCESS, syscall.EACCES},
		{"/ux", X_OK, 0, 0},
		{"/ox", R_OK | X_OK, 0, 0},
		{"/d0", R_OK | W_OK | X_OK, 0, 0}, // root searches any directory
		{"/l", X_OK, 0, syscall.EACCES},
		{"/l", X_OK, AT_SYMLINK_NOFOLLOW, 0}, // the link's mode is 0777
		{"/missing", F_OK, 0, syscall.ENOENT},
		{"/none", 8, 0, syscall.EINVAL},
		{"/missing", 8, 0, syscall.EINVAL},
		{"/none", F_OK, AT_REMOVEDIR << 1, syscall.EINVAL},
		{"", F_OK, AT_EMPTY_PATH, 0},
	}
	for _, tc := range tests {
		wantErrno(t, "access "+tc.path, fsys.AccessAt(nil, tc.path, tc.mode, tc.flags), tc.errno)
	}
}
