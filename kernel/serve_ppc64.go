package kernel

import "k42/kernel/linux"

// Forwarded system calls: K42's protected procedure call, the trap
// layer's half (serve.go and fs/serve have the servers'). The file
// system runs in server threads of ordinary Go that wait in k42_serve. A
// file-system call is handed from its caller to a server and back:
//
//   - The caller's handler resolves the call's descriptors to the
//     server's handles, checks its output buffers (faulting their pages
//     in) and blocks the caller (waitServer).
//   - If a server waits, the caller's request is copied into the
//     server's ServeRequest (its paths too), the caller's P is lent to
//     the server (lend_ppc64.go) and this CPU switches straight to the
//     server (a hand-off: no run queue). Otherwise the caller joins the
//     pending FIFO, which the next server to answer takes from.
//   - The server's answer (k42_serve's reply) completes the call: an open
//     installs the new descriptor, a release frees the desc, and the
//     caller gets the result; if no request waits, the server blocks and
//     this CPU switches straight back to the caller.
//
// A request is served on the CPU the caller made it on, when its server
// waited there; the server counts it in that CPU's generation, so a swap
// of a file-system component waits exactly for the calls inside it.
// Before the first server registers (the runtime's own start-up) there is
// no file system: forwarded calls fail with ENOENT. sched guards all of
// it.

const maxServers = 64

type serverSlot struct {
	thread int32  // thread index
	req    uint64 // address of its ServeRequest
	caller int32  // thread index of the call it serves; -1: waiting
}

var (
	servers            [maxServers]serverSlot
	nServers           int32
	pendHead, pendTail int32 // callers waiting for a server: thread index+1, linked by Thread.next
)

// forwardLocked hands t's system call, whose descriptor arguments are the
// handles h0 and h1 (and the first one's description has status flags
// flags), to a server. sched is held, and released by the time it
// returns.
func forwardLocked(c *CPU, t *Thread, h0, h1 int32, flags uint32) int64 {
	if nServers == 0 {
		sched.unlock()
		return -eNOENT // no file system yet
	}
	t.fwdNr, t.fwdH, t.fwdFlags = t.Ctx.GPR[0], [2]int32{h0, h1}, flags
	t.fwdFD, t.fwdDesc, t.fwdRelease = -1, -1, -1
	t.fwdOwn, t.fwdSock = false, 0
	return dispatchForward(c, t)
}

// forwardAs forwards a call the trap layer makes on t's behalf: nr with
// args (descriptor arguments already resolved to h0, h1); sock is the
// socket (index+1) whose bind it is, or 0. sched is held, and released by
// the time it returns.
func forwardAs(c *CPU, t *Thread, nr uint64, args [6]uint64, h0, h1, sock int32) int64 {
	if nServers == 0 {
		sched.unlock()
		return -eNOENT
	}
	t.fwdNr, t.fwdH, t.fwdFlags = nr, [2]int32{h0, h1}, 0
	t.fwdFD, t.fwdDesc, t.fwdRelease = -1, -1, -1
	t.fwdArgs, t.fwdOwn, t.fwdSock = args, true, sock
	return dispatchForward(c, t)
}

// forwardOpen forwards an open: the fd and desc it will get are reserved
// now, so that the server's answer cannot fail to be installed.
func forwardOpen(c *CPU, t *Thread, h0 int32, flags uint32) int64 {
	if nServers == 0 {
		sched.unlock()
		return -eNOENT
	}
	fd := lowestFD(0)
	if fd < 0 {
		sched.unlock()
		return -eMFILE
	}
	d, ok := newDesc(descFile, flags&^(linux.O_CREAT|linux.O_EXCL|linux.O_NOCTTY|linux.O_TRUNC|linux.O_CLOEXEC))
	if !ok {
		sched.unlock()
		return -eNFILE
	}
	descs[d].index = -1 // reserved: no handle yet
	fdt[fd] = fdSlot{reserved: true, cloexec: flags&linux.O_CLOEXEC != 0}
	t.fwdNr, t.fwdH, t.fwdFlags = t.Ctx.GPR[0], [2]int32{h0, HandleNone}, descs[d].flags
	t.fwdFD, t.fwdDesc, t.fwdRelease = fd, d, -1
	t.fwdOwn, t.fwdSock = false, 0
	return dispatchForward(c, t)
}

// forwardRelease forwards the release of file desc d, whose last fd has
// gone; the caller's result is okResult once the server has released
// it.
func forwardRelease(c *CPU, t *Thread, d int32, okResult int64) int64 {
	if nServers == 0 {
		descs[d] = desc{}
		sched.unlock()
		return okResult
	}
	t.fwdNr, t.fwdH, t.fwdFlags = NrRelease, [2]int32{servedHandle(&descs[d]), HandleNone}, descs[d].flags
	t.fwdFD, t.fwdDesc, t.fwdRelease, t.fwdOK = -1, -1, d, okResult
	t.fwdOwn, t.fwdSock = false, 0
	return dispatchForward(c, t)
}

func dispatchForward(c *CPU, t *Thread) int64 {
	i := int32(c.current)
	block(c, t, waitServer, 0, 0)
	if s := idleServer(c.ID); s >= 0 {
		if e := assign(s, i); e != 0 {
			unforward(t)
			t.state, t.wait = threadRunning, waitNone
			c.schedHeld = false
			sched.unlock()
			return e
		}
		handoff(c, servers[s].thread, 0)
		return blocked
	}
	t.next = 0
	if pendTail == 0 {
		pendHead = i + 1
	} else {
		threads[pendTail-1].next = i + 1
	}
	pendTail = i + 1
	return blocked
}

// unforward undoes what a failed forward reserved.
func unforward(t *Thread) {
	if t.fwdFD >= 0 {
		fdt[t.fwdFD] = fdSlot{}
		descs[t.fwdDesc] = desc{}
	}
	if t.fwdSock != 0 {
		bindMade(t.fwdSock-1, -eINVAL)
	}
	t.fwdOwn, t.fwdSock = false, 0
	t.fwdNr, t.fwdFD, t.fwdDesc, t.fwdRelease = 0, -1, -1, -1
}

// idleServer returns a waiting server, one that last ran on cpu if there
// is one, or -1. (A server without a caller that is not blocked in its
// wait is out taking a signal; it waits again with ServeWait.)
func idleServer(cpu int) int {
	best := -1
	for s := int32(0); s < nServers; s++ {
		if w := &threads[servers[s].thread]; servers[s].caller >= 0 || w.state != threadBlocked || w.wait != waitServe {
			continue
		}
		if threads[servers[s].thread].cpu == int32(cpu) {
			return int(s)
		}
		if best < 0 {
			best = int(s)
		}
	}
	return best
}

// assign copies caller's request into server s's ServeRequest, paths
// included. A bad path fails the call here: assign returns its errno.
func assign(s int, caller int32) int64 {
	ct := &threads[caller]
	rq := userServeRequest(servers[s].req)
	rq.Nr = ct.fwdNr
	if ct.fwdOwn {
		rq.Args = ct.fwdArgs
	} else {
		rq.Args = [6]uint64(ct.Ctx.GPR[3:9])
	}
	rq.TID, rq.CPU = ct.tid, ct.cpu
	rq.Handle = ct.fwdH
	rq.Flags = ct.fwdFlags
	rq.Umask = umask
	rq.Pipe = 0
	rq.PathLen = [2]int32{0, 0}
	if ct.fwdNr != NrRelease {
		spec := fwdSpecOf(ct.fwdNr)
		for p := 0; p < 2; p++ {
			if spec.path[p] < 0 {
				continue
			}
			n, e := copyPath(&rq.Path[p], rq.Args[spec.path[p]])
			if e != 0 {
				return e
			}
			rq.PathLen[p] = n
		}
	}
	servers[s].caller = caller
	lend(ct, &threads[servers[s].thread])
	rq.More = nServers < maxServers
	for k := int32(0); k < nServers && rq.More; k++ {
		if servers[k].caller < 0 && threads[servers[k].thread].wait == waitServe {
			rq.More = false // another server waits
		}
	}
	return 0
}

// copyPath copies the NUL-terminated path at addr into dst and returns
// its length; -1 for a NULL pointer (the server decides whether that is
// allowed).
func copyPath(dst *[linux.PATH_MAX]byte, addr uint64) (int32, int64) {
	if addr == 0 {
		return -1, 0
	}
	n := 0
	for n < len(dst) {
		chunk := min(uint64(len(dst)-n), pageSize-(addr+uint64(n))%pageSize)
		if !validUser(addr+uint64(n), chunk) {
			return 0, -eFAULT
		}
		src := user(addr+uint64(n), int(chunk))
		for _, b := range src {
			if b == 0 {
				return int32(n), 0
			}
			dst[n] = b
			n++
		}
	}
	return 0, -int64(linux.ENAMETOOLONG)
}

// handoff makes blocked thread i runnable with result r and has this
// CPU run it next, without a trip through a run queue. sched is held.
func handoff(c *CPU, i int32, r int64) {
	t := &threads[i]
	setReturn(&t.Ctx, r)
	t.wait = waitNone
	t.state = threadRunnable
	c.handoff = i + 1
}

func sysK42Serve(c *CPU, t *Thread) int64 {
	op, a1, a2 := arg(t, 0), arg(t, 1), arg(t, 2)
	me := int32(c.current)
	switch op {
	case ServeRegister:
		if !validUser(a1, serveRequestSize) {
			return -eFAULT
		}
		sched.lock()
		if nServers == maxServers {
			sched.unlock()
			return -eAGAIN
		}
		servers[nServers] = serverSlot{thread: me, req: a1, caller: -1}
		s := nServers
		nServers++
		t.serveSlot = s + 1
		return serveNext(c, t, s)
	case ServeReply:
		sched.lock()
		s := slotOf(me)
		if s < 0 || servers[s].caller < 0 {
			sched.unlock()
			return -eINVAL
		}
		caller := servers[s].caller
		servers[s].caller = -1
		giveBack(t, &threads[caller])
		r, waits := complete(caller, int64(a1), int32(a2), userServeRequest(servers[s].req).Pipe-1)
		if waits {
			// The caller's open waits for the FIFO's other end; the server
			// goes on.
			return serveNext(c, t, s)
		}
		if pendHead == 0 {
			// Nothing waits: the server blocks and this CPU goes back to
			// the caller.
			block(c, t, waitServe, 0, 0)
			handoff(c, caller, r)
			return blocked
		}
		wake(caller, r)
		return serveNext(c, t, s)
	case ServeWait:
		sched.lock()
		s := slotOf(me)
		if s < 0 || servers[s].caller >= 0 {
			sched.unlock()
			return -eINVAL
		}
		return serveNext(c, t, s)
	case ServeLend:
		lendP = a1 != 0
		return 0
	case ServeStats:
		if !validUser(a1, 3*8) {
			return -eFAULT
		}
		sched.lock()
		to, back, oldp := lendStats.toServer, lendStats.back, lendStats.oldpOnly
		sched.unlock()
		*userU64(a1), *userU64(a1 + 8), *userU64(a1 + 16) = to, back, oldp
		return 0
	case ServeFifo:
		sched.lock()
		defer releaseSched(c)
		if s := slotOf(me); s < 0 || servers[s].caller < 0 {
			return -eINVAL
		}
		return fifoAttach(a1, uint32(a2))
	}
	return -eINVAL
}

// slotOf returns the server slot of thread i, or -1.
func slotOf(i int32) int32 { return threads[i].serveSlot - 1 }

// complete applies a server's answer to caller's call and returns the
// caller's result; waits reports that the caller, which opened a FIFO,
// now waits for its other end (fifoWait) instead. pipe is the FIFO's
// pipe the answer connects, or -1. sched is held.
func complete(caller int32, r int64, handle, pipe int32) (result int64, waits bool) {
	ct := &threads[caller]
	switch {
	case ct.fwdFD >= 0: // an open
		fd, d := ct.fwdFD, ct.fwdDesc
		if pipe >= 0 && (pipe >= maxPipes || !pipes[pipe].used) {
			pipe, r = -1, -int64(linux.EIO) // a server bug: the descriptor cannot be made
		}
		if r >= 0 {
			descs[d].index, descs[d].refs = handle, 1
			fdt[fd] = fdSlot{desc: d + 1, cloexec: fdt[fd].cloexec}
			r = fd
			if pipe >= 0 {
				waits = fifoConnect(caller, fd, d, handle, pipe)
			}
		} else {
			if pipe >= 0 {
				pipeRelease(pipe, fifoEnd(descs[d].flags))
			}
			fdt[fd] = fdSlot{}
			descs[d] = desc{}
		}
	case ct.fwdRelease >= 0:
		descs[ct.fwdRelease] = desc{}
		if r >= 0 {
			r = ct.fwdOK
		}
	case ct.fwdSock != 0: // a Unix socket's bind made its file
		r = bindMade(ct.fwdSock-1, r)
	}
	ct.fwdOwn, ct.fwdSock = false, 0
	ct.fwdNr, ct.fwdFD, ct.fwdDesc, ct.fwdRelease = 0, -1, -1, -1
	return r, waits
}

// serveNext gives server s the next pending call, or blocks it until a
// call comes. sched is held and released.
func serveNext(c *CPU, t *Thread, s int32) int64 {
	for pendHead != 0 {
		next := pendHead - 1
		pendHead = threads[next].next
		if pendHead == 0 {
			pendTail = 0
		}
		threads[next].next = 0
		if e := assign(int(s), next); e != 0 {
			unforward(&threads[next])
			wake(next, e)
			continue
		}
		sched.unlock()
		return 0
	}
	block(c, t, waitServe, 0, 0)
	return blocked
}
