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
// uses blocking I/O on them.
//
// As in Linux, the cost of a wait is the events it reports, not the
// watches: watches come from one pool, each desc lists its own watches
// (so a change of readiness touches only them), and each instance keeps
// a ready list of the watches that may have something to report. A
// level-triggered watch stays on its ready list while it reports;
// others leave it once reported. sched guards everything here.

const (
	maxEpolls  = 64
	maxWatches = 4096 // in all instances (Linux's max_user_watches, scaled down)
)

type watch struct {
	ep       int32 // instance, or -1: free
	fd       int32
	desc     int32
	events   uint32
	pending  uint32 // edge-triggered: readiness posted since last reported
	queued   bool   // on its instance's ready list
	data     uint64
	nextDesc int32 // next watch on the same desc, index+1
	nextEp   int32 // next watch of the same instance, index+1
	nextRdy  int32 // next on the ready list, index+1
}

type epollInst struct {
	used     bool
	watches  int32 // list of its watches, index+1
	rdyHead  int32 // ready list, index+1
	rdyTail  int32
	nWatches int32
	waiters  int32 // threads blocked in epoll_pwait on it (resume counts them out)
}

var (
	epolls    [maxEpolls]epollInst
	watches   [maxWatches]watch
	freeWatch int32 // free list through nextEp, index+1; 0: take from watchHigh
	watchHigh int32 // watches below this have been used
	// descWatches lists each desc's watches (index+1), parallel to descs.
	descWatches [maxDescs]int32
)

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
	defer releaseSched(c)
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
	defer releaseSched(c)
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
	case descSocket:
		return sockReadiness(x.index)
	}
	return 0
}

// always are the events every watch reports, asked for or not.
const always = uint32(linux.EPOLLERR | linux.EPOLLHUP)

// findWatch returns instance e's watch of (fd, d), or -1.
func findWatch(e int32, fd int64, d int32) int32 {
	for k := descWatches[d]; k != 0; k = watches[k-1].nextDesc {
		if w := &watches[k-1]; w.ep == e && w.fd == int32(fd) {
			return k - 1
		}
	}
	return -1
}

// newWatch takes a free watch, or -1.
func newWatch() int32 {
	if freeWatch != 0 {
		i := freeWatch - 1
		freeWatch = watches[i].nextEp
		return i
	}
	if watchHigh < maxWatches {
		watchHigh++
		return watchHigh - 1
	}
	return -1
}

// queueWatch puts watch i on its instance's ready list, if it is not.
func queueWatch(i int32) {
	w := &watches[i]
	if w.queued {
		return
	}
	ep := &epolls[w.ep]
	w.queued, w.nextRdy = true, 0
	if ep.rdyTail == 0 {
		ep.rdyHead = i + 1
	} else {
		watches[ep.rdyTail-1].nextRdy = i + 1
	}
	ep.rdyTail = i + 1
}

// unlinkWatch removes watch i from the list at head through the link
// next returns.
func unlinkWatch(head *int32, i int32, next func(*watch) *int32) {
	for p := head; *p != 0; p = next(&watches[*p-1]) {
		if *p == i+1 {
			*p = *next(&watches[i])
			return
		}
	}
}

func descLink(w *watch) *int32 { return &w.nextDesc }
func epLink(w *watch) *int32   { return &w.nextEp }

// dropWatch removes watch i from its desc, its instance and its ready
// list, and frees it.
func dropWatch(i int32) {
	w := &watches[i]
	ep := &epolls[w.ep]
	unlinkWatch(&descWatches[w.desc], i, descLink)
	unlinkWatch(&ep.watches, i, epLink)
	if w.queued {
		prev := int32(0)
		for k := ep.rdyHead; k != 0; k = watches[k-1].nextRdy {
			if k == i+1 {
				if prev == 0 {
					ep.rdyHead = w.nextRdy
				} else {
					watches[prev-1].nextRdy = w.nextRdy
				}
				if ep.rdyTail == i+1 {
					ep.rdyTail = prev
				}
				break
			}
			prev = k
		}
	}
	ep.nWatches--
	*w = watch{ep: -1, nextEp: freeWatch}
	freeWatch = i + 1
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
	defer releaseSched(c)
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
	if x.kind != descEventfd && x.kind != descPipe && x.kind != descSocket {
		return -ePERM // not pollable: Go then uses blocking I/O
	}
	i := findWatch(e, fd, d)
	switch op {
	case linux.EPOLL_CTL_ADD:
		if i >= 0 {
			return -eEXIST
		}
		if i = newWatch(); i < 0 {
			return -eNOSPC
		}
		watches[i] = watch{ep: e, fd: int32(fd), desc: d, events: ev.events, data: ev.data,
			nextDesc: descWatches[d], nextEp: ep.watches}
		descWatches[d], ep.watches = i+1, i+1
		ep.nWatches++
	case linux.EPOLL_CTL_DEL:
		if i < 0 {
			return -eNOENT
		}
		dropWatch(i)
		return 0
	case linux.EPOLL_CTL_MOD:
		if i < 0 {
			return -eNOENT
		}
		watches[i].events, watches[i].data = ev.events, ev.data
	default:
		return -eINVAL
	}
	// A new or changed watch reports the current readiness once.
	w := &watches[i]
	if w.pending = readiness(d) & (w.events | always); w.pending != 0 {
		queueWatch(i)
		epollWake(e)
	}
	return 0
}

// epollCollect writes up to max ready events of instance e to the user
// buffer buf and returns how many. It walks only the ready list: an
// edge-triggered watch reports what was posted and leaves the list, a
// level-triggered one reports its current readiness and stays while it
// has some (behind the others, so that every ready watch is reported in
// turn), a one-shot watch is disabled once reported. sched is held; buf
// is checked.
func epollCollect(e int32, buf uint64, max int) int {
	ep := &epolls[e]
	n := 0
	// Each watch on the list is looked at once: those that stay go to
	// the back, behind the mark.
	left := 0
	for k := ep.rdyHead; k != 0; k = watches[k-1].nextRdy {
		left++
	}
	for ; left > 0 && n < max; left-- {
		i := ep.rdyHead - 1
		w := &watches[i]
		ep.rdyHead = w.nextRdy
		if ep.rdyHead == 0 {
			ep.rdyTail = 0
		}
		w.queued, w.nextRdy = false, 0
		mask := w.events | always
		if w.events&^linux.EPOLLET == 0 {
			mask = 0 // disabled (a reported one-shot)
		}
		var ev uint32
		if w.events&linux.EPOLLET != 0 {
			ev = w.pending & mask
		} else {
			ev = readiness(w.desc) & mask
		}
		w.pending = 0
		if ev == 0 {
			continue
		}
		*userEpollEvent(buf + uint64(epollEventSize*n)) = epollEvent{events: ev, data: w.data}
		n++
		switch {
		case w.events&linux.EPOLLONESHOT != 0:
			w.events &= linux.EPOLLET // disabled until EPOLL_CTL_MOD
		case w.events&linux.EPOLLET == 0:
			queueWatch(i) // level-triggered: reported again while ready
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
	epolls[e].waiters++
	return blocked
}

// fdDescLocked reports the desc of fd, taking sched.
func fdDescLocked(fd int64) *desc {
	sched.lock()
	defer sched.unlock()
	x, _ := fdDesc(fd)
	return x
}

// epollNotify posts readiness ev of desc d to the watches on it, queues
// those that now have something to report and wakes their instances'
// waiters. sched is held.
func epollNotify(d int32, ev uint32) {
	for k := descWatches[d]; k != 0; k = watches[k-1].nextDesc {
		w := &watches[k-1]
		if got := ev & (w.events | always); got != 0 {
			w.pending |= got
			queueWatch(k - 1)
			epollWake(w.ep)
		}
	}
}

// epollWake completes the waits of instance e's waiters that now have
// events. sched is held.
func epollWake(e int32) {
	ep := &epolls[e]
	for i := int32(0); i < threadHigh && ep.waiters > 0 && ep.rdyHead != 0; i++ {
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
	for descWatches[d] != 0 {
		dropWatch(descWatches[d] - 1)
	}
}

// epollFree ends instance e and its watches. sched is held.
func epollFree(e int32) {
	for epolls[e].watches != 0 {
		dropWatch(epolls[e].watches - 1)
	}
	epolls[e] = epollInst{}
}
