package ppc64

// Regs carries a hypercall's opcode and registers: Regs[0] is the opcode
// on the way in and the status on the way out, Regs[1:] are r4..r12.
type Regs [10]uint64

// Hcall makes a PAPR hypervisor call (sc 1).
//
//go:noescape
func Hcall(r *Regs)

// Timebase reads the 64-bit timebase.
func Timebase() uint64

// MFMSR reads the machine state register.
func MFMSR() uint64

// MTMSRD writes the machine state register.
func MTMSRD(v uint64)

// SetDEC loads the decrementer.
func SetDEC(ticks uint32)

// SPRG0 returns the per-CPU area address.
func SPRG0() uintptr

// SetSPRG0 sets the per-CPU area address.
func SetSPRG0(v uintptr)

// SPRG3 returns the current CPU number.
func SPRG3() uint64

// SetSPRG3 sets the current CPU number.
func SetSPRG3(v uint64)

// Sync is a full memory barrier (sync).
func Sync()

// Lwsync is a lightweight barrier (lwsync): orders everything but
// store-then-load.
func Lwsync()

// Darn returns a hardware random number, or ^0 on failure.
func Darn() uint64

// SyncICache makes stores to [addr, addr+n) visible to instruction fetch.
func SyncICache(addr, n uintptr)
