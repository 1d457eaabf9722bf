package fs

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"syscall"
	"testing"
)

func readAll(t *testing.T, f *File, chunk int) []DirEntry {
	t.Helper()
	var out []DirEntry
	for {
		ents, err := f.ReadDir(chunk)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("readdir: %v", err)
		}
		if len(ents) == 0 || len(ents) > chunk {
			t.Fatalf("readdir(%d) returned %d entries", chunk, len(ents))
		}
		out = append(out, ents...)
	}
}

func TestReadDir(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	must(t, "mkdir", fsys.MkdirAt(nil, "/d/sub", 0o755))
	writeFile(t, fsys, "/d/f", nil)
	must(t, "symlink", fsys.SymlinkAt("f", nil, "/d/l"))
	must(t, "mknod", fsys.MknodAt(nil, "/d/c", S_IFCHR|0o666, DevNull))
	must(t, "mknod", fsys.MknodAt(nil, "/d/p", S_IFIFO|0o666, 0))

	f := mustOpen(t, fsys, nil, "/d", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	defer f.Close()
	ents := readAll(t, f, 2)
	if got := names(ents); !slices.Equal(got[:2], []string{".", ".."}) || len(got) != 7 {
		t.Fatalf("entries %v", got)
	}
	d := mustStat(t, fsys, "/d", 0).Ino
	if ents[0].Ino != d || ents[1].Ino != fsys.Root().Ino() {
		t.Fatalf(". is %d, .. is %d", ents[0].Ino, ents[1].Ino)
	}
	types := map[string]uint8{}
	for _, e := range ents[2:] {
		types[e.Name] = e.DirentType()
		if st := mustStat(t, fsys, "/d/"+e.Name, AT_SYMLINK_NOFOLLOW); st.Ino != e.Ino || st.Mode&S_IFMT != e.Type {
			t.Errorf("%s: entry ino %d type %o, stat ino %d mode %o", e.Name, e.Ino, e.Type, st.Ino, st.Mode)
		}
	}
	want := map[string]uint8{"sub": syscall.DT_DIR, "f": syscall.DT_REG, "l": syscall.DT_LNK, "c": syscall.DT_CHR, "p": syscall.DT_FIFO}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("d_types %v, want %v", types, want)
	}
	// Newest first, as Linux's tmpfs: after "." and ".." the positions
	// (the entries' cookies) decrease; seeking to one continues after it;
	// 0 rewinds.
	if ents[0].Off != 1 || ents[1].Off != 2 || ents[2].Name != "p" {
		t.Fatalf("not ., .., then the newest: %v", ents)
	}
	for i := 3; i < len(ents); i++ {
		if ents[i].Off >= ents[i-1].Off || ents[i].Off <= 2 {
			t.Fatalf("positions not decreasing after ..: %v", ents)
		}
	}
	for i, e := range ents {
		if _, err := f.Seek(e.Off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, err := f.ReadDir(0)
		if err != nil || !slices.Equal(names(rest), names(ents[i+1:])) {
			t.Fatalf("after seek to %d: %v, %v; want %v", e.Off, names(rest), err, names(ents[i+1:]))
		}
	}
	if rest, err := f.ReadDir(0); len(rest) != 0 || err != nil {
		t.Fatalf("ReadDir(0) at the end: %v, %v", rest, err)
	}
	if _, err := f.ReadDir(1); err != io.EOF {
		t.Fatalf("ReadDir(1) at the end: %v", err)
	}
	f.Seek(0, io.SeekStart)
	if again := readAll(t, f, 100); !slices.Equal(names(again), names(ents)) {
		t.Fatalf("after rewind %v", names(again))
	}
	// SEEK_CUR moves relative to the stream position.
	f.Seek(ents[2].Off, io.SeekStart)
	if pos, err := f.Seek(0, io.SeekCurrent); pos != ents[2].Off || err != nil {
		t.Fatalf("SEEK_CUR: %d, %v", pos, err)
	}
	// The root's ".." is itself.
	r := mustOpen(t, fsys, nil, "/", syscall.O_RDONLY, 0)
	defer r.Close()
	if ents, _ := r.ReadDir(2); ents[1].Name != ".." || ents[1].Ino != fsys.Root().Ino() {
		t.Fatalf("root's ..: %v", ents)
	}
	if ents, err := fsys.ReadDirAt(nil, "/d"); err != nil || !slices.Equal(names(ents), []string{"c", "f", "l", "p", "sub"}) {
		t.Fatalf("ReadDirAt: %v, %v", names(ents), err)
	}
}

// TestReadDirChanges interleaves reads of a stream with changes to the
// directory, deterministically: entries present throughout come exactly
// once, removed ones never after their removal.
func TestReadDirChanges(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	const n = 200
	for i := 0; i < n; i++ {
		writeFile(t, fsys, fmt.Sprintf("/d/s%03d", i), nil) // stable
		writeFile(t, fsys, fmt.Sprintf("/d/v%03d", i), nil) // victims
	}
	f := mustOpen(t, fsys, nil, "/d", syscall.O_RDONLY, 0)
	defer f.Close()
	seen := map[string]int{}
	removed := map[string]bool{}
	next := 0
	for i := 0; ; i++ {
		ents, err := f.ReadDir(3)
		if err == io.EOF {
			break
		}
		for _, e := range ents {
			seen[e.Name]++
			if removed[e.Name] {
				t.Fatalf("%s returned after its removal", e.Name)
			}
		}
		// Remove a victim not read yet, and one already read; add new
		// names; rename one victim over another (the target keeps its
		// place), and one victim to a new name.
		for k := 0; k < 2 && next < n; k++ {
			v := fmt.Sprintf("v%03d", n-1-next)
			next++
			if _, err := fsys.StatAt(nil, "/d/"+v, 0); err != nil {
				continue
			}
			must(t, "unlink", fsys.UnlinkAt(nil, "/d/"+v, 0))
			removed[v] = true
		}
		writeFile(t, fsys, fmt.Sprintf("/d/new%03d", i), nil)
		if i%5 == 0 {
			must(t, "unlink", fsys.UnlinkAt(nil, fmt.Sprintf("/d/new%03d", i), 0))
		}
	}
	for i := 0; i < n; i++ {
		if s := fmt.Sprintf("s%03d", i); seen[s] != 1 {
			t.Errorf("%s seen %d times", s, seen[s])
		}
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s seen %d times", name, c)
		}
	}
	if seen["."] != 1 || seen[".."] != 1 {
		t.Errorf(". and .. seen %d, %d times", seen["."], seen[".."])
	}
}

func TestReadDirRename(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		writeFile(t, fsys, "/d/"+n, nil)
	}
	f := mustOpen(t, fsys, nil, "/d", syscall.O_RDONLY, 0)
	defer f.Close()
	first, _ := f.ReadDir(3) // ".", "..", "e" (the newest)
	if got := names(first); !slices.Equal(got, []string{".", "..", "e"}) {
		t.Fatalf("first %v", got)
	}
	// A name rename gives is a new entry, as Linux moves a renamed dentry
	// to the front: replacing a name already passed does not bring it
	// back, and replacing one not reached yet moves it out of the stream's
	// way; the sources are gone.
	dIno, bIno := mustStat(t, fsys, "/d/d", 0).Ino, mustStat(t, fsys, "/d/b", 0).Ino
	must(t, "rename", fsys.RenameAt(nil, "/d/d", nil, "/d/e", 0))
	must(t, "rename", fsys.RenameAt(nil, "/d/b", nil, "/d/a", 0))
	if rest := readAll(t, f, 1); !slices.Equal(names(rest), []string{"c"}) {
		t.Fatalf("rest %v, want [c]", names(rest))
	}
	f.Seek(0, io.SeekStart)
	all := readAll(t, f, 10)
	if got := names(all); !slices.Equal(got, []string{".", "..", "a", "e", "c"}) || all[2].Ino != bIno || all[3].Ino != dIno {
		t.Fatalf("after the renames %v (a should name b's inode %d, e d's %d)", all, bIno, dIno)
	}
	// An exchange keeps both places.
	writeFile(t, fsys, "/d/e", nil)
	f.Seek(0, io.SeekStart)
	before := readAll(t, f, 10)
	must(t, "exchange", fsys.RenameAt(nil, "/d/a", nil, "/d/e", RENAME_EXCHANGE))
	f.Seek(0, io.SeekStart)
	after := readAll(t, f, 10)
	if !slices.Equal(names(before), names(after)) {
		t.Fatalf("exchange moved entries: %v, %v", names(before), names(after))
	}
}

func TestReadDirCompaction(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	for i := 0; i < 1000; i++ {
		writeFile(t, fsys, fmt.Sprintf("/d/%04d", i), nil)
	}
	f := mustOpen(t, fsys, nil, "/d", syscall.O_RDONLY, 0)
	defer f.Close()
	ents, _ := f.ReadDir(502) // newest first: down to 0500
	for i := 0; i < 1000; i++ {
		if i%10 != 0 {
			must(t, "unlink", fsys.UnlinkAt(nil, fmt.Sprintf("/d/%04d", i), 0))
		}
	}
	rest := readAll(t, f, 7)
	var want []string
	for i := 490; i >= 0; i -= 10 {
		want = append(want, fmt.Sprintf("%04d", i))
	}
	if !slices.Equal(names(rest), want) {
		t.Fatalf("after removals: %v", names(rest))
	}
	f.Seek(ents[101].Off, io.SeekStart) // after 0900
	rest = readAll(t, f, 100)
	if len(rest) != 90 || rest[0].Name != "0890" {
		t.Fatalf("after seek to a saved cookie: %d entries, first %v", len(rest), rest[0])
	}
	checkTree(t, fsys, false)
	got, _ := fsys.ReadDirAt(nil, "/d")
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Name < got[j].Name }) || len(got) != 100 {
		t.Fatalf("ReadDirAt: %d entries", len(got))
	}
}
