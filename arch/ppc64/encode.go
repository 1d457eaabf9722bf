package ppc64

// Instruction encoders used to write the exception-vector stubs. They are
// plain functions so the encodings are checked by host tests against the
// disassembler.

func sprField(spr uint32) uint32 { return ((spr & 0x1f) << 5) | (spr >> 5) }

// MTSPR encodes mtspr spr, rs.
func MTSPR(spr, rs uint32) uint32 { return 0x7c0003a6 | rs<<21 | sprField(spr)<<11 }

// MFSPR encodes mfspr rt, spr.
func MFSPR(rt, spr uint32) uint32 { return 0x7c0002a6 | rt<<21 | sprField(spr)<<11 }

// STD encodes std rs, ds(ra); ds must be a multiple of 4.
func STD(rs, ra uint32, ds int16) uint32 {
	return 0xf8000000 | rs<<21 | ra<<16 | uint32(uint16(ds))&0xfffc
}

// LI encodes li rt, si (addi rt, 0, si).
func LI(rt uint32, si int16) uint32 { return 0x38000000 | rt<<21 | uint32(uint16(si)) }

// BA encodes an absolute branch; the target must be below 32 MiB.
func BA(target uint64) (uint32, bool) {
	if target >= 1<<25 || target&3 != 0 {
		return 0, false
	}
	return 0x48000002 | uint32(target), true
}

// VectorStub returns the five instructions placed at each vector: save r13
// in SPRG1, load the per-CPU area from SPRG0, save r12 in the area's first
// scratch slot, put the vector number in r12 and branch to the common entry.
func VectorStub(vector uint32, entry uint64) ([5]uint32, bool) {
	ba, ok := BA(entry)
	return [5]uint32{
		MTSPR(SPR_SPRG1, 13),
		MFSPR(13, SPR_SPRG0),
		STD(12, 13, 0),
		LI(12, int16(vector)),
		ba,
	}, ok
}
