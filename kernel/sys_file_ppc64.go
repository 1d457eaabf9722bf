package kernel

func sysRead(c *CPU, t *Thread) int64 {
	fd, buf, n := arg(t, 0), arg(t, 1), arg(t, 2)
	if fdKind(fd) == fdEventfd {
		return eventfdRW(false, fd, buf, n)
	}
	if fd != 0 {
		return -eBADF
	}
	if n == 0 {
		return 0
	}
	if !validUser(buf, n) {
		return -eFAULT
	}
	sched.lock()
	pollConsole()
	if tty.readable() || consoleReader >= 0 {
		r := int64(-eAGAIN) // one reader at a time
		if tty.readable() {
			r = int64(tty.read(user(buf, int(n))))
		}
		sched.unlock()
		return r
	}
	consoleReader = int32(c.current)
	t.readBuf, t.readLen = uintptr(buf), int(min(n, 1<<20))
	block(c, t, waitConsole, 0, 0)
	return blocked
}

func fdTerm(fd uint64) (uint64, bool) {
	switch fd {
	case 1:
		return outTerm, true
	case 2:
		return conTerm, true
	}
	return 0, false
}

func sysWrite(c *CPU, t *Thread) int64 {
	fd, buf, n := arg(t, 0), arg(t, 1), arg(t, 2)
	if fdKind(fd) == fdEventfd {
		return eventfdRW(true, fd, buf, n)
	}
	term, ok := fdTerm(fd)
	if !ok {
		return -eBADF
	}
	if !validUser(buf, n) {
		return -eFAULT
	}
	conLock.lock()
	termWrite(term, user(buf, int(n)))
	conLock.unlock()
	return int64(n)
}

func sysWritev(c *CPU, t *Thread) int64 {
	fd, iov, cnt := arg(t, 0), arg(t, 1), arg(t, 2)
	term, ok := fdTerm(fd)
	if !ok {
		return -eBADF
	}
	if cnt > 1024 || !validUser(iov, 16*cnt) {
		return -eINVAL
	}
	total := int64(0)
	conLock.lock()
	defer conLock.unlock()
	for i := uint64(0); i < cnt; i++ {
		base, l := *userU64(iov + 16*i), *userU64(iov + 16*i + 8)
		if !validUser(base, l) {
			return -eFAULT
		}
		termWrite(term, user(base, int(l)))
		total += int64(l)
	}
	return total
}

func sysClose(c *CPU, t *Thread) int64 { return closeFD(arg(t, 0)) }

func sysLseek(c *CPU, t *Thread) int64 {
	if arg(t, 0) <= 2 {
		return -eSPIPE
	}
	return -eBADF
}

func sysIoctl(c *CPU, t *Thread) int64 {
	if arg(t, 0) <= 2 {
		return -eNOTTY
	}
	return -eBADF
}

func sysFcntl(c *CPU, t *Thread) int64 {
	fd, cmd := arg(t, 0), arg(t, 1)
	if fdKind(fd) == fdFree {
		return -eBADF
	}
	switch cmd {
	case 1, 2, 4: // F_GETFD, F_SETFD, F_SETFL
		return 0
	case 3: // F_GETFL: access mode, blocking
		switch {
		case fd == 0:
			return 0 // O_RDONLY
		case fd <= 2:
			return 1 // O_WRONLY
		case fds[fd].nonblock:
			return 2 | oNonblock // O_RDWR
		}
		return 2
	}
	return -eINVAL
}

func sysFstat(c *CPU, t *Thread) int64 {
	fd, st := arg(t, 0), arg(t, 1)
	if fd > 2 {
		return -eBADF
	}
	if !validUser(st, 144) {
		return -eFAULT
	}
	clear(user(st, 144))
	// struct stat (ppc64): dev, ino, nlink (8 each), mode, uid, gid (4
	// each), pad, rdev, size, blksize, blocks, times.
	*userU64(st + 8) = fd + 1
	*userU64(st + 16) = 1
	*(*uint32)(ptr(st + 24)) = 0o20620 // S_IFCHR | rw--w----
	*userU64(st + 40) = 0x8800 + fd    // rdev: hvc
	*userU64(st + 56) = 1024           // blksize
	return 0
}

func sysGetcwd(c *CPU, t *Thread) int64 {
	buf, n := arg(t, 0), arg(t, 1)
	if n < 2 {
		return -eRANGE
	}
	if !validUser(buf, 2) {
		return -eFAULT
	}
	copy(user(buf, 2), "/\x00")
	return 2
}
