// The kernel's first instructions. QEMU's pseries loader jumps to the
// first byte of the image, where boot/image placed a branch to entry.
// State on arrival (VOF): MSR = 0 (32-bit, real mode, interrupts and
// FP/VMX/VSX off), r1 = a small firmware stack, r5 = client interface.

#include "textflag.h"

#define BOOT_STACK 65536

TEXT ·entry(SB), NOSPLIT|NOFRAME, $0
	MOVD	SPR(268), R20             // mftb: the boot clock starts now
	XOR	R0, R0, R0                // the assembler builds constants from r0
	// Enter 64-bit mode with machine checks, FP, VMX and VSX enabled; the
	// Go compiler uses VSX registers freely.
	MOVD	$1, R10
	SLD	$63, R10                  // MSR[SF]: 64-bit mode
	MOVD	$0x2803002, R11           // MSR[VEC|VSX|FP|ME|RI]
	OR	R11, R10
	WORD	$0x7d400164               // mtmsrd r10
	ISYNC                             // the new MSR takes effect

	// Our own stack, and a goroutine descriptor holding only its bounds so
	// that compiled Go functions' stack checks pass before the runtime
	// exists (see kernel.CPU.g for the same trick in the trap handler).
	MOVD	$·bootStack(SB), R3
	ADD	$BOOT_STACK, R3, R1       // r1 = top of the boot stack
	SUB	$256, R1
	MOVD	$·bootG(SB), g          // g
	MOVD	R3, 0(g)                // g.stack.lo
	ADD	$BOOT_STACK, R3, R4
	MOVD	R4, 8(g)                // g.stack.hi
	ADD	$2048, R3
	MOVD	R3, 16(g)               // g.stackguard0
	MOVD	R3, 24(g)               // g.stackguard1
	XOR	R0, R0, R0                // Go code expects r0 == 0
	MOVD	R0, 0(R1)                 // end of the back chain
	MOVD	R20, 32(R1)               // argument: entry timebase
	BL	·start(SB)
hang:
	BR	hang
