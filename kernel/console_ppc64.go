package kernel

import (
	"k42/arch/ppc64"
)

// The console: virtual terminals served by the hypervisor. The lowest
// terminal is the console proper (kernel messages, fd 2, and input on fd
// 0); a second terminal, when the machine has one, carries fd 1 so that a
// program's standard output is a stream of its own (the host runner
// connects it to its standard output).

var (
	conLock       spinlock
	conTerm       uint64 // console terminal number
	outTerm       uint64 // fd 1's terminal
	tty           ldisc
	consoleReader int32 = -1 // thread blocked reading fd 0, or -1
)

// termWrite writes b to terminal term, 16 bytes per hypercall, retrying
// while the hypervisor is busy.
func termWrite(term uint64, b []byte) {
	for len(b) > 0 {
		n := min(len(b), 16)
		for tries := 0; !ppc64.PutTermChars(term, b[:n]) && tries < 1000; tries++ {
		}
		b = b[n:]
	}
}

// consoleWrite writes kernel output to the console.
func consoleWrite(b []byte) {
	conLock.lock()
	termWrite(conTerm, b)
	conLock.unlock()
}

// pollConsole reads pending input into the line discipline, echoes it and
// completes a waiting read. sched must be held.
func pollConsole() {
	var in [16]byte
	for tty.room() {
		n := ppc64.GetTermChars(conTerm, &in)
		if n == 0 {
			break
		}
		var echo [64]byte
		en := 0
		for _, b := range in[:n] {
			en = tty.input(b, &echo, en)
		}
		if en > 0 {
			consoleWrite(echo[:en])
		}
	}
	if r := consoleReader; r >= 0 && tty.readable() {
		t := &threads[r]
		consoleReader = -1
		wake(r, int64(tty.read(user(uint64(t.readBuf), t.readLen))))
	}
}

func sysReadFD(c *CPU, t *Thread) int64 {
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

func sysWriteFD(c *CPU, t *Thread) int64 {
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

func sysWritevFD(c *CPU, t *Thread) int64 {
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

func sysCloseFD(c *CPU, t *Thread) int64 { return closeFD(arg(t, 0)) }

func sysLseekFD(c *CPU, t *Thread) int64 {
	if arg(t, 0) <= 2 {
		return -eSPIPE
	}
	return -eBADF
}

func sysIoctlFD(c *CPU, t *Thread) int64 {
	if arg(t, 0) <= 2 {
		return -eNOTTY
	}
	return -eBADF
}

func sysFcntlFD(c *CPU, t *Thread) int64 {
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

func sysFstatFD(c *CPU, t *Thread) int64 {
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

func sysPipe2R(c *CPU, t *Thread) int64 { return -eNFILE }
