package kernel

import (
	"sync/atomic"
	"unsafe"
)

// sigactions is the process's signal disposition table (one process).
var sigactions [nsig + 1]sigaction

func sigBit(sig int) uint64 { return 1 << (sig - 1) }

func onAltStack(t *Thread, sp uint64) bool {
	return t.altSize != 0 && sp >= t.altSP && sp < t.altSP+t.altSize
}

// signalThread makes sig pending on thread index i and, if it runs on
// another CPU, interrupts that CPU so it delivers the signal promptly.
func signalThread(i int32, sig int) {
	t := &threads[i]
	for {
		old := atomic.LoadUint64(&t.sigPending)
		if atomic.CompareAndSwapUint64(&t.sigPending, old, old|sigBit(sig)) {
			break
		}
	}
	sched.lock()
	if t.state == threadBlocked && t.sigMask&sigBit(sig) == 0 {
		interruptWait(i)
	}
	sched.unlock()
}

// interruptWait ends blocked thread i's wait so that it takes a signal,
// as Linux does: a sleep, a futex wait and an epoll wait return EINTR
// (the Go runtime retries each); a restartable wait (a pipe, an eventfd,
// the terminal) is made again after the handler, as with SA_RESTART,
// which the runtime sets. A file-system server waiting for a request
// returns EINTR too (it waits again with ServeWait). A forwarded call and
// a FIFO's open are not interrupted: the signal waits for them. sched is
// held.
func interruptWait(i int32) {
	t := &threads[i]
	switch t.wait {
	case waitSleep, waitFutex, waitEpoll, waitServe:
		wake(i, -eINTR)
	case waitQueue:
		t.Ctx.PC -= 4 // back to the sc: the call is made again
		resume(i)
	case waitConsole:
		if consoleReader == i {
			consoleReader = -1
		}
		t.Ctx.PC -= 4
		resume(i)
	}
}

// signalProcess sends a process-directed signal: to thread prefer if it
// does not block it, else to a thread that does not block it, one in a
// wait a signal interrupts if there is one.
func signalProcess(sig int, prefer int32) {
	bit := sigBit(sig)
	if prefer >= 0 && !threads[prefer].idle && threads[prefer].sigMask&bit == 0 {
		signalThread(prefer, sig)
		return
	}
	target := int32(-1)
	for i := int32(0); i < threadHigh; i++ {
		w := &threads[i]
		if findThread(uint64(i+1)) < 0 || w.sigMask&bit != 0 {
			continue
		}
		if target < 0 {
			target = i
		}
		if w.state == threadRunning || w.state == threadRunnable ||
			w.state == threadBlocked && (w.wait == waitFutex || w.wait == waitSleep || w.wait == waitEpoll) {
			target = i
			break
		}
	}
	if target < 0 {
		target = prefer // every thread blocks it: it stays pending
	}
	if target >= 0 {
		signalThread(target, sig)
	}
}

func findThread(tid uint64) int32 {
	if tid == 0 || tid > MaxThreads {
		return -1
	}
	i := int32(tid - 1)
	if st := threads[i].state; st == threadFree || st == threadDead || threads[i].idle {
		return -1
	}
	return i
}

// defaultIgnored reports whether a signal's default action is to ignore it.
func defaultIgnored(sig int) bool {
	switch sig {
	case 17, 18, 23, 28: // SIGCHLD, SIGCONT, SIGURG, SIGWINCH
		return true
	}
	return false
}

// deliverSignals delivers the lowest pending unblocked signal of t, which
// is about to resume on c, by pushing a frame and redirecting it to the
// handler. Further signals are delivered when it next enters the kernel
// (the handler runs with the signal blocked).
func deliverSignals(c *CPU, t *Thread) {
	for {
		pend := atomic.LoadUint64(&t.sigPending) &^ t.sigMask
		if pend == 0 {
			return
		}
		sig := 1
		for pend&1 == 0 {
			pend >>= 1
			sig++
		}
		for {
			old := atomic.LoadUint64(&t.sigPending)
			if atomic.CompareAndSwapUint64(&t.sigPending, old, old&^sigBit(sig)) {
				break
			}
		}
		act := sigactions[sig]
		switch act.handler {
		case sigIgn:
			continue
		case sigDfl:
			if defaultIgnored(sig) {
				continue
			}
			killedBySignal(sig)
		}
		pushSignalFrame(t, sig, siTkill, 0, &act)
		return
	}
}

// pushSignalFrame redirects t, which is about to resume, into the handler
// act for sig, with a frame holding its registers.
func pushSignalFrame(t *Thread, sig int, code int32, addr uint64, act *sigaction) {
	ctx := &t.Ctx
	sp := ctx.GPR[1]
	alt := stackT{sp: t.altSP, size: t.altSize, flags: t.altFlags}
	if t.altSize == 0 {
		alt.flags = ssDisable
	}
	if act.flags&saOnstack != 0 && t.altSize != 0 && !onAltStack(t, sp) {
		sp = t.altSP + t.altSize
	} else if onAltStack(t, sp) {
		alt.flags |= ssOnstack
	}
	sp -= 512 // below any red zone the interrupted code may use
	size := uint64(unsafe.Sizeof(sigframe{}))
	frameAddr := (sp - size) &^ 15
	newSP := frameAddr - signalFrameSize - 16
	if !validUser(newSP, sp-newSP) {
		killedBySignal(sigSegv)
	}
	f := (*sigframe)(ptr(frameAddr))
	f.fill(ctx, sig, code, addr, t.sigMask, alt, act.handler)
	*userU64(newSP) = ctx.GPR[1] // back chain to the interrupted frame

	// ELFv1: the handler is a function descriptor {code, toc, env}.
	entry, toc := *userU64(act.handler), *userU64(act.handler + 8)
	ctx.GPR[1] = newSP
	ctx.GPR[2] = toc
	ctx.GPR[3] = uint64(sig)
	ctx.GPR[4] = frameAddr + uint64(unsafe.Offsetof(sigframe{}.info))
	ctx.GPR[5] = frameAddr
	ctx.GPR[6] = frameAddr
	ctx.GPR[12] = entry
	ctx.LR = uint64(sigreturnAddr())
	ctx.PC = entry
	if act.flags&saNodefer == 0 {
		t.sigMask |= sigBit(sig)
	}
	t.sigMask |= act.mask
	t.sigMask &^= sigBit(sigKill) | sigBit(sigStop)
	if act.flags&saResethand != 0 {
		sigactions[sig].handler = sigDfl
	}
}

// killedBySignal ends the process as Linux does for a fatal signal with
// the default action: exit status 128+sig.
func killedBySignal(sig int) {
	var k kbuf
	k.s("k42: killed by signal ").d(int64(sig)).s("\n")
	consoleWrite(k.bytes())
	powerOff(128 + sig)
}

// nilPageEnd bounds the unmapped page zero: a storage fault below it is a
// nil-pointer access, which Go programs expect as SIGSEGV.
const nilPageEnd = 0x10000

// segvToThread turns a storage fault of t into a synchronous SIGSEGV, as
// Linux does, when t runs Go code that handles it and the address is in
// page zero (code segvMaperr: the runtime panics with "invalid memory
// address or nil pointer dereference", which recover() can stop) or in a
// mapping that does not allow the access (segvAccerr: PROT_NONE, a store
// to read-only memory; the runtime panics with "unexpected fault address"
// or, under debug.SetPanicOnFault, a recoverable panic). It reports
// whether it did; other faults, wild addresses outside page zero and
// every mapping, get the kernel's fault report.
func segvToThread(c *CPU, t *Thread, code int32) bool {
	addr := t.Ctx.DAR
	if t.Ctx.Trap == 0x400 { // instruction storage: the fetch address
		addr = t.Ctx.PC
	}
	act := sigactions[sigSegv]
	if code == segvMaperr && addr >= nilPageEnd {
		return false
	}
	if !runtimeUp || t.idle || act.handler == sigDfl || act.handler == sigIgn || t.sigMask&sigBit(sigSegv) != 0 {
		return false
	}
	c.Stats.Faults++
	pushSignalFrame(t, sigSegv, code, addr, &act)
	return true
}
