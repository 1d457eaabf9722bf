package blockdev

import (
	"bytes"
	"io"
	"math/rand/v2"
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

// TestBytesAtAnyOffset reads and writes a device through Bytes at aligned
// and unaligned offsets, across blocks and its end, against a model.
func TestBytesAtAnyOffset(t *testing.T) {
	dev, err := NewMemory(512, 64)
	require.NoError(t, err)
	b := Bytes{Dev: dev}
	require.Equal(t, int64(512*64), b.Size())
	model := make([]byte, b.Size())
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		off := rng.Int64N(b.Size())
		n := rng.IntN(3000)
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		wn, werr := b.WriteAt(p, off)
		want := min(int64(n), b.Size()-off)
		require.Equal(t, int(want), wn)
		if int64(n) > want {
			require.ErrorIs(t, werr, ErrRange)
		} else {
			require.NoError(t, werr)
		}
		copy(model[off:], p[:wn])
		q := make([]byte, n)
		rn, rerr := b.ReadAt(q, off)
		require.Equal(t, wn, rn)
		if int64(n) > want {
			require.ErrorIs(t, rerr, io.EOF)
		}
		require.Equal(t, model[off:off+int64(rn)], q[:rn])
	}
	all := make([]byte, b.Size())
	_, err = b.ReadAt(all, 0)
	require.NoError(t, err)
	require.Equal(t, model, all)
	_, err = b.ReadAt(make([]byte, 1), b.Size())
	require.ErrorIs(t, err, io.EOF)
	_, err = b.Read(make([]byte, 1))
	require.ErrorIs(t, err, ErrNoOffset)
}

func TestPartStaysInside(t *testing.T) {
	dev, err := NewMemory(512, 64)
	require.NoError(t, err)
	p := Part{Dev: dev, Start: 16, Count: 8}
	require.NoError(t, p.WriteBlocks(7, bytes.Repeat([]byte{9}, 512)))
	got := make([]byte, 512)
	require.NoError(t, dev.ReadBlocks(23, got))
	require.Equal(t, bytes.Repeat([]byte{9}, 512), got)
	require.ErrorIs(t, p.WriteBlocks(8, got), ErrRange)
	require.ErrorIs(t, p.ReadBlocks(7, make([]byte, 1024)), ErrRange)
}

// TestMemoryDiscard: discarded blocks read as zeros, their neighbours
// keep their data, and a chunk all of whose blocks are discarded is freed.
func TestMemoryDiscard(t *testing.T) {
	m, err := NewMemory(512, 64)
	require.NoError(t, err)
	data := bytes.Repeat([]byte{7}, 32*512) // two chunks of 16 blocks
	require.NoError(t, m.WriteBlocks(0, data))
	require.EqualValues(t, 32*512, m.Resident())
	require.NoError(t, m.Discard(2, 3))
	got := make([]byte, 32*512)
	require.NoError(t, m.ReadBlocks(0, got))
	assert.Equal(t, data[:2*512], got[:2*512])
	assert.Equal(t, make([]byte, 3*512), got[2*512:5*512], "discarded blocks read as zeros")
	assert.Equal(t, data[5*512:], got[5*512:])
	require.NoError(t, m.Discard(16, 16))
	assert.EqualValues(t, 16*512, m.Resident(), "the second chunk is freed")
	require.NoError(t, m.WriteBlocks(20, data[:512]))
	require.NoError(t, m.ReadBlocks(16, got[:16*512]))
	assert.Equal(t, data[:512], got[4*512:5*512], "written again after the discard")
	assert.Error(t, m.Discard(60, 8), "past the end")
}
