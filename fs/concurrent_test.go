package fs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

var concurrentOps = flag.Int("fs.concurrent", 1500, "operations per goroutine in TestConcurrentRandom")

// Records are what goroutines write where others may read: 64 bytes,
// checksummed, so a reader can tell a whole record from a torn one.
const recordSize = 64

func makeRecord(g, seq int, rng *rand.Rand) []byte {
	r := make([]byte, recordSize)
	binary.BigEndian.PutUint32(r[0:], 0x6b343272) // "k42r"
	binary.BigEndian.PutUint16(r[4:], uint16(g))
	binary.BigEndian.PutUint16(r[6:], uint16(seq))
	for i := 8; i < recordSize-4; i++ {
		r[i] = byte(rng.Uint32())
	}
	binary.BigEndian.PutUint32(r[recordSize-4:], crc32.ChecksumIEEE(r[:recordSize-4]))
	return r
}

// checkRecord reports whether r is a whole record, and which.
func checkRecord(r []byte) (g, seq int, ok bool) {
	if len(r) != recordSize || binary.BigEndian.Uint32(r) != 0x6b343272 ||
		binary.BigEndian.Uint32(r[recordSize-4:]) != crc32.ChecksumIEEE(r[:recordSize-4]) {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint16(r[4:])), int(binary.BigEndian.Uint16(r[6:])), true
}

func isZero(b []byte) bool { return bytes.Equal(b, make([]byte, len(b))) }

// TestConcurrentRandom runs goroutines doing random operations at once,
// each in a private directory (whose every outcome it predicts and
// checks, from its own model of its files) and in a shared one (where
// outcomes race: only the errnos races can cause are allowed, and every
// record read must be whole). Afterwards the tree's invariants must hold
// and every private file must hold exactly what its goroutine wrote.
func TestConcurrentRandom(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/shared", 0o755))
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{t: t, fsys: fsys, g: g, rng: rand.New(rand.NewPCG(uint64(g), 42)),
				dir: fmt.Sprintf("/g%d", g), files: map[string][]byte{}, links: map[string]string{}}
			if err := w.run(*concurrentOps); err != nil {
				errs <- fmt.Errorf("worker %d: %w", g, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	checkTree(t, fsys, true)
	removeAll(t, fsys, "/")
	if u := fsys.Usage(); u.Inodes != 1 || u.Pages != 0 {
		t.Fatalf("after removing everything: %+v", u)
	}
}

type worker struct {
	t     *testing.T
	fsys  *FS
	g     int
	rng   *rand.Rand
	dir   string
	seq   int
	files map[string][]byte // private regular files, by path, and their contents
	links map[string]string // private symbolic links and their targets
	dirs  []string          // private subdirectories
}

func (w *worker) name() string {
	return fmt.Sprintf("n%d", w.rng.IntN(6))
}

// privatePath returns a path in the worker's directory or one of its
// subdirectories.
func (w *worker) privatePath() string {
	if len(w.dirs) > 0 && w.rng.IntN(3) == 0 {
		return w.dirs[w.rng.IntN(len(w.dirs))] + "/" + w.name()
	}
	return w.dir + "/" + w.name()
}

func (w *worker) exists(p string) bool {
	_, f := w.files[p]
	_, l := w.links[p]
	return f || l || slices.Contains(w.dirs, p)
}

func (w *worker) run(ops int) error {
	if err := w.fsys.MkdirAt(nil, w.dir, 0o755); err != nil {
		return err
	}
	for i := 0; i < ops; i++ {
		var err error
		switch r := w.rng.IntN(100); {
		case r < 15:
			err = w.create()
		case r < 30:
			err = w.pwrite()
		case r < 40:
			err = w.verify()
		case r < 45:
			err = w.truncate()
		case r < 52:
			err = w.rename()
		case r < 56:
			err = w.link()
		case r < 60:
			err = w.unlink()
		case r < 64:
			err = w.symlink()
		case r < 68:
			err = w.subdir()
		case r < 71:
			err = w.openUnlinked()
		default:
			err = w.shared()
		}
		if err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
	}
	// Everything private must be as the worker left it.
	for p := range w.files {
		if err := w.check(p); err != nil {
			return err
		}
	}
	for p, target := range w.links {
		got, err := w.fsys.ReadlinkAt(nil, p)
		if err != nil || got != target {
			return fmt.Errorf("readlink %s: %q, %v; want %q", p, got, err, target)
		}
	}
	var listed []string
	for _, d := range append([]string{w.dir}, w.dirs...) {
		ents, err := w.fsys.ReadDirAt(nil, d)
		if err != nil {
			return err
		}
		for _, e := range ents {
			listed = append(listed, d+"/"+e.Name)
		}
	}
	var want []string
	for p := range w.files {
		want = append(want, p)
	}
	for p := range w.links {
		want = append(want, p)
	}
	want = append(want, w.dirs...)
	sort.Strings(listed)
	sort.Strings(want)
	if !slices.Equal(listed, want) {
		return fmt.Errorf("private names %v, want %v", listed, want)
	}
	return nil
}

func (w *worker) content() []byte {
	n := w.rng.IntN(3 * PageSize)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
	return b
}

func (w *worker) check(p string) error {
	want := w.files[p]
	f, err := w.fsys.OpenAt(nil, p, syscall.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s: %d bytes differ from the %d written (crc %08x, want %08x)", p, len(got), len(want), crc32.ChecksumIEEE(got), crc32.ChecksumIEEE(want))
	}
	return nil
}

func (w *worker) create() error {
	p := w.privatePath()
	if _, isFile := w.files[p]; w.exists(p) && !isFile {
		return nil // a link or directory there
	}
	data := w.content()
	f, err := w.fsys.OpenAt(nil, p, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if n, err := f.Write(data); n != len(data) || err != nil {
		return fmt.Errorf("write %s: %d, %v", p, n, err)
	}
	// Every name of the inode now holds data.
	w.setContents(p, data)
	return nil
}

// setContents records p's new contents under every name of its inode.
func (w *worker) setContents(p string, data []byte) {
	ino := w.ino(p)
	for q := range w.files {
		if q == p || w.ino(q) == ino {
			w.files[q] = data
		}
	}
	w.files[p] = data
}

func (w *worker) ino(p string) uint64 {
	st, err := w.fsys.StatAt(nil, p, AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return 0
	}
	return st.Ino
}

func (w *worker) pick() (string, bool) {
	if len(w.files) == 0 {
		return "", false
	}
	keys := make([]string, 0, len(w.files))
	for p := range w.files {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	return keys[w.rng.IntN(len(keys))], true
}

func (w *worker) pwrite() error {
	p, ok := w.pick()
	if !ok {
		return nil
	}
	old := w.files[p]
	data := w.content()
	off := w.rng.IntN(len(old) + PageSize)
	f, err := w.fsys.OpenAt(nil, p, syscall.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if n, err := f.WriteAt(data, int64(off)); n != len(data) || err != nil {
		return fmt.Errorf("pwrite %s: %d, %v", p, n, err)
	}
	nw := slices.Clone(old)
	if end := off + len(data); end > len(nw) && len(data) > 0 {
		// A write past the end extends the file, with a hole before it;
		// one of no bytes does not (as on Linux).
		nw = append(nw, make([]byte, end-len(nw))...)
	}
	copy(nw[min(off, len(nw)):], data)
	w.setContents(p, nw)
	return nil
}

func (w *worker) verify() error {
	if p, ok := w.pick(); ok {
		return w.check(p)
	}
	return nil
}

func (w *worker) truncate() error {
	p, ok := w.pick()
	if !ok {
		return nil
	}
	old := w.files[p]
	size := w.rng.IntN(len(old) + 2*PageSize)
	if err := w.fsys.TruncateAt(nil, p, int64(size)); err != nil {
		return err
	}
	nw := slices.Clone(old)
	if size < len(nw) {
		nw = nw[:size]
	} else {
		nw = append(nw, make([]byte, size-len(nw))...)
	}
	w.setContents(p, nw)
	return nil
}

func (w *worker) rename() error {
	p, ok := w.pick()
	if !ok {
		return nil
	}
	q := w.privatePath()
	if slices.Contains(w.dirs, q) {
		err := w.fsys.RenameAt(nil, p, nil, q, 0)
		if Errno(err) != syscall.EISDIR {
			return fmt.Errorf("rename file %s over dir %s: %v", p, q, err)
		}
		return nil
	}
	_, qIsFile := w.files[q]
	same := qIsFile && w.ino(p) == w.ino(q) // two names of one inode: nothing happens
	if err := w.fsys.RenameAt(nil, p, nil, q, 0); err != nil {
		return err
	}
	if p != q && !same {
		data := w.files[p]
		delete(w.files, p)
		delete(w.links, q)
		w.files[q] = data
	}
	if same {
		if _, err := w.fsys.StatAt(nil, p, AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("rename between links of one inode removed %s: %v", p, err)
		}
	}
	return nil
}

func (w *worker) link() error {
	p, ok := w.pick()
	if !ok {
		return nil
	}
	q := w.privatePath()
	err := w.fsys.LinkAt(nil, p, nil, q, 0)
	if w.exists(q) {
		if Errno(err) != syscall.EEXIST {
			return fmt.Errorf("link over %s: %v", q, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	w.files[q] = w.files[p]
	if st, _ := w.fsys.StatAt(nil, q, 0); st.Nlink < 2 {
		return fmt.Errorf("link %s: nlink %d", q, st.Nlink)
	}
	return nil
}

func (w *worker) unlink() error {
	p := w.privatePath()
	err := w.fsys.UnlinkAt(nil, p, 0)
	switch {
	case slices.Contains(w.dirs, p):
		if Errno(err) != syscall.EISDIR {
			return fmt.Errorf("unlink dir %s: %v", p, err)
		}
	case w.exists(p):
		if err != nil {
			return err
		}
		delete(w.files, p)
		delete(w.links, p)
	default:
		if Errno(err) != syscall.ENOENT {
			return fmt.Errorf("unlink missing %s: %v", p, err)
		}
	}
	return nil
}

func (w *worker) symlink() error {
	p := w.privatePath()
	target := w.name()
	err := w.fsys.SymlinkAt(target, nil, p)
	if w.exists(p) {
		if Errno(err) != syscall.EEXIST {
			return fmt.Errorf("symlink over %s: %v", p, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	w.links[p] = target
	got, err := w.fsys.ReadlinkAt(nil, p)
	if err != nil || got != target {
		return fmt.Errorf("readlink %s: %q, %v", p, got, err)
	}
	return nil
}

// subdir makes, renames or removes a private subdirectory.
func (w *worker) subdir() error {
	switch w.rng.IntN(3) {
	case 0:
		if len(w.dirs) >= 3 {
			return nil
		}
		p := fmt.Sprintf("%s/d%d", w.dir, w.seq)
		w.seq++
		if err := w.fsys.MkdirAt(nil, p, 0o755); err != nil {
			return err
		}
		w.dirs = append(w.dirs, p)
	case 1:
		if len(w.dirs) == 0 {
			return nil
		}
		i := w.rng.IntN(len(w.dirs))
		old := w.dirs[i]
		nw := fmt.Sprintf("%s/d%d", w.dir, w.seq)
		w.seq++
		if err := w.fsys.RenameAt(nil, old, nil, nw, 0); err != nil {
			return err
		}
		w.dirs[i] = nw
		for _, m := range []map[string][]byte{w.files} {
			for p, v := range m {
				if strings.HasPrefix(p, old+"/") {
					delete(m, p)
					m[nw+p[len(old):]] = v
				}
			}
		}
		for p, v := range w.links {
			if strings.HasPrefix(p, old+"/") {
				delete(w.links, p)
				w.links[nw+p[len(old):]] = v
			}
		}
	case 2:
		if len(w.dirs) == 0 {
			return nil
		}
		i := w.rng.IntN(len(w.dirs))
		d := w.dirs[i]
		empty := true
		for p := range w.files {
			empty = empty && !strings.HasPrefix(p, d+"/")
		}
		for p := range w.links {
			empty = empty && !strings.HasPrefix(p, d+"/")
		}
		err := w.fsys.UnlinkAt(nil, d, AT_REMOVEDIR)
		if !empty {
			if Errno(err) != syscall.ENOTEMPTY {
				return fmt.Errorf("rmdir non-empty %s: %v", d, err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		w.dirs = slices.Delete(w.dirs, i, i+1)
	}
	return nil
}

// openUnlinked writes a file, opens it, removes it and checks the open
// File still reads what was written and takes more.
func (w *worker) openUnlinked() error {
	p := fmt.Sprintf("%s/tmp%d", w.dir, w.seq)
	w.seq++
	data := w.content()
	f, err := w.fsys.OpenAt(nil, p, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	f.Write(data)
	if err := w.fsys.UnlinkAt(nil, p, 0); err != nil {
		return err
	}
	extra := []byte("after unlink")
	f.Write(extra)
	got := make([]byte, len(data)+len(extra))
	if n, _ := f.ReadAt(got, 0); n != len(got) || !bytes.Equal(got, append(slices.Clone(data), extra...)) {
		return fmt.Errorf("unlinked file read %d of %d bytes, or wrong ones", n, len(got))
	}
	return nil
}

// Errnos racing operations in the shared directory may see.
var racy = []syscall.Errno{0, syscall.ENOENT, syscall.EEXIST, syscall.ENOTEMPTY, syscall.ENOTDIR, syscall.EISDIR, syscall.EINVAL, syscall.EPERM}

func (w *worker) racy(what string, err error) error {
	if !slices.Contains(racy, Errno(err)) {
		return fmt.Errorf("%s: %v", what, err)
	}
	return nil
}

func (w *worker) sharedPath() string {
	p := "/shared"
	for k := w.rng.IntN(3); k >= 0; k-- {
		p += "/" + []string{"a", "b", "c"}[w.rng.IntN(3)]
	}
	return p
}

func (w *worker) shared() error {
	p, q := w.sharedPath(), w.sharedPath()
	switch w.rng.IntN(9) {
	case 0:
		return w.racy("mkdir", w.fsys.MkdirAt(nil, p, 0o755))
	case 1:
		return w.racy("rmdir", w.fsys.UnlinkAt(nil, p, AT_REMOVEDIR))
	case 2:
		return w.racy("unlink", w.fsys.UnlinkAt(nil, p, 0))
	case 3:
		return w.racy("rename", w.fsys.RenameAt(nil, p, nil, q, []int{0, RENAME_NOREPLACE, RENAME_EXCHANGE}[w.rng.IntN(3)]))
	case 4:
		return w.racy("link", w.fsys.LinkAt(nil, p, nil, q, 0))
	case 5:
		_, err := w.fsys.StatAt(nil, p, 0)
		return w.racy("stat", err)
	case 6:
		// Write records at record-aligned offsets.
		f, err := w.fsys.OpenAt(nil, p, syscall.O_RDWR|syscall.O_CREAT, 0o644)
		if err != nil {
			return w.racy("open", err)
		}
		defer f.Close()
		for k := 0; k < 4; k++ {
			w.seq++
			off := int64(w.rng.IntN(3*PageSize/recordSize)) * recordSize
			if n, err := f.WriteAt(makeRecord(w.g, w.seq, w.rng), off); n != recordSize || err != nil {
				return fmt.Errorf("pwrite shared: %d, %v", n, err)
			}
		}
	case 7:
		// Every record read is whole or all zeros (a hole or cut off by a
		// truncation, which happens in whole records here).
		f, err := w.fsys.OpenAt(nil, p, syscall.O_RDONLY, 0)
		if err != nil {
			return w.racy("open", err)
		}
		defer f.Close()
		// One read: each is atomic, a sequence of them is not.
		buf := make([]byte, 4*PageSize)
		n, err := f.ReadAt(buf, 0)
		if errors.Is(err, syscall.EISDIR) {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		buf = buf[:n]
		for i := 0; i+recordSize <= len(buf); i += recordSize {
			if r := buf[i : i+recordSize]; !isZero(r) {
				if _, _, ok := checkRecord(r); !ok {
					return fmt.Errorf("torn record at %d of %s", i, p)
				}
			}
		}
		if len(buf)%recordSize != 0 {
			return fmt.Errorf("%s: size %d is not whole records", p, len(buf))
		}
	case 8:
		f, err := w.fsys.OpenAt(nil, p, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			return w.racy("opendir", err)
		}
		defer f.Close()
		ents, err := f.ReadDir(0)
		if err != nil {
			return w.racy("readdir", err) // ENOENT if removed meanwhile
		}
		if len(ents) < 2 || ents[0].Name != "." || ents[1].Name != ".." {
			return fmt.Errorf("readdir %s: %v", p, names(ents))
		}
		if w.rng.IntN(4) == 0 {
			return w.racy("truncate", w.fsys.TruncateAt(nil, p+"/"+ents[len(ents)-1].Name, int64(w.rng.IntN(3))*recordSize))
		}
	}
	return nil
}

// removeAll removes everything below dir.
func removeAll(t *testing.T, fsys *FS, dir string) {
	t.Helper()
	ents, err := fsys.ReadDirAt(nil, dir)
	must(t, "readdir "+dir, err)
	for _, e := range ents {
		p := strings.TrimSuffix(dir, "/") + "/" + e.Name
		if e.Type == S_IFDIR {
			removeAll(t, fsys, p)
			must(t, "rmdir "+p, fsys.UnlinkAt(nil, p, AT_REMOVEDIR))
		} else {
			must(t, "unlink "+p, fsys.UnlinkAt(nil, p, 0))
		}
	}
}

// TestConcurrentAppend appends records from many goroutines, through
// Files of their own and one shared File: no record may be lost, torn or
// overlap another.
func TestConcurrentAppend(t *testing.T) {
	fsys, _ := newTestFS(t)
	writeFile(t, fsys, "/log", nil)
	shared := mustOpen(t, fsys, nil, "/log", syscall.O_WRONLY|syscall.O_APPEND, 0)
	const workers, each = 8, 400
	var wg sync.WaitGroup
	var failed atomic.Value
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			f := shared
			if g%2 == 0 {
				var err error
				if f, err = fsys.OpenAt(nil, "/log", syscall.O_RDWR|syscall.O_APPEND, 0); err != nil {
					failed.Store(err.Error())
					return
				}
				defer f.Close()
			}
			for i := 0; i < each; i++ {
				rec := makeRecord(g, i, rng)
				var n int
				var err error
				if i%3 == 0 {
					n, err = f.WriteAt(rec, 0) // O_APPEND: at the end all the same
				} else {
					n, err = f.Write(rec)
				}
				if n != recordSize || err != nil {
					failed.Store(fmt.Sprintf("append: %d %v", n, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	shared.Close()
	if msg := failed.Load(); msg != nil {
		t.Fatal(msg)
	}
	buf := readFile(t, fsys, "/log")
	if len(buf) != workers*each*recordSize {
		t.Fatalf("log is %d bytes, want %d", len(buf), workers*each*recordSize)
	}
	next := make([]int, workers)
	for i := 0; i < len(buf); i += recordSize {
		g, seq, ok := checkRecord(buf[i : i+recordSize])
		if !ok || g >= workers {
			t.Fatalf("torn record at %d", i)
		}
		if seq != next[g] {
			t.Fatalf("worker %d: record %d where %d was due", g, seq, next[g])
		}
		next[g]++
	}
}

// TestRenameAtomic replaces names by rename while readers look them up:
// a reader must never find the name missing, nor open a file that is not
// whole.
func TestRenameAtomic(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	rng := rand.New(rand.NewPCG(1, 1))
	writeFile(t, fsys, "/d/target", makeRecord(99, 0, rng))
	must(t, "mkdir", fsys.MkdirAt(nil, "/d/tdir", 0o755))
	writeFile(t, fsys, "/d/x", makeRecord(98, 0, rng))
	writeFile(t, fsys, "/d/y", makeRecord(97, 0, rng))

	var stop atomic.Bool
	var wg sync.WaitGroup
	fail := make(chan string, 16)
	report := func(format string, args ...any) {
		select {
		case fail <- fmt.Sprintf(format, args...):
		default:
		}
		stop.Store(true)
	}
	const renames = 3000
	var writers sync.WaitGroup
	for g := 0; g < 2; g++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for i := 0; i < renames && !stop.Load(); i++ {
				tmp := fmt.Sprintf("/d/tmp%d-%d", g, i)
				f, err := fsys.OpenAt(nil, tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o644)
				if err != nil {
					report("create %s: %v", tmp, err)
					return
				}
				f.Write(makeRecord(g, i, rng))
				f.Close()
				if err := fsys.RenameAt(nil, tmp, nil, "/d/target", 0); err != nil {
					report("rename: %v", err)
					return
				}
				dir := fmt.Sprintf("/d/tmpdir%d-%d", g, i)
				if err := fsys.MkdirAt(nil, dir, 0o755); err != nil {
					report("mkdir: %v", err)
					return
				}
				if err := fsys.RenameAt(nil, dir, nil, "/d/tdir", 0); err != nil {
					report("rename dir: %v", err)
					return
				}
				if err := fsys.RenameAt(nil, "/d/x", nil, "/d/y", RENAME_EXCHANGE); err != nil {
					report("exchange: %v", err)
					return
				}
			}
		}()
	}
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, _ := fsys.Lookup(nil, "/d", 0)
			for !stop.Load() {
				for _, p := range []string{"target", "tdir", "x", "y"} {
					if _, err := fsys.StatAt(d, p, 0); err != nil {
						report("stat %s during renames: %v", p, err)
						return
					}
				}
				f, err := fsys.OpenAt(d, "target", syscall.O_RDONLY, 0)
				if err != nil {
					report("open target during renames: %v", err)
					return
				}
				buf := make([]byte, recordSize+1)
				n, _ := f.ReadAt(buf, 0)
				f.Close()
				if _, _, ok := checkRecord(buf[:n]); !ok {
					report("target held %d bytes that are not a record", n)
					return
				}
				if _, err := fsys.Lookup(d, "tdir/.", 0); err != nil {
					report("lookup tdir/. during renames: %v", err)
					return
				}
				ents, err := fsys.ReadDirAt(d, ".")
				if err != nil {
					report("readdir: %v", err)
					return
				}
				count := map[string]int{}
				for _, e := range ents {
					count[e.Name]++
				}
				for _, p := range []string{"target", "tdir", "x", "y"} {
					if count[p] != 1 {
						report("readdir during renames listed %s %d times", p, count[p])
						return
					}
				}
			}
		}()
	}
	writers.Wait()
	stop.Store(true)
	wg.Wait()
	close(fail)
	for msg := range fail {
		t.Error(msg)
	}
	checkTree(t, fsys, true)
	if u := fsys.Usage(); u.Regular != 3 || u.Dirs != 3 {
		t.Fatalf("replaced inodes not released: %+v", u)
	}
}

// TestReadDirChurn iterates a directory while others add, remove and
// rename other entries in it: every entry present throughout is returned
// exactly once per iteration, and (names being unique) none twice.
func TestReadDirChurn(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mkdir", fsys.MkdirAt(nil, "/d", 0o755))
	const stable = 150
	for i := 0; i < stable; i++ {
		writeFile(t, fsys, fmt.Sprintf("/d/s%03d", i), nil)
	}
	var stop atomic.Bool
	var churn sync.WaitGroup
	for g := 0; g < 4; g++ {
		churn.Add(1)
		go func() {
			defer churn.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 5))
			var live []string
			for i := 0; !stop.Load(); i++ {
				switch {
				case len(live) < 20 || rng.IntN(3) == 0:
					p := fmt.Sprintf("/d/c%d-%d", g, i)
					if g%2 == 0 {
						fsys.MkdirAt(nil, p, 0o755)
					} else if f, err := fsys.OpenAt(nil, p, syscall.O_CREAT|syscall.O_WRONLY, 0o644); err == nil {
						f.Close()
					}
					live = append(live, p)
				case rng.IntN(2) == 0:
					k := rng.IntN(len(live))
					flags := 0
					if g%2 == 0 {
						flags = AT_REMOVEDIR
					}
					fsys.UnlinkAt(nil, live[k], flags)
					live = slices.Delete(live, k, k+1)
				default:
					// Rename over another live name (that name keeps its
					// place), or to a new one.
					a, b := rng.IntN(len(live)), rng.IntN(len(live))
					if a == b {
						nw := fmt.Sprintf("/d/r%d-%d", g, i)
						fsys.RenameAt(nil, live[a], nil, nw, 0)
						live[a] = nw
					} else {
						fsys.RenameAt(nil, live[a], nil, live[b], 0)
						live = slices.Delete(live, a, a+1)
					}
				}
			}
		}()
	}
	var readers sync.WaitGroup
	fail := make(chan string, 4)
	for r := 0; r < 4; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			f, err := fsys.OpenAt(nil, "/d", syscall.O_RDONLY, 0)
			if err != nil {
				fail <- err.Error()
				return
			}
			defer f.Close()
			for iter := 0; iter < 150; iter++ {
				f.Seek(0, io.SeekStart)
				seen := map[string]int{}
				var order []string
				for {
					ents, err := f.ReadDir(1 + rng.IntN(16))
					if err == io.EOF {
						break
					}
					if err != nil {
						fail <- err.Error()
						return
					}
					for _, e := range ents {
						seen[e.Name]++
						order = append(order, e.Name)
					}
					if rng.IntN(8) == 0 && len(ents) > 0 {
						// Seek back to a cookie just read: nothing lost or repeated.
						f.Seek(ents[len(ents)-1].Off, io.SeekStart)
					}
				}
				if len(order) < 2 || order[0] != "." || order[1] != ".." {
					fail <- fmt.Sprintf("iteration starts %v", order[:min(2, len(order))])
					return
				}
				for i := 0; i < stable; i++ {
					if s := fmt.Sprintf("s%03d", i); seen[s] != 1 {
						fail <- fmt.Sprintf("stable %s seen %d times", s, seen[s])
						return
					}
				}
				for name, c := range seen {
					if c != 1 {
						fail <- fmt.Sprintf("%s seen %d times", name, c)
						return
					}
				}
			}
		}()
	}
	readers.Wait()
	stop.Store(true)
	churn.Wait()
	close(fail)
	for msg := range fail {
		t.Error(msg)
	}
	checkTree(t, fsys, true)
}

// TestCloseWhileWriting closes a File others are writing through and
// unlinks its file: writes either happen or fail with EBADF, and no page
// outlives the file.
func TestCloseWhileWriting(t *testing.T) {
	limit := NewPageLimit(1 << 12)
	fsys := New(Options{Pages: limit})
	for round := 0; round < 50; round++ {
		writeFile(t, fsys, "/f", nil)
		f := mustOpen(t, fsys, nil, "/f", syscall.O_RDWR, 0)
		must(t, "unlink", fsys.UnlinkAt(nil, "/f", 0))
		var wg sync.WaitGroup
		var bad atomic.Value
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, PageSize)
				for i := 0; i < 50; i++ {
					_, err := f.WriteAt(buf, int64((g*50+i)*PageSize))
					if err != nil && Errno(err) != syscall.EBADF {
						bad.Store(err)
					}
					_, err = f.ReadAt(buf, int64(i*PageSize))
					if err != nil && err != io.EOF && Errno(err) != syscall.EBADF {
						bad.Store(err)
					}
				}
			}()
		}
		f.Close()
		wg.Wait()
		if err := bad.Load(); err != nil {
			t.Fatal(err)
		}
		if limit.Used() != 0 {
			t.Fatalf("round %d: %d pages left after the file was released", round, limit.Used())
		}
	}
}
