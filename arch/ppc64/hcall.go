package ppc64

// PAPR hypercall opcodes and status codes used by the kernel.
const (
	H_SUCCESS   = 0
	H_BUSY      = 1
	H_HARDWARE  = -1
	H_PARAMETER = -4

	H_GET_TERM_CHAR = 0x54
	H_PUT_TERM_CHAR = 0x58
	H_CEDE          = 0xe0
	H_CONFER        = 0xe4
	H_PROD          = 0xe8
	H_IPI           = 0x6c
	H_EOI           = 0x64 // end of interrupt (xirr)
	H_CPPR          = 0x68 // set this CPU's current processor priority
	H_XIRR          = 0x74 // accept the highest-priority pending interrupt: r4 = XIRR
	H_SET_MODE      = 0x31c

	KVMPPC_H_RTAS       = 0xf000 // QEMU: RTAS call, r4 = argument block
	KVMPPC_H_VOF_CLIENT = 0xf005 // QEMU VOF: client interface, r4 = argument block
)
