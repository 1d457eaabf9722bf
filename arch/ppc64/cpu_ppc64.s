// Privileged and architecture-state primitives. Each function is a leaf
// with no frame (NOFRAME) so it can run on any stack, including before the
// Go runtime exists and inside the trap handler.

#include "textflag.h"

// func Hcall(r *Regs)
// r[0] = hcall opcode in, status out; r[1..9] = r4..r12 in and out.
TEXT ·Hcall(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	r+0(FP), R14     // r14 is preserved across hcalls (PAPR)
	MOVD	0(R14), R3       // opcode
	MOVD	8(R14), R4
	MOVD	16(R14), R5
	MOVD	24(R14), R6
	MOVD	32(R14), R7
	MOVD	40(R14), R8
	MOVD	48(R14), R9
	MOVD	56(R14), R10
	MOVD	64(R14), R11
	MOVD	72(R14), R12
	WORD	$0x44000022      // sc 1: hypervisor call
	MOVD	R3, 0(R14)       // status
	MOVD	R4, 8(R14)       // return values r4..r12
	MOVD	R5, 16(R14)
	MOVD	R6, 24(R14)
	MOVD	R7, 32(R14)
	MOVD	R8, 40(R14)
	MOVD	R9, 48(R14)
	MOVD	R10, 56(R14)
	MOVD	R11, 64(R14)
	MOVD	R12, 72(R14)
	XOR	R0, R0, R0       // Go code expects r0 == 0
	RET

// func Timebase() uint64
TEXT ·Timebase(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	SPR(268), R3     // mftb: 64-bit timebase
	MOVD	R3, ret+0(FP)
	RET

// func MFMSR() uint64
TEXT ·MFMSR(SB), NOSPLIT|NOFRAME, $0-8
	WORD	$0x7c6000a6      // mfmsr r3
	MOVD	R3, ret+0(FP)
	RET

// func MTMSRD(v uint64)
TEXT ·MTMSRD(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	v+0(FP), R3
	WORD	$0x7c600164      // mtmsrd r3 (L=0: all bits)
	ISYNC                    // context synchronise after MSR change
	RET

// func SetDEC(ticks uint32)
TEXT ·SetDEC(SB), NOSPLIT|NOFRAME, $0-4
	MOVWZ	ticks+0(FP), R3
	MOVD	R3, SPR(22)      // mtdec: decrementer interrupt when it goes negative
	RET

// func SPRG0() uintptr
TEXT ·SPRG0(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	SPR(272), R3     // per-CPU area
	MOVD	R3, ret+0(FP)
	RET

// func SetSPRG0(v uintptr)
TEXT ·SetSPRG0(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	v+0(FP), R3
	MOVD	R3, SPR(272)
	RET

// func SPRG3() uint64
TEXT ·SPRG3(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	SPR(275), R3     // current CPU number
	MOVD	R3, ret+0(FP)
	RET

// func SetSPRG3(v uint64)
TEXT ·SetSPRG3(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	v+0(FP), R3
	MOVD	R3, SPR(275)
	RET

// func Sync()
TEXT ·Sync(SB), NOSPLIT|NOFRAME, $0-0
	SYNC                     // full barrier: all prior accesses performed
	RET

// func Lwsync()
TEXT ·Lwsync(SB), NOSPLIT|NOFRAME, $0-0
	LWSYNC                   // orders load/load, load/store, store/store
	RET

// func Darn() uint64
// Returns a conditioned 64-bit random number, or all ones if the
// hardware had none ready.
TEXT ·Darn(SB), NOSPLIT|NOFRAME, $0-8
	WORD	$0x7c6105e6      // darn r3, 1 (L=1: conditioned 64-bit)
	MOVD	R3, ret+0(FP)
	RET

// func SyncICache(addr, n uintptr)
// Makes stores to [addr, addr+n) visible to instruction fetch.
TEXT ·SyncICache(SB), NOSPLIT|NOFRAME, $0-16
	MOVD	addr+0(FP), R3
	MOVD	n+8(FP), R4
	ADD	R3, R4, R4       // end
	MOVD	$~127, R5
	AND	R5, R3, R3       // round down to a 128-byte cache block
	MOVD	R3, R6
flush:
	CMPU	R3, R4
	BGE	flushed
	DCBST	(R3)             // write the data block back
	ADD	$128, R3
	BR	flush
flushed:
	SYNC                     // wait for the write-backs
inval:
	CMPU	R6, R4
	BGE	done
	ICBI	(R6)             // invalidate the instruction block
	ADD	$128, R6
	BR	inval
done:
	SYNC
	ISYNC                    // discard prefetched instructions
	RET

