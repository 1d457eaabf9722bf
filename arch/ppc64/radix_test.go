package ppc64

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// arena is a TableMemory over a Go slice: "physical" addresses start at
// base, which is TableBlock-aligned and far from 0 so that an address used
// as an index (or 0 used as an address) is caught.
type arena struct {
	t      *testing.T
	base   uint64
	words  []uint64
	next   uint64 // bytes handed out
	blocks int    // AllocTable calls that succeeded
}

func newArena(t *testing.T, blocks int) *arena {
	return &arena{t: t, base: 0x7_0000_0000, words: make([]uint64, blocks*TableBlock/8)}
}

func (a *arena) AllocTable() (uint64, bool) {
	if a.next+TableBlock > uint64(len(a.words))*8 {
		return 0, false
	}
	p := a.base + a.next
	a.next += TableBlock
	a.blocks++
	return p, true
}

func (a *arena) index(pa uint64) int {
	if pa%8 != 0 || pa < a.base || pa >= a.base+a.next {
		a.t.Fatalf("page-table access at %#x outside the tables handed out [%#x, %#x)", pa, a.base, a.base+a.next)
	}
	return int((pa - a.base) / 8)
}

func (a *arena) Load(pa uint64) uint64   { return a.words[a.index(pa)] }
func (a *arena) Store(pa, v uint64)      { a.words[a.index(pa)] = v }
func (a *arena) Barrier()                {}
func (a *arena) read(pa uint64) uint64   { return a.Load(pa) }
func (a *arena) inTables(pa uint64) bool { return pa >= a.base && pa < a.base+a.next }

func newTable(t *testing.T, blocks int) (*PageTable, *arena) {
	a := newArena(t, blocks)
	var pt PageTable
	require.NoError(t, pt.Init(a))
	return &pt, a
}

// hwWalk translates ea the way QEMU's target/ppc/mmu-radix64.c does for a
// guest in quadrant 0 with the process-table entry prtbe0, independently of
// PageTable's own code: the tree size from RTS, each level's size from the
// NLS of the entry above, POWER9's valid tree shapes, table alignment, and
// the R/C check. It returns the real address, the page size and the leaf.
func hwWalk(a *arena, prtbe0, ea uint64, store bool) (ra, size, pte uint64, err error) {
	psize := int(((prtbe0>>58)&0x18 | (prtbe0>>5)&0x7) + 31)
	base := prtbe0 & 0x0FFFFFFFFFFFFF00
	nls := int(prtbe0 & 0x1F)
	ea &= 0x3FFFFFFFFFFFFFFF
	for level := 0; ; level++ {
		valid := false
		switch level {
		case 0:
			valid = psize == 52 && nls == 13
		case 1, 2:
			valid = nls == 9
		case 3:
			valid = nls == 9 || nls == 5
		}
		if !valid {
			return 0, 0, 0, fmt.Errorf("bad tree shape at level %d: psize %d nls %d", level, psize, nls)
		}
		if base&(1<<(nls+3)-1) != 0 {
			return 0, 0, 0, fmt.Errorf("level %d table %#x not aligned to %#x", level, base, 1<<(nls+3))
		}
		idx := ea >> (psize - nls) & (1<<nls - 1)
		pde := a.read(base + 8*idx)
		if pde&(1<<63) == 0 {
			return 0, 0, 0, fmt.Errorf("no PTE")
		}
		psize -= nls
		if pde&(1<<62) != 0 {
			mask := uint64(1)<<psize - 1
			if pde&0x100 == 0 || store && pde&0x80 == 0 {
				return 0, 0, 0, fmt.Errorf("R/C not set")
			}
			return pde&0x01FFFFFFFFFFF000&^mask | ea&mask, mask + 1, pde, nil
		}
		base = pde & 0x0FFFFFFFFFFFFF00
		nls = int(pde & 0x1F)
	}
}

func TestEntryEncodings(t *testing.T) {
	// A leaf for a supervisor RWX page at 1 GiB: V, L, RPN, R, C, EAA=PRWX.
	require.Equal(t, uint64(0xC000_0000_4000_018F), leafEntry(1<<30, AttrKernel))
	// A directory entry pointing at a 4 KiB level-1 table: V, NLB, NLS=9.
	require.Equal(t, uint64(0x8000_0000_0012_3009), dirEntry(0x123000, 1))
	require.Equal(t, uint64(0x8000_0000_0012_3105), dirEntry(0x123100, 3))
	// Process-table entry: RTS=0b10101 (52 bits), RPDB, RPDS=13.
	pt := PageTable{root: 0x10000}
	require.Equal(t, uint64(0x4000_0000_0001_00AD), pt.ProcessTableEntry())
}

func TestIdentityMapPageSizes(t *testing.T) {
	pt, a := newTable(t, 8)
	end := uint64(3<<30 + 6<<20 + 128<<10)
	fl, err := pt.Map(PageSize, PageSize, end-PageSize, AttrKernel)
	require.NoError(t, err)
	require.Zero(t, fl, "mapping fresh memory makes nothing stale")

	cases := []struct{ va, size uint64 }{
		{PageSize, PageSize}, {2<<20 - PageSize, PageSize},
		{2 << 20, Page2M}, {1<<30 - 1, Page2M},
		{1 << 30, Page1G}, {2<<30 + 12345, Page1G}, {3<<30 - 8, Page1G},
		{3 << 30, Page2M}, {3<<30 + 6<<20 - 1, Page2M},
		{3<<30 + 6<<20, PageSize}, {end - 1, PageSize},
	}
	prtbe0 := pt.ProcessTableEntry()
	for _, c := range cases {
		pa, size, attr, ok := pt.Translate(c.va)
		require.True(t, ok, "%#x", c.va)
		require.Equal(t, c.va, pa, "identity at %#x", c.va)
		require.Equal(t, c.size, size, "page size at %#x", c.va)
		require.Equal(t, AttrKernel, attr)
		ra, hsize, _, err := hwWalk(a, prtbe0, c.va, true)
		require.NoError(t, err, "%#x", c.va)
		require.Equal(t, c.va, ra)
		require.Equal(t, c.size, hsize)
	}
	for _, va := range []uint64{0, 8, PageSize - 1, end, end + PageSize, 0x7fff_0000_0000, 1<<52 - 8} {
		_, _, _, ok := pt.Translate(va)
		require.False(t, ok, "%#x must not be mapped", va)
		_, _, _, err := hwWalk(a, prtbe0, va, false)
		require.Error(t, err, "%#x", va)
	}
	// root (1 block) + a block carved into: level 1, level 2 for the first
	// and fourth GiB, and one 4 KiB piece cut into the two level-3 tables.
	require.Equal(t, uint64(2*TableBlock), pt.TableBytes())
	require.Equal(t, 2, a.blocks)
}

func TestMisalignedPhysicalUsesSmallPages(t *testing.T) {
	pt, _ := newTable(t, 4)
	_, err := pt.Map(1<<30, 5*PageSize, 4<<20, AttrRead|AttrWrite)
	require.NoError(t, err)
	pa, size, attr, ok := pt.Translate(1<<30 + 3<<20 + 17)
	require.True(t, ok)
	require.Equal(t, uint64(5*PageSize+3<<20+17), pa)
	require.Equal(t, uint64(PageSize), size, "pa is only 64 KiB aligned")
	require.Equal(t, AttrRead|AttrWrite, attr)
}

func TestUnmapSplitsLargePages(t *testing.T) {
	pt, a := newTable(t, 8)
	_, err := pt.Map(0, 0, 4<<30, AttrKernel)
	require.NoError(t, err)
	hole := uint64(1<<30 + 6<<20 + 3*PageSize)
	fl, err := pt.Unmap(hole, 2*PageSize)
	require.NoError(t, err)
	require.Equal(t, Flush1G|Flush2M|Flush64K, fl, "a 1 GiB and then a 2 MiB page were split, two 64 KiB pieces removed")

	prtbe0 := pt.ProcessTableEntry()
	for _, c := range []struct {
		va, size uint64
		mapped   bool
	}{
		{1 << 30, Page2M, true},
		{1<<30 + 6<<20, PageSize, true},
		{hole - 1, PageSize, true},
		{hole, 0, false},
		{hole + PageSize + 5, 0, false},
		{hole + 2*PageSize, PageSize, true},
		{1<<30 + 8<<20, Page2M, true},
		{2<<30 - 8, Page2M, true},
		{2 << 30, Page1G, true},
		{3<<30 + 5, Page1G, true},
	} {
		pa, size, attr, ok := pt.Translate(c.va)
		require.Equal(t, c.mapped, ok, "%#x", c.va)
		_, hsize, _, herr := hwWalk(a, prtbe0, c.va, true)
		require.Equal(t, c.mapped, herr == nil, "%#x: %v", c.va, herr)
		if c.mapped {
			require.Equal(t, c.va, pa)
			require.Equal(t, c.size, size, "%#x", c.va)
			require.Equal(t, c.size, hsize, "%#x", c.va)
			require.Equal(t, AttrKernel, attr, "a split keeps the attributes")
		}
	}
}

func TestUnmapFreesTablesAndReuses(t *testing.T) {
	pt, _ := newTable(t, 8)
	_, err := pt.Map(PageSize, PageSize, 5<<20, AttrKernel) // 64 KiB, 2 MiB and 64 KiB pages
	require.NoError(t, err)
	used := pt.TableBytes()

	fl, err := pt.Unmap(0, 1<<30)
	require.NoError(t, err, "unmapping holes is fine")
	require.Equal(t, Flush64K|Flush2M|FlushWalk, fl)
	for i := uint64(0); i < 1<<13; i++ {
		require.Zero(t, pt.mem.Load(pt.Root()+8*i), "root entry %d", i)
	}
	pt.Reclaim()
	_, err = pt.Map(5<<30+PageSize, PageSize, 5<<20, AttrKernel)
	require.NoError(t, err)
	require.Equal(t, used, pt.TableBytes(), "freed tables are reused after Reclaim")
	_, _, _, ok := pt.Translate(5<<30 + 2*PageSize)
	require.True(t, ok)
}

func TestFreedTablesWaitForReclaim(t *testing.T) {
	pt, _ := newTable(t, 8)
	_, err := pt.Map(PageSize, 0, PageSize, AttrKernel) // level 1, 2, 3 tables
	require.NoError(t, err)
	_, err = pt.Unmap(PageSize, PageSize)
	require.NoError(t, err)
	l1 := pt.dead4K
	require.NotZero(t, l1)
	_, err = pt.Map(PageSize, 0, PageSize, AttrKernel)
	require.NoError(t, err)
	_, _, _, ok := pt.Translate(PageSize)
	require.True(t, ok)
	require.NotEqual(t, l1, pt.mem.Load(pt.Root())&pdeNLB, "a table freed before Reclaim is not reused")
}

func TestLargeMapReplacesSmallerMappings(t *testing.T) {
	pt, a := newTable(t, 8)
	_, err := pt.Map(2<<20, 7<<30, 3*PageSize, AttrRead)
	require.NoError(t, err)
	fl, err := pt.Map(0, 0, 1<<30, AttrKernel)
	require.NoError(t, err)
	require.Equal(t, Flush64K|FlushWalk, fl, "the 64 KiB pages and their tables went")
	pa, size, attr, ok := pt.Translate(2<<20 + PageSize)
	require.True(t, ok)
	require.Equal(t, uint64(2<<20+PageSize), pa)
	require.Equal(t, uint64(Page1G), size)
	require.Equal(t, AttrKernel, attr)
	_, _, pte, err := hwWalk(a, pt.ProcessTableEntry(), 12345, false)
	require.NoError(t, err)
	require.Equal(t, uint64(0xC000_0000_0000_018F), pte)

	fl, err = pt.Map(0, 8<<30, 1<<30, AttrRead)
	require.NoError(t, err)
	require.Equal(t, Flush1G, fl, "remapping a page makes its old translation stale")
}

func TestMapErrors(t *testing.T) {
	var empty PageTable
	_, err := empty.Map(0, 0, PageSize, AttrKernel)
	require.Equal(t, ErrNoTable, err)

	pt, _ := newTable(t, 2)
	for _, c := range []struct {
		va, pa, size uint64
		attr         Attr
		err          error
	}{
		{4096, 0, PageSize, AttrKernel, ErrUnaligned},
		{0, 4096, PageSize, AttrKernel, ErrUnaligned},
		{0, 0, 100, AttrKernel, ErrUnaligned},
		{1<<52 - PageSize, 0, 2 * PageSize, AttrKernel, ErrRange},
		{0, 1 << 57, PageSize, AttrKernel, ErrRange},
		{0, 0, PageSize, 0x40, ErrAttr},
	} {
		_, err := pt.Map(c.va, c.pa, c.size, c.attr)
		require.Equal(t, c.err, err, "%+v", c)
		require.NotEmpty(t, err.Error())
	}
	_, err = pt.Unmap(4096, PageSize)
	require.Equal(t, ErrUnaligned, err)

	// Two blocks: the root and one carved into 16 pieces of 4 KiB. Mapping
	// single pages 1 GiB apart needs a level-2 table and a 4 KiB piece for
	// level-3 tables each time, so memory runs out.
	_, err = pt.Map(0, 0, PageSize, AttrKernel)
	require.NoError(t, err)
	for i := uint64(1); err == nil; i++ {
		require.Less(t, i, uint64(64))
		_, err = pt.Map(i<<30, 0, PageSize, AttrKernel)
	}
	require.Equal(t, ErrNoMemory, err)
}

// TestRandomAgainstModel maps and unmaps random ranges in a 4 GiB window
// and compares every 64 KiB page's translation with a simple model, both
// through Translate and through the hardware-style walk.
func TestRandomAgainstModel(t *testing.T) {
	const window = 4 << 30
	const pages = window / PageSize
	pt, a := newTable(t, 64)
	model := make([]uint64, pages) // pa+1 of each page, 0 = unmapped
	attrs := make([]Attr, pages)
	rng := rand.New(rand.NewSource(42))
	sizes := []uint64{PageSize, 3 * PageSize, Page2M, Page2M + 5*PageSize, 3 * Page2M, Page1G, Page1G + Page2M}
	for step := 0; step < 300; step++ {
		size := sizes[rng.Intn(len(sizes))]
		va := uint64(rng.Int63n(int64(window-size))) &^ (PageSize - 1)
		if rng.Intn(3) == 0 {
			va &^= Page2M - 1
		}
		if rng.Intn(2) == 0 {
			_, err := pt.Unmap(va, size)
			require.NoError(t, err)
			for p := va / PageSize; p < (va+size)/PageSize; p++ {
				model[p] = 0
			}
		} else {
			pa := va ^ uint64(rng.Intn(4))<<30 // keeps the alignment most of the time
			if rng.Intn(4) == 0 {
				pa = uint64(rng.Intn(1<<20)) * PageSize
			}
			attr := []Attr{AttrKernel, AttrRead, AttrRead | AttrWrite, AttrPrivileged | AttrRead | AttrExec}[rng.Intn(4)]
			_, err := pt.Map(va, pa, size, attr)
			require.NoError(t, err)
			for i := uint64(0); i < size/PageSize; i++ {
				model[va/PageSize+i] = pa + i*PageSize + 1
				attrs[va/PageSize+i] = attr
			}
		}
		pt.Reclaim()
		if step%30 != 29 {
			continue
		}
		prtbe0 := pt.ProcessTableEntry()
		for p := uint64(0); p < pages; p += 1 + uint64(rng.Intn(7)) {
			va := p*PageSize + uint64(rng.Intn(PageSize/8))*8
			pa, _, attr, ok := pt.Translate(va)
			ra, _, _, err := hwWalk(a, prtbe0, va, true)
			if model[p] == 0 {
				require.False(t, ok, "step %d: %#x should be unmapped", step, va)
				require.Error(t, err)
				continue
			}
			want := model[p] - 1 + va%PageSize
			require.True(t, ok, "step %d: %#x should be mapped", step, va)
			require.Equal(t, want, pa, "step %d: %#x", step, va)
			require.NoError(t, err)
			require.Equal(t, want, ra)
			require.Equal(t, attrs[p], attr)
		}
	}
	// Unmapping everything leaves an empty root.
	_, err := pt.Unmap(0, window)
	require.NoError(t, err)
	require.True(t, pt.empty(pt.Root(), 0))
	require.True(t, a.inTables(pt.Root()))
}

func TestNextLeafSkipsHoles(t *testing.T) {
	pt, _ := newTable(t, 8)
	base := uint64(1 << 40)
	for _, off := range []uint64{0, 5 * PageSize, 1 << 30, 3<<30 + 7*PageSize} {
		_, err := pt.Map(base+off, 0x100000+off%(1<<20), PageSize, AttrKernel)
		require.NoError(t, err)
	}
	_, err := pt.Map(base+1<<31, 0x40000000, Page2M, AttrKernel) // a 2 MiB leaf
	require.NoError(t, err)
	var got [][3]uint64
	for a := base; ; {
		l, p, s, ok := pt.NextLeaf(a, base+1<<32)
		if !ok {
			break
		}
		got = append(got, [3]uint64{l - base, p, s})
		a = l + s
	}
	require.Equal(t, [][3]uint64{
		{0, 0x100000, PageSize},
		{5 * PageSize, 0x100000 + 5*PageSize, PageSize},
		{1 << 30, 0x100000, PageSize},
		{1 << 31, 0x40000000, Page2M},
		{3<<30 + 7*PageSize, 0x100000 + 7*PageSize, PageSize},
	}, got)
	_, _, _, ok := pt.NextLeaf(base+6*PageSize, base+1<<30)
	require.False(t, ok)
	// A leaf that begins below va but covers it is returned.
	l, _, _, ok := pt.NextLeaf(base+1<<31+PageSize, base+1<<32)
	require.True(t, ok)
	require.Equal(t, base+1<<31, l)
}
