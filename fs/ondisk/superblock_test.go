package ondisk

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/mm/blockdev"
	"k42/mm/blockdev/blocklog"
)

var uuid = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

func disk(t *testing.T, bytes int64) *blockdev.Memory {
	t.Helper()
	d, err := blockdev.NewMemory(512, bytes/512)
	require.NoError(t, err)
	return d
}

func TestFormatThenIdentify(t *testing.T) {
	for _, size := range []int64{MinBlocks * BlockSize, 64 << 20, 1 << 30} {
		d := disk(t, size)
		s, err := Format(d, uuid, 42)
		require.NoError(t, err)
		got, err := Identify(d)
		require.NoError(t, err, "size %d", size)
		assert.Equal(t, s, got)
		assert.Equal(t, uint64(size/BlockSize), got.Blocks)
		assert.Less(t, got.DataStart, got.Blocks)
		assert.GreaterOrEqual(t, got.CkptLen/2*BlockSize, got.Inodes*ckptInode)
	}
	_, err := Format(disk(t, 128<<10), uuid, 0)
	assert.ErrorContains(t, err, "a k42 file system has 64 to")
}

// corrupt formats a disk, lets mutate change block 0 and, if reseal,
// recomputes the checksum so that only the mutation is wrong.
func corrupt(t *testing.T, size int64, mutate func(b []byte), reseal bool) *blockdev.Memory {
	d := disk(t, size)
	_, err := Format(d, uuid, 1)
	require.NoError(t, err)
	b := make([]byte, BlockSize)
	require.NoError(t, d.ReadBlocks(0, b))
	mutate(b)
	if reseal {
		binary.LittleEndian.PutUint32(b[offCRC:], crc32.Checksum(b[:offCRC], castagnoli))
	}
	require.NoError(t, d.WriteBlocks(0, b))
	return d
}

func TestIdentifyRefusesWhatIsNotOurs(t *testing.T) {
	put64 := func(off int, v uint64) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint64(b[off:], v) }
	}
	random := disk(t, 1<<20)
	junk := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	require.NoError(t, random.WriteBlocks(0, junk))
	ext4 := disk(t, 1<<20)
	sb := make([]byte, 2048)
	sb[1080], sb[1081] = 0x53, 0xef
	require.NoError(t, ext4.WriteBlocks(0, sb))
	truncated := disk(t, 4<<20)
	_, err := Format(truncated, uuid, 1)
	require.NoError(t, err)
	half := disk(t, 2<<20)
	head := make([]byte, 2<<20)
	require.NoError(t, truncated.ReadBlocks(0, head))
	require.NoError(t, half.WriteBlocks(0, head))

	for _, c := range []struct {
		name string
		dev  blockdev.Device
		is   error
		says string
	}{
		{"zeros", disk(t, 1<<20), ErrBlank, "zeros"},
		{"random bytes", random, ErrNotOurs, "not the superblock's magic"},
		{"ext4", ext4, ErrForeign, "ext2/ext3/ext4"},
		{"truncated image", half, ErrTooBig, "1024 blocks, the disk 512"},
		{"tiny disk", disk(t, 64<<10), ErrSmall, "at least"},
		{"flipped bit", corrupt(t, 1<<20, func(b []byte) { b[offBlocks] ^= 1 }, false), ErrCorrupt, "checksum"},
		{"future version", corrupt(t, 1<<20, func(b []byte) { b[offVersion] = 9 }, true), ErrCorrupt, "format version 9"},
		{"block size", corrupt(t, 1<<20, func(b []byte) { binary.LittleEndian.PutUint32(b[offBlkSize:], 8192) }, true), ErrCorrupt, "block size 8192"},
		{"overlapping regions", corrupt(t, 1<<20, put64(offCStart, 2), true), ErrCorrupt, "checkpoint region is at block 2"},
		{"data outside", corrupt(t, 1<<20, put64(offDStart, 1<<30), true), ErrCorrupt, "data blocks start"},
		{"too many inodes", corrupt(t, 1<<20, put64(offInodes, 1<<40), true), ErrCorrupt, "inodes do not fit a checkpoint half"},
		{"no blocks", corrupt(t, 1<<20, put64(offBlocks, 3), true), ErrCorrupt, "3 blocks"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Identify(c.dev)
			require.Error(t, err)
			assert.True(t, errors.Is(err, c.is), "%v is not %v", err, c.is)
			assert.Contains(t, err.Error(), c.says)
		})
	}
}

// TestFormatCrashes: a power cut at any point of Format leaves a disk
// that Identify either accepts whole or refuses as blank or corrupt (the
// superblock's 512-byte sectors land in any order, or not at all): never
// a torn superblock taken for a good one.
func TestFormatCrashes(t *testing.T) {
	d := disk(t, 1<<20)
	l, err := blocklog.New(d)
	require.NoError(t, err)
	want, err := Format(l, uuid, 5)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := map[string]int{}
	for cut := -1; cut < l.Len(); cut++ {
		for range 50 {
			dev, err := l.Device(l.Crash(cut, rng))
			require.NoError(t, err)
			s, err := Identify(dev)
			switch {
			case err == nil:
				assert.Equal(t, want, s)
				kinds["whole"]++
			case errors.Is(err, ErrBlank):
				kinds["blank"]++
			case errors.Is(err, ErrCorrupt), errors.Is(err, ErrNotOurs): // the magic's sector lost, others landed
				kinds["torn"]++
			default:
				t.Fatalf("cut %d: %v", cut, err)
			}
		}
	}
	assert.NotZero(t, kinds["whole"])
	assert.NotZero(t, kinds["blank"])
	assert.NotZero(t, kinds["torn"], "some crashes tore the superblock: %v", kinds)
	_, err = Identify(l)
	require.NoError(t, err, "after Format's flush the superblock is durable")
}
