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

type pipe struct {
	used             bool
	readers, writers int32  // descs of each end
	r, n             int    // ring: start and bytes held
	frame            uint64 // the ring's frame
}

// ring is the pipe's buffer.
func (p *pipe) ring() []byte { return physBytes(p.frame, pipeSize) }

var pipes [maxPipes]pipe

// Wait keys of a pipe's blocked readers and writers (see waitOn).
func pipeKey(i int32, end uint8) uintptr { return pipeAddr(i) + uintptr(end) }

func sysPipe2(c *CPU, t *Thread) int64 {
	fds, flags := argAddr(t, 0), argUint(t, 1)
	if flags&^(linux.O_CLOEXEC|linux.O_NONBLOCK|linux.O_DIRECT) != 0 {
		return -eINVAL
	}
	if !validUser(fds, 8) {
		return -eFAULT
	}
	sched.lock()
	defer sched.unlock()
	p := int32(-1)
	for i := range pipes {
		if !pipes[i].used {
			p = int32(i)
			break
		}
	}
	if p < 0 {
		return -eNFILE
	}
	memLock.lock()
	frame, ok := phys.Alloc(1, 0, nil)
	memLock.unlock()
	if !ok {
		return -eNOMEM
	}
	cloexec, status := flags&linux.O_CLOEXEC != 0, flags&linux.O_NONBLOCK
	freeFrame := func() {
		memLock.lock()
		phys.Free(frame, pipeSize)
		memLock.unlock()
	}
	rfd, rd := openDesc(descPipe, linux.O_RDONLY|status, cloexec)
	if rfd < 0 {
		freeFrame()
		return rfd
	}
	wfd, wd := openDesc(descPipe, linux.O_WRONLY|status, cloexec)
	if wfd < 0 {
		dropFD(rfd)
		descs[rd] = desc{}
		freeFrame()
		return wfd
	}
	descs[rd].index, descs[rd].end = p, 0
	descs[wd].index, descs[wd].end = p, 1
	pipes[p] = pipe{used: true, readers: 1, writers: 1, frame: frame}
	*userU32(fds), *userU32(fds + 4) = uint32(rfd), uint32(wfd)
	return 0
}

// pipeRead reads up to n bytes into buf from the pipe of read-end desc d.
// sched is held; buf is checked.
func pipeRead(c *CPU, t *Thread, d int32, buf, n uint64) int64 {
	x := &descs[d]
	p := &pipes[x.index]
	if n == 0 {
		return 0
	}
	if p.n == 0 {
		switch {
		case p.writers == 0:
			return 0 // end of file
		case x.flags&linux.O_NONBLOCK != 0:
			return -eAGAIN
		}
		return waitOn(c, t, pipeKey(x.index, 0))
	}
	wasFull := p.n == pipeSize
	k := int(min(n, uint64(p.n)))
	dst, ring := user(buf, k), p.ring()
	first := copy(dst, ring[p.r:min(p.r+k, pipeSize)])
	copy(dst[first:], ring[:k-first])
	p.r = (p.r + k) % pipeSize
	p.n -= k
	if p.n == 0 {
		p.r = 0
	}
	wakeRestart(pipeKey(x.index, 1))
	if wasFull || p.n < pipeSize {
		pipeNotify(x.index, 1, linux.EPOLLOUT)
	}
	return int64(k)
}

// pipeWrite writes up to n bytes of buf into the pipe of write-end desc
// d. sched is held; buf is checked.
func pipeWrite(c *CPU, t *Thread, d int32, buf, n uint64) int64 {
	x := &descs[d]
	p := &pipes[x.index]
	if p.readers == 0 {
		sched.unlock()
		signalThread(int32(c.current), sigPipe)
		sched.lock()
		return -int64(linux.EPIPE)
	}
	if n == 0 {
		return 0
	}
	space := pipeSize - p.n
	need := 1
	if n <= pipeBuf {
		need = int(n) // atomic
	}
	if space < need {
		if x.flags&linux.O_NONBLOCK != 0 {
			return -eAGAIN
		}
		return waitOn(c, t, pipeKey(x.index, 1))
	}
	k := int(min(n, uint64(space)))
	src, ring := user(buf, k), p.ring()
	w := (p.r + p.n) % pipeSize
	first := copy(ring[w:], src)
	copy(ring, src[first:])
	p.n += k
	wakeRestart(pipeKey(x.index, 0))
	pipeNotify(x.index, 0, linux.EPOLLIN)
	return int64(k)
}

// pipeRelease drops an end of pipe i, whose desc is being released.
// sched is held.
func pipeRelease(i int32, end uint8) {
	p := &pipes[i]
	if end == 0 {
		p.readers--
		if p.readers == 0 {
			wakeRestart(pipeKey(i, 1)) // writers now see EPIPE
			pipeNotify(i, 1, linux.EPOLLERR|linux.EPOLLOUT)
		}
	} else {
		p.writers--
		if p.writers == 0 {
			wakeRestart(pipeKey(i, 0)) // readers now see end of file
			pipeNotify(i, 0, linux.EPOLLIN|linux.EPOLLHUP|linux.EPOLLRDHUP)
		}
	}
	if p.readers == 0 && p.writers == 0 {
		memLock.lock()
		phys.Free(p.frame, pipeSize)
		memLock.unlock()
		*p = pipe{}
	}
}

// pipeReadiness is the level readiness of a pipe end (for epoll).
func pipeReadiness(i int32, end uint8) uint32 {
	p := &pipes[i]
	var ev uint32
	if end == 0 {
		if p.n > 0 {
			ev |= linux.EPOLLIN
		}
		if p.writers == 0 {
			ev |= linux.EPOLLIN | linux.EPOLLHUP | linux.EPOLLRDHUP
		}
		return ev
	}
	if p.n < pipeSize {
		ev |= linux.EPOLLOUT
	}
	if p.readers == 0 {
		ev |= linux.EPOLLERR | linux.EPOLLOUT
	}
	return ev
}

// pipeNotify tells the epoll instances watching an end of pipe i.
func pipeNotify(i int32, end uint8, ev uint32) {
	for d := int32(0); d < maxDescs; d++ {
		if x := &descs[d]; x.kind == descPipe && x.index == i && x.end == end {
			epollNotify(d, ev)
		}
	}
}

// pipeStat fills a stat for a pipe end: a FIFO of the pipe file system.
func pipeStat(i int32) statInfo {
	return statInfo{dev: 0xc, ino: uint64(1000 + i), mode: linux.S_IFIFO | 0o600, nlink: 1, blksize: 4096}
}
