#include "textflag.h"

// func wildStore(addr uintptr)
// Stores to addr. The crash=fault boot argument uses it.
TEXT ·wildStore(SB), NOSPLIT|NOFRAME, $0-8
	MOVD	addr+0(FP), R3
	MOVD	$0x5741, R4
	MOVD	R4, 0(R3)                 // the store that faults
	SYNC
	RET
