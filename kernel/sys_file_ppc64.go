package kernel

import (
	"k42/fs/serve/client"
	"k42/kernel/linux"
)

// Files and descriptors. A call on a descriptor is served here when its
// desc is the trap layer's own (terminals, pipes, eventfds, epoll) and
// forwarded to a file-system server when it is a file's; a call that
// names paths is always forwarded (serve_ppc64.go). Before forwarding,
// the handler checks the access mode and the output buffers, so the
// server writes them in place.

// fileFD resolves descriptor argument a for a call served on files:
// the desc, or an errno. sched is held.
func fileFD(t *Thread, a int) (*desc, int64) {
	x, _ := fdDesc(int64(argInt(t, a)))
	if x == nil {
		return nil, -eBADF
	}
	return x, 0
}

func sysRead(c *CPU, t *Thread) int64 {
	if r, ok := fastRead(t, false); ok {
		return r
	}
	buf, n := argAddr(t, 1), argSize(t, 2)
	if !validUser(buf, n) {
		return -eFAULT
	}
	sched.lock()
	x, d := fdDesc(int64(argInt(t, 0)))
	switch {
	case x == nil || x.flags&linux.O_ACCMODE == linux.O_WRONLY:
		sched.unlock()
		return -eBADF
	case x.kind == descFile:
		return forwardLocked(c, t, x.index, HandleNone, x.flags)
	}
	defer releaseSched(c)
	switch x.kind {
	case descTerminal:
		return consoleRead(c, t, buf, n)
	case descEventfd:
		return eventfdRW(c, t, d, false, buf, n)
	case descPipe:
		return pipeRead(c, t, d, buf, n)
	case descBoot:
		return bootRead(x, buf, n, -1)
	case descSocket:
		return sockRead(c, t, x.index, x.flags&linux.O_NONBLOCK != 0, buf, n, 0, 0, 0)
	}
	return -eINVAL
}

func sysWrite(c *CPU, t *Thread) int64 {
	if r, ok := fastWrite(t, false); ok {
		return r
	}
	buf, n := argAddr(t, 1), argSize(t, 2)
	if !validUser(buf, n) {
		return -eFAULT
	}
	sched.lock()
	x, d := fdDesc(int64(argInt(t, 0)))
	switch {
	case x == nil || x.flags&linux.O_ACCMODE == linux.O_RDONLY:
		sched.unlock()
		return -eBADF
	case x.kind == descFile:
		return forwardLocked(c, t, x.index, HandleNone, x.flags)
	case x.kind == descTerminal:
		term := terminal(x.index)
		sched.unlock()
		conLock.lock()
		termWrite(term, user(buf, int(n)))
		conLock.unlock()
		return int64(n)
	}
	defer releaseSched(c)
	switch x.kind {
	case descEventfd:
		return eventfdRW(c, t, d, true, buf, n)
	case descPipe:
		return pipeWrite(c, t, d, buf, n)
	case descSocket:
		return sockWrite(c, t, x.index, x.flags&linux.O_NONBLOCK != 0, buf, n, 0, nil)
	}
	return -eINVAL
}

// iovecs checks the cnt vectors at iov and their buffers.
func iovecs(iov, cnt uint64) int64 {
	if cnt > 1024 {
		return -eINVAL
	}
	if !validUser(iov, 16*cnt) {
		return -eFAULT
	}
	for i := uint64(0); i < cnt; i++ {
		if !validUser(*userU64(iov + 16*i), *userU64(iov + 16*i + 8)) {
			return -eFAULT
		}
	}
	return 0
}

// sysReadv serves readv and writev.
func sysReadv(c *CPU, t *Thread) int64 {
	write := t.Ctx.GPR[0] == linux.SYS_WRITEV
	iov, cnt := argAddr(t, 1), argSize(t, 2)
	if e := iovecs(iov, cnt); e != 0 {
		return e
	}
	sched.lock()
	x, _ := fdDesc(int64(argInt(t, 0)))
	mode := uint32(linux.O_WRONLY)
	if write {
		mode = linux.O_RDONLY
	}
	switch {
	case x == nil || x.flags&linux.O_ACCMODE == mode:
		sched.unlock()
		return -eBADF
	case x.kind == descFile:
		return forwardLocked(c, t, x.index, HandleNone, x.flags)
	case x.kind == descTerminal && write:
		term := terminal(x.index)
		sched.unlock()
		total := int64(0)
		conLock.lock()
		for i := uint64(0); i < cnt; i++ {
			l := *userU64(iov + 16*i + 8)
			termWrite(term, user(*userU64(iov + 16*i), int(l)))
			total += int64(l)
		}
		conLock.unlock()
		return total
	case x.kind == descPipe || x.kind == descSocket:
		defer releaseSched(c)
		nb := x.flags&linux.O_NONBLOCK != 0
		return eachIovec(iov, cnt, func(base, l uint64, more bool) int64 {
			switch {
			case l == 0:
				return 0 // an empty vector moves nothing
			case x.kind == descSocket && write:
				return sockWrite(c, t, x.index, nb || more, base, l, 0, nil)
			case x.kind == descSocket:
				return sockRead(c, t, x.index, nb || more, base, l, 0, 0, 0)
			case write:
				return ringWrite(c, t, x.index, nb || more, base, l, true)
			}
			return ringRead(c, t, x.index, nb || more, base, l, false)
		})
	}
	sched.unlock()
	return -eINVAL
}

// eachIovec moves the cnt vectors of the iovec array at iov one at a
// time with xfer, told whether bytes have moved already (then it must
// not wait: Linux returns what it moved); a short or failed transfer
// ends the call. It returns the bytes moved, or the first transfer's
// own result (an error, or blocked). sched is held.
func eachIovec(iov, cnt uint64, xfer func(base, n uint64, more bool) int64) int64 {
	total := int64(0)
	for i := uint64(0); i < cnt; i++ {
		base, l := *userU64(iov + 16*i), *userU64(iov + 16*i + 8)
		r := xfer(base, l, total > 0)
		if r < 0 { // an error, or blocked (only when nothing moved yet)
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if uint64(r) < l {
			break
		}
	}
	return total
}

// sysFileOnly serves the calls on a descriptor that only files have:
// pread64, pwrite64, lseek, getdents64, ftruncate, fsync, fdatasync,
// fchmod, fchown, fstatfs, fchdir, and fstat of a file. Other descs get
// what Linux gives them.
func sysFileOnly(c *CPU, t *Thread) int64 {
	nr := t.Ctx.GPR[0]
	if out, size := fileOutBuffer(t, nr); size > 0 && !validUser(out, size) {
		return -eFAULT
	}
	sched.lock()
	x, e := fileFD(t, 0)
	if x == nil {
		sched.unlock()
		return e
	}
	if x.kind == descFile {
		switch nr {
		case linux.SYS_PREAD64:
			if x.flags&linux.O_ACCMODE == linux.O_WRONLY {
				sched.unlock()
				return -eBADF
			}
		case linux.SYS_PWRITE64:
			if x.flags&linux.O_ACCMODE == linux.O_RDONLY {
				sched.unlock()
				return -eBADF
			}
		}
		return forwardLocked(c, t, x.index, HandleNone, x.flags)
	}
	if h := servedHandle(x); h >= 0 {
		switch nr {
		case linux.SYS_FSTAT, linux.SYS_FCHMOD, linux.SYS_FCHOWN, linux.SYS_FSTATFS:
			// A FIFO's node is its server's.
			return forwardLocked(c, t, h, HandleNone, x.flags)
		}
	}
	defer releaseSched(c)
	if x.kind == descBoot {
		switch nr {
		case linux.SYS_PREAD64:
			if off := int64(arg(t, 3)); off >= 0 {
				return bootRead(x, argAddr(t, 1), argSize(t, 2), off)
			}
			return -eINVAL
		case linux.SYS_LSEEK:
			return bootSeek(x, int64(arg(t, 1)), int(argInt(t, 2)))
		}
	}
	switch nr {
	case linux.SYS_FSTAT:
		return writeStat(argAddr(t, 1), localStat(x))
	case linux.SYS_PREAD64, linux.SYS_PWRITE64, linux.SYS_LSEEK:
		return -eSPIPE
	case linux.SYS_GETDENTS64, linux.SYS_FCHDIR:
		return -int64(linux.ENOTDIR)
	case linux.SYS_FCHMOD, linux.SYS_FCHOWN:
		return 0
	}
	return -eINVAL
}

// The fast path: read, write, pread64, pwrite64, lseek and fstat are served
// from the client slot of the file behind the call's descriptor, if it has
// one that can serve the call, before anything else their handlers do; ok
// false sends the call down the ordinary path (sched, the descriptor
// table, the hand-off to a server).
//
// It looks up the descriptor without sched. That is safe because the
// slot is taken first and the descriptor looked at again after: a close
// drops the fd under sched before its description is released, and the
// release ends the session (its server takes the slot, which waits while
// this call holds it), so if after Take the fd still names the same
// description with the same handle, the call is served as if it had come
// before the close. Otherwise the slot is given back and the call goes
// the ordinary way (EBADF, or another file).

// fastSlot takes the client slot of the file behind descriptor argument
// 0, unless the description's access mode is forbidden (O_ACCMODE+1: any
// mode will do).
func fastSlot(t *Thread, forbidden uint32) (*client.Slot, bool) {
	fd := uint64(argInt(t, 0))
	if fd >= maxFDs {
		return nil, false
	}
	ref := fdt[fd].desc
	if ref <= 0 {
		return nil, false
	}
	x := &descs[ref-1]
	h := x.index
	if x.kind != descFile || x.flags&linux.O_ACCMODE == forbidden {
		return nil, false
	}
	s := client.Take(h)
	if s == nil {
		return nil, false
	}
	if fdt[fd].desc != ref || fdt[fd].reserved || x.kind != descFile || x.index != h {
		s.Give()
		return nil, false
	}
	return s, true
}

// fastRead is read (at false) or pread64 (at true) from the client slot.
func fastRead(t *Thread, at bool) (int64, bool) {
	// The slot first: a description without a client-side session (most
	// forwarded calls) pays only for the lookup. Checking the buffer with
	// the slot held is safe: faulting a page in does not block.
	s, ok := fastSlot(t, linux.O_WRONLY)
	if !ok {
		return 0, false
	}
	// A read served here copies at most a window: only that much of the
	// buffer need be checked (and faulted in, with the slot held).
	buf, n := argAddr(t, 1), min(argSize(t, 2), uint64(len(s.Buf)))
	if !validUser(buf, n) {
		s.Give()
		return 0, false
	}
	var r int64
	if at {
		r, ok = s.ReadAt(user(buf, int(n)), int64(arg(t, 3)))
	} else {
		r, ok = s.Read(user(buf, int(n)))
	}
	s.Give()
	return r, ok
}

// fastWrite is write (at false) or pwrite64 (at true) into the client
// slot.
func fastWrite(t *Thread, at bool) (int64, bool) {
	s, ok := fastSlot(t, linux.O_RDONLY)
	if !ok {
		return 0, false
	}
	// A write larger than the window is never served here.
	buf, n := argAddr(t, 1), argSize(t, 2)
	if n > uint64(len(s.Buf)) || !validUser(buf, n) {
		s.Give()
		return 0, false
	}
	var r int64
	if at {
		r, ok = s.WriteAt(user(buf, int(n)), int64(arg(t, 3)), wallNow())
	} else {
		r, ok = s.Write(user(buf, int(n)), wallNow())
	}
	s.Give()
	return r, ok
}

// fastLseek is lseek on the client slot.
func fastLseek(t *Thread) (int64, bool) {
	s, ok := fastSlot(t, linux.O_ACCMODE+1)
	if !ok {
		return 0, false
	}
	r, ok := s.Lseek(int64(arg(t, 1)), int(argInt(t, 2)))
	s.Give()
	return r, ok
}

// fastFstat is fstat from the client slot's copy of the attributes.
func fastFstat(t *Thread) (int64, bool) {
	s, ok := fastSlot(t, linux.O_ACCMODE+1)
	if !ok {
		return 0, false
	}
	if !validUser(argAddr(t, 1), linux.SizeofStat) {
		s.Give()
		return 0, false
	}
	s.Stat(userStat(argAddr(t, 1)))
	s.Give()
	return 0, true
}

// wallNow is the realtime clock as a file's times hold it.
func wallNow() linux.Timespec {
	ns, _ := nowNanos(0)
	return linux.Timespec{Sec: ns / 1e9, Nsec: ns % 1e9}
}

// fileOutBuffer is the output buffer a descriptor call writes, if any.
func fileOutBuffer(t *Thread, nr uint64) (addr, size uint64) {
	switch nr {
	case linux.SYS_PREAD64, linux.SYS_GETDENTS64:
		return argAddr(t, 1), argSize(t, 2)
	case linux.SYS_FSTAT:
		return argAddr(t, 1), linux.SizeofStat
	case linux.SYS_FSTATFS:
		return argAddr(t, 1), linux.SizeofStatfs
	case linux.SYS_PWRITE64:
		return argAddr(t, 1), argSize(t, 2) // read by the server: it must be present too
	}
	return 0, 0
}

// Forwarded calls that name paths: their descriptor and path arguments.
// -1: none.
func fwdSpecOf(nr uint64) fwdSpec {
	none := fwdSpec{fd: [2]int8{-1, -1}, path: [2]int8{-1, -1}}
	at := func(fd, path int8) fwdSpec {
		return fwdSpec{fd: [2]int8{fd, -1}, dirfd: [2]bool{true, false}, path: [2]int8{path, -1}}
	}
	at2 := func(fd0, p0, fd1, p1 int8) fwdSpec {
		return fwdSpec{fd: [2]int8{fd0, fd1}, dirfd: [2]bool{true, true}, path: [2]int8{p0, p1}}
	}
	switch nr {
	case linux.SYS_OPENAT, linux.SYS_NEWFSTATAT, linux.SYS_STATX, linux.SYS_MKDIRAT, linux.SYS_MKNODAT,
		linux.SYS_UNLINKAT, linux.SYS_READLINKAT, linux.SYS_FCHMODAT, linux.SYS_FCHOWNAT,
		linux.SYS_UTIMENSAT, linux.SYS_FACCESSAT, linux.SYS_FACCESSAT2, linux.SYS_FCHMODAT2:
		return at(0, 1)
	case linux.SYS_RENAMEAT, linux.SYS_RENAMEAT2, linux.SYS_LINKAT:
		return at2(0, 1, 2, 3)
	case linux.SYS_SYMLINKAT: // target, newdirfd, linkpath
		return fwdSpec{fd: [2]int8{-1, 1}, dirfd: [2]bool{false, true}, path: [2]int8{0, 2}}
	case linux.SYS_OPEN, linux.SYS_MKDIR, linux.SYS_RMDIR, linux.SYS_UNLINK, linux.SYS_CHDIR,
		linux.SYS_TRUNCATE, linux.SYS_STATFS, linux.SYS_READLINK, linux.SYS_ACCESS, linux.SYS_CHMOD,
		linux.SYS_STAT, linux.SYS_LSTAT, linux.SYS_CHOWN, linux.SYS_LCHOWN:
		return fwdSpec{fd: [2]int8{-1, -1}, path: [2]int8{0, -1}}
	case linux.SYS_RENAME, linux.SYS_LINK, linux.SYS_SYMLINK:
		return fwdSpec{fd: [2]int8{-1, -1}, path: [2]int8{0, 1}}
	}
	return none
}

// pathOutBuffer is the output buffer a path call writes, if any.
func pathOutBuffer(t *Thread, nr uint64) (addr, size uint64) {
	switch nr {
	case linux.SYS_NEWFSTATAT:
		return argAddr(t, 2), linux.SizeofStat
	case linux.SYS_STAT, linux.SYS_LSTAT, linux.SYS_STATFS:
		if nr == linux.SYS_STATFS {
			return argAddr(t, 1), linux.SizeofStatfs
		}
		return argAddr(t, 1), linux.SizeofStat
	case linux.SYS_STATX:
		return argAddr(t, 4), linux.SizeofStatx
	case linux.SYS_READLINKAT:
		return argAddr(t, 2), argSize(t, 3)
	case linux.SYS_READLINK:
		return argAddr(t, 1), argSize(t, 2)
	case linux.SYS_UTIMENSAT:
		if a := argAddr(t, 2); a != 0 {
			return a, 32 // read by the server
		}
	}
	return 0, 0
}

// dirHandle resolves a dirfd argument to a server handle.
func dirHandle(fd int64) int32 {
	if fd == linux.AT_FDCWD {
		return HandleCwd
	}
	x, _ := fdDesc(fd)
	if x == nil {
		return HandleBad
	}
	if h := servedHandle(x); h >= 0 {
		return h // a file, or a FIFO's node
	}
	return HandleNotFile
}

// sysPath forwards a call that names paths (see fwdSpecOf).
func sysPath(c *CPU, t *Thread) int64 {
	nr := t.Ctx.GPR[0]
	if out, size := pathOutBuffer(t, nr); size > 0 && !validUser(out, size) {
		return -eFAULT
	}
	spec := fwdSpecOf(nr)
	sched.lock()
	h := [2]int32{HandleNone, HandleNone}
	for i := 0; i < 2; i++ {
		if a := spec.fd[i]; a >= 0 {
			h[i] = dirHandle(int64(argInt(t, int(a))))
		} else if spec.path[i] >= 0 {
			h[i] = HandleCwd
		}
	}
	if nServers == 0 && (nr == linux.SYS_OPENAT || nr == linux.SYS_OPEN) {
		// Before the file system: the boot file server (bootfs_ppc64.go).
		var r int64
		if nr == linux.SYS_OPENAT {
			r = bootOpen(int64(argInt(t, 0)), argAddr(t, 1), argUint(t, 2))
		} else {
			r = bootOpen(linux.AT_FDCWD, argAddr(t, 0), argUint(t, 1))
		}
		sched.unlock()
		return r
	}
	switch nr {
	case linux.SYS_OPENAT:
		return forwardOpen(c, t, h[0], argUint(t, 2))
	case linux.SYS_OPEN:
		return forwardOpen(c, t, HandleCwd, argUint(t, 1))
	}
	return forwardLocked(c, t, h[0], h[1], 0)
}

// sysSendfile forwards sendfile to the server of in_fd's file, which
// reads the file and writes what it read to out_fd with write calls of
// its own (the descriptors are the process's, so the server's thread
// names out_fd as the caller does). Here: the offset pointer, the access
// modes, and that in_fd is a file (EINVAL otherwise, as Linux says of
// descriptors it cannot map) and out_fd not one open O_APPEND.
func sysSendfile(c *CPU, t *Thread) int64 {
	if offp := argAddr(t, 2); offp != 0 && !validUser(offp, 8) {
		return -eFAULT
	}
	sched.lock()
	out, _ := fdDesc(int64(argInt(t, 0)))
	in, _ := fdDesc(int64(argInt(t, 1)))
	var e int64
	switch {
	case out == nil || in == nil || out.flags&linux.O_ACCMODE == linux.O_RDONLY || in.flags&linux.O_ACCMODE == linux.O_WRONLY:
		e = -eBADF
	case in.kind != descFile || out.flags&linux.O_APPEND != 0:
		e = -eINVAL
	default:
		return forwardLocked(c, t, in.index, HandleNone, in.flags)
	}
	sched.unlock()
	return e
}

// sysServed forwards a call with neither descriptors nor paths:
// getcwd (whose buffer is checked here), sync.
func sysServed(c *CPU, t *Thread) int64 {
	if t.Ctx.GPR[0] == linux.SYS_GETCWD && !validUser(argAddr(t, 0), argSize(t, 1)) {
		return -eFAULT
	}
	sched.lock()
	return forwardLocked(c, t, HandleNone, HandleNone, 0)
}

// sysPread, sysPwrite, sysLseek and sysFstat try the client slot before
// sysFileOnly's general path, each with only its own call's checks.
func sysPread(c *CPU, t *Thread) int64 {
	if r, ok := fastRead(t, true); ok {
		return r
	}
	return sysFileOnly(c, t)
}

func sysPwrite(c *CPU, t *Thread) int64 {
	if r, ok := fastWrite(t, true); ok {
		return r
	}
	return sysFileOnly(c, t)
}

func sysLseek(c *CPU, t *Thread) int64 {
	if r, ok := fastLseek(t); ok {
		return r
	}
	return sysFileOnly(c, t)
}

func sysFstat(c *CPU, t *Thread) int64 {
	if r, ok := fastFstat(t); ok {
		return r
	}
	return sysFileOnly(c, t)
}

// umask is the process's file-mode creation mask, which every forwarded
// request carries to its server.
var umask uint32 = 0o022

func sysUmask(c *CPU, t *Thread) int64 {
	sched.lock()
	old := umask
	umask = argUint(t, 0) & 0o777
	sched.unlock()
	return int64(old)
}

func sysIoctl(c *CPU, t *Thread) int64 {
	sched.lock()
	defer releaseSched(c)
	if x, _ := fdDesc(int64(argInt(t, 0))); x == nil {
		return -eBADF
	}
	return -eNOTTY // no descriptor has termios or device controls
}

// statInfo is what fstat reports of a desc the trap layer serves.
type statInfo struct {
	dev, ino uint64
	mode     uint32
	nlink    uint64
	rdev     uint64
	blksize  int64
	size     int64
}

// localStat describes a trap-layer desc.
func localStat(x *desc) statInfo {
	switch x.kind {
	case descTerminal:
		return statInfo{dev: 5, ino: uint64(x.index + 1), mode: linux.S_IFCHR | 0o620, nlink: 1, rdev: 0x8800 + uint64(x.index), blksize: 1024}
	case descPipe:
		return pipeStat(x.index)
	case descBoot:
		return bootStat(x)
	case descSocket:
		return sockStat(x.index)
	}
	// eventfds and epoll instances are anonymous inodes.
	return statInfo{dev: 0xd, ino: 1, mode: 0o600, nlink: 1, blksize: 4096}
}

// writeStat copies s out as a struct stat. addr is checked.
func writeStat(addr uint64, s statInfo) int64 {
	*userStat(addr) = linux.Stat{Dev: s.dev, Ino: s.ino, Nlink: s.nlink, Mode: s.mode, Rdev: s.rdev, Blksize: s.blksize, Size: s.size}
	return 0
}
