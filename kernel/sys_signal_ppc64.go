package kernel

import "unsafe"

func sysRtSigaction(c *CPU, t *Thread) int64 {
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

func sysRtSigprocmask(c *CPU, t *Thread) int64 {
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

func sysSigaltstack(c *CPU, t *Thread) int64 {
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
			return -eNOMEM // below MINSIGSTKSZ
		}
		t.altSP, t.altSize, t.altFlags = n.sp, n.size, n.flags
	}
	return 0
}

func sysTgkill(c *CPU, t *Thread) int64 {
	if tg := arg(t, 0); tg != 1 {
		return -eSRCH
	}
	return tkill(arg(t, 1), int(arg(t, 2)))
}

func sysTkill(c *CPU, t *Thread) int64 { return tkill(arg(t, 0), int(arg(t, 1))) }

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

func sysKill(c *CPU, t *Thread) int64 {
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
	signalProcess(sig, int32(c.current))
	return 0
}

func sysRtSigreturn(c *CPU, t *Thread) int64 {
	uc := t.Ctx.GPR[1] + signalFrameSize + 16
	if !validUser(uc, uint64(unsafe.Sizeof(ucontext{}))) {
		killedBySignal(sigSegv)
	}
	u := (*ucontext)(ptr(uc))
	u.restore(&t.Ctx)
	t.sigMask = u.sigmask &^ (sigBit(sigKill) | sigBit(sigStop))
	return blocked // the registers are the restored ones
}
