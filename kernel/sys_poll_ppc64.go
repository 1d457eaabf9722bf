package kernel

import "k42/kernel/linux"

// The runtime's poller: eventfds and epoll instances. Go's netpoller
// registers its own eventfd (level-triggered) and every pollable file
// it opens, pipes among them, with EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET.
// A watch keys on an (fd, desc) pair, as Linux's on (fd, file). Level
// readiness is computed from the desc's state; edge-triggered watches
// report what changed since they last reported (pending), which the
// descs' owners post with epollNotify; EPOLL_CTL_ADD posts the current
// readiness, so a new watch reports it once. Regular files, terminals
// and epoll instances are not pollable (EPERM), as on Linux, and Go then
// uses blocking I/O on them. sched guards everything here.

const (
	maxEpolls  = 16
	maxWatches = 128
)

type watch struct {
	fd      int32
	desc    int32
	events  uint32
	pending uint32 // edge-triggered: readiness posted since last reported
	data    uint64
}

type epollInst struct {
	used bool
	n    int
	w    [maxWatches]watch
}

var epolls [maxEpolls]epollInst

// epollEvent is struct epoll_event on ppc64: not packed, so events, 4
// bytes of padding, data.
type epollEvent struct {
	events uint32
	_      uint32
	data   uint64
}

const epollEventSize = 16

func sysEventfd2(c *CPU, t *Thread) int64 {
	initval, flags := argUint(t, 0), argUint(t, 1)
	if flags&^(linux.EFD_CLOEXEC|linux.EFD_NONBLOCK|linux.EFD_SEMAPHORE) != 0 {
		return -eINVAL
	}
	sched.lock()
	defer sched.unlock()
	fd, d := openDesc(descEventfd, linux.O_RDWR|flags&(linux.EFD_NONBLOCK|linux.EFD_SEMAPHORE), flags&linux.EFD_CLOEXEC != 0)
	if fd >= 0 {
		descs[d].count = uint64(initval)
	}
	return fd
}

// eventfdRW serves read and write of desc d, an eventfd. sched is held.
func eventfdRW(c *CPU, t *Thread, d int32, write bool, buf, n uint64) int64 {
	if n < 8 {
		return -eINVAL
	}
	x := &descs[d]
	p := userU64(buf)
	const maxCount = ^uint64(0) - 1
	if write {
		v := *p
		if v == ^uint64(0) {
			return -eINVAL
		}
		if maxCount-x.count < v {
			if x.flags&linux.O_NONBLOCK != 0 {
				return -eAGAIN
			}
			return waitOn(c, t, eventfdKey(d))
		}
		x.count += v
		if v > 0 {
			wakeRestart(eventfdKey(d))
			epollNotify(d, linux.EPOLLIN)
		}
		return 8
	}
	if x.count == 0 {
		if x.flags&linux.O_NONBLOCK != 0 {
			return -eAGAIN
		}
		return waitOn(c, t, eventfdKey(d))
	}
	if x.flags&linux.EFD_SEMAPHORE != 0 {
		*p = 1
		x.count--
	} else {
		*p, x.count = x.count, 0
	}
	wakeRestart(eventfdKey(d))
	epollNotify(d, linux.EPOLLOUT)
	return 8
}

func sysEpollCreate1(c *CPU, t *Thread) int64 {
	flags := argUint(t, 0)
	if flags&^linux.EPOLL_CLOEXEC != 0 {
		return -eINVAL
	}
	sched.lock()
	defer sched.unlock()
	e := int32(-1)
	for i := range epolls {
		if !epolls[i].used {
			e = int32(i)
			break
		}
	}
	if e < 0 {
		return -eNOMEM
	}
	fd, d := openDesc(descEpoll, linux.O_RDWR, flags&linux.EPOLL_CLOEXEC != 0)
	if fd >= 0 {
		descs[d].index = e
		epolls[e] = epollInst{used: true}
	}
	return fd
}

// epollOf returns the epoll instance desc epfd names, or nil. sched held.
func epollOf(epfd int64) (*epollInst, int32) {
	x, _ := fdDesc(epfd)
	if x == nil || x.kind != descEpoll {
		return nil, -1
	}
	return &epolls[x.index], x.index
}

// readiness is the level readiness of desc d.
func readiness(d int32) uint32 {
	x := &descs[d]
	switch x.kind {
	case descEventfd:
		ev := uint32(linux.EPOLLOUT)
		if x.count > 0 {
			ev |= linux.EPOLLIN
		}
		return ev
	case descPipe:
		return pipeReadiness(x.index, x.end)
	}
	return 0
}

func sysEpollCtl(c *CPU, t *Thread) int64 {
	epfd, op, fd, evp := int64(argInt(t, 0)), argInt(t, 1), int64(argInt(t, 2)), argAddr(t, 3)
	var ev epollEvent
	if op != linux.EPOLL_CTL_DEL {
		if !validUser(evp, epollEventSize) {
			return -eFAULT
		}
		ev = *userEpollEvent(evp)
	}
	sched.lock()
	defer sched.unlock()
	ep, e := epollOf(epfd)
	x, d := fdDesc(fd)
	if ep == nil && e < 0 {
		if xe, _ := fdDesc(epfd); xe == nil {
			return -eBADF
		}
		return -eINVAL // epfd is not an epoll instance
	}
	if x == nil {
		return -eBADF
	}
	if fd == epfd {
		return -eINVAL
	}
	if x.kind != descEventfd && x.kind != descPipe {
		return -ePERM // not pollable: Go then uses blocking I/O
	}
	i := 0
	for i < ep.n && (ep.w[i].fd != int32(fd) || ep.w[i].desc != d) {
		i++
	}
	always := uint32(linux.EPOLLERR | linux.EPOLLHUP)
	switch op {
	case linux.EPOLL_CTL_ADD:
		if i < ep.n {
			return -eEXIST
		}
		if ep.n == maxWatches {
			return -eNOSPC
		}
		ep.w[ep.n] = watch{fd: int32(fd), desc: d, events: ev.events, data: ev.data,
			pending: readiness(d) & (ev.events | always)}
		ep.n++
	case linux.EPOLL_CTL_DEL:
		if i == ep.n {
			return -eNOENT
		}
		ep.n--
		ep.w[i] = ep.w[ep.n]
		ep.w[ep.n] = watch{}
		return 0
	case linux.EPOLL_CTL_MOD:
		if i == ep.n {
			return -eNOENT
		}
		ep.w[i].events, ep.w[i].data = ev.events, ev.data
		ep.w[i].pending = readiness(d) & (ev.events | always)
	default:
		return -eINVAL
	}
	epollWake(e)
	return 0
}

// epollCollect writes up to max ready events of instance e to the user
// buffer buf and returns how many; edge-triggered watches forget what
// they reported. sched is held; buf is checked.
func epollCollect(e int32, buf uint64, max int) int {
	ep := &epolls[e]
	n := 0
	always := uint32(linux.EPOLLERR | linux.EPOLLHUP)
	for i := 0; i < ep.n && n < max; i++ {
		w := &ep.w[i]
		mask := w.events | always
		var ev uint32
		if w.events&linux.EPOLLET != 0 {
			ev = w.pending & mask
			w.pending &^= ev
		} else {
			ev = readiness(w.desc) & mask
		}
		if ev == 0 {
			continue
		}
		*userEpollEvent(buf + uint64(epollEventSize*n)) = epollEvent{events: ev, data: w.data}
		n++
		if w.events&linux.EPOLLONESHOT != 0 {
			w.events &= linux.EPOLLET // disabled until EPOLL_CTL_MOD
		}
	}
	return n
}

func sysEpollPwait(c *CPU, t *Thread) int64 {
	epfd, buf, max, timeout := int64(argInt(t, 0)), argAddr(t, 1), int(argInt(t, 2)), int64(argInt(t, 3))
	if max <= 0 || max > 1<<20 {
		return -eINVAL
	}
	if !validUser(buf, uint64(epollEventSize*max)) {
		return -eFAULT
	}
	sched.lock()
	_, e := epollOf(epfd)
	if e < 0 {
		sched.unlock()
		if x := fdDescLocked(epfd); x == nil {
			return -eBADF
		}
		return -eINVAL
	}
	if n := epollCollect(e, buf, max); n > 0 || timeout == 0 {
		sched.unlock()
		return int64(n)
	}
	deadline := uint64(0)
	if timeout > 0 {
		deadline = Timebase() + uint64(timeout)*Platform.TimebaseHz/1000
	}
	block(c, t, waitEpoll, deadline, 0)
	t.futex = uintptr(e)
	t.readBuf, t.readLen = uintptr(buf), max
	return blocked
}

// fdDescLocked reports the desc of fd, taking sched.
func fdDescLocked(fd int64) *desc {
	sched.lock()
	defer sched.unlock()
	x, _ := fdDesc(fd)
	return x
}

// epollNotify posts readiness ev of desc d to the watches on it and
// wakes the waiters of the instances that have something to report.
// sched is held.
func epollNotify(d int32, ev uint32) {
	for e := range epolls {
		ep := &epolls[e]
		if !ep.used {
			continue
		}
		hit := false
		for i := 0; i < ep.n; i++ {
			if w := &ep.w[i]; w.desc == d {
				w.pending |= ev & (w.events | linux.EPOLLERR | linux.EPOLLHUP)
				hit = true
			}
		}
		if hit {
			epollWake(int32(e))
		}
	}
}

// epollWake completes the waits of instance e's waiters that now have
// events. sched is held.
func epollWake(e int32) {
	for i := int32(0); i < threadHigh; i++ {
		w := &threads[i]
		if w.state != threadBlocked || w.wait != waitEpoll || int32(w.futex) != e {
			continue
		}
		if n := epollCollect(e, uint64(w.readBuf), w.readLen); n > 0 {
			wake(i, int64(n))
		}
	}
}

// epollForget removes every watch on desc d, which is being released.
// sched is held.
func epollForget(d int32) {
	for e := range epolls {
		ep := &epolls[e]
		for i := 0; i < ep.n; {
			if ep.w[i].desc == d {
				ep.n--
				ep.w[i] = ep.w[ep.n]
				ep.w[ep.n] = watch{}
				continue
			}
			i++
		}
	}
}

// epollFree ends instance e. sched is held.
func epollFree(e int32) { epolls[e] = epollInst{} }
