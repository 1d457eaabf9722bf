package blocklog

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/mm/blockdev"
)

func fill(v byte, n int) []byte { return bytes.Repeat([]byte{v}, n) }

// history writes A to block 0, B to blocks 1-2, flushes, writes C to
// block 0 and D to block 3, flushes, writes E to block 4.
func history(t *testing.T) *Log {
	t.Helper()
	dev, err := blockdev.NewMemory(512, 8)
	require.NoError(t, err)
	require.NoError(t, dev.WriteBlocks(7, fill('z', 512))) // before the log: in the base
	l, err := New(dev)
	require.NoError(t, err)
	require.NoError(t, l.WriteBlocks(0, fill('A', 512)))
	require.NoError(t, l.WriteBlocks(1, fill('B', 1024)))
	require.NoError(t, l.Flush())
	require.NoError(t, l.WriteBlocks(0, fill('C', 512)))
	require.NoError(t, l.WriteBlocks(3, fill('D', 512)))
	require.NoError(t, l.Flush())
	require.NoError(t, l.WriteBlocks(4, fill('E', 512)))
	return l
}

func block(img []byte, b int) byte { return img[b*512] }

func TestLogPassesThroughAndRecords(t *testing.T) {
	l := history(t)
	require.Equal(t, 7, l.Len())
	got := make([]byte, 512)
	require.NoError(t, l.ReadBlocks(4, got))
	assert.Equal(t, fill('E', 512), got, "the writes reached the device")
	es := l.Entries()
	assert.True(t, es[2].Flush && es[5].Flush)
	assert.Equal(t, int64(1), es[1].Block)
	assert.Equal(t, 5, l.Durable(6))
	assert.Equal(t, 2, l.Durable(4))
	assert.Equal(t, -1, l.Durable(1))
}

func TestCrashKeepsWhatWasFlushed(t *testing.T) {
	l := history(t)
	for _, c := range []struct {
		cut  int
		want string // blocks 0..4 and 7 with nothing lost from the volatile tail
	}{
		{-1, "\x00\x00\x00\x00\x00z"},
		{1, "\x00\x00\x00\x00\x00z"}, // A and B not yet flushed: both may be lost
		{2, "ABB\x00\x00z"},
		{4, "ABB\x00\x00z"},
		{5, "CBBD\x00z"},
		{6, "CBBD\x00z"},
	} {
		img := l.Crash(c.cut, nil)
		got := string([]byte{block(img, 0), block(img, 1), block(img, 2), block(img, 3), block(img, 4), block(img, 7)})
		assert.Equal(t, c.want, got, "cut %d, the least that survives", c.cut)
	}
}

// TestCrashLosesOnlyTheVolatileTail: over many random crashes, flushed
// blocks are always there, blocks written after the cut never are, and
// the unflushed ones are sometimes there and sometimes not.
func TestCrashLosesOnlyTheVolatileTail(t *testing.T) {
	l := history(t)
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[byte]int{}
	for range 200 {
		img := l.Crash(4, rng) // after C and D, before the second flush
		assert.Equal(t, byte('B'), block(img, 1), "flushed")
		assert.Equal(t, byte(0), block(img, 4), "E came after the cut")
		assert.Contains(t, []byte{'A', 'C'}, block(img, 0))
		seen[block(img, 0)]++
		seen[block(img, 3)]++
	}
	assert.NotZero(t, seen['A'], "C was sometimes lost")
	assert.NotZero(t, seen['C'], "C sometimes landed")
	assert.NotZero(t, seen[0], "D was sometimes lost")
	assert.NotZero(t, seen['D'], "D sometimes landed")
	dev, err := l.Device(l.Crash(6, nil))
	require.NoError(t, err)
	got := make([]byte, 512)
	require.NoError(t, dev.ReadBlocks(3, got))
	assert.Equal(t, fill('D', 512), got, "the crashed image as a device")
}
