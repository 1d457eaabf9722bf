// Secondary CPU entry. RTAS start-cpu starts a stopped CPU here with
// MSR = SF|ME (64-bit, real mode, interrupts off) and r3 = the argument
// the boot CPU passed: this CPU's CPU area.

#include "go_asm.h"
#include "textflag.h"

TEXT ·secondaryEntry(SB), NOSPLIT|NOFRAME, $0
	XOR	R0, R0, R0                // the assembler builds constants from r0
	WORD	$0x7c8000a6               // mfmsr r4
	MOVD	$0x2802002, R5            // MSR[VEC|VSX|FP|RI]
	OR	R5, R4
	WORD	$0x7c800164               // mtmsrd r4: FP/VMX/VSX on for Go code
	ISYNC
	MOVD	R3, SPR(272)              // SPRG0 = this CPU's area
	MOVD	CPU_stackTop(R3), R1      // run on its interrupt stack
	SUB	$128, R1
	MOVD	R0, 0(R1)                 // end of the back chain
	MOVD	$CPU_g(R3), g             // the handler g: stack bounds only
	MOVD	R3, 32(R1)                // argument c
	BL	·secondaryStart(SB)
	MOVD	R0, 0(R0)                 // not reached

// func secondaryEntryAddr() uintptr
TEXT ·secondaryEntryAddr(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$·secondaryEntry(SB), R3
	MOVD	R3, ret+0(FP)
	RET
