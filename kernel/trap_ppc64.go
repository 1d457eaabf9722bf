package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
)

// Implemented in addr_ppc64.s.
func sigreturnAddr() uintptr
func rt0Addr() uintptr
func imageEnd() uintptr
func sigreturnTramp()

// trap is the Go half of every interrupt and system call, registered
// with the architecture's exception entry. It runs on the CPU's
// interrupt stack with interrupts off; when it returns, the entry resumes
// whatever thread c.CurCtx then names.
func trap(a *ppc64.TrapArea) {
	c := cpuOf(a)
	if c.InTrap == 2 {
		nestedFault(c)
	}
	t := &threads[c.current]
	c.Stats.Traps++
	switch t.Ctx.Trap {
	case ppc64.VecSystemCall:
		c.Stats.Syscalls++
		doSyscall(c, t)
		if !c.schedHeld && !t.idle && !signalled(t) {
			return // the fast path: nothing to reschedule, straight back
		}
		if c.handoff != 0 {
			handoffNow(c, t)
			return // a forwarded call's hand-off: straight to the other side
		}
	case ppc64.VecDecrementer:
		c.Stats.Decrements++
	case ppc64.VecExternal:
		c.Stats.External++
		deviceInterrupts()
	case ppc64.VecDoorbell:
		c.Stats.External++
	case ppc64.VecDataStorage, ppc64.VecInstStorage:
		switch demandFault(t) {
		case faultRetry:
			if !signalled(t) {
				return // the page is there: retry the access at once
			}
		case faultDenied:
			if !segvToThread(c, t, segvAccerr) {
				fault(c, t)
			}
		case faultNoMem:
			oomKill()
		default: // page zero: SIGSEGV; anywhere else: the fault report
			if !segvToThread(c, t, segvMaperr) {
				fault(c, t)
			}
		}
	default:
		fault(c, t)
	}
	reschedule(c, ppc64.Timebase())
}

// signalled reports whether t has a pending signal it does not block.
func signalled(t *Thread) bool { return atomic.LoadUint64(&t.sigPending)&^t.sigMask != 0 }
