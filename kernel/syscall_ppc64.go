package kernel

import (
	"sync/atomic"
	"unsafe"

	"k42/arch/ppc64"
)

// Linux errno values.
const (
	ePERM     = 1
	eNOENT    = 2
	eSRCH     = 3
	eINTR     = 4
	eBADF     = 9
	eAGAIN    = 11
	eNOMEM    = 12
	eFAULT    = 14
	eINVAL    = 22
	eNFILE    = 23
	eMFILE    = 24
	eNOTTY    = 25
	eSPIPE    = 29
	eNOSYS    = 38
	eTIMEDOUT = 110
)

// handler serves one system call for thread t on CPU c. Arguments are in
// t.Ctx.GPR[3:9]. It returns the result (negative errno on failure) or
// blocked.
type handler func(c *CPU, t *Thread) int64

// syscallHandlers is the executable half of the table (see systable.go).
// It is statically initialised data: the runtime makes system calls before
// any package initialiser has run.
var syscallHandlers = [numSyscalls]handler{
	sysExit:           sysExitThread,
	sysRead:           sysReadFD,
	sysWrite:          sysWriteFD,
	sysOpen:           sysNoEnt,
	sysClose:          sysCloseFD,
	sysLseek:          sysLseekFD,
	sysGetpid:         sysOne,
	sysGetuid:         sysZero,
	sysKill:           sysKillProc,
	sysBrk:            sysZero,
	sysGetgid:         sysZero,
	sysGeteuid:        sysZero,
	sysGetegid:        sysZero,
	sysIoctl:          sysIoctlFD,
	sysFcntl:          sysFcntlFD,
	sysGetppid:        sysZero,
	sysGetrlimit:      sysGetrlimitR,
	sysMmap:           sysMmapMem,
	sysMunmap:         sysMunmapMem,
	sysFstat:          sysFstatFD,
	sysSysinfo:        sysSysinfoR,
	sysClone:          sysCloneThread,
	sysUname:          sysUnameR,
	sysMprotect:       sysMprotectMem,
	sysWritev:         sysWritevFD,
	sysSchedYield:     sysYield,
	sysNanosleep:      sysNanosleepR,
	sysPrctl:          sysPrctlR,
	sysRtSigreturn:    sysSigreturn,
	sysRtSigaction:    sysSigaction,
	sysRtSigprocmask:  sysSigprocmask,
	sysGetcwd:         sysGetcwdR,
	sysSigaltstack:    sysSigaltstackR,
	sysMadvise:        sysMadviseMem,
	sysMincore:        sysMincoreMem,
	sysGettid:         sysGettidR,
	sysTkill:          sysTkillR,
	sysFutex:          sysFutexR,
	sysSchedSetaff:    sysZero,
	sysSchedGetaff:    sysSchedGetaffinity,
	sysSetTidAddress:  sysGettidR,
	sysExitGroup:      sysExitGroupR,
	sysEpollCtl:       sysEpollCtlR,
	sysEpollWait:      sysEpollPwaitR,
	sysTimerCreate:    sysNoSys,
	sysClockGettime:   sysClockGettimeR,
	sysClockGetres:    sysClockGetresR,
	sysClockNanosleep: sysClockNanosleepR,
	sysTgkill:         sysTgkillR,
	sysOpenat:         sysNoEnt,
	sysNewfstatat:     sysNoEnt,
	sysReadlinkat:     sysNoEnt,
	sysFaccessat:      sysNoEnt,
	sysSetRobustList:  sysZero,
	sysEpollPwait:     sysEpollPwaitR,
	sysEventfd2:       sysEventfd2R,
	sysEpollCreate1:   sysEpollCreate1R,
	sysPipe2:          sysPipe2R,
	sysPrlimit64:      sysPrlimit64R,
	sysGetrandom:      sysGetrandomR,
	sysStatx:          sysNoSys,
	sysRseq:           sysNoSys,
	sysFaccessat2:     sysNoEnt,
	sysEpollPwait2:    sysNoSys,
	sysK42Stats:       sysK42StatsR,
	sysK42Halt:        sysK42HaltR,
	sysK42Fault:       sysK42FaultR,
	sysK42CPU:         sysK42CPUR,
	sysK42Mem:         sysK42MemR,
}

// reported marks unknown system calls already printed.
var reported [numSyscalls]bool

func doSyscall(c *CPU, t *Thread) {
	nr := t.Ctx.GPR[0]
	var r int64
	if nr < numSyscalls && syscallHandlers[nr] != nil {
		r = syscallHandlers[nr](c, t)
	} else {
		r = unknownSyscall(nr)
	}
	if r != blocked {
		setReturn(&t.Ctx, r)
	}
}

func unknownSyscall(nr uint64) int64 {
	if nr < numSyscalls && reported[nr] {
		return -eNOSYS
	}
	if nr < numSyscalls {
		reported[nr] = true
	}
	var k kbuf
	k.s("k42: unsupported system call ").d(int64(nr))
	if name := linuxSyscallName(nr); name != "" {
		k.s(" (").s(name).s(")")
	}
	k.s(": ENOSYS\n")
	consoleWrite(k.bytes())
	return -eNOSYS
}

func arg(t *Thread, i int) uint64 { return t.Ctx.GPR[3+i] }

func sysZero(c *CPU, t *Thread) int64  { return 0 }
func sysOne(c *CPU, t *Thread) int64   { return 1 }
func sysNoSys(c *CPU, t *Thread) int64 { return -eNOSYS }
func sysNoEnt(c *CPU, t *Thread) int64 { return -eNOENT }
func sysGettidR(c *CPU, t *Thread) int64 {
	return int64(t.tid)
}

func sysExitThread(c *CPU, t *Thread) int64 {
	sched.lock()
	t.state = threadDead
	c.schedHeld = true // reschedule switches away and frees the slot
	return blocked
}

func sysExitGroupR(c *CPU, t *Thread) int64 {
	powerOff(int(int32(arg(t, 0))))
	return 0
}

func sysK42HaltR(c *CPU, t *Thread) int64 {
	powerOff(int(int32(arg(t, 0))))
	return 0
}

func sysYield(c *CPU, t *Thread) int64 {
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

func sysNanosleepR(c *CPU, t *Thread) int64 {
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

func sysClockNanosleepR(c *CPU, t *Thread) int64 {
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

func sysClockGettimeR(c *CPU, t *Thread) int64 {
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

func sysClockGetresR(c *CPU, t *Thread) int64 {
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

func sysSchedGetaffinity(c *CPU, t *Thread) int64 {
	n, mask := arg(t, 1), arg(t, 2)
	if n < 8 || !validUser(mask, 8) {
		return -eINVAL
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

func sysGetrandomR(c *CPU, t *Thread) int64 {
	buf, n := arg(t, 0), arg(t, 1)
	if !validUser(buf, n) {
		return -eFAULT
	}
	b := user(buf, int(n))
	for i := 0; i < len(b); i += 8 {
		r := random64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(r >> (8 * j))
		}
	}
	return int64(n)
}

// random64 returns a hardware random number, retrying while darn reports
// failure, and mixing in the timebase if it keeps failing.
func random64() uint64 {
	for i := 0; i < 16; i++ {
		if r := ppc64.Darn(); r != ^uint64(0) {
			return r
		}
	}
	x := ppc64.Timebase() * 0x9e3779b97f4a7c15
	return x ^ x>>29
}

func sysCloneThread(c *CPU, t *Thread) int64 {
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

func sysFutexR(c *CPU, t *Thread) int64 {
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
		if atomic.LoadUint32((*uint32)(unsafe.Pointer(uintptr(addr)))) != val {
			sched.unlock()
			return -eAGAIN
		}
		block(c, t, waitFutex, deadline, -eTIMEDOUT)
		t.futex = uintptr(addr)
		return blocked
	case 1, 10: // FUTEX_WAKE, FUTEX_WAKE_BITSET
		return int64(futexWake(uintptr(addr), int(int32(val))))
	}
	return -eNOSYS
}

// futexWake wakes up to n threads waiting on addr, oldest slot first.
func futexWake(addr uintptr, n int) int {
	woken := 0
	sched.lock()
	for i := int32(0); i < threadHigh && woken < n; i++ {
		w := &threads[i]
		if w.state == threadBlocked && w.wait == waitFutex && w.futex == addr {
			wake(i, 0)
			woken++
		}
	}
	sched.unlock()
	return woken
}

func sysPrctlR(c *CPU, t *Thread) int64 {
	switch arg(t, 0) {
	case 0x53564d41, 15: // PR_SET_VMA, PR_SET_NAME
		return 0
	}
	return -eINVAL
}

func sysUnameR(c *CPU, t *Thread) int64 {
	buf := arg(t, 0)
	if !validUser(buf, 6*65) {
		return -eFAULT
	}
	b := user(buf, 6*65)
	clear(b)
	for i, s := range [6]string{"Linux", "k42", "6.1.0-k42", "#1 SMP K42 online reconfiguration kernel", "ppc64", "(none)"} {
		copy(b[i*65:i*65+64], s)
	}
	return 0
}

func sysGetcwdR(c *CPU, t *Thread) int64 {
	buf, n := arg(t, 0), arg(t, 1)
	if n < 2 {
		return -34 // ERANGE
	}
	if !validUser(buf, 2) {
		return -eFAULT
	}
	copy(user(buf, 2), "/\x00")
	return 2
}

// Resource limits: cur, max.
func rlimit(res uint64) (uint64, uint64, bool) {
	switch res {
	case 3: // RLIMIT_STACK
		return 8 << 20, ^uint64(0), true
	case 7: // RLIMIT_NOFILE
		return 1024, 4096, true
	case 0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15:
		return ^uint64(0), ^uint64(0), true
	}
	return 0, 0, false
}

func sysGetrlimitR(c *CPU, t *Thread) int64 {
	cur, mx, ok := rlimit(arg(t, 0))
	if !ok {
		return -eINVAL
	}
	p := arg(t, 1)
	if !validUser(p, 16) {
		return -eFAULT
	}
	*userU64(p), *userU64(p + 8) = cur, mx
	return 0
}

func sysPrlimit64R(c *CPU, t *Thread) int64 {
	if pid := arg(t, 0); pid != 0 && pid != 1 {
		return -eSRCH
	}
	cur, mx, ok := rlimit(arg(t, 1))
	if !ok {
		return -eINVAL
	}
	if old := arg(t, 3); old != 0 {
		if !validUser(old, 16) {
			return -eFAULT
		}
		*userU64(old), *userU64(old + 8) = cur, mx
	}
	return 0
}

func sysSysinfoR(c *CPU, t *Thread) int64 {
	p := arg(t, 0)
	if !validUser(p, 112) {
		return -eFAULT
	}
	b := user(p, 112)
	clear(b)
	ns, _ := nowNanos(1)
	*userU64(p) = uint64(ns / 1e9)                   // uptime
	*userU64(p + 32) = Platform.MemBytes             // totalram
	*userU64(p + 40) = Platform.MemBytes - memUsed() // freeram
	*(*uint32)(unsafe.Pointer(uintptr(p + 104))) = 1 // mem_unit
	return 0
}

func sysK42StatsR(c *CPU, t *Thread) int64 {
	buf, n := arg(t, 0), arg(t, 1)
	size := uint64(unsafe.Sizeof(CPUStats{}))
	if n < size*uint64(numCPUs) || !validUser(buf, n) {
		return -eINVAL
	}
	for i := 0; i < numCPUs; i++ {
		s := cpus[i].Stats
		if s.Idle = threads[cpus[i].current].idle; s.Idle {
			s.IdleTicks += ppc64.Timebase() - s.idleSince
		}
		*(*CPUStats)(unsafe.Pointer(uintptr(buf + uint64(i)*size))) = s
	}
	return int64(numCPUs)
}

func sysK42CPUR(c *CPU, t *Thread) int64 { return int64(t.cpu) }
