package serve

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"unsafe"

	"k42/fs"
	"k42/kernel"
	"k42/kernel/linux"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// noKernel is a Kernel for driving serveOne directly.
type noKernel struct{}

func (noKernel) Register(*kernel.ServeRequest) error { return nil }
func (noKernel) Reply(int64, int32) error            { return nil }
func (noKernel) Wait() error                         { return nil }
func (noKernel) Fifo(uint64, int) (int32, error)     { return 0, syscall.ENOSYS }

// newTestServer returns a server over a fresh file system with the file
// /f (100 bytes) open as a handle.
func newTestServer(t testing.TB) (*Server, int32) {
	t.Helper()
	d, err := generation.New(platform.Current(), 2)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(noKernel{}, fs.New(fs.Options{}), reconfig.NewTable(d))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.FS().OpenAt(nil, "/f", syscall.O_CREAT|syscall.O_RDWR, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	h, _, err := s.newHandle(f, "/f", 1)
	if err != nil {
		t.Fatal(err)
	}
	return s, h
}

func fstatRequest(h int32, st *linux.Stat) *request {
	rq := new(request)
	rq.Nr = linux.SYS_FSTAT
	rq.Handle = [2]int32{h, kernel.HandleNone}
	rq.Args[0], rq.Args[1] = 3, uint64(uintptr(unsafe.Pointer(st)))
	return rq
}

// callerStat returns a struct stat in memory outside the Go heap, as a
// caller's buffer is to the server (so that -race's pointer checks
// accept the address the request carries).
func callerStat(t testing.TB) *linux.Stat {
	t.Helper()
	b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	return (*linux.Stat)(unsafe.Pointer(&b[0]))
}

func TestServeFstat(t *testing.T) {
	s, h := newTestServer(t)
	st := callerStat(t)
	*st = linux.Stat{Dev: ^uint64(0), Blocks: -1}
	r, _ := s.serveOne(fstatRequest(h, st))
	if r != 0 {
		t.Fatalf("fstat: %d", r)
	}
	if st.Size != 100 || st.Mode != fs.S_IFREG|0o640 || st.Nlink != 1 || st.Blocks != fs.PageSize/512 || st.Blksize != fs.PageSize {
		t.Fatalf("fstat: %+v", st)
	}
	if r, _ := s.serveOne(fstatRequest(h+1, st)); r != -int64(linux.EBADF) {
		t.Fatalf("fstat of a handle never given: %d, want -EBADF", r)
	}
}

// BenchmarkServeFstat is a forwarded fstat's server side: the request in
// its generation, the file's server object and the stat, written into the
// caller's struct.
func BenchmarkServeFstat(b *testing.B) {
	s, h := newTestServer(b)
	rq := fstatRequest(h, callerStat(b))
	for b.Loop() {
		if r, _ := s.serveOne(rq); r != 0 {
			b.Fatal(r)
		}
	}
}

func mmapRequest(h int32, length, prot, flags uint64, off int64) *request {
	rq := new(request)
	rq.Nr = linux.SYS_MMAP
	rq.Handle = [2]int32{h, kernel.HandleNone}
	rq.Args = [6]uint64{0, length, prot, flags, 3, uint64(off)}
	return rq
}

// TestServeMmap: a private mapping of a file is filled from it (zeros
// past its end), writable privately; a shared writable one, a bad offset
// and a directory are refused.
func TestServeMmap(t *testing.T) {
	s, h := newTestServer(t)
	page := os.Getpagesize()
	o := s.handle(h)
	want := bytes.Repeat([]byte("k42 mapped "), 3*page/11)
	if _, err := o.f.WriteAt(want, 0); err != nil {
		t.Fatal(err)
	}
	length := uint64(4 * page)
	va, _ := s.serveOne(mmapRequest(h, length, syscall.PROT_READ|syscall.PROT_WRITE, mapPrivate, 0))
	if va <= 0 {
		t.Fatalf("mmap: %d", va)
	}
	m := userBytes(uint64(va), int(length))
	defer syscall.Syscall(syscall.SYS_MUNMAP, uintptr(va), uintptr(length), 0)
	if !bytes.Equal(m[:len(want)], want) || !bytes.Equal(m[len(want):], make([]byte, int(length)-len(want))) {
		t.Fatalf("the mapping does not hold the file")
	}
	m[0] = 'K'
	got := make([]byte, 3)
	o.f.ReadAt(got, 0)
	if string(got) != "k42" {
		t.Fatalf("a private mapping's write reached the file: %q", got)
	}
	va2, _ := s.serveOne(mmapRequest(h, uint64(page), syscall.PROT_READ, mapShared, int64(page)))
	if va2 <= 0 {
		t.Fatalf("mmap at an offset: %d", va2)
	}
	m2 := userBytes(uint64(va2), page)
	if !bytes.Equal(m2, want[page:2*page]) {
		t.Fatalf("the mapping at an offset does not hold the file there")
	}
	syscall.Syscall(syscall.SYS_MUNMAP, uintptr(va2), uintptr(page), 0)
	for _, c := range []struct {
		rq   *request
		want int64
	}{
		{mmapRequest(h, uint64(page), syscall.PROT_READ|syscall.PROT_WRITE, mapShared, 0), -int64(linux.ENODEV)},
		{mmapRequest(h, uint64(page), syscall.PROT_READ, mapPrivate, 100), -int64(linux.EINVAL)},
		{mmapRequest(h, 0, syscall.PROT_READ, mapPrivate, 0), -int64(linux.EINVAL)},
		{mmapRequest(h, uint64(page), syscall.PROT_READ, 0, 0), -int64(linux.EINVAL)},
	} {
		if r, _ := s.serveOne(c.rq); r != c.want {
			t.Errorf("mmap flags %#x off %d: %d, want %d", c.rq.Args[3], c.rq.Args[5], r, c.want)
		}
	}
}
