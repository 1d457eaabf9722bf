package kernel

import (
	"k42/arch/ppc64"
)

// Faults. An unexpected exception is reported in two steps. First, inside
// the trap handler and without allocating, the kernel prints the vector,
// every register and the raw instruction words around the faulting
// address. Then, if the faulting thread was running Go code, the kernel
// freezes every other thread and redirects the faulting one into
// reportFault (a normal Go function, on a stack of its own) which
// disassembles those instructions with golang.org/x/arch and powers off.
// A watchdog powers off regardless if that report does not finish.

// FaultStatus is the exit status of a machine powered off by a fault.
const FaultStatus = 3

// FaultRecord is the state of the fault being reported.
type FaultRecord struct {
	Ctx Context
	CPU int
	TID int32
}

var (
	faultRec      FaultRecord
	faultThread   int32  = -1 // the only thread allowed to run after a fault
	faultDeadline uint64      // watchdog: power off after this timebase
	runtimeUp     bool        // set by the kernel's package initialiser
	reportFaultPC uint64      // entry of reportFault, set at init
)

// faultFrozen reports whether thread i must not run because another thread
// faulted. sched must be held.
func faultFrozen(i int32) bool { return faultThread >= 0 && i != faultThread }

// printRegs prints a register dump in the trap handler.
func printRegs(title string, ctx *Context, cpu int) {
	var k kbuf
	k.s("\n*** k42: ").s(title).s(": ").s(ppc64.VectorName(ctx.Trap)).s(" (vector ").x(ctx.Trap, 0).s(") on CPU ").d(int64(cpu)).s("\n")
	reportWrite(k.bytes())
	for i := 0; i < 32; i += 4 {
		k = kbuf{}
		for j := i; j < i+4; j++ {
			if j < 10 {
				k.c(' ')
			}
			k.s("r").d(int64(j)).s(" ").x(ctx.GPR[j], 16).s("  ")
		}
		k.s("\n")
		reportWrite(k.bytes())
	}
	k = kbuf{}
	k.s("SRR0 ").x(ctx.PC, 16).s("  SRR1 ").x(ctx.MSR, 16).s("  LR  ").x(ctx.LR, 16).s("\n")
	k.s("CTR  ").x(ctx.CTR, 16).s("  DAR  ").x(ctx.DAR, 16).s("  DSISR ").x(ctx.DSISR, 8).s("  CR ").x(ctx.CR, 8).s("  XER ").x(ctx.XER, 8).s("\n")
	reportWrite(k.bytes())
	printCode(ctx.PC)
}

// printCode prints the instruction words around pc in hex: the fallback
// when the disassembly below cannot run, and what the host runner
// disassembles if the kernel could not.
func printCode(pc uint64) {
	var k kbuf
	k.s("code:")
	for a := pc - 16; a <= pc+12; a += 4 {
		if !validCode(a) {
			continue
		}
		if a == pc {
			k.s(" <")
		} else {
			k.c(' ')
		}
		k.x(uint64(*instructionAt(a)), 8)
		if a == pc {
			k.c('>')
		}
	}
	k.s(" @").x(pc-16, 0).s("\n")
	reportWrite(k.bytes())
}

// validCode reports whether the instruction word at a can be read in the
// trap handler (which runs translated: page zero is not mapped).
func validCode(a uint64) bool { return a&3 == 0 && a >= nilPageEnd && a+4 <= Platform.MemBytes }

// fault handles an unexpected exception taken by thread t on c.
func fault(c *CPU, t *Thread) {
	printRegs("unexpected exception", &t.Ctx, c.ID)
	sched.lock()
	if !runtimeUp || t.idle || faultThread >= 0 || reportFaultPC == 0 || faultStackTop == 0 {
		sched.unlock()
		powerOff(FaultStatus)
	}
	faultRec = FaultRecord{Ctx: t.Ctx, CPU: c.ID, TID: t.tid}
	faultThread = int32(c.current)
	faultDeadline = ppc64.Timebase() + 5*Platform.TimebaseHz
	sched.unlock()
	// Run reportFault as this thread, on the fault stack, with its g (R30)
	// unchanged so that it can allocate like the goroutine it was running.
	sp := faultStackTop - 256
	*userU64(sp) = 0
	t.Ctx.GPR[1] = sp
	t.Ctx.GPR[0] = 0
	t.Ctx.GPR[12] = reportFaultPC
	t.Ctx.PC = reportFaultPC
	t.Ctx.LR = 0
	t.Ctx.MSR = ppc64.MSRKernel | ppc64.MSRTranslate
	t.sigMask = ^uint64(0)
}

// faultWatchdog powers off when the fault report did not finish in time.
func faultWatchdog() {
	reportWrite([]byte("k42: fault report did not complete; powering off\n"))
	powerOff(FaultStatus)
}

// nestedFault reports a fault inside the trap handler itself.
func nestedFault(c *CPU) {
	printRegs("fault inside the kernel's trap handler", &c.nested, c.ID)
	if t := &threads[c.current]; true {
		printRegs("while handling this trap", &t.Ctx, c.ID)
	}
	powerOff(FaultStatus)
}
