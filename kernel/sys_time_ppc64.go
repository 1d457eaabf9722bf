package kernel

import "k42/arch/ppc64"

// ticks converts a timespec at addr to timebase ticks.
func tsTicks(addr uint64) (uint64, bool) {
	if !validUser(addr, 16) {
		return 0, false
	}
	sec := int64(*userU64(addr))
	nsec := int64(*userU64(addr + 8))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, false
	}
	hz := Platform.TimebaseHz
	if uint64(sec) > (1<<63)/hz {
		return 1 << 62, true
	}
	return uint64(sec)*hz + uint64(nsec)*hz/1e9, true
}

func sysNanosleep(c *CPU, t *Thread) int64 {
	d, ok := tsTicks(arg(t, 0))
	if !ok {
		return -eINVAL
	}
	return sleepUntil(c, t, ppc64.Timebase()+d)
}

func sleepUntil(c *CPU, t *Thread, deadline uint64) int64 {
	if deadline <= ppc64.Timebase() {
		return 0
	}
	sched.lock()
	block(c, t, waitSleep, deadline, 0)
	return blocked
}

func sysClockNanosleep(c *CPU, t *Thread) int64 {
	clock, flags := arg(t, 0), arg(t, 1)
	d, ok := tsTicks(arg(t, 2))
	if !ok {
		return -eINVAL
	}
	deadline := ppc64.Timebase() + d
	if flags&1 != 0 { // TIMER_ABSTIME
		deadline = d
		if clock == 0 || clock == 5 { // REALTIME: convert to the timebase
			off := realtimeOffsetTicks()
			if d < off {
				return 0
			}
			deadline = d - off
		}
	}
	return sleepUntil(c, t, deadline)
}

// Clocks.
func nowNanos(clock uint64) (int64, bool) {
	tb := ppc64.Timebase()
	hz := Platform.TimebaseHz
	mono := int64(tb/hz)*1e9 + int64(tb%hz*1e9/hz)
	switch clock {
	case 0, 5, 8: // REALTIME, REALTIME_COARSE, REALTIME_ALARM
		return bootEpochNs - bootTBNs + mono, true
	case 1, 4, 6, 7, 9: // MONOTONIC, _RAW, _COARSE, BOOTTIME, BOOTTIME_ALARM
		return mono, true
	case 2, 3: // PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID: approximated by uptime
		return mono, true
	}
	return 0, false
}

func realtimeOffsetTicks() uint64 {
	off := bootEpochNs - bootTBNs
	if off < 0 {
		return 0
	}
	hz := Platform.TimebaseHz
	return uint64(off/1e9)*hz + uint64(off%1e9)*hz/1e9
}

func sysClockGettime(c *CPU, t *Thread) int64 {
	ns, ok := nowNanos(arg(t, 0))
	if !ok {
		return -eINVAL
	}
	ts := arg(t, 1)
	if !validUser(ts, 16) {
		return -eFAULT
	}
	*userU64(ts) = uint64(ns / 1e9)
	*userU64(ts + 8) = uint64(ns % 1e9)
	return 0
}

func sysClockGetres(c *CPU, t *Thread) int64 {
	if _, ok := nowNanos(arg(t, 0)); !ok {
		return -eINVAL
	}
	if ts := arg(t, 1); ts != 0 {
		if !validUser(ts, 16) {
			return -eFAULT
		}
		*userU64(ts) = 0
		*userU64(ts + 8) = 1
	}
	return 0
}

// sysGettimeofday serves gettimeofday: the realtime clock in
// microseconds; the time zone, if asked for, is UTC.
func sysGettimeofday(c *CPU, t *Thread) int64 {
	tv, tz := arg(t, 0), arg(t, 1)
	if tv != 0 && !validUser(tv, 16) || tz != 0 && !validUser(tz, 8) {
		return -eFAULT
	}
	if tv != 0 {
		ns, _ := nowNanos(0) // CLOCK_REALTIME
		*userU64(tv) = uint64(ns / 1e9)
		*userU64(tv + 8) = uint64(ns % 1e9 / 1e3)
	}
	if tz != 0 {
		*userU64(tz) = 0 // tz_minuteswest, tz_dsttime
	}
	return 0
}
