// Exception entry and exit: the only code that saves and restores a
// thread's whole register state. Every interrupt vector's stub (see
// VectorStub) branches to trapEntry with an absolute branch.

#include "go_asm.h"
#include "textflag.h"

// trapEntry is the common interrupt entry.
// On entry: r13 = this CPU's CPU area (loaded from SPRG0 by the stub),
// CPU.scratch[0] = the interrupted r12, r12 = the vector number,
// SPRG1 = the interrupted r13, SRR0/SRR1 = interrupted PC and MSR,
// MSR[EE] = 0 and FP/VMX/VSX off (the interrupt cleared them).
TEXT ·trapEntry(SB), NOSPLIT|NOFRAME, $0
	MOVD	R11, (TrapArea_scratch+8)(R13) // free r11
	// Save CR before anything below writes it (the compare that follows
	// sets CR0): an interrupt between a stwcx. and its branch must not
	// turn a failed store-conditional into a success.
	MOVW	CR, R11                   // mfcr: the interrupted CR
	MOVW	R11, (TrapArea_scratch+16)(R13)
	MOVD	TrapArea_InTrap(R13), R11
	CMP	R11, $0
	BNE	nested                    // a fault inside the handler itself
	MOVD	$1, R11
	MOVD	R11, TrapArea_InTrap(R13)      // mark: in the handler
	MOVD	TrapArea_CurCtx(R13), R11      // r11 = the running thread's Context
	BR	save
nested:
	MOVD	$2, R11
	MOVD	R11, TrapArea_InTrap(R13)      // mark: nested fault, fatal
	MOVD	TrapArea_NestCtx(R13), R11     // save into the CPU's own Context
save:
	MOVD	R12, Context_Trap(R11)    // vector number
	MOVD	R0, (Context_GPR+0)(R11)
	MOVD	R1, (Context_GPR+8)(R11)
	MOVD	R2, (Context_GPR+16)(R11)
	MOVD	R3, (Context_GPR+24)(R11)
	MOVD	R4, (Context_GPR+32)(R11)
	MOVD	R5, (Context_GPR+40)(R11)
	MOVD	R6, (Context_GPR+48)(R11)
	MOVD	R7, (Context_GPR+56)(R11)
	MOVD	R8, (Context_GPR+64)(R11)
	MOVD	R9, (Context_GPR+72)(R11)
	MOVD	R10, (Context_GPR+80)(R11)
	MOVD	(TrapArea_scratch+8)(R13), R12 // interrupted r11
	MOVD	R12, (Context_GPR+88)(R11)
	MOVD	(TrapArea_scratch+0)(R13), R12 // interrupted r12
	MOVD	R12, (Context_GPR+96)(R11)
	MOVD	SPR(273), R12             // interrupted r13, parked in SPRG1
	MOVD	R12, (Context_GPR+104)(R11)
	MOVD	R14, (Context_GPR+112)(R11)
	MOVD	R15, (Context_GPR+120)(R11)
	MOVD	R16, (Context_GPR+128)(R11)
	MOVD	R17, (Context_GPR+136)(R11)
	MOVD	R18, (Context_GPR+144)(R11)
	MOVD	R19, (Context_GPR+152)(R11)
	MOVD	R20, (Context_GPR+160)(R11)
	MOVD	R21, (Context_GPR+168)(R11)
	MOVD	R22, (Context_GPR+176)(R11)
	MOVD	R23, (Context_GPR+184)(R11)
	MOVD	R24, (Context_GPR+192)(R11)
	MOVD	R25, (Context_GPR+200)(R11)
	MOVD	R26, (Context_GPR+208)(R11)
	MOVD	R27, (Context_GPR+216)(R11)
	MOVD	R28, (Context_GPR+224)(R11)
	MOVD	R29, (Context_GPR+232)(R11)
	MOVD	g, (Context_GPR+240)(R11)
	MOVD	R31, (Context_GPR+248)(R11)
	MOVWZ	(TrapArea_scratch+16)(R13), R12 // the CR saved on entry
	MOVD	R12, Context_CR(R11)
	MOVD	LR, R12
	MOVD	R12, Context_LR(R11)
	MOVD	CTR, R12
	MOVD	R12, Context_CTR(R11)
	MOVD	XER, R12
	MOVD	R12, Context_XER(R11)
	MOVD	SPR(26), R12              // SRR0: interrupted PC
	MOVD	R12, Context_PC(R11)
	MOVD	SPR(27), R12              // SRR1: interrupted MSR
	MOVD	R12, Context_MSR(R11)
	MOVD	SPR(19), R12              // DAR
	MOVD	R12, Context_DAR(R11)
	MOVD	SPR(18), R12              // DSISR
	MOVD	R12, Context_DSISR(R11)

	XOR	R0, R0, R0                // the assembler builds constants from r0
	// Turn FP, VMX and VSX back on: the thread's vector state must be
	// saved, and the compiled handler may use it (memmove uses VSX).
	WORD	$0x7c6000a6               // mfmsr r3
	MOVD	$0x2802000, R4            // MSR[VEC] | MSR[VSX] | MSR[FP]
	OR	R4, R3
	// And data translation once the page table is up (trapMSR = MSR[DR],
	// SetTrapTranslation): the handler reaches user mappings at their
	// virtual addresses and kernel memory through the identity map;
	// fetches stay real.
	MOVD	·trapMSR(SB), R4
	OR	R4, R3
	WORD	$0x7c600164               // mtmsrd r3
	ISYNC
	STXV	VS0, (Context_VSR+0)(R11)
	STXV	VS1, (Context_VSR+16)(R11)
	STXV	VS2, (Context_VSR+32)(R11)
	STXV	VS3, (Context_VSR+48)(R11)
	STXV	VS4, (Context_VSR+64)(R11)
	STXV	VS5, (Context_VSR+80)(R11)
	STXV	VS6, (Context_VSR+96)(R11)
	STXV	VS7, (Context_VSR+112)(R11)
	STXV	VS8, (Context_VSR+128)(R11)
	STXV	VS9, (Context_VSR+144)(R11)
	STXV	VS10, (Context_VSR+160)(R11)
	STXV	VS11, (Context_VSR+176)(R11)
	STXV	VS12, (Context_VSR+192)(R11)
	STXV	VS13, (Context_VSR+208)(R11)
	STXV	VS14, (Context_VSR+224)(R11)
	STXV	VS15, (Context_VSR+240)(R11)
	STXV	VS16, (Context_VSR+256)(R11)
	STXV	VS17, (Context_VSR+272)(R11)
	STXV	VS18, (Context_VSR+288)(R11)
	STXV	VS19, (Context_VSR+304)(R11)
	STXV	VS20, (Context_VSR+320)(R11)
	STXV	VS21, (Context_VSR+336)(R11)
	STXV	VS22, (Context_VSR+352)(R11)
	STXV	VS23, (Context_VSR+368)(R11)
	STXV	VS24, (Context_VSR+384)(R11)
	STXV	VS25, (Context_VSR+400)(R11)
	STXV	VS26, (Context_VSR+416)(R11)
	STXV	VS27, (Context_VSR+432)(R11)
	STXV	VS28, (Context_VSR+448)(R11)
	STXV	VS29, (Context_VSR+464)(R11)
	STXV	VS30, (Context_VSR+480)(R11)
	STXV	VS31, (Context_VSR+496)(R11)
	STXV	VS32, (Context_VSR+512)(R11)
	STXV	VS33, (Context_VSR+528)(R11)
	STXV	VS34, (Context_VSR+544)(R11)
	STXV	VS35, (Context_VSR+560)(R11)
	STXV	VS36, (Context_VSR+576)(R11)
	STXV	VS37, (Context_VSR+592)(R11)
	STXV	VS38, (Context_VSR+608)(R11)
	STXV	VS39, (Context_VSR+624)(R11)
	STXV	VS40, (Context_VSR+640)(R11)
	STXV	VS41, (Context_VSR+656)(R11)
	STXV	VS42, (Context_VSR+672)(R11)
	STXV	VS43, (Context_VSR+688)(R11)
	STXV	VS44, (Context_VSR+704)(R11)
	STXV	VS45, (Context_VSR+720)(R11)
	STXV	VS46, (Context_VSR+736)(R11)
	STXV	VS47, (Context_VSR+752)(R11)
	STXV	VS48, (Context_VSR+768)(R11)
	STXV	VS49, (Context_VSR+784)(R11)
	STXV	VS50, (Context_VSR+800)(R11)
	STXV	VS51, (Context_VSR+816)(R11)
	STXV	VS52, (Context_VSR+832)(R11)
	STXV	VS53, (Context_VSR+848)(R11)
	STXV	VS54, (Context_VSR+864)(R11)
	STXV	VS55, (Context_VSR+880)(R11)
	STXV	VS56, (Context_VSR+896)(R11)
	STXV	VS57, (Context_VSR+912)(R11)
	STXV	VS58, (Context_VSR+928)(R11)
	STXV	VS59, (Context_VSR+944)(R11)
	STXV	VS60, (Context_VSR+960)(R11)
	STXV	VS61, (Context_VSR+976)(R11)
	STXV	VS62, (Context_VSR+992)(R11)
	STXV	VS63, (Context_VSR+1008)(R11)
	WORD	$0xfc00048e               // mffs f0 (f0 is saved above)
	FMOVD	F0, Context_FPSCR(R11)

	// Switch to the interrupt stack (or the nested-fault stack) and call
	// the kernel's handler (dispatchTrap calls the one SetTrapHandler
	// registered) with the goroutine register pointing at the CPU's
	// stack-bounds-only g.
	MOVD	TrapArea_StackTop(R13), R1
	MOVD	TrapArea_InTrap(R13), R12
	CMP	R12, $1
	BEQ	stackok
	MOVD	TrapArea_NestStack(R13), R1
stackok:
	SUB	$128, R1
	MOVD	$0, R12
	MOVD	R12, 0(R1)                // end of the back chain
	XOR	R0, R0, R0                // Go code expects r0 == 0
	MOVD	$TrapArea_G(R13), g          // g = this CPU's handler g
	MOVD	R13, 32(R1)               // argument: the TrapArea, after the fixed frame
	BL	·dispatchTrap(SB)
	BR	·ResumeContext(SB)

// ResumeContext resumes the thread whose Context is this CPU's CurCtx. It
// is also how a CPU starts its first thread. MSR[EE] must be 0.
TEXT ·ResumeContext(SB), NOSPLIT|NOFRAME, $0
	MOVD	SPR(272), R13             // this CPU's area
	// Clear any load reservation this CPU holds: the thread resumed here
	// may have been interrupted between its lwarx and stwcx. on another
	// CPU, and must not complete that stwcx. against a reservation some
	// other thread left on this one. A stdcx. always clears it (it stores
	// to the CPU's own scratch word only if a reservation were for that
	// very address).
	STDCCC	R12, (R13)              // (CR0 is restored below)
	MOVD	TrapArea_CurCtx(R13), R11      // the thread to resume
	FMOVD	Context_FPSCR(R11), F0
	WORD	$0xfdfe058e               // mtfsf 0xff, f0
	LXV	(Context_VSR+0)(R11), VS0
	LXV	(Context_VSR+16)(R11), VS1
	LXV	(Context_VSR+32)(R11), VS2
	LXV	(Context_VSR+48)(R11), VS3
	LXV	(Context_VSR+64)(R11), VS4
	LXV	(Context_VSR+80)(R11), VS5
	LXV	(Context_VSR+96)(R11), VS6
	LXV	(Context_VSR+112)(R11), VS7
	LXV	(Context_VSR+128)(R11), VS8
	LXV	(Context_VSR+144)(R11), VS9
	LXV	(Context_VSR+160)(R11), VS10
	LXV	(Context_VSR+176)(R11), VS11
	LXV	(Context_VSR+192)(R11), VS12
	LXV	(Context_VSR+208)(R11), VS13
	LXV	(Context_VSR+224)(R11), VS14
	LXV	(Context_VSR+240)(R11), VS15
	LXV	(Context_VSR+256)(R11), VS16
	LXV	(Context_VSR+272)(R11), VS17
	LXV	(Context_VSR+288)(R11), VS18
	LXV	(Context_VSR+304)(R11), VS19
	LXV	(Context_VSR+320)(R11), VS20
	LXV	(Context_VSR+336)(R11), VS21
	LXV	(Context_VSR+352)(R11), VS22
	LXV	(Context_VSR+368)(R11), VS23
	LXV	(Context_VSR+384)(R11), VS24
	LXV	(Context_VSR+400)(R11), VS25
	LXV	(Context_VSR+416)(R11), VS26
	LXV	(Context_VSR+432)(R11), VS27
	LXV	(Context_VSR+448)(R11), VS28
	LXV	(Context_VSR+464)(R11), VS29
	LXV	(Context_VSR+480)(R11), VS30
	LXV	(Context_VSR+496)(R11), VS31
	LXV	(Context_VSR+512)(R11), VS32
	LXV	(Context_VSR+528)(R11), VS33
	LXV	(Context_VSR+544)(R11), VS34
	LXV	(Context_VSR+560)(R11), VS35
	LXV	(Context_VSR+576)(R11), VS36
	LXV	(Context_VSR+592)(R11), VS37
	LXV	(Context_VSR+608)(R11), VS38
	LXV	(Context_VSR+624)(R11), VS39
	LXV	(Context_VSR+640)(R11), VS40
	LXV	(Context_VSR+656)(R11), VS41
	LXV	(Context_VSR+672)(R11), VS42
	LXV	(Context_VSR+688)(R11), VS43
	LXV	(Context_VSR+704)(R11), VS44
	LXV	(Context_VSR+720)(R11), VS45
	LXV	(Context_VSR+736)(R11), VS46
	LXV	(Context_VSR+752)(R11), VS47
	LXV	(Context_VSR+768)(R11), VS48
	LXV	(Context_VSR+784)(R11), VS49
	LXV	(Context_VSR+800)(R11), VS50
	LXV	(Context_VSR+816)(R11), VS51
	LXV	(Context_VSR+832)(R11), VS52
	LXV	(Context_VSR+848)(R11), VS53
	LXV	(Context_VSR+864)(R11), VS54
	LXV	(Context_VSR+880)(R11), VS55
	LXV	(Context_VSR+896)(R11), VS56
	LXV	(Context_VSR+912)(R11), VS57
	LXV	(Context_VSR+928)(R11), VS58
	LXV	(Context_VSR+944)(R11), VS59
	LXV	(Context_VSR+960)(R11), VS60
	LXV	(Context_VSR+976)(R11), VS61
	LXV	(Context_VSR+992)(R11), VS62
	LXV	(Context_VSR+1008)(R11), VS63
	MOVD	Context_CR(R11), R12
	MOVFL	R12, CR                   // mtcrf 0xff
	MOVD	Context_LR(R11), R12
	MOVD	R12, LR
	MOVD	Context_CTR(R11), R12
	MOVD	R12, CTR
	MOVD	Context_XER(R11), R12
	MOVD	R12, XER
	MOVD	Context_PC(R11), R12
	MOVD	R12, SPR(26)              // SRR0: where rfid resumes
	MOVD	Context_MSR(R11), R12
	MOVD	R12, SPR(27)              // SRR1: the MSR rfid installs
	MOVD	(Context_GPR+0)(R11), R0
	MOVD	(Context_GPR+8)(R11), R1
	MOVD	(Context_GPR+16)(R11), R2
	MOVD	(Context_GPR+24)(R11), R3
	MOVD	(Context_GPR+32)(R11), R4
	MOVD	(Context_GPR+40)(R11), R5
	MOVD	(Context_GPR+48)(R11), R6
	MOVD	(Context_GPR+56)(R11), R7
	MOVD	(Context_GPR+64)(R11), R8
	MOVD	(Context_GPR+72)(R11), R9
	MOVD	(Context_GPR+80)(R11), R10
	MOVD	(Context_GPR+112)(R11), R14
	MOVD	(Context_GPR+120)(R11), R15
	MOVD	(Context_GPR+128)(R11), R16
	MOVD	(Context_GPR+136)(R11), R17
	MOVD	(Context_GPR+144)(R11), R18
	MOVD	(Context_GPR+152)(R11), R19
	MOVD	(Context_GPR+160)(R11), R20
	MOVD	(Context_GPR+168)(R11), R21
	MOVD	(Context_GPR+176)(R11), R22
	MOVD	(Context_GPR+184)(R11), R23
	MOVD	(Context_GPR+192)(R11), R24
	MOVD	(Context_GPR+200)(R11), R25
	MOVD	(Context_GPR+208)(R11), R26
	MOVD	(Context_GPR+216)(R11), R27
	MOVD	(Context_GPR+224)(R11), R28
	MOVD	(Context_GPR+232)(R11), R29
	MOVD	(Context_GPR+240)(R11), g
	MOVD	(Context_GPR+248)(R11), R31
	MOVD	$0, R12
	MOVD	R12, TrapArea_InTrap(R13)      // leaving the handler
	MOVD	(Context_GPR+104)(R11), R13
	MOVD	(Context_GPR+96)(R11), R12
	MOVD	(Context_GPR+88)(R11), R11 // the base register goes last
	WORD	$0x4c000024               // rfid: PC = SRR0, MSR = SRR1

// func TrapEntryPC() uintptr
TEXT ·TrapEntryPC(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$·trapEntry(SB), R3
	MOVD	R3, ret+0(FP)
	RET

// secondaryEntry is where RTAS start-cpu starts a secondary CPU: r3 =
// its TrapArea, MSR = SF|ME, translation off, no stack.
TEXT ·secondaryEntry(SB), NOSPLIT|NOFRAME, $0
	XOR	R0, R0, R0                // the assembler builds constants from r0
	WORD	$0x7c8000a6               // mfmsr r4
	MOVD	$0x2802002, R5            // MSR[VEC|VSX|FP|RI]
	OR	R5, R4
	WORD	$0x7c800164               // mtmsrd r4: FP/VMX/VSX on for Go code
	ISYNC                             // the new MSR takes effect
	MOVD	R3, SPR(272)              // SPRG0 = this CPU's TrapArea
	MOVD	TrapArea_StackTop(R3), R1 // run on its interrupt stack
	SUB	$128, R1
	MOVD	R0, 0(R1)                 // end of the back chain
	MOVD	$TrapArea_G(R3), g        // the handler g: stack bounds only
	MOVD	R3, 32(R1)                // argument: the TrapArea
	BL	·dispatchSecondary(SB)
	MOVD	R0, 0(R0)                 // not reached: the handler resumes a thread

// func SecondaryEntryPC() uintptr
TEXT ·SecondaryEntryPC(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$·secondaryEntry(SB), R3
	MOVD	R3, ret+0(FP)
	RET

// idleLoop is an idle thread's code (see IdleLoopPC).
TEXT ·idleLoop(SB), NOSPLIT|NOFRAME, $0-0
cede:
	MOVD	$0xe0, R3                 // H_CEDE
	WORD	$0x44000022               // sc 1: sleep until interrupted or prodded
	MOVD	·idleSyscall(SB), R12     // the kernel's idle system call (not via r0:
	MOVD	R12, R0                   // as a base register r0 reads as 0)
	SYSCALL                           // sc: let the kernel reschedule
	BR	cede

// func IdleLoopPC() uintptr
TEXT ·IdleLoopPC(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$·idleLoop(SB), R3
	MOVD	R3, ret+0(FP)
	RET

// func Stop()
TEXT ·Stop(SB), NOSPLIT|NOFRAME, $0-0
stop:
	MOVD	$0xe0, R3                 // H_CEDE
	WORD	$0x44000022               // sc 1: sleep; an interrupt comes back here
	BR	stop
