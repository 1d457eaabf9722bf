package serve

import (
	"errors"
	"io"
	"strings"
	"syscall"

	"k42/fs"
	"k42/kernel"
	"k42/kernel/linux"
)

// The forwarded calls, by Linux system-call number. Each takes the
// request as the trap layer built it and returns the caller's result
// (or -errno) and, for opens, the new description's handle.

var (
	errBADF  = syscall.EBADF
	errNFILE = syscall.ENFILE
)

const (
	efault = linux.EFAULT
	eio    = linux.EIO
)

// fail returns -errno for err (0 for nil).
func fail(err error) int64 {
	if err == nil {
		return 0
	}
	if e := fs.Errno(err); e != 0 {
		return -int64(e)
	}
	if errors.Is(err, io.EOF) {
		return 0
	}
	return -int64(eio)
}

// result returns n, or -errno when n is 0 and err says why (a short
// transfer with an error reports what it transferred).
func result(n int, err error) int64 {
	if n > 0 || err == nil || errors.Is(err, io.EOF) {
		return int64(n)
	}
	return fail(err)
}

func path(rq *request, i int) string { return string(rq.Path[i][:max(rq.PathLen[i], 0)]) }

// dir resolves the starting directory of path argument i.
func (s *Server) dir(rq *request, i int) (*fs.Node, int64) {
	p := path(rq, i)
	if strings.HasPrefix(p, "/") {
		return nil, 0 // absolute: the dirfd is not looked at
	}
	switch h := rq.Handle[i]; h {
	case kernel.HandleCwd, kernel.HandleNone:
		return s.cwd.Load(), 0
	case kernel.HandleBad:
		return nil, -int64(linux.EBADF)
	case kernel.HandleNotFile:
		return nil, -int64(linux.ENOTDIR)
	default:
		o := s.handle(h)
		if o == nil {
			return nil, -int64(linux.EBADF)
		}
		return o.f.Node(), 0
	}
}

// needPath checks that path argument i was given (not NULL) and not empty
// unless the call's flags allow an empty path.
func needPath(rq *request, i int) int64 {
	if rq.PathLen[i] < 0 {
		return -int64(linux.EFAULT)
	}
	return 0
}

func (s *Server) dispatch(rq *request) (int64, int32) {
	a := rq.Args
	ns := s.ns
	switch rq.Nr {
	case kernel.NrRelease:
		return fail(s.release(rq.Handle[0])), 0
	case linux.SYS_SYNC:
		// sync(2) cannot fail; a failure is the file system's to report
		// at the next fsync.
		s.SettleAll()
		if f := s.sync.Load(); f != nil {
			(*f)()
		}
		return 0, 0
	case linux.SYS_OPENAT, linux.SYS_OPEN:
		pi, flags, mode := 0, int(int32(a[2])), uint32(a[3])
		if rq.Nr == linux.SYS_OPEN {
			flags, mode = int(int32(a[1])), uint32(a[2])
		}
		if e := needPath(rq, pi); e != 0 {
			return e, 0
		}
		d, e := s.dir(rq, pi)
		if e != 0 {
			return e, 0
		}
		p := path(rq, pi)
		f, err := ns.Get().OpenAt(bg, d, p, flags, mode&^rq.Umask)
		if err != nil {
			return fail(err), 0
		}
		h, recall, err := s.newHandle(f, s.nameOf(d, p), rq.TID)
		if err != nil {
			f.Close()
			return fail(err), 0
		}
		rq.recall = recall
		// A client-side session takes its state now (a small file's data).
		if o := s.handle(h); o != nil {
			o.sess.Get().Settle(bg)
		}
		if n := f.Node(); n.Type() == fs.S_IFIFO && flags&linux.O_PATH == 0 {
			// The kernel's pipe carries the FIFO's data: the new
			// descriptor is an end of it.
			pipe, err := s.k.Fifo(n.Ino(), flags)
			if err != nil {
				s.release(h)
				return fail(err), 0
			}
			rq.Pipe = pipe + 1
		}
		return 0, h
	case linux.SYS_GETCWD:
		p, err := ns.Get().PathOf(bg, s.cwd.Load())
		if err != nil {
			return fail(err), 0
		}
		if uint64(len(p)+1) > a[1] {
			return -int64(linux.ERANGE), 0
		}
		b := userBytes(a[0], len(p)+1)
		copy(b, p)
		b[len(p)] = 0
		return int64(len(p) + 1), 0
	case linux.SYS_CHDIR:
		return s.chdir(rq, 0), 0
	case linux.SYS_MMAP:
		return s.mmap(rq), 0
	}
	if rq.Handle[0] >= 0 && fwdOnFD(rq.Nr) {
		return s.onFile(rq), 0
	}
	return s.onPath(rq), 0
}

// fwdOnFD reports the calls whose first argument is a descriptor.
func fwdOnFD(nr uint64) bool {
	switch nr {
	case linux.SYS_READ, linux.SYS_WRITE, linux.SYS_READV, linux.SYS_WRITEV, linux.SYS_PREAD64, linux.SYS_PWRITE64,
		linux.SYS_LSEEK, linux.SYS_FSTAT, linux.SYS_GETDENTS64, linux.SYS_FTRUNCATE, linux.SYS_FSYNC,
		linux.SYS_FDATASYNC, linux.SYS_FCHMOD, linux.SYS_FCHOWN, linux.SYS_FSTATFS, linux.SYS_FCHDIR, linux.SYS_FCNTL,
		linux.SYS_SENDFILE:
		return true
	}
	return false
}

// onFile serves a call on an open file: through its session, or, for
// what sessions do not hold (directory streams, modes, owners, times),
// through the file's server object once the session has settled.
func (s *Server) onFile(rq *request) int64 {
	o := s.handle(rq.Handle[0])
	if o == nil {
		return -int64(linux.EBADF)
	}
	a, f, sess := rq.Args, o.f, o.sess.Get()
	c := Caller{TID: rq.TID, CPU: rq.CPU}
	switch rq.Nr {
	case linux.SYS_READ:
		return result(sess.Read(bg, c, userBytes(a[1], int(a[2]))))
	case linux.SYS_WRITE:
		return result(sess.Write(bg, c, userBytes(a[1], int(a[2]))))
	case linux.SYS_PREAD64:
		if int64(a[3]) < 0 {
			return -int64(linux.EINVAL)
		}
		return result(sess.ReadAt(bg, c, userBytes(a[1], int(a[2])), int64(a[3])))
	case linux.SYS_PWRITE64:
		if int64(a[3]) < 0 {
			return -int64(linux.EINVAL)
		}
		return result(sess.WriteAt(bg, c, userBytes(a[1], int(a[2])), int64(a[3])))
	case linux.SYS_READV, linux.SYS_WRITEV:
		total := 0
		for i := uint64(0); i < a[2]; i++ {
			base, l := iovec(a[1], i)
			if l == 0 {
				continue
			}
			var n int
			var err error
			if rq.Nr == linux.SYS_READV {
				n, err = sess.Read(bg, c, userBytes(base, int(l)))
			} else {
				n, err = sess.Write(bg, c, userBytes(base, int(l)))
			}
			total += n
			if err != nil || uint64(n) < l {
				if total == 0 {
					return result(0, err)
				}
				break
			}
		}
		return int64(total)
	case linux.SYS_LSEEK:
		off, err := sess.Seek(bg, c, int64(a[1]), int(int32(a[2])))
		if err != nil {
			return fail(err)
		}
		return off
	case linux.SYS_FSTAT:
		if err := sess.Stat(bg, c, &rq.st); err != nil {
			return fail(err)
		}
		linuxStat(userStat(a[1]), &rq.st)
		return 0
	case linux.SYS_SENDFILE:
		return s.sendfile(rq, sess, c, f)
	case linux.SYS_FTRUNCATE:
		if int64(a[1]) < 0 {
			return -int64(linux.EINVAL)
		}
		return fail(sess.Truncate(bg, c, int64(a[1])))
	case linux.SYS_FSYNC, linux.SYS_FDATASYNC:
		return fail(sess.Sync(bg, c))
	case linux.SYS_FCNTL: // F_SETFL
		return fail(sess.SetFlags(bg, c, int(a[2])))
	}
	srv := o.obj.ref.Get()
	switch rq.Nr {
	case linux.SYS_GETDENTS64:
		return s.getdents(srv, f, a[1], int(a[2]))
	case linux.SYS_FCHMOD:
		return fail(srv.Chmod(bg, f, uint32(a[1])))
	case linux.SYS_FCHOWN:
		return fail(srv.Chown(bg, f, int(int32(a[1])), int(int32(a[2]))))
	case linux.SYS_FSTATFS:
		*userStatfs(a[1]) = linuxStatfs(s.ns.Get().Statfs(bg))
		return 0
	case linux.SYS_FCHDIR:
		if !f.Node().IsDir() {
			return -int64(linux.ENOTDIR)
		}
		s.cwd.Store(f.Node())
		return 0
	}
	return -int64(linux.ENOSYS)
}

// getdents fills buf with linux_dirent64 records from f's stream: as many
// as fit; the stream is left after the last one given.
func (s *Server) getdents(srv FileServer, f *fs.File, buf uint64, n int) int64 {
	ents, err := srv.ReadDir(bg, f, max(n/24, 1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0
		}
		return fail(err)
	}
	out := userBytes(buf, n)
	used := 0
	for i, e := range ents {
		reclen := (linux.DirentNameOffset + len(e.Name) + 1 + 7) &^ 7
		if used+reclen > n {
			if i == 0 {
				return -int64(linux.EINVAL) // not even one fits
			}
			// Give the rest back: continue after the last entry given.
			srv.Seek(bg, f, ents[i-1].Off, io.SeekStart)
			break
		}
		putDirent(out[used:used+reclen], e, reclen)
		used += reclen
	}
	return int64(used)
}

// onPath serves a call that names paths.
func (s *Server) onPath(rq *request) int64 {
	a, ns := rq.Args, s.ns.Get()
	if e := needPath(rq, 0); e != 0 && rq.Nr != linux.SYS_UTIMENSAT {
		return e
	}
	d0, e0 := s.dir(rq, 0)
	// Calls with a second path resolve it from the second handle.
	second := func() (*fs.Node, string, int64) {
		if e := needPath(rq, 1); e != 0 {
			return nil, "", e
		}
		d, e := s.dir(rq, 1)
		return d, path(rq, 1), e
	}
	p0 := path(rq, 0)
	switch rq.Nr {
	case linux.SYS_SYMLINKAT, linux.SYS_SYMLINK:
		d1, p1, e := second()
		if e != 0 {
			return e
		}
		return fail(ns.SymlinkAt(bg, p0, d1, p1))
	}
	if e0 != 0 {
		return e0
	}
	switch rq.Nr {
	case linux.SYS_NEWFSTATAT, linux.SYS_STAT, linux.SYS_LSTAT:
		flags, buf := int(int32(a[3])), a[2]
		switch rq.Nr {
		case linux.SYS_STAT:
			flags, buf = 0, a[1]
		case linux.SYS_LSTAT:
			flags, buf = linux.AT_SYMLINK_NOFOLLOW, a[1]
		}
		st, err := s.statAt(d0, p0, flags, rq)
		if err != nil {
			return fail(err)
		}
		linuxStat(userStat(buf), &st)
		return 0
	case linux.SYS_STATX:
		st, err := s.statAt(d0, p0, int(int32(a[2])), rq)
		if err != nil {
			return fail(err)
		}
		*userStatx(a[4]) = linuxStatx(st)
		return 0
	case linux.SYS_MKDIRAT:
		return fail(ns.MkdirAt(bg, d0, p0, uint32(a[2])&^rq.Umask))
	case linux.SYS_MKDIR:
		return fail(ns.MkdirAt(bg, d0, p0, uint32(a[1])&^rq.Umask))
	case linux.SYS_MKNODAT:
		mode := uint32(a[2])
		return fail(ns.MknodAt(bg, d0, p0, mode&^(rq.Umask&0o777), a[3]))
	case linux.SYS_UNLINKAT:
		return fail(ns.UnlinkAt(bg, d0, p0, int(int32(a[2]))))
	case linux.SYS_UNLINK:
		return fail(ns.UnlinkAt(bg, d0, p0, 0))
	case linux.SYS_RMDIR:
		return fail(ns.UnlinkAt(bg, d0, p0, linux.AT_REMOVEDIR))
	case linux.SYS_RENAMEAT, linux.SYS_RENAMEAT2, linux.SYS_RENAME:
		d1, p1, e := second()
		if e != 0 {
			return e
		}
		flags := 0
		if rq.Nr == linux.SYS_RENAMEAT2 {
			flags = int(uint32(a[4]))
		}
		return fail(ns.RenameAt(bg, d0, p0, d1, p1, flags))
	case linux.SYS_LINKAT, linux.SYS_LINK:
		d1, p1, e := second()
		if e != 0 {
			return e
		}
		flags := 0
		if rq.Nr == linux.SYS_LINKAT {
			flags = int(int32(a[4]))
		}
		return fail(ns.LinkAt(bg, d0, p0, d1, p1, flags))
	case linux.SYS_READLINKAT, linux.SYS_READLINK:
		buf, size := a[2], a[3]
		if rq.Nr == linux.SYS_READLINK {
			buf, size = a[1], a[2]
		}
		if int64(size) <= 0 {
			return -int64(linux.EINVAL)
		}
		target, err := ns.ReadlinkAt(bg, d0, p0)
		if err != nil {
			return fail(err)
		}
		return int64(copy(userBytes(buf, int(size)), target))
	case linux.SYS_FCHMODAT:
		return fail(ns.ChmodAt(bg, d0, p0, uint32(a[2]), 0))
	case linux.SYS_FCHMODAT2:
		flags := int(int32(a[3]))
		if p0 == "" && flags&linux.AT_EMPTY_PATH != 0 {
			if o := s.handle(rq.Handle[0]); o != nil {
				return fail(o.obj.ref.Get().Chmod(bg, o.f, uint32(a[2])))
			}
		}
		return fail(ns.ChmodAt(bg, d0, p0, uint32(a[2]), flags))
	case linux.SYS_CHOWN:
		return fail(ns.ChownAt(bg, d0, p0, int(int32(a[1])), int(int32(a[2])), 0))
	case linux.SYS_LCHOWN:
		return fail(ns.ChownAt(bg, d0, p0, int(int32(a[1])), int(int32(a[2])), linux.AT_SYMLINK_NOFOLLOW))
	case linux.SYS_CHMOD:
		return fail(ns.ChmodAt(bg, d0, p0, uint32(a[1]), 0))
	case linux.SYS_FCHOWNAT:
		return fail(ns.ChownAt(bg, d0, p0, int(int32(a[2])), int(int32(a[3])), int(int32(a[4]))))
	case linux.SYS_UTIMENSAT:
		return s.utimensat(rq)
	case linux.SYS_FACCESSAT:
		return fail(ns.AccessAt(bg, d0, p0, uint32(a[2]), 0))
	case linux.SYS_FACCESSAT2:
		return fail(ns.AccessAt(bg, d0, p0, uint32(a[2]), int(int32(a[3]))))
	case linux.SYS_ACCESS:
		return fail(ns.AccessAt(bg, d0, p0, uint32(a[1]), 0))
	case linux.SYS_TRUNCATE:
		if int64(a[1]) < 0 {
			return -int64(linux.EINVAL)
		}
		s.settlePath(d0, p0, 0) // the sessions' writes come before the truncation
		return fail(ns.TruncateAt(bg, d0, p0, int64(a[1])))
	case linux.SYS_STATFS:
		if _, err := ns.StatAt(bg, d0, p0, 0); err != nil {
			return fail(err)
		}
		*userStatfs(a[1]) = linuxStatfs(ns.Statfs(bg))
		return 0
	}
	return -int64(linux.ENOSYS)
}

// statAt is fstatat: an empty path with AT_EMPTY_PATH is the dirfd's file.
func (s *Server) statAt(d *fs.Node, p string, flags int, rq *request) (fs.Stat, error) {
	if p == "" && flags&linux.AT_EMPTY_PATH != 0 {
		switch h := rq.Handle[0]; {
		case h == kernel.HandleCwd:
			d = s.cwd.Load()
		case h < 0:
			return fs.Stat{}, syscall.EBADF
		}
	}
	if s.held.Load() > 0 {
		if p == "" {
			if o := s.handle(rq.Handle[0]); o != nil {
				s.settleNode(o.f.Node())
			}
		} else {
			s.settlePath(d, p, flags&linux.AT_SYMLINK_NOFOLLOW)
		}
	}
	return s.ns.Get().StatAt(bg, d, p, flags)
}

func (s *Server) utimensat(rq *request) int64 {
	a := rq.Args
	var times *[2]fs.Timespec
	if a[2] != 0 {
		t := userTimes(a[2])
		times = &[2]fs.Timespec{{Sec: t[0].Sec, Nsec: t[0].Nsec}, {Sec: t[1].Sec, Nsec: t[1].Nsec}}
	}
	flags := int(int32(a[3]))
	if rq.PathLen[0] < 0 {
		// futimens: the descriptor itself.
		if flags&^linux.AT_SYMLINK_NOFOLLOW != 0 {
			return -int64(linux.EINVAL)
		}
		o := s.handle(rq.Handle[0])
		if o == nil {
			if rq.Handle[0] == kernel.HandleCwd {
				return -int64(linux.EFAULT)
			}
			return -int64(linux.EBADF)
		}
		o.sess.Get().Settle(bg) // a later write-back must not stamp the times again
		return fail(o.obj.ref.Get().Utimens(bg, o.f, times))
	}
	d, e := s.dir(rq, 0)
	if e != 0 {
		return e
	}
	s.settlePath(d, path(rq, 0), flags&linux.AT_SYMLINK_NOFOLLOW)
	return fail(s.ns.Get().UtimensAt(bg, d, path(rq, 0), times, flags))
}

func (s *Server) chdir(rq *request, i int) int64 {
	if e := needPath(rq, i); e != 0 {
		return e
	}
	d, e := s.dir(rq, i)
	if e != 0 {
		return e
	}
	n, err := s.ns.Get().Lookup(bg, d, path(rq, i), 0)
	if err != nil {
		return fail(err)
	}
	if !n.IsDir() {
		return -int64(linux.ENOTDIR)
	}
	s.cwd.Store(n)
	return 0
}

// nameOf names an opened file for the system table: its path, made
// absolute when it can be.
func (s *Server) nameOf(d *fs.Node, p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	if d == nil {
		return "/" + p
	}
	if dp, err := s.fsys.PathOf(d); err == nil {
		if dp == "/" {
			return "/" + p
		}
		return dp + "/" + p
	}
	return p
}

// sendfileChunk is how much of the file a sendfile moves per write.
const sendfileChunk = 64 << 10

// sendfile serves sendfile(out_fd, in_fd, offset, count) on in_fd's file
// f: it reads f (at *offset, which it then advances, or at f's offset)
// into the thread's buffer and writes that to out_fd with write calls of
// its own, which the kernel serves as the caller's would. A short or
// failed write ends it, f's offset put back by what was not written; the
// result is the bytes written, or the error if none were.
func (s *Server) sendfile(rq *request, sess Session, c Caller, f *fs.File) int64 {
	a := rq.Args
	out, offp, count := int(int32(a[0])), a[2], int64(a[3])
	if f.Node().IsDir() {
		return -int64(linux.EINVAL)
	}
	off := int64(-1)
	if offp != 0 {
		if off = *userInt64(offp); off < 0 {
			return -int64(linux.EINVAL)
		}
	}
	if rq.buf == nil {
		rq.buf = make([]byte, sendfileChunk)
	}
	total := int64(0)
	for total < count {
		b := rq.buf[:min(int64(len(rq.buf)), count-total)]
		var n int
		var err error
		if off >= 0 {
			n, err = sess.ReadAt(bg, c, b, off)
		} else {
			n, err = sess.Read(bg, c, b)
		}
		if n == 0 {
			if total == 0 && err != nil {
				return result(0, err)
			}
			break
		}
		w, werr := syscall.Write(out, b[:n])
		w = max(w, 0)
		if w < n && off < 0 {
			sess.Seek(bg, c, int64(w-n), io.SeekCurrent)
		}
		total += int64(w)
		if off >= 0 {
			off += int64(w)
		}
		if werr != nil || w < n {
			if total == 0 && werr != nil {
				return -int64(fs.Errno(werr))
			}
			break
		}
	}
	if offp != 0 {
		*userInt64(offp) = off
	}
	return total
}
