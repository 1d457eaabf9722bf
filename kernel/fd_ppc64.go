package kernel

import "k42/kernel/linux"

// The process's descriptor table. A descriptor (an fd) names an open
// file description (a desc): dup shares a desc, close drops the fd's
// reference, and the desc is released when its last fd goes. A desc is
// one of:
//
//   - a terminal (fds 0, 1 and 2 at boot: the console's input, the
//     program's output terminal, the console);
//   - an eventfd or an epoll instance (sys_poll_ppc64.go), which the Go
//     runtime's poller needs;
//   - a loopback socket (socket_ppc64.go);
//   - one end of a pipe (pipe_ppc64.go), or of a FIFO's pipe, whose desc
//     also holds the server's handle for the FIFO's node (for fstat and
//     the like);
//   - a file of the file system, served by the file-system servers
//     (serve_ppc64.go): the desc holds the server's handle for it, and
//     the server holds the file's offset and state.
//
// Descriptor flags (FD_CLOEXEC) belong to the fd; status flags
// (O_NONBLOCK, O_APPEND) and the access mode to the desc. sched guards
// all of it.

const (
	maxFDs   = 4096 // RLIMIT_NOFILE's hard limit (Go raises the soft one to it)
	maxDescs = 4096
)

// Desc kinds.
const (
	descFree uint8 = iota
	descTerminal
	descEventfd
	descEpoll
	descPipe
	descFile
	descBoot   // a file of the initial RAM archive, opened before the file system (bootfs_ppc64.go)
	descSocket // a loopback socket (socket_ppc64.go)
)

// Terminals, as a terminal desc's index.
const (
	termIn  = iota // the console's input (fd 0)
	termOut        // the program's output terminal (fd 1)
	termErr        // the program's error terminal (fd 2)
)

type fdSlot struct {
	desc     int32 // index+1 into descs; 0: the fd is free
	cloexec  bool
	reserved bool // taken by an open in flight (the server has not answered)
}

type desc struct {
	kind  uint8
	end   uint8  // a pipe's end: endRead, endWrite or endBoth (a FIFO opened O_RDWR)
	fifo  int32  // a FIFO's desc: the server's handle for its node, plus one; 0: an anonymous pipe
	flags uint32 // access mode and status flags (O_NONBLOCK, O_APPEND, ...)
	refs  int32  // fds naming it
	index int32  // the terminal, epoll instance, pipe or server handle
	count uint64 // an eventfd's counter
}

// The table, statically initialised: the runtime's first system calls
// (fcntl on fds 0 to 2) come before any initialiser runs.
var (
	fdt   = [maxFDs]fdSlot{0: {desc: 1}, 1: {desc: 2}, 2: {desc: 3}}
	descs = [maxDescs]desc{
		0: {kind: descTerminal, index: termIn, flags: linux.O_RDONLY, refs: 1},
		1: {kind: descTerminal, index: termOut, flags: linux.O_WRONLY, refs: 1},
		2: {kind: descTerminal, index: termErr, flags: linux.O_WRONLY, refs: 1},
	}
)

// fdDesc returns the desc of fd and its index, or nil. sched must be held.
func fdDesc(fd int64) (*desc, int32) {
	if fd < 0 || fd >= maxFDs || fdt[fd].desc == 0 || fdt[fd].reserved {
		return nil, -1
	}
	i := fdt[fd].desc - 1
	return &descs[i], i
}

// newDesc takes a free desc. sched must be held.
func newDesc(kind uint8, flags uint32) (int32, bool) {
	for i := int32(0); i < maxDescs; i++ {
		if descs[i].kind == descFree {
			descs[i] = desc{kind: kind, flags: flags}
			return i, true
		}
	}
	return -1, false
}

// lowestFD returns the lowest free fd at or above from, or -1.
func lowestFD(from int64) int64 {
	for fd := max(from, 0); fd < maxFDs; fd++ {
		if fdt[fd].desc == 0 && !fdt[fd].reserved {
			return fd
		}
	}
	return -1
}

// installFD makes the lowest free fd name desc d. sched must be held.
func installFD(d int32, cloexec bool) int64 {
	fd := lowestFD(0)
	if fd < 0 {
		return -eMFILE
	}
	fdt[fd] = fdSlot{desc: d + 1, cloexec: cloexec}
	descs[d].refs++
	return fd
}

// openDesc makes a new desc and an fd for it, or fails with EMFILE or
// ENFILE. sched must be held.
func openDesc(kind uint8, flags uint32, cloexec bool) (int64, int32) {
	fd := lowestFD(0)
	if fd < 0 {
		return -eMFILE, -1
	}
	d, ok := newDesc(kind, flags)
	if !ok {
		return -eNFILE, -1
	}
	fdt[fd] = fdSlot{desc: d + 1, cloexec: cloexec}
	descs[d].refs = 1
	return fd, d
}

// dropFD frees fd and drops its reference; it returns the desc if that
// was the last reference (the caller then releases it). sched must be
// held.
func dropFD(fd int64) (int32, bool) {
	d := fdt[fd].desc - 1
	fdt[fd] = fdSlot{}
	descs[d].refs--
	return d, descs[d].refs == 0
}

// servedHandle returns the server's handle behind desc x (a file's, or a
// FIFO's node), or -1 if no server holds anything for it.
func servedHandle(x *desc) int32 {
	switch {
	case x.kind == descFile:
		return x.index
	case x.kind == descPipe && x.fifo != 0:
		return x.fifo - 1
	}
	return -1
}

// releaseLocal ends what the trap layer holds for a desc whose last fd
// has gone: an epoll instance, a pipe end, epoll watches of it. sched
// must be held.
func releaseLocal(d int32) {
	x := &descs[d]
	switch x.kind {
	case descEpoll:
		epollFree(x.index)
	case descPipe:
		pipeRelease(x.index, x.end)
	case descSocket:
		sockRelease(x.index)
	}
	epollForget(d)
}

// releaseDesc ends a desc whose last fd has gone and that no server
// holds anything for. A desc with a served handle is released by its
// server (serve_ppc64.go), so the caller forwards that after
// releaseLocal. sched must be held.
func releaseDesc(d int32) {
	releaseLocal(d)
	descs[d] = desc{}
}

func sysClose(c *CPU, t *Thread) int64 {
	fd := int64(argInt(t, 0))
	sched.lock()
	x, _ := fdDesc(fd)
	if x == nil {
		sched.unlock()
		return -eBADF
	}
	d, last := dropFD(fd)
	if !last {
		sched.unlock()
		return 0
	}
	if servedHandle(&descs[d]) >= 0 {
		// The server releases its file; the desc is freed when it answers.
		releaseLocal(d)
		return forwardRelease(c, t, d, 0)
	}
	releaseDesc(d)
	sched.unlock()
	return 0
}

func sysDup(c *CPU, t *Thread) int64 {
	fd := int64(argInt(t, 0))
	sched.lock()
	defer releaseSched(c)
	_, d := fdDesc(fd)
	if d < 0 {
		return -eBADF
	}
	return installFD(d, false)
}

// sysDup3 serves dup3 and dup2 (dup2: flags ^0, and dup2 of an fd onto
// itself succeeds).
func sysDup3(c *CPU, t *Thread) int64 {
	old, nfd, flags := int64(argInt(t, 0)), int64(argInt(t, 1)), argUint(t, 2)
	dup2 := t.Ctx.GPR[0] == linux.SYS_DUP2
	if !dup2 && flags&^linux.O_CLOEXEC != 0 {
		return -eINVAL
	}
	sched.lock()
	_, d := fdDesc(old)
	if d < 0 {
		sched.unlock()
		return -eBADF
	}
	if nfd < 0 || nfd >= maxFDs {
		sched.unlock()
		return -eBADF
	}
	if old == nfd {
		sched.unlock()
		if dup2 {
			return nfd
		}
		return -eINVAL
	}
	if fdt[nfd].reserved {
		sched.unlock()
		return -eBUSY
	}
	var released int32 = -1
	if fdt[nfd].desc != 0 {
		if od, last := dropFD(nfd); last {
			if servedHandle(&descs[od]) >= 0 {
				releaseLocal(od)
				released = od
			} else {
				releaseDesc(od)
			}
		}
	}
	fdt[nfd] = fdSlot{desc: d + 1, cloexec: !dup2 && flags&linux.O_CLOEXEC != 0}
	descs[d].refs++
	if released >= 0 {
		// The replaced fd was a file's last: its server releases it, and
		// the caller's result is the new fd.
		return forwardRelease(c, t, released, nfd)
	}
	sched.unlock()
	return nfd
}

func sysFcntl(c *CPU, t *Thread) int64 {
	fd, cmd, a := int64(argInt(t, 0)), argInt(t, 1), arg(t, 2)
	if cmd == linux.F_GETLK && !validUser(a, 32) {
		return -eFAULT
	}
	sched.lock()
	x, d := fdDesc(fd)
	if x == nil {
		sched.unlock()
		return -eBADF
	}
	if cmd == linux.F_SETFL {
		// Only O_APPEND and O_NONBLOCK change (and O_DIRECT and
		// O_NOATIME, which the kernel keeps and ignores), as on Linux.
		const settable = linux.O_APPEND | linux.O_NONBLOCK | linux.O_DIRECT | linux.O_NOATIME
		old := x.flags
		x.flags = x.flags&^settable | uint32(a)&settable
		// The server keeps the description's status flags too, except
		// O_NONBLOCK: no file a server serves blocks (pipes, FIFOs,
		// sockets and terminals are the trap layer's), and F_GETFL is
		// answered here. Go's os.Open sets and clears O_NONBLOCK on
		// every regular file it opens (its poller refuses the file), so
		// those two calls stay here instead of being handed to a server.
		if x.kind == descFile && (old^x.flags)&^linux.O_NONBLOCK != 0 {
			return forwardLocked(c, t, x.index, HandleNone, x.flags)
		}
		sched.unlock()
		return 0
	}
	r := fcntlLocked(fd, d, x, cmd, a)
	sched.unlock()
	return r
}

// fcntlLocked serves the fcntl commands the trap layer answers alone.
// sched is held. (No defer here: the trap handler cannot use the
// runtime's defer records, only open-coded defers.)
func fcntlLocked(fd int64, d int32, x *desc, cmd int32, a uint64) int64 {
	switch cmd {
	case linux.F_DUPFD, linux.F_DUPFD_CLOEXEC:
		if int64(a) >= maxFDs {
			return -eINVAL
		}
		nfd := lowestFD(int64(a))
		if nfd < 0 {
			return -eMFILE
		}
		fdt[nfd] = fdSlot{desc: d + 1, cloexec: cmd == linux.F_DUPFD_CLOEXEC}
		descs[d].refs++
		return nfd
	case linux.F_GETFD:
		if fdt[fd].cloexec {
			return linux.FD_CLOEXEC
		}
		return 0
	case linux.F_SETFD:
		fdt[fd].cloexec = a&linux.FD_CLOEXEC != 0
		return 0
	case linux.F_GETFL:
		// Linux keeps O_LARGEFILE in every 64-bit open.
		return int64(x.flags&^linux.O_CLOEXEC | linux.O_LARGEFILE)
	case linux.F_GETPIPE_SZ:
		if x.kind != descPipe {
			return -eBADF
		}
		return int64(pipes[x.index].size)
	case linux.F_GETLK:
		*userU16(a) = linux.F_UNLCK // one process: no lock can conflict
		return 0
	case linux.F_SETLK, linux.F_SETLKW:
		return 0
	}
	return -eINVAL
}
