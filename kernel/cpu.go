package kernel

import "unsafe"

// MaxCPUs bounds the CPUs the kernel runs on.
const MaxCPUs = 64

// CPU is a processor's per-CPU area. SPRG0 holds its address while the
// processor runs, so the trap entry finds it in one instruction; the
// fields before g are read and written by trap_ppc64.s.
type CPU struct {
	scratch   [4]uint64 // trap entry: interrupted r12, r11, CR
	curCtx    uintptr   // Context of the thread this CPU runs
	inTrap    uint64    // 1 inside the trap handler, 2 in a nested fault
	stackTop  uintptr   // interrupt stack the handler runs on
	nestCtx   uintptr   // where a fault inside the handler is saved
	nestStack uintptr   // stack for reporting such a fault
	_         uint64
	// g is the goroutine descriptor the compiled trap handler sees in R30:
	// only its stack bounds (lo, hi, stackguard0, stackguard1) are set, so
	// that function prologues' stack checks pass. Nothing in the handler
	// may allocate, take runtime locks or write pointers to the heap.
	g [32]uint64

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
	// schedHeld is set by a system-call handler that changed the running
	// thread's state (blocked it, queued it, ended it) and kept sched
	// locked: the lock passes to reschedule, so no other CPU can dispatch
	// the thread before this one has switched away from it.
	schedHeld bool

	Stats  CPUStats
	nested Context
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

const (
	cpuScratch   = 0
	cpuCurCtx    = 32
	cpuInTrap    = 40
	cpuStackTop  = 48
	cpuNestCtx   = 56
	cpuNestStack = 64
	cpuG         = 80
)

var _ = [1]struct{}{}[unsafe.Offsetof(CPU{}.curCtx)-cpuCurCtx]
var _ = [1]struct{}{}[unsafe.Offsetof(CPU{}.nestStack)-cpuNestStack]
var _ = [1]struct{}{}[unsafe.Offsetof(CPU{}.g)-cpuG]

// cpus holds every CPU's area; a CPU finds its own through SPRG0.
var cpus [MaxCPUs]CPU

// numCPUs is the number of CPUs brought online.
var numCPUs int
