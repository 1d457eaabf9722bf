// MMU primitives: the PID register and TLB invalidation for the radix MMU.
// The Go assembler has no ptesync/tlbie forms with the ISA 3.0 fields, so
// those are WORD encodings (checked against golang.org/x/arch's decoder):
//
//	0x7c4004ac  ptesync            (sync L=2: page-table stores done)
//	0x7c0006ac  eieio
//	0x7c00046c  tlbsync            (wait for other CPUs' invalidations)
//	0x7c8b1a64  tlbie  r3,r4,2,1,1 (RB=r3, RS=r4, RIC=2 all, PRS=1, R=1)
//	0x7c8b1a24  tlbiel r3,r4,2,1,1
//	0x7c831a64  tlbie  r3,r4,0,1,1 (RIC=0: TLB entries only)
//	0x7c831a24  tlbiel r3,r4,0,1,1
//
// A guest (MSR[HV]=0) with LPCR[HR]=1 must use PRS=1 (process scoped);
// PRS=0 is hypervisor privileged. tlbie (broadcast) needs LPCR[GTSE]=1,
// which H_REGISTER_PROC_TBL sets when asked; tlbiel (this CPU) does not.
// RS holds the PID in its upper 32 bits.

#include "textflag.h"

// func SetPIDR(pid uint64)
TEXT ·SetPIDR(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	pid+0(FP), R3
	MOVD	R3, SPR(48)              // PIDR: the process-table entry for quadrant 0
	ISYNC
	RET

// func PIDR() uint64
TEXT ·PIDR(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	SPR(48), R3
	MOVD	R3, ret+0(FP)
	RET

// func PTESync()
TEXT ·PTESync(SB), NOSPLIT|NOFRAME, $0-0
	WORD	$0x7c4004ac              // ptesync
	RET

// func tlbiePID(pid uint64)
// Invalidates, on every CPU, every TLB and page-walk-cache entry of pid.
TEXT ·tlbiePID(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	pid+0(FP), R4
	SLD	$32, R4                  // RS: PID in bits 0:31
	MOVD	$0x400, R3               // RB: IS = 1 (match the PID in RS)
	WORD	$0x7c4004ac              // ptesync: table stores before the invalidation
	WORD	$0x7c8b1a64              // tlbie r3, r4, RIC=2, PRS=1, R=1
	WORD	$0x7c0006ac              // eieio
	WORD	$0x7c00046c              // tlbsync: other CPUs are done
	WORD	$0x7c4004ac              // ptesync
	RET

// func tlbielPID(pid uint64)
// As tlbiePID, on this CPU only.
TEXT ·tlbielPID(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	pid+0(FP), R4
	SLD	$32, R4
	MOVD	$0x400, R3
	WORD	$0x7c4004ac              // ptesync
	WORD	$0x7c8b1a24              // tlbiel r3, r4, RIC=2, PRS=1, R=1
	WORD	$0x7c4004ac              // ptesync
	RET

// func tlbieVA(rb, pid uint64)
// Invalidates, on every CPU, the TLB entry for one page: rb is the
// effective address with the page size code (AP) in bits 56:58, IS = 0.
// The caller brackets a batch with PTESync and tlbSync.
TEXT ·tlbieVA(SB), NOSPLIT|NOFRAME, $0-16
	MOVD	rb+0(FP), R3
	MOVD	pid+8(FP), R4
	SLD	$32, R4
	WORD	$0x7c831a64              // tlbie r3, r4, RIC=0, PRS=1, R=1
	RET

// func tlbielVA(rb, pid uint64)
TEXT ·tlbielVA(SB), NOSPLIT|NOFRAME, $0-16
	MOVD	rb+0(FP), R3
	MOVD	pid+8(FP), R4
	SLD	$32, R4
	WORD	$0x7c831a24              // tlbiel r3, r4, RIC=0, PRS=1, R=1
	RET

// func tlbSync()
// Ends a batch of tlbie: waits until every CPU has done them.
TEXT ·tlbSync(SB), NOSPLIT|NOFRAME, $0-0
	WORD	$0x7c0006ac              // eieio
	WORD	$0x7c00046c              // tlbsync
	WORD	$0x7c4004ac              // ptesync
	RET
