package kernel

import "unsafe"

// Context is the saved processor state of a thread: what the trap entry
// stores when the thread is interrupted and what the trap exit loads when
// it resumes. trap_ppc64.s uses the offsets below; TestContextLayout checks
// them.
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

// Offsets used by trap_ppc64.s.
const (
	ctxGPR   = 0
	ctxCR    = 256
	ctxLR    = 264
	ctxCTR   = 272
	ctxXER   = 280
	ctxPC    = 288
	ctxMSR   = 296
	ctxFPSCR = 304
	ctxDAR   = 312
	ctxDSISR = 320
	ctxTrap  = 328
	ctxVSR   = 352
	ctxSize  = 1376
)

// The compiler checks the layout: each line fails to build if an offset
// moved.
var _ = [1]struct{}{}[unsafe.Offsetof(Context{}.CR)-ctxCR]
var _ = [1]struct{}{}[unsafe.Offsetof(Context{}.PC)-ctxPC]
var _ = [1]struct{}{}[unsafe.Offsetof(Context{}.Trap)-ctxTrap]
var _ = [1]struct{}{}[unsafe.Offsetof(Context{}.VSR)-ctxVSR]
var _ = [1]struct{}{}[unsafe.Sizeof(Context{})-ctxSize]

// crSO is CR0[SO] in the 32-bit condition register image: the Linux
// system-call ABI on ppc64 sets it when r3 holds an error number.
const crSO = 0x10000000

// SetReturn stores a system call's result in the saved registers: a value
// in (-4096, 0) is -errno and is returned as errno with CR0[SO] set.
func (c *Context) SetReturn(v int64) {
	if v < 0 && v > -4096 {
		c.GPR[3] = uint64(-v)
		c.CR |= crSO
		return
	}
	c.GPR[3] = uint64(v)
	c.CR &^= crSO
}
