// Package ppc64 owns the processor and platform primitives of a 64-bit
// PowerPC (POWER9) guest on QEMU's pseries machine: special-purpose
// registers, the timebase and decrementer, hypercalls (PAPR hcalls), RTAS
// calls, the console terminal, cache maintenance and instruction encodings,
// and a PCI host bridge's platform side: RTAS configuration addresses
// and the XICS interrupt presentation hcalls (pci.go, hcall_ppc64.go).
//
// It is the kernel's per-architecture hook set, in the spirit of TamaGo: a
// small, explicit list of functions the rest of the kernel calls. Nothing
// here knows about threads or the Go runtime. Constants and encoders are
// plain Go and build on every host; the functions that execute privileged
// instructions are in *_ppc64.s with their declarations in *_ppc64.go.
package ppc64

// Machine State Register bits (Power ISA 3.0, MSR bit n is 1<<(63-n)).
const (
	MSR_SF  = 1 << 63 // 64-bit mode
	MSR_HV  = 1 << 60 // hypervisor state
	MSR_VEC = 1 << 25 // vector (VMX) available
	MSR_VSX = 1 << 23 // VSX available
	MSR_EE  = 1 << 15 // external and decrementer interrupts enabled
	MSR_PR  = 1 << 14 // problem (user) state
	MSR_FP  = 1 << 13 // floating point available
	MSR_ME  = 1 << 12 // machine check enabled
	MSR_IR  = 1 << 5  // instruction relocation
	MSR_DR  = 1 << 4  // data relocation
	MSR_RI  = 1 << 1  // recoverable interrupt
	MSR_LE  = 1 << 0  // little-endian

	// MSRKernel is the MSR every kernel and runtime thread runs with: 64-bit,
	// big-endian, supervisor, real mode, FP/VMX/VSX on, interrupts on.
	MSRKernel = MSR_SF | MSR_VEC | MSR_VSX | MSR_EE | MSR_FP | MSR_ME | MSR_RI
)

// Special-purpose register numbers.
const (
	SPR_XER   = 1
	SPR_DSISR = 18
	SPR_DAR   = 19
	SPR_DEC   = 22
	SPR_SRR0  = 26
	SPR_SRR1  = 27
	SPR_TB    = 268
	SPR_SPRG0 = 272 // per-CPU area (real address)
	SPR_SPRG1 = 273 // trap entry scratch (interrupted r13)
	SPR_SPRG2 = 274
	SPR_SPRG3 = 275 // current CPU number (readable as 259 in problem state)
	SPR_PIR   = 1023
)

// Interrupt vectors (real addresses with LPCR[AIL]=0).
const (
	VecSystemReset   = 0x100
	VecMachineCheck  = 0x200
	VecDataStorage   = 0x300
	VecDataSegment   = 0x380
	VecInstStorage   = 0x400
	VecInstSegment   = 0x480
	VecExternal      = 0x500
	VecAlignment     = 0x600
	VecProgram       = 0x700
	VecFPUnavailable = 0x800
	VecDecrementer   = 0x900
	VecDoorbell      = 0xA00
	VecSystemCall    = 0xC00
	VecTrace         = 0xD00
	VecPerfMonitor   = 0xF00
	VecVMXUnavail    = 0xF20
	VecVSXUnavail    = 0xF40
	VecFacilityUnav  = 0xF60
)

// Vectors lists every vector the kernel installs a stub at.
var Vectors = [...]uint32{
	VecSystemReset, VecMachineCheck, VecDataStorage, VecDataSegment,
	VecInstStorage, VecInstSegment, VecExternal, VecAlignment, VecProgram,
	VecFPUnavailable, VecDecrementer, VecDoorbell, VecSystemCall, VecTrace,
	VecPerfMonitor, VecVMXUnavail, VecVSXUnavail, VecFacilityUnav,
	0xE00, 0xE20, 0xE40, 0xE60, 0xE80, 0xEA0, 0x1500, 0x1600, 0x1700,
}

// VectorName names an interrupt vector for fault reports.
func VectorName(v uint64) string {
	switch v {
	case VecSystemReset:
		return "system reset"
	case VecMachineCheck:
		return "machine check"
	case VecDataStorage:
		return "data storage"
	case VecDataSegment:
		return "data segment"
	case VecInstStorage:
		return "instruction storage"
	case VecInstSegment:
		return "instruction segment"
	case VecExternal:
		return "external"
	case VecAlignment:
		return "alignment"
	case VecProgram:
		return "program"
	case VecFPUnavailable:
		return "floating-point unavailable"
	case VecDecrementer:
		return "decrementer"
	case VecDoorbell:
		return "doorbell"
	case VecSystemCall:
		return "system call"
	case VecTrace:
		return "trace"
	case VecPerfMonitor:
		return "performance monitor"
	case VecVMXUnavail:
		return "vector unavailable"
	case VecVSXUnavail:
		return "VSX unavailable"
	case VecFacilityUnav:
		return "facility unavailable"
	}
	if v >= 0xE00 && v <= 0xEA0 {
		return "hypervisor interrupt"
	}
	return "unknown vector"
}
