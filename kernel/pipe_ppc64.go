package kernel

import (
	"k42/kernel/frames"
	"k42/kernel/linux"
)

// Pipes, served in the trap layer: a pipe is a ring buffer of one 64 KiB
// frame (Linux's default capacity), taken when the pipe is made and
// freed with its last end, and its two ends are descs. A read of an empty pipe and a write to a full one
// block (unless O_NONBLOCK, which Go's os.Pipe sets, using the poller
// instead); the blocked call is restarted when the other end makes
// progress, so it sees the new state from the start. Writes of up to
// PIPE_BUF bytes are atomic. The last writer's close is end of file for
// readers; writing with no reader left is EPIPE and SIGPIPE. Every change
// of a pipe's state is told to the epoll instances watching its ends
// (epollNotify). sched guards pipes.

const (
	maxPipes = 512
	pipeSize = frames.Size
	pipeBuf  = 4096 // PIPE_BUF: writes up to this size are atomic
)

// Pipe ends, as a pipe desc's end.
const (
	endRead  uint8 = iota // the read end
	endWrite              // the write end
	endBoth               // a FIFO opened O_RDWR: both ends at once
)

type pipe struct {
	used             bool
	readers, writers int32    // descs of each end (an endBoth desc counts in both)
	fifo             uint64   // a FIFO's identity (its inode number); 0: anonymous
	sock             [2]int32 // a socket's ring: the sockets (index+1) holding its read and write ends
	r, n             int      // ring: start and bytes held
	frame            uint64   // the ring's first frame
	size             int      // the ring's bytes: pipeSize, or sockRing for a socket
}

// ring is the pipe's buffer.
func (p *pipe) ring() []byte { return physBytes(p.frame, uint64(p.size)) }

var pipes [maxPipes]pipe

// Wait keys of a pipe's blocked readers and writers (see waitOn), and of
// a FIFO's opens waiting for the other end (end+2).
func pipeKey(i int32, end uint8) uintptr { return pipeAddr(i) + uintptr(end) }

// newPipe takes a free pipe with a ring of pipeSize bytes: its index, or
// -errno. sched is held.
func newPipe() int32 { return newRing(pipeSize) }

// newRing takes a free pipe with a ring of size bytes (a multiple of the
// frame size): its index, or -errno. sched is held.
func newRing(size int) int32 {
	p := int32(-1)
	for i := range pipes {
		if !pipes[i].used {
			p = int32(i)
			break
		}
	}
	if p < 0 {
		return -int32(linux.ENFILE)
	}
	memLock.lock()
	frame, ok := phys.Alloc(frames.Frames(uint64(size)), 0, nil)
	memLock.unlock()
	if !ok {
		return -int32(linux.ENOMEM)
	}
	pipes[p] = pipe{used: true, frame: frame, size: size}
	return p
}

// fifoEnd is the end an open of a FIFO with flags takes.
func fifoEnd(flags uint32) uint8 {
	switch flags & linux.O_ACCMODE {
	case linux.O_RDONLY:
		return endRead
	case linux.O_WRONLY:
		return endWrite
	}
	return endBoth
}

// fifoAttach serves ServeFifo: it counts an open with flags of the FIFO
// key on the FIFO's pipe, made if it has none, and returns the pipe, or
// -errno. Opens of the other end that wait are woken. sched is held.
func fifoAttach(key uint64, flags uint32) int64 {
	if key == 0 {
		return -eINVAL
	}
	end := fifoEnd(flags)
	p := int32(-1)
	for i := range pipes {
		if pipes[i].used && pipes[i].fifo == key {
			p = int32(i)
			break
		}
	}
	if p < 0 {
		if end == endWrite && flags&linux.O_NONBLOCK != 0 {
			return -int64(linux.ENXIO) // no reader, and none can be waited for
		}
		if p = newPipe(); p < 0 {
			return int64(p)
		}
		pipes[p].fifo = key
	}
	x := &pipes[p]
	if end == endWrite && flags&linux.O_NONBLOCK != 0 && x.readers == 0 {
		return -int64(linux.ENXIO)
	}
	if end != endWrite {
		if x.readers++; x.readers == 1 {
			fifoWake(p, endWrite)
			pipeNotify(p, endWrite, linux.EPOLLOUT)
		}
	}
	if end != endRead {
		if x.writers++; x.writers == 1 {
			fifoWake(p, endRead)
		}
	}
	return int64(p)
}

// fifoConnect makes desc d, the new descriptor of caller's open of a
// FIFO (fd), an end of pipe p (attached by fifoAttach) that keeps the
// server's handle for the node. It reports whether the open must wait
// for the other end: the caller then waits with its result (the new fd)
// already set, until fifoWake. sched is held.
func fifoConnect(caller int32, fd int64, d, handle, p int32) bool {
	x := &descs[d]
	x.kind, x.index, x.end, x.fifo = descPipe, p, fifoEnd(x.flags), handle+1
	if x.flags&linux.O_NONBLOCK != 0 {
		return false
	}
	switch {
	case x.end == endRead && pipes[p].writers == 0, x.end == endWrite && pipes[p].readers == 0:
		ct := &threads[caller]
		setReturn(&ct.Ctx, fd)
		ct.wait, ct.futex = waitFifo, pipeKey(p, x.end+2)
		futexLink(caller)
		return true
	}
	return false
}

// fifoWake completes the opens of end of FIFO pipe p that wait for the
// other end, which has now come. sched is held.
func fifoWake(p int32, end uint8) {
	key := pipeKey(p, end+2)
	b := futexBucket(key)
	for k := futexHead[b]; k != 0; {
		i := k - 1
		k = threads[i].futexNext
		if w := &threads[i]; w.state == threadBlocked && w.wait == waitFifo && w.futex == key {
			resume(i) // its result is already set
		}
	}
}

func sysPipe2(c *CPU, t *Thread) int64 {
	fds, flags := argAddr(t, 0), argUint(t, 1)
	if flags&^(linux.O_CLOEXEC|linux.O_NONBLOCK|linux.O_DIRECT) != 0 {
		return -eINVAL
	}
	if !validUser(fds, 8) {
		return -eFAULT
	}
	sched.lock()
	defer releaseSched(c)
	p := newPipe()
	if p < 0 {
		return int64(p)
	}
	cloexec, status := flags&linux.O_CLOEXEC != 0, flags&linux.O_NONBLOCK
	rfd, rd := openDesc(descPipe, linux.O_RDONLY|status, cloexec)
	if rfd < 0 {
		pipeFree(p)
		return rfd
	}
	wfd, wd := openDesc(descPipe, linux.O_WRONLY|status, cloexec)
	if wfd < 0 {
		dropFD(rfd)
		descs[rd] = desc{}
		pipeFree(p)
		return wfd
	}
	descs[rd].index, descs[rd].end = p, endRead
	descs[wd].index, descs[wd].end = p, endWrite
	pipes[p].readers, pipes[p].writers = 1, 1
	*userU32(fds), *userU32(fds + 4) = uint32(rfd), uint32(wfd)
	return 0
}

// pipeRead reads up to n bytes into buf from the pipe of read-end desc d.
// sched is held; buf is checked.
func pipeRead(c *CPU, t *Thread, d int32, buf, n uint64) int64 {
	x := &descs[d]
	return ringRead(c, t, x.index, x.flags&linux.O_NONBLOCK != 0, buf, n, false)
}

// pipeWrite writes up to n bytes of buf into the pipe of write-end desc
// d. sched is held; buf is checked.
func pipeWrite(c *CPU, t *Thread, d int32, buf, n uint64) int64 {
	x := &descs[d]
	return ringWrite(c, t, x.index, x.flags&linux.O_NONBLOCK != 0, buf, n, true)
}

// emptyRing is a read's answer on empty ring i: end of file once no
// writer is left, else EAGAIN if nonblock or a restartable wait. sched
// is held.
func emptyRing(c *CPU, t *Thread, i int32, nonblock bool) int64 {
	switch {
	case pipes[i].writers == 0:
		return 0
	case nonblock:
		return -eAGAIN
	}
	return waitOn(c, t, pipeKey(i, endRead))
}

// ringRead reads up to n bytes into buf from pipe i (a pipe's, a FIFO's
// or a stream socket's ring): what is there, end of file once no writer
// is left, else EAGAIN if nonblock or a restartable wait. peek leaves the
// bytes in the ring. sched is held; buf is checked.
func ringRead(c *CPU, t *Thread, i int32, nonblock bool, buf, n uint64, peek bool) int64 {
	p := &pipes[i]
	if n == 0 {
		return 0
	}
	if p.n == 0 {
		return emptyRing(c, t, i, nonblock)
	}
	wasFull := p.n == p.size
	k := int(min(n, uint64(p.n)))
	dst, ring := user(buf, k), p.ring()
	first := copy(dst, ring[p.r:min(p.r+k, p.size)])
	copy(dst[first:], ring[:k-first])
	if peek {
		return int64(k)
	}
	p.r = (p.r + k) % p.size
	p.n -= k
	if p.n == 0 {
		p.r = 0
	}
	wakeRestart(pipeKey(i, endWrite))
	if wasFull || p.n < p.size {
		pipeNotify(i, endWrite, linux.EPOLLOUT)
	}
	return int64(k)
}

// brokenPipe is a write's answer when no one can read what it writes:
// SIGPIPE for the writing thread (unless sigpipe is false: MSG_NOSIGNAL)
// and EPIPE. sched is held (and dropped while the signal is sent).
func brokenPipe(c *CPU, sigpipe bool) int64 {
	if sigpipe {
		sched.unlock()
		signalThread(int32(c.current), sigPipe)
		sched.lock()
	}
	return -int64(linux.EPIPE)
}

// ringWrite writes up to n bytes of buf into pipe i: at once as many as
// fit (all of at most PIPE_BUF bytes, or none), else EAGAIN if nonblock
// or a restartable wait; EPIPE, and SIGPIPE if sigpipe, when no reader is
// left. sched is held; buf is checked.
func ringWrite(c *CPU, t *Thread, i int32, nonblock bool, buf, n uint64, sigpipe bool) int64 {
	p := &pipes[i]
	if p.readers == 0 {
		return brokenPipe(c, sigpipe)
	}
	if n == 0 {
		return 0
	}
	space := p.size - p.n
	need := 1
	if n <= pipeBuf {
		need = int(n) // atomic
	}
	if space < need {
		if nonblock {
			return -eAGAIN
		}
		return waitOn(c, t, pipeKey(i, endWrite))
	}
	k := int(min(n, uint64(space)))
	src, ring := user(buf, k), p.ring()
	w := (p.r + p.n) % p.size
	first := copy(ring[w:], src)
	copy(ring, src[first:])
	p.n += k
	wakeRestart(pipeKey(i, endRead))
	pipeNotify(i, endRead, linux.EPOLLIN)
	return int64(k)
}

// pipeRelease drops an end of pipe i, whose desc is being released.
// sched is held.
func pipeRelease(i int32, end uint8) {
	p := &pipes[i]
	if end != endWrite {
		p.readers--
		if p.readers == 0 {
			wakeRestart(pipeKey(i, endWrite)) // writers now see EPIPE
			pipeNotify(i, endWrite, linux.EPOLLERR|linux.EPOLLOUT)
		}
	}
	if end != endRead {
		p.writers--
		if p.writers == 0 {
			wakeRestart(pipeKey(i, endRead)) // readers now see end of file
			pipeNotify(i, endRead, linux.EPOLLIN|linux.EPOLLHUP|linux.EPOLLRDHUP)
		}
	}
	if p.readers == 0 && p.writers == 0 {
		pipeFree(i)
	}
}

// pipeFree frees pipe i and its ring. sched is held.
func pipeFree(i int32) {
	memLock.lock()
	phys.Free(pipes[i].frame, uint64(pipes[i].size))
	memLock.unlock()
	pipes[i] = pipe{}
}

// pipeReadiness is the level readiness of a pipe end (for epoll).
func pipeReadiness(i int32, end uint8) uint32 {
	p := &pipes[i]
	var ev uint32
	if end != endWrite {
		if p.n > 0 {
			ev |= linux.EPOLLIN
		}
		if p.writers == 0 {
			ev |= linux.EPOLLIN | linux.EPOLLHUP | linux.EPOLLRDHUP
		}
	}
	if end != endRead {
		if p.n < p.size {
			ev |= linux.EPOLLOUT
		}
		if p.readers == 0 {
			ev |= linux.EPOLLERR | linux.EPOLLOUT
		}
	}
	return ev
}

// pipeNotify tells the epoll instances watching an end of pipe i (and
// those watching a desc that is both ends).
func pipeNotify(i int32, end uint8, ev uint32) {
	if s := pipes[i].sock[min(end, endWrite)]; s != 0 {
		// A socket's ring: the socket's desc is told (a datagram socket
		// holds both ends of its queue).
		if d := sockets[s-1].desc; d >= 0 {
			if end == endWrite && pipes[i].readers == 0 {
				ev |= linux.EPOLLHUP
			}
			epollNotify(d, ev)
		}
		return
	}
	for d := int32(0); d < maxDescs; d++ {
		if x := &descs[d]; x.kind == descPipe && x.index == i && (x.end == end || x.end == endBoth) {
			epollNotify(d, ev)
		}
	}
}

// pipeStat fills a stat for an anonymous pipe's end: a FIFO of the pipe
// file system. (A FIFO's descriptor is stat'ed by its server.)
func pipeStat(i int32) statInfo {
	return statInfo{dev: 0xc, ino: uint64(1000 + i), mode: linux.S_IFIFO | 0o600, nlink: 1, blksize: 4096}
}
