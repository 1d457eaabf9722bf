package kernel

import "k42/arch/ppc64"

// MaxCPUs bounds the CPUs the kernel runs on.
const MaxCPUs = 64

// CPU is a processor's per-CPU area. Its first field is the part the
// architecture's exception entry uses (SPRG0 points at it); cpuOf turns
// the handler's *ppc64.TrapArea back into the CPU.
type CPU struct {
	ppc64.TrapArea

	ID      int    // CPU number, also in SPRG3
	Server  uint32 // interrupt server number (hypervisor's CPU id)
	Online  bool
	current int32  // index in threads of the thread running here
	idle    int32  // index of this CPU's idle thread
	sliceAt uint64 // timebase when the current thread's slice began

	// Run queue of threads ready to run here (index+1 links, 0 = none),
	// guarded by sched.
	runqHead, runqTail int32
	runqLen            int32
	// handoff, when set (index+1), is the thread this CPU runs next when
	// the current one blocks: a forwarded call's server, or the caller
	// it answered (serve_ppc64.go). sched guards it.
	handoff int32
	// schedHeld is set by a system-call handler that changed the running
	// thread's state (blocked it, queued it, ended it) and kept sched
	// locked: the lock passes to reschedule, so no other CPU can dispatch
	// the thread before this one has switched away from it.
	schedHeld bool

	Stats      CPUStats
	nested     Context
	timers     timerHeap // threads blocked here with a deadline (sched_ppc64.go)
	itimerMark uint64    // when CPU time was last charged to the interval timers (itimer_ppc64.go)
	decAt      uint64    // when the decrementer interrupt is due, by the timebase (setDeadline)
}

// CPUStats are per-CPU counters, written only by their own CPU.
type CPUStats struct {
	Traps      uint64 // every interrupt and system call
	Syscalls   uint64
	Decrements uint64 // decrementer interrupts
	External   uint64
	Switches   uint64 // context switches
	IdleTicks  uint64 // timebase ticks spent in the idle thread
	ThreadsRun uint64 // distinct dispatches of non-idle threads
	Steals     uint64 // threads taken from another CPU's queue
	Faults     uint64 // storage faults delivered as SIGSEGV
	Idle       bool   // running its idle thread when sampled
	idleSince  uint64
}

// cpus holds every CPU's area; a CPU finds its own through SPRG0.
var cpus [MaxCPUs]CPU

// numCPUs is the number of CPUs brought online.
var numCPUs int
