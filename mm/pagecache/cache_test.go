package pagecache

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/mm/blockdev"
	"k42/reconfig/platform"
)

// hoard is a Reclaimer holding pages, giving them back on request unless
// pinned.
type hoard struct {
	c      *Cache
	mu     sync.Mutex
	pages  []*Page
	pinned bool
	asked  []Level
}

func (h *hoard) GiveBack(want int, lvl Level) (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, lvl)
	if h.pinned {
		return 0, false
	}
	n := min(want, len(h.pages))
	for _, p := range h.pages[len(h.pages)-n:] {
		h.c.Free(p)
	}
	h.pages = h.pages[:len(h.pages)-n]
	return n, false
}

func (h *hoard) alloc(t *testing.T, n int) {
	for range n {
		p, err := h.c.Alloc()
		require.NoError(t, err)
		h.mu.Lock()
		h.pages = append(h.pages, p)
		h.mu.Unlock()
	}
}

func newCache(t *testing.T, pages int64) *Cache {
	c, err := New(Options{Budget: pages * PageSize, Platform: platform.Host()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestLevelsFollowFreeMemory(t *testing.T) {
	c := newCache(t, 64)
	h := &hoard{c: c, pinned: true}
	c.Register(h, nil)
	for _, step := range []struct {
		used int
		want Level
	}{{55, High}, {56, Mid}, {59, Mid}, {60, Low}, {62, Low}, {63, Critical}} {
		h.alloc(t, step.used-len(h.pages))
		assert.Equal(t, step.want, c.Level(), "%d of 64 used", step.used)
	}
}

// TestAllocWaitsForThePager: with the budget spent, an allocation wakes
// the pager, which takes pages from the owners round robin, and the
// allocation gets one.
func TestAllocWaitsForThePager(t *testing.T) {
	c := newCache(t, 32)
	a, b := &hoard{c: c}, &hoard{c: c}
	c.Register(a, nil)
	c.Register(b, nil)
	a.alloc(t, 16)
	b.alloc(t, 16)
	asked := func(h *hoard) int {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.asked)
	}
	for episode := range 2 {
		p, err := c.Alloc()
		require.NoError(t, err)
		c.Free(p)
		// The pager brings the level back to HIGH.
		require.Eventually(t, func() bool { return c.Level() == High }, 5*time.Second, time.Millisecond)
		// Fill up again: the next episode starts where this one ended.
		if episode == 0 {
			a.alloc(t, int(32-c.Used())/2)
			b.alloc(t, int(32-c.Used()))
		}
	}
	st := c.Stats()
	assert.NotZero(t, st.PagerRounds)
	assert.NotZero(t, asked(a), "the pager asked the first owner")
	assert.NotZero(t, asked(b), "and, round robin, the second")
}

// TestAllocFailsWhenNothingCanBeFreed: every page pinned, a waiting
// allocation fails with ErrNoMemory instead of hanging.
func TestAllocFailsWhenNothingCanBeFreed(t *testing.T) {
	c := newCache(t, 16)
	h := &hoard{c: c, pinned: true}
	c.Register(h, nil)
	h.alloc(t, 16)
	_, err := c.Alloc()
	require.ErrorIs(t, err, ErrNoMemory)
	assert.Contains(t, err.Error(), "all 16 pages")
	h.mu.Lock()
	h.pinned = false
	h.mu.Unlock()
	_, err = c.Alloc()
	require.NoError(t, err, "once pages can be freed, allocation works again")
}

// TestUnregisterWaitsForGiveBack: after Unregister returns, the pager
// never calls the owner again.
func TestUnregisterWaitsForGiveBack(t *testing.T) {
	c := newCache(t, 16)
	h := &hoard{c: c}
	reg := c.Register(h, nil)
	h.alloc(t, 15)
	reg.Unregister()
	h.mu.Lock()
	n := len(h.asked)
	h.mu.Unlock()
	time.Sleep(10 * time.Millisecond)
	h.mu.Lock()
	assert.Equal(t, n, len(h.asked))
	h.mu.Unlock()
	assert.Zero(t, c.Owners())
}

func TestCountersAreSummedOverCPUs(t *testing.T) {
	s := NewCounters(4)
	s.Add(0, Hits, 2)
	s.Add(3, Hits, 3)
	s.Add(7, Misses, 1) // wraps onto row 3
	got := s.Snapshot()
	assert.EqualValues(t, 5, got[Hits])
	assert.EqualValues(t, 1, got[Misses])
	assert.Equal(t, "writebacks", WriteBacks.String())
}

func TestStoreSlots(t *testing.T) {
	dev, err := blockdev.NewMemory(512, 3*PageSize/512)
	require.NoError(t, err)
	s, err := NewStore(dev)
	require.NoError(t, err)
	require.EqualValues(t, 3, s.Slots())
	f, g := s.NewFile(), s.NewFile()
	var p, q Page
	p[0], p[PageSize-1] = 'a', 'z'
	ok, err := f.ReadPage(5, &q)
	require.NoError(t, err)
	assert.False(t, ok, "a hole")
	require.NoError(t, f.WritePage(5, &p))
	require.NoError(t, f.WritePage(9, &p))
	require.NoError(t, g.WritePage(0, &p))
	require.ErrorIs(t, g.WritePage(1, &p), ErrStoreFull)
	ok, err = f.ReadPage(5, &q)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, p, q)
	assert.EqualValues(t, 9, f.NextStored(6, 100))
	assert.EqualValues(t, 100, f.NextStored(10, 100))
	f.Truncate(6)
	assert.False(t, f.Stored(9))
	assert.True(t, f.Stored(5))
	require.NoError(t, g.WritePage(1, &p), "the truncated page's slot is free again")
	g.Release()
	f.Release()
	assert.Zero(t, s.InUse())
	_, err = NewStore(mustMemory(t, 8192))
	assert.ErrorContains(t, err, "8192 bytes does not divide")
}

func mustMemory(t *testing.T, bs int) blockdev.Device {
	m, err := blockdev.NewMemory(bs, 4)
	require.NoError(t, err)
	return m
}

// TestTotalsSumTheOwners: the cache's totals are its owners' counters,
// those of owners gone included.
func TestTotalsSumTheOwners(t *testing.T) {
	c := newCache(t, 16)
	a, b := NewCounters(4), NewCounters(4)
	ra := c.Register(&hoard{c: c}, a)
	c.Register(&hoard{c: c}, b)
	a.Add(1, Hits, 3)
	b.Add(2, Hits, 4)
	b.Add(0, Misses, 1)
	assert.EqualValues(t, 7, c.Stats().Counts[Hits])
	ra.Unregister()
	a.Add(1, Hits, 100) // after it left: not the cache's any more
	st := c.Stats()
	assert.EqualValues(t, 7, st.Counts[Hits], "a gone owner's counts stay in the totals")
	assert.EqualValues(t, 1, st.Counts[Misses])
	assert.Equal(t, 1, st.Owners)
}

// TestPagesComeFromFrames: with Options.Frames every page comes from the
// memory it gives, in chunks, and never more than the budget's worth.
func TestPagesComeFromFrames(t *testing.T) {
	var chunks [][]Page
	asked := 0
	c, err := New(Options{Budget: 600 * PageSize, Platform: platform.Host(), Frames: func(n int) []Page {
		asked += n
		ps := make([]Page, n)
		chunks = append(chunks, ps)
		return ps
	}})
	require.NoError(t, err)
	defer c.Close()
	mine := func(p *Page) bool {
		for _, ch := range chunks {
			for i := range ch {
				if &ch[i] == p {
					return true
				}
			}
		}
		return false
	}
	var got []*Page
	for range 600 {
		p, err := c.Alloc()
		require.NoError(t, err)
		require.True(t, mine(p), "a page from the frames")
		got = append(got, p)
	}
	assert.Equal(t, 600, asked, "the budget's worth, no more")
	assert.Len(t, chunks, 3, "in chunks of 256")
	for _, p := range got {
		c.Free(p)
	}
	p, err := c.Alloc()
	require.NoError(t, err)
	assert.True(t, mine(p), "freed frames are reused")
	assert.Equal(t, 600, asked)
}
