package pagecache

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/mm/blockdev"
)

// record is a Log that keeps what it is told.
type record struct {
	placed  [][4]int64 // ino, idx, slot, n
	dropped []int64    // slots
}

func (r *record) Placed(ino uint64, idx, slot, n int64) {
	r.placed = append(r.placed, [4]int64{int64(ino), idx, slot, n})
}
func (r *record) Dropped(_ uint64, _ int64, slots []int64) { r.dropped = append(r.dropped, slots...) }

// failing fails every write while fail is set.
type failing struct {
	blockdev.Device
	fail bool
}

func (d *failing) WriteBlocks(b int64, p []byte) error {
	if d.fail {
		return errors.New("write refused")
	}
	return d.Device.WriteBlocks(b, p)
}

// TestLoggedStore: a logged store tells its Log of each new place after
// the data is written, not of a rewrite in place; keeps dropped slots
// until the Log frees them; gives back, unlogged, the places of a write
// that failed; and starts from the slots a file system already uses.
func TestLoggedStore(t *testing.T) {
	mem, err := blockdev.NewMemory(512, 16*PageSize/512)
	require.NoError(t, err)
	dev := &failing{Device: mem}
	var log record
	s, err := NewLoggedStore(dev, &log, []int64{0, 2})
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.InUse())
	f := s.OpenFile(7, nil)
	var p Page
	require.NoError(t, f.WritePages(0, []*Page{&p, &p, &p}))
	require.Equal(t, [][4]int64{{7, 0, 3, 3}}, log.placed, "one run, from the top")
	require.NoError(t, f.WritePages(0, []*Page{&p, &p, &p}))
	require.NoError(t, f.WritePage(1, &p))
	assert.Len(t, log.placed, 1, "rewrites in place are not logged")
	assert.True(t, s.Unflushed())
	require.NoError(t, s.Flush())
	assert.False(t, s.Unflushed())

	f.Truncate(1)
	assert.Equal(t, []int64{4, 5}, slices.Sorted(slices.Values(log.dropped)))
	assert.EqualValues(t, 5, s.InUse(), "dropped slots stay taken until the log frees them")
	s.Free(log.dropped)
	assert.EqualValues(t, 3, s.InUse())

	dev.fail = true
	require.Error(t, f.WritePages(8, []*Page{&p, &p}))
	require.Error(t, f.WritePage(9, &p))
	assert.Len(t, log.placed, 1, "a failed write logs nothing")
	assert.False(t, f.Stored(8))
	assert.False(t, f.Stored(9))
	assert.EqualValues(t, 3, s.InUse(), "and keeps no place")

	_, err = NewLoggedStore(dev, &log, []int64{1, 1})
	assert.ErrorContains(t, err, "slot 1 used twice")
}

// TestStoreGivesFreedSlotsBackToMemory: files written and deleted over
// and over (Postmark's churn) leave the memory store holding what the
// live files hold, not every slot ever written; a logged store keeps its
// freed slots' contents (the last checkpoint may name them).
func TestStoreGivesFreedSlotsBackToMemory(t *testing.T) {
	dev, err := blockdev.NewMemory(512, 4096*PageSize/512)
	require.NoError(t, err)
	s, err := NewStore(dev)
	require.NoError(t, err)
	var p Page
	p[0] = 'x'
	keep := s.NewFile()
	require.NoError(t, keep.WritePages(0, []*Page{&p, &p, &p, &p}))
	for round := range 50 {
		f := s.NewFile()
		pages := make([]*Page, 32)
		for i := range pages {
			pages[i] = &p
		}
		require.NoError(t, f.WritePages(0, pages), "round %d", round)
		f.Release()
	}
	assert.LessOrEqual(t, dev.Resident(), int64(64*PageSize), "resident after churn")
	var q Page
	ok, err := keep.ReadPage(3, &q)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, p, q, "the live file's pages are intact")

	ldev, err := blockdev.NewMemory(512, 64*PageSize/512)
	require.NoError(t, err)
	ls, err := NewLoggedStore(ldev, &record{}, nil)
	require.NoError(t, err)
	f := ls.OpenFile(7, nil)
	require.NoError(t, f.WritePage(0, &p))
	f.Release()
	assert.EqualValues(t, 16*512, ldev.Resident(), "a logged store's freed slot keeps its blocks")
}
