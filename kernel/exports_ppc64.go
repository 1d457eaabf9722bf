package kernel

import "k42/arch/ppc64"

// Read-only facts of the running kernel, for its Go API (kernel/sys) and
// the reconfiguration platform (kernel/objects). Each is a load of state
// fixed at boot, or one register read: safe in any context.

// NumCPUs returns the number of CPUs online.
func NumCPUs() int { return numCPUs }

// MemBytes returns the RAM the machine has.
func MemBytes() uint64 { return Platform.MemBytes }

// TimebaseHz is the timebase frequency.
func TimebaseHz() uint64 { return Platform.TimebaseHz }

// BootTB is the timebase at the kernel's first instruction.
func BootTB() uint64 { return bootTB }

// Timebase reads the timebase register.
func Timebase() uint64 { return ppc64.Timebase() }

// CPUID returns the number of the CPU the caller runs on. The answer may
// be stale as soon as it is returned unless the caller cannot migrate.
func CPUID() int { return int(ppc64.SPRG3()) }

// ValidCode reports whether the instruction word at a is in RAM (what
// the fault report may disassemble).
func ValidCode(a uint64) bool { return validCode(a) }

// IsOptionWord reports whether boot-argument word w is a kernel option
// kept for the subsystems (k42.NAME[=VALUE] other than argv0 and env).
func IsOptionWord(w []byte) bool {
	kind, _, _ := classify(w)
	return kind == wordOption
}

// WallNanos is the realtime clock (clock_gettime's CLOCK_REALTIME) in
// nanoseconds since the epoch, read from the timebase without a system
// call: for Go code in the image that stamps times often (the file
// system's clock).
func WallNanos() int64 {
	ns, _ := nowNanos(0)
	return ns
}
