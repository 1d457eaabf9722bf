package kernel

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/arch/ppc64/ppc64asm"

	"k42/arch/ppc64"
)

// This file is the kernel's face to Go code running on it: the console,
// the test suite, benchmarks and programs. It runs after the runtime has
// started, so it may allocate; it reaches kernel state through system
// calls or by reading it.

func init() {
	f := reportFault
	reportFaultPC = uint64(**(**uintptr)(unsafe.Pointer(&f)))
	runtimeUp = true
}

// ReadInfo returns the machine's description; BootMs is the time from the
// kernel's first instruction to now.
func ReadInfo() Info {
	m := ReadMemStats()
	return Info{
		CPUs:        numCPUs,
		MemBytes:    Platform.MemBytes,
		TimebaseHz:  Platform.TimebaseHz,
		BootMs:      int64((ppc64.Timebase() - bootTB) * 1000 / Platform.TimebaseHz),
		FramesTotal: m.FramesTotal,
		FramesUsed:  m.FramesUsed,
		FramesPeak:  m.FramesPeak,
	}
}

// BootTB is the timebase at the kernel's first instruction.
func BootTB() uint64 { return bootTB }

// Timebase reads the timebase register.
func Timebase() uint64 { return ppc64.Timebase() }

// TimebaseHz is the timebase frequency.
func TimebaseHz() uint64 { return Platform.TimebaseHz }

// CPUID returns the number of the CPU the caller runs on. The answer may
// be stale as soon as it is returned unless the caller cannot migrate.
func CPUID() int { return int(ppc64.SPRG3()) }

// SchedulerCPU returns the CPU the scheduler records the calling thread
// as running on (a system call: the answer is the kernel's, not SPRG3's).
func SchedulerCPU() int {
	r, _, _ := syscall.RawSyscall(sysK42CPU, 0, 0, 0)
	return int(r)
}

// NumCPUs returns the number of CPUs online.
func NumCPUs() int { return numCPUs }

// CPUStatsAll returns a snapshot of every CPU's counters.
func CPUStatsAll() ([]CPUStats, error) {
	out := make([]CPUStats, numCPUs)
	size := unsafe.Sizeof(CPUStats{})
	_, _, e := syscall.RawSyscall(sysK42Stats, uintptr(unsafe.Pointer(&out[0])), size*uintptr(len(out)), 0)
	if e != 0 {
		return nil, e
	}
	return out, nil
}

// Threads returns a snapshot of the live threads (read without locking:
// figures may be a moment old).
func Threads() []ThreadStat {
	var out []ThreadStat
	names := [...]string{"free", "runnable", "running", "blocked", "dead"}
	for i := int32(0); i < threadHigh; i++ {
		t := &threads[i]
		if t.state == threadFree || t.idle {
			continue
		}
		out = append(out, ThreadStat{TID: t.tid, State: names[t.state], CPU: t.cpu, Runs: t.runs, RunTicks: t.runTicks})
	}
	return out
}

// Halt powers the machine off with status, immediately.
func Halt(status int) {
	syscall.RawSyscall(sysK42Halt, uintptr(status), 0, 0)
}

// reportFault runs as the faulting thread, redirected here by fault(). It
// prints the disassembly around the faulting instruction and powers off.
func reportFault() {
	addr, _, e := syscall.RawSyscall(sysK42Fault, 0, 0, 0)
	if e != 0 {
		Halt(FaultStatus)
	}
	rec := (*FaultRecord)(unsafe.Pointer(addr))
	// A raw write: reportFault runs on the fault stack, outside the
	// goroutine's stack bounds, which entersyscall (Syscall) rejects.
	b := []byte(FormatDisassembly(rec.Ctx.PC, 8, 4))
	syscall.RawSyscall(syscall.SYS_WRITE, 2, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	Halt(FaultStatus)
}

// FormatDisassembly disassembles before instructions before pc and after
// after it, marking pc, with function names where the runtime knows them.
func FormatDisassembly(pc uint64, before, after int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "disassembly around SRR0 %#x:\n", pc)
	last := ""
	for a := pc - uint64(4*before); a <= pc+uint64(4*after); a += 4 {
		if !validCode(a) {
			continue
		}
		if fn := runtime.FuncForPC(uintptr(a)); fn != nil && fn.Name() != last {
			last = fn.Name()
			file, line := fn.FileLine(uintptr(a))
			fmt.Fprintf(&b, "  %s (%s:%d)\n", last, file, line)
		}
		word := *(*[4]byte)(unsafe.Pointer(uintptr(a)))
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

// CrashFault makes a wild store to an address with no memory behind it.
func CrashFault() {
	wildStore(0x7fff_0000_0000)
}

// bootWords returns the boot-argument words as laid out on the initial
// stack.
func bootWords() []string {
	if argStrs.n == 0 {
		return nil
	}
	b := user(argStrs.addr, argStrs.n)
	return strings.Split(string(b[:len(b)-1]), "\x00")
}

// BootOptions returns the kernel options given at boot, other than
// argv0 and env, each as "NAME" or "NAME=VALUE" without the k42. prefix,
// in the order given.
func BootOptions() []string { return optionsIn(bootWords()) }

// Option returns the value of kernel option name as given at boot (the
// last one wins) and whether it was given; a flag given without "=" has
// the value "".
func Option(name string) (string, bool) { return optionIn(BootOptions(), name) }

// CheckOptions reports the first boot option that no subsystem defined.
func CheckOptions() error { return checkOptions(BootOptions()) }

// BootFailed reports why the boot cannot go on, on the console, and
// powers off with the boot-failure status. For checks made after the
// runtime has started (CheckOptions).
func BootFailed(why string) {
	fmt.Fprintf(os.Stderr, "k42: boot failed: %s\n", why)
	Halt(BootFailStatus)
}
