package ppc64

// Implemented in trap_ppc64.s.

// ResumeContext resumes the thread whose Context the running CPU's
// TrapArea names (CurCtx), with rfid. It is also how a CPU starts its
// first thread. MSR[EE] must be 0. It does not return.
func ResumeContext()

// TrapEntryPC is the address of the common exception entry, for
// VectorStub.
func TrapEntryPC() uintptr

// SecondaryEntryPC is where StartCPU starts a secondary CPU: r3 holds its
// TrapArea.
func SecondaryEntryPC() uintptr

// IdleLoopPC is the code of an idle thread: cede the virtual processor
// until an interrupt or a prod, then make the idle system call (see
// SetIdleSyscall) so that the kernel can pick up work, forever. It runs
// with MSR[EE] = 1.
func IdleLoopPC() uintptr

// Stop cedes the processor for good: the end of a powered-off machine
// whose power-off call returned.
func Stop()
