package kernel

func sysEventfd2(c *CPU, t *Thread) int64 {
	sched.lock()
	defer sched.unlock()
	fd := fdAlloc(fdEventfd)
	if fd >= 0 {
		fds[fd].count = uint64(uint32(arg(t, 0)))
		fds[fd].nonblock = arg(t, 1)&oNonblock != 0
	}
	return fd
}

func sysEpollCreate1(c *CPU, t *Thread) int64 {
	sched.lock()
	defer sched.unlock()
	return fdAlloc(fdEpoll)
}

func sysEpollCtl(c *CPU, t *Thread) int64 {
	epfd, op, fd, evp := arg(t, 0), arg(t, 1), arg(t, 2), arg(t, 3)
	sched.lock()
	defer sched.unlock()
	ep := fdGet(epfd, fdEpoll)
	if ep == nil || fd >= maxFDs || fds[fd].kind == fdFree {
		return -eBADF
	}
	if fds[fd].kind != fdEventfd {
		return -ePERM // not pollable: Go then uses blocking I/O
	}
	var ev epollEvent
	if op != 2 { // EPOLL_CTL_DEL needs no event
		if !validUser(evp, 16) {
			return -eFAULT
		}
		ev = *(*epollEvent)(ptr(evp))
	}
	i := 0
	for i < ep.nwatch && ep.watches[i].fd != int32(fd) {
		i++
	}
	switch op {
	case 1: // ADD
		if i < ep.nwatch {
			return -eEXIST
		}
		if ep.nwatch == maxWatches {
			return -eNOMEM
		}
		ep.watches[ep.nwatch] = watch{int32(fd), ev.events, ev.data}
		ep.nwatch++
	case 2: // DEL
		if i == ep.nwatch {
			return -eNOENT
		}
		ep.nwatch--
		ep.watches[i] = ep.watches[ep.nwatch]
	case 3: // MOD
		if i == ep.nwatch {
			return -eNOENT
		}
		ep.watches[i].events, ep.watches[i].data = ev.events, ev.data
	default:
		return -eINVAL
	}
	return 0
}

// epollReady writes the ready events of ep to the user buffer and returns
// how many. sched must be held.
func epollReady(ep *fdEntry, buf uint64, max int) int {
	n := 0
	for i := 0; i < ep.nwatch && n < max; i++ {
		w := ep.watches[i]
		if w.events&epollIn != 0 && fds[w.fd].kind == fdEventfd && fds[w.fd].count > 0 {
			*(*epollEvent)(ptr(buf + uint64(16*n))) = epollEvent{events: epollIn, data: w.data}
			n++
		}
	}
	return n
}

func sysEpollPwait(c *CPU, t *Thread) int64 {
	epfd, buf, max, timeout := arg(t, 0), arg(t, 1), int(int32(arg(t, 2))), int64(int32(arg(t, 3)))
	if max <= 0 {
		return -eINVAL
	}
	if !validUser(buf, uint64(16*max)) {
		return -eFAULT
	}
	sched.lock()
	ep := fdGet(epfd, fdEpoll)
	if ep == nil {
		sched.unlock()
		return -eBADF
	}
	if n := epollReady(ep, buf, max); n > 0 || timeout == 0 {
		sched.unlock()
		return int64(n)
	}
	deadline := uint64(0)
	if timeout > 0 {
		deadline = Timebase() + uint64(timeout)*Platform.TimebaseHz/1000
	}
	block(c, t, waitEpoll, deadline, 0)
	t.futex = uintptr(epfd)
	t.readBuf, t.readLen = uintptr(buf), max
	return blocked
}

// eventfdSignalled wakes epoll waiters watching eventfd fd. sched must be
// held.
func eventfdSignalled(fd uint64) {
	for i := int32(0); i < threadHigh; i++ {
		w := &threads[i]
		if w.state != threadBlocked || w.wait != waitEpoll {
			continue
		}
		ep := &fds[w.futex]
		if n := epollReady(ep, uint64(w.readBuf), w.readLen); n > 0 {
			wake(i, int64(n))
		}
	}
}

// eventfdRW serves read and write on an eventfd.
func eventfdRW(write bool, fd, buf, n uint64) int64 {
	if n < 8 {
		return -eINVAL
	}
	if !validUser(buf, 8) {
		return -eFAULT
	}
	sched.lock()
	defer sched.unlock()
	e := &fds[fd]
	p := userU64(buf)
	if write {
		if *p == ^uint64(0) {
			return -eINVAL
		}
		e.count += *p
		if e.count > 0 {
			eventfdSignalled(fd)
		}
		return 8
	}
	if e.count == 0 {
		return -eAGAIN // blocking eventfd reads are not supported; Go's are non-blocking
	}
	*p, e.count = e.count, 0
	return 8
}
