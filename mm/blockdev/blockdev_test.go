package blockdev

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryReadsBackAcrossChunks(t *testing.T) {
	m, err := NewMemory(512, 100)
	require.NoError(t, err)
	zero := make([]byte, 3*512)
	got := bytes.Repeat([]byte{1}, len(zero))
	require.NoError(t, m.ReadBlocks(14, got))
	assert.Equal(t, zero, got, "never written: zeros")
	assert.Zero(t, m.Resident(), "reads allocate nothing")

	data := bytes.Repeat([]byte("0123456789abcdef"), 3*512/16)
	require.NoError(t, m.WriteBlocks(14, data), "blocks 14-16 span chunks 0 and 1")
	require.NoError(t, m.ReadBlocks(14, got))
	assert.Equal(t, data, got)
	one := make([]byte, 512)
	require.NoError(t, m.ReadBlocks(13, one))
	assert.Equal(t, make([]byte, 512), one, "the neighbour is untouched")
	assert.EqualValues(t, 2*chunkBlocks*512, m.Resident())
	st := m.Stats()
	assert.EqualValues(t, 1, st.Writes)
	assert.EqualValues(t, 3, st.Reads)
	assert.EqualValues(t, 3*512, st.BytesWritten)
}

func TestMemoryRefusesBadRequests(t *testing.T) {
	m, err := NewMemory(4096, 8)
	require.NoError(t, err)
	for _, c := range []struct {
		b int64
		n int
	}{{-1, 4096}, {8, 4096}, {7, 8192}, {0, 100}} {
		err := m.WriteBlocks(c.b, make([]byte, c.n))
		assert.ErrorIs(t, err, ErrRange, "block %d, %d bytes", c.b, c.n)
		assert.ErrorIs(t, m.ReadBlocks(c.b, make([]byte, c.n)), ErrRange)
	}
	assert.NoError(t, m.WriteBlocks(7, make([]byte, 4096)), "the last block")
	_, err = NewMemory(1000, 1)
	assert.ErrorContains(t, err, "1000 is not a power of two")
}
