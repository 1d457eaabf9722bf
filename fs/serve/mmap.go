package serve

import (
	"os"
	"syscall"

	"k42/fs"
	"k42/kernel/linux"
)

// Mapped files. The program's address space is the server's own (it is
// one of the program's threads), so the server serves mmap of a file
// itself: it makes an anonymous mapping where the caller asked, fills it
// from the file through the file's server object and FCM (one read
// request, which the sequential FCM sees as a stream), and gives it the
// asked protection. The MMU maps 64 KiB pages and the page cache holds
// 4 KiB pages; they meet by copy: each 64 KiB page of the mapping is
// filled from sixteen cache pages when the call is made, not when the
// page is first touched. A fault cannot be served by an FCM here: the
// faulting thread keeps its P (the runtime believes it runs Go code), so a
// server could wait for a P that only the faulting thread holds; an mmap
// call, like every forwarded system call, lends its P to the server.
//
// So a mapping is a snapshot of the file at the call: MAP_PRIVATE is what
// Linux gives (writes stay private) except that later writes to the file
// are not seen; MAP_SHARED is refused with PROT_WRITE (ENODEV: its writes
// would not reach the file) and is a read-only snapshot without it, sealed
// so that mprotect cannot make it writable later (EACCES). Pages
// wholly beyond the end of the file read as zeros (Linux raises SIGBUS).

// Linux's mmap flags the server looks at.
const (
	mapShared         = 0x01
	mapPrivate        = 0x02
	mapSharedValidate = 0x03
	mapType           = 0x0f
	mapAnonymous      = 0x20
)

// mmap serves mmap(addr, length, prot, flags, fd, off) of the file behind
// rq.Handle[0].
func (s *Server) mmap(rq *request) int64 {
	o := s.handle(rq.Handle[0])
	if o == nil {
		return -int64(linux.EBADF)
	}
	a := rq.Args
	addr, length, prot, flags, off := a[0], a[1], a[2], a[3], int64(a[5])
	if o.f.Node().Type() != fs.S_IFREG {
		return -int64(linux.ENODEV)
	}
	page := int64(os.Getpagesize())
	switch {
	case length == 0 || off < 0 || off%page != 0:
		return -int64(linux.EINVAL)
	case flags&mapType != mapShared && flags&mapType != mapPrivate && flags&mapType != mapSharedValidate:
		return -int64(linux.EINVAL)
	case flags&mapType != mapPrivate && prot&syscall.PROT_WRITE != 0:
		return -int64(linux.ENODEV) // a shared writable mapping: not yet
	}
	anon := flags&^mapType | mapPrivate | mapAnonymous
	va, _, e := syscall.Syscall6(syscall.SYS_MMAP, uintptr(addr), uintptr(length),
		uintptr(prot|syscall.PROT_READ|syscall.PROT_WRITE), uintptr(anon), ^uintptr(0), 0)
	if e != 0 {
		return -int64(e)
	}
	if r := s.fill(o, uint64(va), length, off); r < 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, va, uintptr(length), 0)
		return r
	}
	if prot != prot|syscall.PROT_READ|syscall.PROT_WRITE {
		if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, va, uintptr(length), uintptr(prot)); e != 0 {
			syscall.Syscall(syscall.SYS_MUNMAP, va, uintptr(length), 0)
			return -int64(e)
		}
	}
	if flags&mapType != mapPrivate {
		// Shared and read-only: a later mprotect(PROT_WRITE) must fail
		// (EACCES), or its writes would be lost.
		if err := sealShared(va, length); err != nil {
			syscall.Syscall(syscall.SYS_MUNMAP, va, uintptr(length), 0)
			return fail(err)
		}
	}
	return int64(va)
}

// fill reads the file from off into the mapping at va: as much of it as
// the file holds (the rest stays zero).
func (s *Server) fill(o *openFile, va, length uint64, off int64) int64 {
	var st fs.Stat
	o.sess.Get().Settle(bg) // the mapping is a snapshot of the file: with what its sessions hold
	srv := o.obj.ref.Get()
	if err := srv.Stat(bg, o.f, &st); err != nil {
		return fail(err)
	}
	n := min(int64(length), max(0, st.Size-off))
	if n == 0 {
		return 0
	}
	got, err := srv.ReadAt(bg, o.f, userBytes(va, int(n)), off)
	if int64(got) != n && err != nil {
		return fail(err)
	}
	return 0
}
