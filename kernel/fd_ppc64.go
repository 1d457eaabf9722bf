package kernel

// File descriptors beyond the terminals: eventfds and epoll instances,
// which the Go runtime's network poller needs (its timers initialise it).
// Guarded by sched.

const (
	maxFDs     = 64
	maxWatches = 8
)

// Descriptor kinds.
const (
	fdFree uint8 = iota
	fdTerminal
	fdEventfd
	fdEpoll
)

const (
	oNonblock = 0x800
	epollIn   = 0x1
)

type watch struct {
	fd     int32
	events uint32
	data   uint64
}

type fdEntry struct {
	kind     uint8
	nonblock bool
	count    uint64 // eventfd counter
	watches  [maxWatches]watch
	nwatch   int
}

var fds = [maxFDs]fdEntry{0: {kind: fdTerminal}, 1: {kind: fdTerminal}, 2: {kind: fdTerminal}}

func fdGet(fd uint64, kind uint8) *fdEntry {
	if fd >= maxFDs || fds[fd].kind != kind {
		return nil
	}
	return &fds[fd]
}

func fdAlloc(kind uint8) int64 {
	for i := 3; i < maxFDs; i++ {
		if fds[i].kind == fdFree {
			fds[i] = fdEntry{kind: kind}
			return int64(i)
		}
	}
	return -eMFILE
}

// epoll_event on ppc64 is not packed: events, 4 bytes of padding, data.
type epollEvent struct {
	events uint32
	_      uint32
	data   uint64
}

// fdKind returns the kind of descriptor fd.
func fdKind(fd uint64) uint8 {
	if fd >= maxFDs {
		return fdFree
	}
	return fds[fd].kind
}

func closeFD(fd uint64) int64 {
	sched.lock()
	defer sched.unlock()
	switch fdKind(fd) {
	case fdTerminal:
		return 0 // the terminals stay open
	case fdEventfd, fdEpoll:
		fds[fd] = fdEntry{}
		return 0
	}
	return -eBADF
}
