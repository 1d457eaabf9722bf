package ppc64

import "unsafe"

// Exception entry and exit. Every interrupt vector's stub (VectorStub)
// branches to the common entry (trap_ppc64.s), which saves the
// interrupted thread's complete state into the Context named by the
// CPU's TrapArea, switches to the CPU's interrupt stack and calls the
// kernel's handler, registered with SetTrapHandler; when the handler
// returns, ResumeContext resumes whatever Context the TrapArea then
// names. The handler runs with interrupts off, FP/VMX/VSX on, and data
// translation on once SetTrapTranslation(true) has been called.

// Context is a thread's saved processor state: what the exception entry
// stores when the thread is interrupted and what ResumeContext loads
// when it resumes. trap_ppc64.s uses the offsets below (go_asm.h); the
// compiler checks them.
type Context struct {
	GPR   [32]uint64
	CR    uint64
	LR    uint64
	CTR   uint64
	XER   uint64
	PC    uint64 // SRR0: where the thread resumes
	MSR   uint64 // SRR1: the MSR it resumes with
	FPSCR uint64
	DAR   uint64 // data address of a storage fault
	DSISR uint64 // cause of a storage fault
	Trap  uint64 // vector that saved this context
	_     [2]uint64
	VSR   [64][2]uint64 // VS0-VS31 (FPRs in the high halves) and VS32-63 (VRs)
}

// ContextSize is the size of a Context in bytes.
const ContextSize = 1376

var _ = [1]struct{}{}[unsafe.Sizeof(Context{})-ContextSize]

// TrapArea is the part of a CPU's per-CPU area that the exception entry
// reads and writes. SPRG0 holds its address while the processor runs, so
// the entry finds it in one instruction. The kernel's per-CPU structure
// embeds it as its first field.
type TrapArea struct {
	scratch [4]uint64 // entry: the interrupted r12, r11, CR
	// CurCtx is the Context of the thread this CPU runs: the entry saves
	// into it and ResumeContext loads from it.
	CurCtx uintptr
	// InTrap is 1 inside the handler and 2 in a fault taken inside it.
	InTrap uint64
	// StackTop is the top of the interrupt stack the handler runs on.
	StackTop uintptr
	// NestCtx and NestStack are where a fault inside the handler is saved
	// and reported from.
	NestCtx   uintptr
	NestStack uintptr
	_         uint64
	// G is the goroutine descriptor the compiled handler sees in R30:
	// only its stack bounds (lo, hi, stackguard0, stackguard1) are set,
	// so that function prologues' stack checks pass. Nothing in the
	// handler may allocate, take runtime locks or write pointers to the
	// heap.
	G [32]uint64
}

// SetStack gives the area its interrupt stack [lo, hi) and the handler's
// goroutine descriptor the matching bounds.
func (a *TrapArea) SetStack(lo, hi uintptr) {
	a.StackTop = hi
	a.G[0], a.G[1] = uint64(lo), uint64(hi)           // stack.lo, stack.hi
	a.G[2], a.G[3] = uint64(lo+2048), uint64(lo+2048) // stackguard0, stackguard1
}

// Hooks: the kernel's handlers, registered at boot before any interrupt
// can happen. They hold top-level functions only.
var (
	trapHandler      func(a *TrapArea)
	secondaryHandler func(a *TrapArea)
	idleSyscall      uint64 // the system call the idle loop makes after a cede
	trapMSR          uint64 // MSR bits the handler runs with beyond FP/VMX/VSX
)

// SetTrapHandler registers the function every interrupt and system call
// runs, on the CPU's interrupt stack, with the CPU's TrapArea. It runs
// before the Go runtime exists.
func SetTrapHandler(h func(a *TrapArea)) { trapHandler = h }

// SetSecondaryHandler registers the function a secondary CPU started by
// StartCPU runs first, on its interrupt stack; it must not return (it
// ends in ResumeContext).
func SetSecondaryHandler(h func(a *TrapArea)) { secondaryHandler = h }

// SetTrapTranslation turns data translation on (or off) for the
// handler, so that it reaches user mappings at their virtual addresses.
func SetTrapTranslation(on bool) {
	trapMSR = 0
	if on {
		trapMSR = MSR_DR
	}
}

// SetIdleSyscall sets the system call the idle loop makes when a cede
// returns, so that the kernel looks for work.
func SetIdleSyscall(nr uint64) { idleSyscall = nr }

// dispatchTrap and dispatchSecondary are called by the assembly.
func dispatchTrap(a *TrapArea)      { trapHandler(a) }
func dispatchSecondary(a *TrapArea) { secondaryHandler(a) }
