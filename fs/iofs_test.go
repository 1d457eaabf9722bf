package fs

import (
	"bytes"
	"errors"
	"fmt"
	iofs "io/fs"
	"slices"
	"testing"
	"testing/fstest"
)

func TestIOFS(t *testing.T) {
	fsys, _ := newTestFS(t)
	for _, d := range []string{"/a", "/a/b", "/c", "/empty"} {
		must(t, "mkdir", fsys.MkdirAt(nil, d, 0o755))
	}
	writeFile(t, fsys, "/a/one", []byte("one"))
	writeFile(t, fsys, "/a/b/two", bytes.Repeat([]byte("two"), 3000))
	writeFile(t, fsys, "/c/sparse", nil)
	must(t, "truncate", fsys.TruncateAt(nil, "/c/sparse", 3*PageSize))
	must(t, "symlink", fsys.SymlinkAt("../a/one", nil, "/c/link"))
	must(t, "symlink", fsys.SymlinkAt("/a/b", nil, "/c/dirlink"))
	for i := 0; i < 30; i++ {
		writeFile(t, fsys, fmt.Sprintf("/c/f%02d", i), []byte{byte(i)})
	}
	view := fsys.IOFS(nil)
	if err := fstest.TestFS(view, "a/one", "a/b/two", "c/sparse", "c/link", "c/f07", "empty"); err != nil {
		t.Fatal(err)
	}
	a, _ := fsys.Lookup(nil, "/a", 0)
	if err := fstest.TestFS(fsys.IOFS(a), "one", "b/two"); err != nil {
		t.Fatal(err)
	}
	var walked []string
	err := iofs.WalkDir(view, ".", func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, p)
		return nil
	})
	must(t, "walk", err)
	if !slices.Contains(walked, "a/b/two") || !slices.Contains(walked, "c/dirlink") || slices.Contains(walked, "c/dirlink/two") {
		t.Fatalf("walked %v", walked)
	}
	if fi, err := iofs.Lstat(view, "c/link"); err != nil || fi.Mode()&iofs.ModeSymlink == 0 {
		t.Fatalf("lstat link: %v %v", fi, err)
	}
	if target, err := iofs.ReadLink(view, "c/link"); err != nil || target != "../a/one" {
		t.Fatalf("readlink: %q %v", target, err)
	}
	if _, err := view.Open("../a"); err == nil {
		t.Fatal("invalid name opened")
	}
	if _, err := iofs.Stat(view, "missing"); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("stat missing: %v", err)
	}
	if m := FileMode(S_IFCHR | S_ISUID | S_ISGID | S_ISVTX | 0o640); m != iofs.ModeDevice|iofs.ModeCharDevice|iofs.ModeSetuid|iofs.ModeSetgid|iofs.ModeSticky|0o640 {
		t.Fatalf("FileMode %v", m)
	}
}
