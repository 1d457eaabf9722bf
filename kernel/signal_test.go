package kernel

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignalFrameRoundTrip(t *testing.T) {
	var ctx Context
	for i := range ctx.GPR {
		ctx.GPR[i] = uint64(i) * 0x1111
	}
	for i := range ctx.VSR {
		ctx.VSR[i] = [2]uint64{uint64(i) << 32, uint64(i)}
	}
	ctx.PC, ctx.LR, ctx.CTR, ctx.CR, ctx.XER, ctx.FPSCR = 0x401000, 0x402000, 7, 0x20000000, 1, 0x800
	// The frame holds its own addresses as integers (as in guest memory),
	// so it must not live on a goroutine stack, which may move.
	f := &testFrame
	f.fill(&ctx, sigURG, siTkill, 0, 0x5, stackT{sp: 0x9000, size: 0x8000}, 0x1234)
	require.Equal(t, int32(sigURG), f.info.signo)
	require.Equal(t, uint64(0x5), f.uc.sigmask)
	require.Equal(t, uint64(0x401000), f.uc.mcontext.gpRegs.nip)
	require.Zero(t, f.uc.mcontext.vRegs%16, "v_regs is 16-byte aligned")
	require.Equal(t, uint64(1)<<32, f.info.union[0], "si_pid 1 from tgkill")

	// A handler changes the PC and a register through the regs pointer, as
	// the Go runtime's pushCall does.
	f.uc.mcontext.gpRegs.nip = 0x500000
	f.uc.mcontext.gpRegs.gpr[12] = 0x500000

	var out Context
	out.MSR = 0xdead
	f.uc.restore(&out)
	require.Equal(t, uint64(0x500000), out.PC)
	require.Equal(t, uint64(0x500000), out.GPR[12])
	require.Equal(t, ctx.GPR[3], out.GPR[3])
	require.Equal(t, ctx.VSR, out.VSR, "vector registers survive the frame")
	require.Equal(t, ctx.FPSCR, out.FPSCR)
	require.Equal(t, uint64(0xdead), out.MSR, "the frame cannot change the MSR")
}

var testFrame sigframe

func TestSignalFrameForAFault(t *testing.T) {
	var ctx Context
	ctx.DAR = 0x8
	f := &testFrame
	f.fill(&ctx, sigSegv, segvMaperr, 0x8, 0, stackT{}, 0)
	require.Equal(t, int32(segvMaperr), f.info.code)
	require.Equal(t, uint64(0x8), f.info.union[0], "si_addr")
	require.Equal(t, uint64(0x8), f.uc.mcontext.gpRegs.dar, "the runtime reads the fault address from regs.dar")
}
