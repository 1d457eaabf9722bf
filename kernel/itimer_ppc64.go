package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
)

// Interval timers (setitimer, getitimer): ITIMER_PROF and ITIMER_VIRTUAL
// count the process's CPU time, the time its threads run on any CPU
// (the kernel does not split user from system time, so the two count
// alike), and ITIMER_REAL counts wall time; each raises its signal
// (SIGPROF, SIGVTALRM, SIGALRM) when it expires and restarts with its
// interval. Go's CPU profiler (runtime/pprof) uses ITIMER_PROF when
// timer_create is refused, as here. CPU time is charged when a thread
// leaves its CPU and at every decrementer interrupt, which comes at
// least once per armed interval; the signal goes to the thread running
// when the charge crosses the expiry, as Linux sends it to the thread it
// interrupts. sched guards the timers.

const (
	itimerReal    = 0
	itimerVirtual = 1
	itimerProf    = 2
)

type itimer struct {
	left, interval uint64 // timebase ticks; left == 0: disarmed
	due            bool   // expired while no thread was interrupted: signal the next one
}

var itimers [3]itimer

// itimerSignals are the signals of the timers.
var itimerSignals = [3]int{14, 26, 27} // SIGALRM, SIGVTALRM, SIGPROF

// itimerCPUArmed reports whether a CPU-time timer runs (a fast check for
// the scheduler).
func itimerCPUArmed() bool { return itimers[itimerVirtual].left != 0 || itimers[itimerProf].left != 0 }

// chargeCPU counts ticks of CPU time against the CPU-time timers. sched
// is held.
func chargeCPU(ticks uint64) {
	for w := itimerVirtual; w <= itimerProf; w++ {
		it := &itimers[w]
		if it.left == 0 {
			continue
		}
		if ticks < it.left {
			it.left -= ticks
			continue
		}
		it.due = true
		if it.interval == 0 {
			it.left = 0
		} else {
			it.left = it.interval - min((ticks-it.left)%it.interval, it.interval-1)
		}
	}
}

// chargeWall counts elapsed wall time against ITIMER_REAL. sched is held.
func chargeWall(now uint64) {
	it := &itimers[itimerReal]
	if it.left == 0 || now < realAt {
		return
	}
	it.due = true
	if it.interval == 0 {
		it.left = 0
	} else {
		for realAt <= now {
			realAt += it.interval
		}
		it.left = realAt - now
	}
}

// realAt is when ITIMER_REAL expires next, by the timebase.
var realAt uint64

// itimerTick runs at a decrementer interrupt of thread t on c: it charges
// the CPU time t ran since it was last charged and raises what expired
// on t, or returns the signals (a mask) that another thread must take,
// which the caller sends once it has released sched. sched is held.
func itimerTick(c *CPU, t *Thread, now uint64) (others uint64) {
	if !t.idle && itimerCPUArmed() {
		from := max(t.lastRun, c.itimerMark)
		if now > from {
			chargeCPU(now - from)
		}
		c.itimerMark = now
	}
	chargeWall(now)
	for w := range itimers {
		if !itimers[w].due {
			continue
		}
		itimers[w].due = false
		sig := itimerSignals[w]
		if !t.idle && t.sigMask&sigBit(sig) == 0 {
			// t runs on c: the signal is delivered as reschedule returns.
			atomic.OrUint64(&t.sigPending, sigBit(sig))
			continue
		}
		others |= sigBit(sig)
	}
	return others
}

// itimerDEC bounds the decrementer so that an armed timer is charged in
// time. sched is held.
func itimerDEC(dec, now uint64) uint64 {
	for w := itimerVirtual; w <= itimerProf; w++ {
		if l := itimers[w].left; l != 0 {
			dec = min(dec, max(l, 1))
		}
	}
	if itimers[itimerReal].left != 0 {
		dec = min(dec, max(realAt-min(realAt, now), 1))
	}
	return dec
}

// struct itimerval: {interval, value}, each a struct timeval.
type itimerval struct{ intervalSec, intervalUsec, valueSec, valueUsec int64 }

func usToTicks(sec, usec int64) uint64 {
	return uint64(sec)*Platform.TimebaseHz + uint64(usec)*Platform.TimebaseHz/1000000
}

func ticksToTimeval(t uint64) (int64, int64) {
	us := t * 1000000 / Platform.TimebaseHz
	return int64(us / 1000000), int64(us % 1000000)
}

// readItimer fills v with timer w. sched is held.
func readItimer(w int, now uint64) itimerval {
	it := &itimers[w]
	left := it.left
	if w == itimerReal && left != 0 {
		left = realAt - min(realAt, now)
	}
	var v itimerval
	v.intervalSec, v.intervalUsec = ticksToTimeval(it.interval)
	v.valueSec, v.valueUsec = ticksToTimeval(left)
	return v
}

func sysGetitimer(c *CPU, t *Thread) int64 {
	w, addr := int(argInt(t, 0)), argAddr(t, 1)
	if w < 0 || w > itimerProf {
		return -eINVAL
	}
	if !validUser(addr, 32) {
		return -eFAULT
	}
	sched.lock()
	v := readItimer(w, Timebase())
	sched.unlock()
	*userItimerval(addr) = v
	return 0
}

func sysSetitimer(c *CPU, t *Thread) int64 {
	w, nv, ov := int(argInt(t, 0)), argAddr(t, 1), argAddr(t, 2)
	if w < 0 || w > itimerProf {
		return -eINVAL
	}
	if nv != 0 && !validUser(nv, 32) || ov != 0 && !validUser(ov, 32) {
		return -eFAULT
	}
	var v itimerval
	if nv != 0 {
		v = *userItimerval(nv)
		if v.intervalSec < 0 || v.intervalUsec < 0 || v.intervalUsec >= 1000000 ||
			v.valueSec < 0 || v.valueUsec < 0 || v.valueUsec >= 1000000 {
			return -eINVAL
		}
	}
	now := Timebase()
	sched.lock()
	old := readItimer(w, now)
	if nv != 0 {
		it := &itimers[w]
		it.left, it.interval, it.due = usToTicks(v.valueSec, v.valueUsec), usToTicks(v.intervalSec, v.intervalUsec), false
		if it.left == 0 {
			it.interval = 0
		}
		if w == itimerReal {
			realAt = now + it.left
		}
		c.itimerMark = now
		c.decAt = 0 // the next reschedule loads the decrementer
	}
	sched.unlock()
	if ov != 0 {
		*userItimerval(ov) = old
	}
	if nv != 0 {
		ppc64.SetDEC(1) // reprogram the decrementer for the new timer
	}
	return 0
}
