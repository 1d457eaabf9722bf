package ktest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing/fstest"
	"time"
)

// Files through the real system calls: on the kernel every call here is
// forwarded to the file-system servers; on the host it is Linux's. Each
// test asserts Linux behaviour, so it runs on both.

func init() {
	Add(
		Test{Name: "TestFilesConcurrentChecksums", Fn: testFilesConcurrent, Timeout: 3 * time.Minute},
		Test{Name: "TestFilesSharedDirectory", Fn: testSharedDirectory},
		Test{Name: "TestFilesMmap", Fn: testFilesMmap},
		Test{Name: "TestFSTestOverDirFS", Fn: testFSTest},
		Test{Name: "TestFileSemantics", Fn: testFileSemantics},
		Test{Name: "TestFIFOs", Fn: testFIFOs},
		Test{Name: "TestSendfile", Fn: testSendfile},
		Test{Name: "TestPipesBlockAndPoll", Fn: testPipes},
		Test{Name: "TestSpecialFiles", Fn: testSpecialFiles},
	)
}

// tempDir makes a directory removed when the test ends.
func tempDir(t TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ktest-")
	if err != nil {
		t.Fatalf("MkdirTemp: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// wantErrno fails unless err is the errno want.
func wantErrno(t TB, what string, err error, want syscall.Errno) {
	t.Helper()
	var e syscall.Errno
	if !errors.As(err, &e) || e != want {
		t.Errorf("%s: got %v, want %v (%d)", what, err, want, int(want))
	}
}

// model is what one worker knows its files hold.
type model map[string][]byte

// testFilesConcurrent: workers on every CPU each keep a set of files and
// a model of their contents; they write at random offsets (making
// holes), append, truncate both ways, rename, hard-link and unlink, and
// every so often read a file back whole and compare its checksum with
// the model's. At the end every file is checked and the directories hold
// exactly the model's names.
func testFilesConcurrent(t TB) {
	root := tempDir(t)
	workers := 4 * max(runtime.NumCPU(), 2)
	steps := 400
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if err := fileWorker(filepath.Join(root, fmt.Sprintf("w%02d", w)), int64(w), steps); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("%v", err)
	}
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

func fileWorker(dir string, seed int64, steps int) error {
	rng := rand.New(rand.NewSource(seed))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	m := model{}
	names := func() []string {
		var n []string
		for k := range m {
			n = append(n, k)
		}
		sort.Strings(n)
		return n
	}
	pick := func() string {
		n := names()
		if len(n) == 0 {
			return ""
		}
		return n[rng.Intn(len(n))]
	}
	buf := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	check := func(name string) error {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if sum(got) != sum(m[name]) {
			return fmt.Errorf("%s: %d bytes, checksum %x; the model has %d bytes, %x", name, len(got), sum(got), len(m[name]), sum(m[name]))
		}
		return nil
	}
	for i := 0; i < steps; i++ {
		switch op := rng.Intn(10); {
		case op < 2 || len(m) == 0: // create with contents
			name := fmt.Sprintf("f%d", i)
			b := buf(rng.Intn(3 * 4096))
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return err
			}
			m[name] = b
		case op < 4: // write at an offset, maybe past the end (a hole)
			name := pick()
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			off := rng.Intn(len(m[name]) + 3*4096)
			b := buf(1 + rng.Intn(5000))
			if _, err := f.WriteAt(b, int64(off)); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			d := m[name]
			if end := off + len(b); end > len(d) {
				d = append(d, make([]byte, end-len(d))...)
			}
			copy(d[off:], b)
			m[name] = d
		case op < 5: // append
			name := pick()
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			b := buf(rng.Intn(3000))
			_, err = f.Write(b)
			f.Close()
			if err != nil {
				return err
			}
			m[name] = append(m[name], b...)
		case op < 6: // truncate, shorter or longer
			name := pick()
			size := rng.Intn(len(m[name]) + 8192)
			if err := os.Truncate(filepath.Join(dir, name), int64(size)); err != nil {
				return err
			}
			d := m[name]
			if size < len(d) {
				d = d[:size]
			} else {
				d = append(d, make([]byte, size-len(d))...)
			}
			m[name] = d
		case op < 7: // rename, maybe over another file
			from, to := pick(), pick()
			if rng.Intn(2) == 0 {
				to = fmt.Sprintf("r%d", i)
			}
			if err := os.Rename(filepath.Join(dir, from), filepath.Join(dir, to)); err != nil {
				return err
			}
			if from != to {
				m[to] = m[from]
				delete(m, from)
			}
		case op < 8: // unlink, or unlink while open: the data stays until close
			name := pick()
			p := filepath.Join(dir, name)
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			if err := os.Remove(p); err != nil {
				f.Close()
				return err
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return err
			}
			if sum(got) != sum(m[name]) {
				return fmt.Errorf("%s, read after unlink: %d bytes, want %d", name, len(got), len(m[name]))
			}
			delete(m, name)
		case op < 9: // a hard link, then a write through it shows in both
			name := pick()
			link := fmt.Sprintf("l%d", i)
			if err := os.Link(filepath.Join(dir, name), filepath.Join(dir, link)); err != nil {
				return err
			}
			st, err := os.Stat(filepath.Join(dir, link))
			if err != nil {
				return err
			}
			if n := st.Sys().(*syscall.Stat_t).Nlink; n != 2 {
				return fmt.Errorf("%s: %d links after link, want 2", link, n)
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
			m[link] = m[name]
			delete(m, name)
		default:
			if err := check(pick()); err != nil {
				return err
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if want := names(); !slices.Equal(got, want) {
		return fmt.Errorf("directory holds %v, the model %v", got, want)
	}
	for _, n := range names() {
		if err := check(n); err != nil {
			return err
		}
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.Size() != int64(len(m[n])) {
			return fmt.Errorf("%s: stat %v, size %d, want %d", n, err, st.Size(), len(m[n]))
		}
	}
	return nil
}

// testSharedDirectory: writers add and remove entries of one directory
// while readers list it; a name that stays throughout is in every
// listing exactly once, and each listed name is one a writer made. (A
// name removed and made again during a listing may be listed twice: it
// is a new entry, and POSIX leaves it open whether a listing sees
// entries made after it began; Linux's tmpfs can list both.)
func testSharedDirectory(t TB) {
	dir := tempDir(t)
	const stable = 40
	for i := 0; i < stable; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("stable%02d", i)), nil, 0o644); err != nil {
			t.Fatalf("%v", err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr sync.Map
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := filepath.Join(dir, fmt.Sprintf("tmp-%d-%d", w, i%16))
				if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					werr.Store(w, err)
					return
				}
				if i%3 == 0 {
					os.Remove(p)
				}
			}
		}(w)
	}
	deadline := time.Now().Add(2 * time.Second)
	lists := 0
	for time.Now().Before(deadline) || lists < 20 {
		f, err := os.Open(dir)
		if err != nil {
			t.Fatalf("%v", err)
		}
		seen := map[string]bool{}
		for {
			// Small batches: the directory changes between them.
			ents, err := f.ReadDir(7)
			for _, e := range ents {
				if seen[e.Name()] && strings.HasPrefix(e.Name(), "stable") {
					t.Errorf("listing %d: %s twice", lists, e.Name())
				}
				seen[e.Name()] = true
				if !strings.HasPrefix(e.Name(), "stable") && !strings.HasPrefix(e.Name(), "tmp-") {
					t.Errorf("listing %d: %q was never made", lists, e.Name())
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("ReadDir: %v", err)
			}
		}
		f.Close()
		for i := 0; i < stable; i++ {
			if n := fmt.Sprintf("stable%02d", i); !seen[n] {
				t.Errorf("listing %d misses %s, which stayed", lists, n)
			}
		}
		lists++
	}
	close(stop)
	wg.Wait()
	werr.Range(func(k, v any) bool { t.Errorf("writer %v: %v", k, v); return true })
	t.Logf("%d listings while 4 writers changed the directory", lists)
}

// testFSTest runs testing/fstest's checks of io/fs behaviour over a tree
// made here.
func testFSTest(t TB) {
	dir := tempDir(t)
	files := map[string]string{
		"a.txt":           "alpha\n",
		"empty":           "",
		"sub/b.txt":       strings.Repeat("b", 10000),
		"sub/deep/c.bin":  string(bytes.Repeat([]byte{0, 1, 2, 3}, 5000)),
		"sub/deep/d":      "d",
		"other/e.go":      "package e\n",
		"other/.hidden":   "h",
		"other/empty-dir": "",
	}
	var want []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("%v", err)
		}
		if strings.HasSuffix(name, "-dir") {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatalf("%v", err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatalf("%v", err)
		}
		want = append(want, name)
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatalf("%v", err)
	}
	want = append(want, "link")
	if err := fstest.TestFS(os.DirFS(dir), want...); err != nil {
		t.Errorf("fstest.TestFS: %v", err)
	}
}

// testFileSemantics: the POSIX behaviour Go's os package leans on.
func testFileSemantics(t TB) {
	dir := tempDir(t)
	p := filepath.Join(dir, "f")

	// O_EXCL, O_TRUNC, O_APPEND, access modes.
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o640)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	f.WriteString("hello world")
	f.Close()
	_, err = os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	wantErrno(t, "O_EXCL on an existing file", err, syscall.EEXIST)
	f, _ = os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	f.Seek(0, io.SeekStart)
	f.WriteString("!")
	_, err = f.Read(make([]byte, 1))
	wantErrno(t, "read of a write-only file", err, syscall.EBADF)
	f.Close()
	if b, _ := os.ReadFile(p); string(b) != "hello world!" {
		t.Errorf("after O_APPEND write: %q", b)
	}
	f, _ = os.OpenFile(p, os.O_RDWR|os.O_TRUNC, 0)
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Errorf("O_TRUNC left %d bytes", st.Size())
	}
	// A hole reads as zeros; SEEK_END; short reads at the end.
	f.WriteAt([]byte("end"), 10000)
	b := make([]byte, 10003)
	if n, err := f.ReadAt(b, 0); n != 10003 || err != nil || !bytes.Equal(b[:10000], make([]byte, 10000)) || string(b[10000:]) != "end" {
		t.Errorf("ReadAt over a hole: %d %v", n, err)
	}
	if off, _ := f.Seek(-3, io.SeekEnd); off != 10000 {
		t.Errorf("SEEK_END-3 = %d", off)
	}
	f.Truncate(5)
	if st, _ := f.Stat(); st.Size() != 5 {
		t.Errorf("size after truncate: %d", st.Size())
	}
	f.Close()
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640&^umaskNow() {
		t.Errorf("mode %v, want %v", st.Mode().Perm(), os.FileMode(0o640&^umaskNow()))
	}

	// Directories: ENOTDIR, EISDIR, ENOTEMPTY, rename into own subtree.
	d := filepath.Join(dir, "d")
	os.MkdirAll(filepath.Join(d, "sub"), 0o755)
	_, err = os.Open(filepath.Join(p, "x"))
	wantErrno(t, "a path through a file", err, syscall.ENOTDIR)
	_, err = os.OpenFile(d, os.O_WRONLY, 0)
	wantErrno(t, "open a directory for writing", err, syscall.EISDIR)
	wantErrno(t, "rmdir a non-empty directory", syscall.Rmdir(d), syscall.ENOTEMPTY)
	wantErrno(t, "rename a directory into itself", syscall.Rename(d, filepath.Join(d, "sub", "d")), syscall.EINVAL)
	wantErrno(t, "mkdir of an existing name", syscall.Mkdir(d, 0o755), syscall.EEXIST)
	wantErrno(t, "unlink a directory", syscall.Unlink(d), syscall.EISDIR)
	// Rename replaces an empty directory, atomically.
	e := filepath.Join(dir, "e")
	os.Mkdir(e, 0o755)
	if err := syscall.Rename(filepath.Join(d, "sub"), e); err != nil { // os.Rename refuses a directory target
		t.Errorf("rename over an empty directory: %v", err)
	}
	// O_NOFOLLOW, symlinks, readlink.
	l := filepath.Join(dir, "l")
	os.Symlink("f", l)
	_, err = os.OpenFile(l, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	wantErrno(t, "O_NOFOLLOW on a symlink", err, syscall.ELOOP)
	if target, err := os.Readlink(l); target != "f" || err != nil {
		t.Errorf("readlink: %q %v", target, err)
	}
	if st, err := os.Lstat(l); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("lstat of a symlink: %v %v", st, err)
	}
	_, err = os.Open(filepath.Join(dir, "missing"))
	wantErrno(t, "open a missing file", err, syscall.ENOENT)

	// The working directory.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(d); err != nil {
		t.Fatalf("chdir: %v", err)
	}
	if got, _ := os.Getwd(); got != d {
		t.Errorf("getwd after chdir: %q, want %q", got, d)
	}
	os.WriteFile("rel", []byte("r"), 0o644)
	if b, err := os.ReadFile(filepath.Join(d, "rel")); string(b) != "r" || err != nil {
		t.Errorf("a relative create: %q %v", b, err)
	}
	df, _ := os.Open(dir)
	if err := syscall.Fchdir(int(df.Fd())); err != nil {
		t.Errorf("fchdir: %v", err)
	}
	df.Close()
	if got, _ := os.Getwd(); got != dir {
		t.Errorf("getwd after fchdir: %q, want %q", got, dir)
	}

	// Times: utimensat sets them, and stat reports them.
	when := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	if err := os.Chtimes(p, when, when); err != nil {
		t.Errorf("chtimes: %v", err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(when) {
		t.Errorf("mtime %v, want %v", st.ModTime(), when)
	}

	// Descriptors: dup shares the offset, FD_CLOEXEC is per fd.
	f, _ = os.Open(p)
	defer f.Close()
	fd2, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatalf("dup: %v", err)
	}
	syscall.Seek(fd2, 2, io.SeekStart)
	if off, _ := f.Seek(0, io.SeekCurrent); off != 2 {
		t.Errorf("dup does not share the offset: %d", off)
	}
	if fl, _ := fcntl(fd2, syscall.F_GETFD, 0); fl&syscall.FD_CLOEXEC != 0 {
		t.Errorf("dup's fd has FD_CLOEXEC")
	}
	syscall.Close(fd2)

	// statfs.
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(dir, &sfs); err != nil || sfs.Bsize <= 0 || sfs.Blocks == 0 {
		t.Errorf("statfs: %v %+v", err, sfs)
	}
}

func umaskNow() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}

func fcntl(fd, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// testFIFOs: named pipes rendezvous, carry data, report end of file and
// refuse a non-blocking writer with no reader.
func testFIFOs(t TB) {
	p := filepath.Join(tempDir(t), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("stat of a FIFO: %v %v", st, err)
	}
	_, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	wantErrno(t, "non-blocking write-only open with no reader", err, syscall.ENXIO)

	// Blocking opens wait for each other.
	type opened struct {
		f   *os.File
		err error
	}
	rc := make(chan opened, 1)
	go func() {
		f, err := os.Open(p)
		rc <- opened{f, err}
	}()
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open for writing: %v", err)
	}
	r := <-rc
	if r.err != nil {
		t.Fatalf("open for reading: %v", r.err)
	}
	data := bytes.Repeat([]byte("fifo data "), 20000) // more than the pipe holds
	go func() {
		w.Write(data)
		w.Close()
	}()
	got, err := io.ReadAll(r.f)
	r.f.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %d bytes (%v), want %d", len(got), err, len(data))
	}

	// A non-blocking reader first, then a writer; O_RDWR never waits.
	rd, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("non-blocking open for reading: %v", err)
	}
	if st, err := rd.Stat(); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fstat of a FIFO: %v %v", st, err)
	}
	rw, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("O_RDWR open: %v", err)
	}
	rw.WriteString("both ends")
	buf := make([]byte, 9)
	if n, err := io.ReadFull(rd, buf); n != 9 || err != nil || string(buf) != "both ends" {
		t.Errorf("read through the other descriptor: %q %v", buf[:n], err)
	}
	rw.Close()
	rd.Close()
}

// testPipes: a pipe blocks its reader until data comes (through the
// runtime's poller, as os.Pipe sets O_NONBLOCK), a closed write end is
// end of file, and many pipes at once do not take a thread each.
func testPipes(t TB) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.WriteString("late")
		w.Close()
	}()
	got, err := io.ReadAll(r)
	if string(got) != "late" || err != nil {
		t.Errorf("read %q %v", got, err)
	}
	r.Close()
	// Blocking (raw) pipes too.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatalf("pipe2: %v", err)
	}
	done := make(chan string)
	go func() {
		b := make([]byte, 16)
		n, _ := syscall.Read(p[0], b)
		done <- string(b[:n])
	}()
	time.Sleep(10 * time.Millisecond)
	syscall.Write(p[1], []byte("blocking"))
	if s := <-done; s != "blocking" {
		t.Errorf("blocking read: %q", s)
	}
	syscall.Close(p[0])
	syscall.Close(p[1])
	_, err = syscall.Write(p[1], []byte("x"))
	wantErrno(t, "write to a closed fd", err, syscall.EBADF)

	// 200 pipes, each with a reader parked in the poller.
	const n = 200
	var wg sync.WaitGroup
	rs, ws := make([]*os.File, n), make([]*os.File, n)
	for i := range rs {
		if rs[i], ws[i], err = os.Pipe(); err != nil {
			t.Fatalf("pipe %d: %v", i, err)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			b := make([]byte, 1)
			if _, err := rs[i].Read(b); err != nil || b[0] != byte(i) {
				t.Errorf("pipe %d: %v %v", i, b, err)
			}
			rs[i].Close()
		}(i)
	}
	time.Sleep(50 * time.Millisecond)
	for i := range ws {
		ws[i].Write([]byte{byte(i)})
		ws[i].Close()
	}
	wg.Wait()
}

// testSpecialFiles: /dev's devices and /proc/self/exe.
func testSpecialFiles(t TB) {
	zero := make([]byte, 4096)
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatalf("%v", err)
	}
	b := bytes.Repeat([]byte{7}, 4096)
	if n, err := f.Read(b); n != 4096 || err != nil || !bytes.Equal(b, zero) {
		t.Errorf("/dev/zero: %d %v", n, err)
	}
	f.Close()
	null, _ := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if n, err := null.Write(b); n != len(b) || err != nil {
		t.Errorf("/dev/null write: %d %v", n, err)
	}
	if n, err := null.Read(b); n != 0 || err != io.EOF {
		t.Errorf("/dev/null read: %d %v", n, err)
	}
	null.Close()
	full, _ := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	_, err = full.Write(b)
	wantErrno(t, "write to /dev/full", err, syscall.ENOSPC)
	full.Close()
	ur, _ := os.Open("/dev/urandom")
	b1, b2 := make([]byte, 32), make([]byte, 32)
	io.ReadFull(ur, b1)
	io.ReadFull(ur, b2)
	ur.Close()
	if bytes.Equal(b1, b2) || bytes.Equal(b1, zero[:32]) {
		t.Errorf("/dev/urandom repeats or is zero: %x %x", b1, b2)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	if st, err := os.Stat(exe); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the executable %q: %v %v", exe, st, err)
	}
	var fi iofs.FileInfo
	if fi, err = os.Lstat("/proc/self/exe"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("/proc/self/exe is not a symlink: %v %v", fi, err)
	}
}

// testSendfile: sendfile copies a file to a pipe and to another file,
// from the file's offset (which it advances) or from *offset (which it
// advances instead, the file's own left alone), and refuses what Linux
// refuses.
func testSendfile(t TB) {
	dir := tempDir(t)
	data := make([]byte, 200<<10)
	rand.New(rand.NewSource(7)).Read(data)
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatalf("write: %v", err)
	}
	in, err := syscall.Open(src, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer syscall.Close(in)
	dst := filepath.Join(dir, "dst")
	out, err := syscall.Open(dst, syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer syscall.Close(out)
	if _, err := syscall.Seek(in, 1000, io.SeekStart); err != nil {
		t.Fatalf("seek: %v", err)
	}
	n, err := syscall.Sendfile(out, in, nil, len(data))
	if err != nil || n != len(data)-1000 {
		t.Fatalf("sendfile to a file from the offset: %d, %v; want %d", n, err, len(data)-1000)
	}
	if pos, _ := syscall.Seek(in, 0, io.SeekCurrent); pos != int64(len(data)) {
		t.Fatalf("the file offset after sendfile: %d, want %d", pos, len(data))
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data[1000:]) {
		t.Fatalf("the copy differs (%d bytes)", len(got))
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatalf("pipe: %v", err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	off := int64(5)
	if n, err := syscall.Sendfile(p[1], in, &off, 100); err != nil || n != 100 || off != 105 {
		t.Fatalf("sendfile at an offset to a pipe: %d, %v, offset %d; want 100, 105", n, err, off)
	}
	b := make([]byte, 200)
	if n, _ := syscall.Read(p[0], b); !bytes.Equal(b[:n], data[5:105]) {
		t.Fatalf("the pipe holds %d other bytes", n)
	}
	if pos, _ := syscall.Seek(in, 0, io.SeekCurrent); pos != int64(len(data)) {
		t.Fatalf("sendfile with an offset moved the file offset to %d", pos)
	}
	if _, err := syscall.Sendfile(p[1], p[0], nil, 10); err != syscall.EINVAL {
		t.Fatalf("sendfile from a pipe: %v, want EINVAL", err)
	}
	if _, err := syscall.Sendfile(in, in, nil, 10); err != syscall.EBADF {
		t.Fatalf("sendfile to a read-only descriptor: %v, want EBADF", err)
	}
}

// testFilesMmap maps a file privately and read-only shared: the mapping
// holds the file (at an offset too); a private write stays private; a
// write-only descriptor and a pipe cannot be mapped.
func testFilesMmap(t TB) {
	page := os.Getpagesize()
	name := filepath.Join(os.TempDir(), fmt.Sprintf("mmap-%d", time.Now().UnixNano()))
	want := make([]byte, 3*page+100)
	for i := range want {
		want[i] = byte(i*7 + i/page)
	}
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	defer os.Remove(name)
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, 4*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap private: %v", err)
	}
	if !bytes.Equal(m[:len(want)], want) || !bytes.Equal(m[len(want):], make([]byte, len(m)-len(want))) {
		t.Fatalf("the private mapping does not hold the file")
	}
	m[1] ^= 0xff
	got := make([]byte, 2)
	if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, want[:2]) {
		t.Fatalf("a private mapping's write reached the file: %v %v", got, err)
	}
	if err := syscall.Munmap(m); err != nil {
		t.Fatalf("munmap: %v", err)
	}
	r, err := syscall.Mmap(int(f.Fd()), int64(page), page, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap shared read-only at an offset: %v", err)
	}
	if !bytes.Equal(r, want[page:2*page]) {
		t.Fatalf("the mapping at an offset does not hold the file there")
	}
	syscall.Munmap(r)
	p, err := syscall.Mmap(int(f.Fd()), 0, page, syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap private read-only: %v", err)
	}
	if err := syscall.Mprotect(p, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		t.Fatalf("making a private mapping writable: %v", err)
	}
	p[0] = 1
	syscall.Munmap(p)
	if _, err := syscall.Mmap(int(f.Fd()), 1, page, syscall.PROT_READ, syscall.MAP_PRIVATE); err != syscall.EINVAL {
		t.Fatalf("an unaligned offset: %v, want EINVAL", err)
	}
	w, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer w.Close()
	if _, err := syscall.Mmap(int(w.Fd()), 0, page, syscall.PROT_READ, syscall.MAP_PRIVATE); err != syscall.EACCES {
		t.Fatalf("a write-only descriptor: %v, want EACCES", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer pr.Close()
	defer pw.Close()
	if _, err := syscall.Mmap(int(pr.Fd()), 0, page, syscall.PROT_READ, syscall.MAP_PRIVATE); err != syscall.ENODEV {
		t.Fatalf("a pipe: %v, want ENODEV", err)
	}
}
