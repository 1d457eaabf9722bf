package kernel

import (
	"sync/atomic"
	"unsafe"
)

// sigactions is the process's signal disposition table (one process).
var sigactions [nsig + 1]sigaction

func sigBit(sig int) uint64 { return 1 << (sig - 1) }

func sysSigaction(c *CPU, t *Thread) int64 {
	sig, act, old, size := int(arg(t, 0)), arg(t, 1), arg(t, 2), arg(t, 3)
	if sig < 1 || sig > nsig || size != 8 {
		return -eINVAL
	}
	sz := uint64(unsafe.Sizeof(sigaction{}))
	if old != 0 {
		if !validUser(old, sz) {
			return -eFAULT
		}
		*(*sigaction)(ptr(old)) = sigactions[sig]
	}
	if act != 0 {
		if sig == sigKill || sig == sigStop {
			return -eINVAL
		}
		if !validUser(act, sz) {
			return -eFAULT
		}
		sched.lock()
		sigactions[sig] = *(*sigaction)(ptr(act))
		sched.unlock()
	}
	return 0
}

func sysSigprocmask(c *CPU, t *Thread) int64 {
	how, set, old := arg(t, 0), arg(t, 1), arg(t, 2)
	if old != 0 {
		if !validUser(old, 8) {
			return -eFAULT
		}
		*userU64(old) = t.sigMask
	}
	if set == 0 {
		return 0
	}
	if !validUser(set, 8) {
		return -eFAULT
	}
	m := *userU64(set)
	switch how {
	case 0: // SIG_BLOCK
		t.sigMask |= m
	case 1: // SIG_UNBLOCK
		t.sigMask &^= m
	case 2: // SIG_SETMASK
		t.sigMask = m
	default:
		return -eINVAL
	}
	t.sigMask &^= sigBit(sigKill) | sigBit(sigStop)
	return 0
}

func onAltStack(t *Thread, sp uint64) bool {
	return t.altSize != 0 && sp >= t.altSP && sp < t.altSP+t.altSize
}

func sysSigaltstackR(c *CPU, t *Thread) int64 {
	ss, old := arg(t, 0), arg(t, 1)
	if old != 0 {
		if !validUser(old, 24) {
			return -eFAULT
		}
		o := (*stackT)(ptr(old))
		*o = stackT{sp: t.altSP, flags: t.altFlags, size: t.altSize}
		if onAltStack(t, t.Ctx.GPR[1]) {
			o.flags |= ssOnstack
		}
		if t.altSize == 0 {
			o.flags |= ssDisable
		}
	}
	if ss != 0 {
		if !validUser(ss, 24) {
			return -eFAULT
		}
		if onAltStack(t, t.Ctx.GPR[1]) {
			return -ePERM
		}
		n := *(*stackT)(ptr(ss))
		if n.flags&ssDisable != 0 {
			t.altSP, t.altSize, t.altFlags = 0, 0, 0
			return 0
		}
		if n.size < 2048 {
			return -12 // ENOMEM: MINSIGSTKSZ
		}
		t.altSP, t.altSize, t.altFlags = n.sp, n.size, n.flags
	}
	return 0
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
	if t.state == threadBlocked && t.wait == waitSleep {
		// A signal interrupts a sleep (the Go runtime retries).
		wake(i, -eINTR)
	}
	sched.unlock()
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

func sysTgkillR(c *CPU, t *Thread) int64 {
	if tg := arg(t, 0); tg != 1 {
		return -eSRCH
	}
	return tkill(arg(t, 1), int(arg(t, 2)))
}

func sysTkillR(c *CPU, t *Thread) int64 { return tkill(arg(t, 0), int(arg(t, 1))) }

func tkill(tid uint64, sig int) int64 {
	if sig < 0 || sig > nsig {
		return -eINVAL
	}
	i := findThread(tid)
	if i < 0 {
		return -eSRCH
	}
	if sig != 0 {
		signalThread(i, sig)
	}
	return 0
}

func sysKillProc(c *CPU, t *Thread) int64 {
	pid, sig := int64(arg(t, 0)), int(arg(t, 1))
	if pid != 0 && pid != 1 && pid != -1 {
		return -eSRCH
	}
	if sig < 0 || sig > nsig {
		return -eINVAL
	}
	if sig == 0 {
		return 0
	}
	// A process-directed signal goes to a thread that does not block it,
	// preferring the caller.
	target := int32(c.current)
	if t.sigMask&sigBit(sig) != 0 {
		for i := int32(0); i < threadHigh; i++ {
			if findThread(uint64(i+1)) >= 0 && threads[i].sigMask&sigBit(sig) == 0 {
				target = i
				break
			}
		}
	}
	signalThread(target, sig)
	return 0
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

func sysSigreturn(c *CPU, t *Thread) int64 {
	uc := t.Ctx.GPR[1] + signalFrameSize + 16
	if !validUser(uc, uint64(unsafe.Sizeof(ucontext{}))) {
		killedBySignal(sigSegv)
	}
	u := (*ucontext)(ptr(uc))
	u.restore(&t.Ctx)
	t.sigMask = u.sigmask &^ (sigBit(sigKill) | sigBit(sigStop))
	return blocked // the registers are the restored ones
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
