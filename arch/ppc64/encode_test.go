package ppc64

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/arch/ppc64/ppc64asm"
)

func disasm(t *testing.T, w uint32, pc uint64) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], w)
	inst, err := ppc64asm.Decode(b[:], binary.BigEndian)
	require.NoError(t, err)
	return ppc64asm.GNUSyntax(inst, pc)
}

func TestVectorStubDisassembles(t *testing.T) {
	stub, ok := VectorStub(0xc00, 0x401230)
	require.True(t, ok)
	want := []string{"mtspr 273,r13", "mfspr r13,272", "std r12,0(r13)", "li r12,3072", "ba 0x401230"}
	for i, w := range stub {
		got := disasm(t, w, 0xc00+uint64(4*i))
		require.Equal(t, want[i], got, "instruction %d", i)
	}
}

func TestBARange(t *testing.T) {
	_, ok := BA(1 << 25)
	require.False(t, ok, "a target beyond 32 MiB cannot be reached by ba")
	_, ok = BA(0x401002)
	require.False(t, ok, "unaligned target")
}
