package fs

import (
	"bytes"
	"syscall"
	"testing"
)

func TestSmoke(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/a", 0o755))
	writeFile(t, fsys, "/a/f", []byte("hello"))
	if got := readFile(t, fsys, "a/f"); !bytes.Equal(got, []byte("hello")) {
		t.Fatalf("read %q", got)
	}
	must(t, "rename", fsys.RenameAt(nil, "/a/f", nil, "/a/g", 0))
	_, err := fsys.StatAt(nil, "/a/f", 0)
	wantErrno(t, "stat old", err, syscall.ENOENT)
	ents, err := fsys.ReadDirAt(nil, "/a")
	must(t, "readdir", err)
	if got := names(ents); len(got) != 1 || got[0] != "g" {
		t.Fatalf("entries %v", got)
	}
}
