package kernel

import "unsafe"

// Linux ppc64 signal ABI: the structures a handler installed with
// rt_sigaction receives and rt_sigreturn reads back. Field names follow
// the Linux headers (and the Go runtime's defs_linux_ppc64.go).

const (
	sigKill = 9
	sigPipe = 13
	sigSegv = 11
	sigStop = 19
	sigURG  = 23
	nsig    = 64

	saSiginfo   = 0x4
	saOnstack   = 0x8000000
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000

	ssOnstack = 1
	ssDisable = 2

	siTkill = -6
	siUser  = 0

	sigDfl = 0
	sigIgn = 1

	signalFrameSize = 128 // __SIGNAL_FRAMESIZE: the ABI's minimum frame
)

// sigaction is the kernel's struct sigaction on ppc64.
type sigaction struct {
	handler  uint64 // ELFv1: address of a function descriptor
	flags    uint64
	restorer uint64
	mask     uint64
}

type stackT struct {
	sp    uint64
	flags int32
	_     int32
	size  uint64
}

type ptRegs struct {
	gpr      [32]uint64
	nip      uint64
	msr      uint64
	origGPR3 uint64
	ctr      uint64
	link     uint64
	xer      uint64
	ccr      uint64
	softe    uint64
	trap     uint64
	dar      uint64
	dsisr    uint64
	result   uint64
	_        [4]uint64 // gp_regs has 48 entries
}

type sigcontext struct {
	_       [4]uint64
	signal  int32
	_       int32
	handler uint64
	oldmask uint64
	regs    uint64 // *ptRegs: points at gpRegs
	gpRegs  ptRegs
	fpRegs  [33]uint64 // f0-f31, fpscr
	vRegs   uint64     // *: points into vmx
	vmx     [101]uint64
}

type ucontext struct {
	flags    uint64
	link     uint64
	stack    stackT
	sigmask  uint64
	_        [15]uint64
	mcontext sigcontext
}

type siginfo struct {
	signo int32
	errno int32
	code  int32
	_     int32
	// The union: for signals sent by a process, si_pid then si_uid (the
	// first word's halves, big-endian); for faults, si_addr.
	union [14]uint64
}

// sigframe is what the kernel pushes: the ucontext first (rt_sigreturn
// finds it at r1 + signalFrameSize + 16), then the siginfo.
type sigframe struct {
	uc   ucontext
	info siginfo
}

var _ = [1]struct{}{}[unsafe.Sizeof(ptRegs{})-48*8]
var _ = [1]struct{}{}[unsafe.Offsetof(ucontext{}.mcontext)-168]
var _ = [1]struct{}{}[unsafe.Sizeof(sigcontext{})-1528]
var _ = [1]struct{}{}[unsafe.Sizeof(siginfo{})-128]

// SIGSEGV codes.
const (
	segvMaperr = 1 // address not mapped
	segvAccerr = 2 // no permission
)

// saveVector stores the vector state of ctx in a sigcontext's fp_regs and
// vmx area: FPRs (VS0-31 high halves) and FPSCR in fp_regs; VR0-31
// (VS32-63) then the VS0-31 low halves in vmx, 16-byte aligned.
func (sc *sigcontext) saveVector(ctx *Context, vmxAddr uint64) {
	for i := 0; i < 32; i++ {
		sc.fpRegs[i] = ctx.VSR[i][0]
	}
	sc.fpRegs[32] = ctx.FPSCR
	sc.vRegs = vmxAddr
	v := sc.vmxWords(vmxAddr)
	for i := 0; i < 32; i++ {
		v[2*i], v[2*i+1] = ctx.VSR[32+i][0], ctx.VSR[32+i][1]
		v[64+i] = ctx.VSR[i][1]
	}
}

func (sc *sigcontext) restoreVector(ctx *Context) {
	for i := 0; i < 32; i++ {
		ctx.VSR[i][0] = sc.fpRegs[i]
	}
	ctx.FPSCR = sc.fpRegs[32]
	v := sc.vmxWords(sc.vRegs)
	for i := 0; i < 32; i++ {
		ctx.VSR[32+i][0], ctx.VSR[32+i][1] = v[2*i], v[2*i+1]
		ctx.VSR[i][1] = v[64+i]
	}
}

// vmxWords returns the 96 doublewords starting at the 16-byte aligned
// address inside vmx the v_regs pointer names.
func (sc *sigcontext) vmxWords(addr uint64) []uint64 {
	base := uint64(uintptr(unsafe.Pointer(&sc.vmx[0])))
	off := (addr - base) / 8
	if addr < base || off+96 > uint64(len(sc.vmx)) {
		off = 0
	}
	return sc.vmx[off : off+96]
}

// alignedVmx returns the first 16-byte aligned address inside sc.vmx.
func (sc *sigcontext) alignedVmx() uint64 {
	a := uint64(uintptr(unsafe.Pointer(&sc.vmx[0])))
	return (a + 15) &^ 15
}

// fill builds the signal frame for a thread whose registers are ctx, with
// mask the signal mask to restore and alt the alternate stack to report.
// For a fault, addr is the faulting address (si_addr); otherwise the
// sender is this process (si_pid 1, si_uid 0).
func (f *sigframe) fill(ctx *Context, sig int, code int32, addr uint64, mask uint64, alt stackT, handler uint64) {
	*f = sigframe{}
	f.uc.stack = alt
	f.uc.sigmask = mask
	mc := &f.uc.mcontext
	mc.signal = int32(sig)
	mc.handler = handler
	mc.oldmask = mask
	mc.regs = uint64(uintptr(unsafe.Pointer(&mc.gpRegs)))
	r := &mc.gpRegs
	r.gpr = ctx.GPR
	r.nip, r.msr, r.origGPR3 = ctx.PC, ctx.MSR, ctx.GPR[3]
	r.ctr, r.link, r.xer, r.ccr = ctx.CTR, ctx.LR, ctx.XER, ctx.CR
	r.trap, r.dar, r.dsisr = ctx.Trap, ctx.DAR, ctx.DSISR
	mc.saveVector(ctx, mc.alignedVmx())
	f.info.signo = int32(sig)
	f.info.code = code
	if code > 0 { // kernel-generated: a fault
		f.info.union[0] = addr
	} else {
		f.info.union[0] = 1 << 32 // si_pid 1, si_uid 0
	}
}

// restore loads the registers rt_sigreturn resumes from the frame's
// ucontext. The MSR is not taken from the frame: a handler cannot change
// the privilege or mode it resumes in.
func (uc *ucontext) restore(ctx *Context) {
	r := &uc.mcontext.gpRegs
	ctx.GPR = r.gpr
	ctx.PC, ctx.CTR, ctx.LR, ctx.XER, ctx.CR = r.nip, r.ctr, r.link, r.xer, r.ccr
	uc.mcontext.restoreVector(ctx)
}
