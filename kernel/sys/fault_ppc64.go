package sys

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/arch/ppc64/ppc64asm"

	"k42/kernel"
)

// The Go half of the fault report (see kernel/fault_ppc64.go): after the
// trap handler has printed the registers, the faulting thread is
// redirected into reportFault, on a stack of its own, which disassembles
// the instructions around the fault with their function names and powers
// off. This package registers it with the kernel when it starts.

func init() {
	syscall.RawSyscall(kernel.SysK42Fault, kernel.FaultOpRegister, funcEntry(reportFault), 0)
}

// reportFault runs as the faulting thread, redirected here by the kernel.
func reportFault() {
	rec, ok := faultRecord()
	if !ok {
		Halt(kernel.FaultStatus)
	}
	// A raw write: reportFault runs on the fault stack, outside the
	// goroutine's stack bounds, which entersyscall (Syscall) rejects.
	writeRaw([]byte(FormatDisassembly(rec.Ctx.PC, 8, 4)))
	Halt(kernel.FaultStatus)
}

// FormatDisassembly disassembles before instructions before pc and after
// after it, marking pc, with function names where the runtime knows them.
func FormatDisassembly(pc uint64, before, after int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "disassembly around SRR0 %#x:\n", pc)
	last := ""
	for a := pc - uint64(4*before); a <= pc+uint64(4*after); a += 4 {
		if !kernel.ValidCode(a) {
			continue
		}
		if fn := runtime.FuncForPC(uintptr(a)); fn != nil && fn.Name() != last {
			last = fn.Name()
			file, line := fn.FileLine(uintptr(a))
			fmt.Fprintf(&b, "  %s (%s:%d)\n", last, file, line)
		}
		word := instructionWord(a)
		text := "?"
		if inst, err := ppc64asm.Decode(word[:], binary.BigEndian); err == nil {
			text = ppc64asm.GoSyntax(inst, a, nil)
		}
		mark := "  "
		if a == pc {
			mark = "=>"
		}
		fmt.Fprintf(&b, "  %s %#x  %08x  %s\n", mark, a, binary.BigEndian.Uint32(word[:]), text)
	}
	return b.String()
}

// CrashFault makes a wild store to an address with no memory behind it:
// the fault report's path, for the crash=fault boot argument.
func CrashFault() { wildStore(0x7fff_0000_0000) }

// wildStore stores to addr (crash_ppc64.s).
func wildStore(addr uintptr)
