// Addresses of assembly code and linker symbols, for Go code that must
// place them in registers or instructions (a Go func value would name an
// ABI wrapper, not the code itself).

#include "textflag.h"

// func sigreturnAddr() uintptr
TEXT ·sigreturnAddr(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$·sigreturnTramp(SB), R3
	MOVD	R3, ret+0(FP)
	RET

// func rt0Addr() uintptr
// The runtime's ELF entry is a function descriptor; its first doubleword
// is the code address.
TEXT ·rt0Addr(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$_rt0_ppc64_linux(SB), R3
	MOVD	0(R3), R3
	MOVD	R3, ret+0(FP)
	RET

// func imageEnd() uintptr
// End of the loaded image (text, data and bss).
TEXT ·imageEnd(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	$runtime·end(SB), R3
	MOVD	R3, ret+0(FP)
	RET

// sigreturnTramp is where signal handlers return: rt_sigreturn.
TEXT ·sigreturnTramp(SB), NOSPLIT|NOFRAME, $0-0
	MOVD	$172, R0                  // rt_sigreturn
	SYSCALL
	MOVD	R0, 0(R0)                 // not reached

