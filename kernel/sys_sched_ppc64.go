package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
)

func sysGettid(c *CPU, t *Thread) int64 {
	return int64(t.tid)
}

func sysExit(c *CPU, t *Thread) int64 {
	sched.lock()
	t.state = threadDead
	c.schedHeld = true // reschedule switches away and frees the slot
	return blocked
}

func sysExitGroup(c *CPU, t *Thread) int64 {
	powerOff(int(int32(arg(t, 0))))
	return 0
}

func sysSchedYield(c *CPU, t *Thread) int64 {
	if t.idle {
		return 0
	}
	sched.lock()
	if runnable > 0 {
		requeue(c, t)
		return blocked
	}
	sched.unlock()
	return 0
}

func sysSchedGetaffinity(c *CPU, t *Thread) int64 {
	n, mask := arg(t, 1), arg(t, 2)
	if n < 8 || n%8 != 0 {
		return -eINVAL
	}
	if !validUser(mask, 8) {
		return -eFAULT
	}
	var m uint64
	for i := 0; i < numCPUs && i < 64; i++ {
		if cpus[i].Online {
			m |= 1 << i
		}
	}
	*userU64(mask) = m
	return 8
}

func sysClone(c *CPU, t *Thread) int64 {
	const cloneVM, cloneThread = 0x100, 0x10000
	flags, stack := arg(t, 0), arg(t, 1)
	if flags&(cloneVM|cloneThread) != cloneVM|cloneThread {
		return -eINVAL
	}
	sched.lock()
	i := newThread()
	if i < 0 {
		sched.unlock()
		return -eAGAIN
	}
	n := &threads[i]
	n.Ctx = t.Ctx
	n.Ctx.GPR[1] = stack
	setReturn(&n.Ctx, 0)
	n.sigMask = t.sigMask
	enqueue(i)
	sched.unlock()
	return int64(n.tid)
}

func sysFutex(c *CPU, t *Thread) int64 {
	addr, op, val := arg(t, 0), arg(t, 1)&^(128|256), uint32(arg(t, 2))
	if addr&3 != 0 || !validUser(addr, 4) {
		return -eFAULT
	}
	switch op {
	case 0, 9: // FUTEX_WAIT, FUTEX_WAIT_BITSET
		deadline := uint64(0)
		if ts := arg(t, 3); ts != 0 {
			d, ok := tsTicks(ts)
			if !ok {
				return -eINVAL
			}
			deadline = ppc64.Timebase() + max(d, 1)
		}
		sched.lock()
		if atomic.LoadUint32(userU32(addr)) != val {
			sched.unlock()
			return -eAGAIN
		}
		t.futex = uintptr(addr)
		block(c, t, waitFutex, deadline, -eTIMEDOUT)
		futexLink(int32(c.current))
		return blocked
	case 1, 10: // FUTEX_WAKE, FUTEX_WAKE_BITSET
		return int64(futexWake(uintptr(addr), int(int32(val))))
	}
	return -eNOSYS
}
