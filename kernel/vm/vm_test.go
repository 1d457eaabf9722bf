package vm

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

const pg = 1 << 16

func newSpace() *Space {
	s := new(Space)
	s.Init(1<<36, 1<<40, 1<<48, pg)
	return s
}

func areas(s *Space) []Area {
	var out []Area
	for i := 0; i < s.Len(); i++ {
		out = append(out, s.At(i))
	}
	return out
}

func TestPlaceHintAndFirstFit(t *testing.T) {
	s := newSpace()
	a, ok := s.Place(0xc000000000, 64*pg)
	require.True(t, ok)
	require.Equal(t, uint64(0xc000000000), a)
	require.True(t, s.Insert(a, a+64*pg, ProtNone))

	// The same hint again is taken: first fit from Base instead.
	b, ok := s.Place(0xc000000000, pg)
	require.True(t, ok)
	require.Equal(t, uint64(1<<40), b)
	require.True(t, s.Insert(b, b+pg, ProtRead|ProtWrite))
	c, _ := s.Place(0, 2*pg)
	require.Equal(t, uint64(1<<40+pg), c)

	// A hint below Lo or reaching past Hi is ignored.
	d, _ := s.Place(0x1000000, pg)
	require.Equal(t, uint64(1<<40+pg), d)
	_, ok = s.Place(0, 1<<48)
	require.False(t, ok)
	_, ok = s.Place(0, pg+1)
	require.False(t, ok)
}

func TestInsertMergesAndReplaces(t *testing.T) {
	s := newSpace()
	base := uint64(1 << 40)
	require.True(t, s.Insert(base, base+pg, ProtRead))
	require.True(t, s.Insert(base+pg, base+3*pg, ProtRead))
	require.Equal(t, []Area{{base, base + 3*pg, ProtRead, false}}, areas(s))
	// MAP_FIXED over the middle with another protection splits.
	require.True(t, s.Insert(base+pg, base+2*pg, ProtNone))
	require.Equal(t, []Area{{base, base + pg, ProtRead, false}, {base + pg, base + 2*pg, ProtNone, false}, {base + 2*pg, base + 3*pg, ProtRead, false}}, areas(s))
	require.True(t, s.Insert(base+pg, base+2*pg, ProtRead))
	require.Equal(t, []Area{{base, base + 3*pg, ProtRead, false}}, areas(s))
	a, ok := s.Find(base + 2*pg + 5)
	require.True(t, ok)
	require.Equal(t, base, a.Start)
	_, ok = s.Find(base + 3*pg)
	require.False(t, ok)
}

func TestRemoveSplits(t *testing.T) {
	s := newSpace()
	base := uint64(1 << 40)
	require.True(t, s.Insert(base, base+10*pg, ProtRead|ProtWrite))
	require.True(t, s.Remove(base+2*pg, base+4*pg))
	require.Equal(t, []Area{{base, base + 2*pg, 3, false}, {base + 4*pg, base + 10*pg, 3, false}}, areas(s))
	require.True(t, s.Remove(base+pg, base+5*pg))
	require.Equal(t, []Area{{base, base + pg, 3, false}, {base + 5*pg, base + 10*pg, 3, false}}, areas(s))
	require.True(t, s.Remove(0, 1<<48))
	require.Equal(t, 0, s.Len())
	require.True(t, s.Remove(base, base+pg)) // nothing there: fine
}

func TestProtect(t *testing.T) {
	s := newSpace()
	base := uint64(1 << 40)
	require.True(t, s.Insert(base, base+8*pg, ProtNone))
	require.True(t, s.Protect(base+2*pg, base+4*pg, ProtRead|ProtWrite))
	require.Equal(t, []Area{{base, base + 2*pg, 0, false}, {base + 2*pg, base + 4*pg, 3, false}, {base + 4*pg, base + 8*pg, 0, false}}, areas(s))
	require.True(t, s.Protect(base, base+8*pg, ProtNone))
	require.Equal(t, []Area{{base, base + 8*pg, 0, false}}, areas(s))
	require.False(t, s.Protect(base+7*pg, base+9*pg, ProtRead), "partly unmapped")
	require.Equal(t, []Area{{base, base + 8*pg, 0, false}}, areas(s))
}

func TestLargest(t *testing.T) {
	s := newSpace()
	base := uint64(1 << 40)
	for i, n := range []uint64{3, 1, 7, 2, 5} {
		a := base + uint64(i)*16*pg
		require.True(t, s.Insert(a, a+n*pg, ProtRead))
	}
	out := make([]Area, 3)
	require.Equal(t, 3, s.Largest(out))
	require.Equal(t, []uint64{7 * pg, 5 * pg, 3 * pg}, []uint64{out[0].Len(), out[1].Len(), out[2].Len()})
	require.Equal(t, 0, s.Largest(nil))
	require.Equal(t, uint64(18*pg), s.Mapped())
}

// TestRandomAgainstModel checks the table against a page-by-page model.
func TestRandomAgainstModel(t *testing.T) {
	s := newSpace()
	base := uint64(1 << 40)
	const pages = 256
	model := make([]int, pages) // -1 unmapped, else prot
	for i := range model {
		model[i] = -1
	}
	r := rand.New(rand.NewSource(1))
	for step := 0; step < 5000; step++ {
		lo := r.Intn(pages)
		hi := lo + 1 + r.Intn(min(16, pages-lo))
		prot := uint32(r.Intn(4))
		start, end := base+uint64(lo)*pg, base+uint64(hi)*pg
		switch r.Intn(3) {
		case 0:
			require.True(t, s.Insert(start, end, prot))
			for i := lo; i < hi; i++ {
				model[i] = int(prot)
			}
		case 1:
			require.True(t, s.Remove(start, end))
			for i := lo; i < hi; i++ {
				model[i] = -1
			}
		case 2:
			full := true
			for i := lo; i < hi; i++ {
				full = full && model[i] >= 0
			}
			require.Equal(t, full, s.Protect(start, end, prot))
			if full {
				for i := lo; i < hi; i++ {
					model[i] = int(prot)
				}
			}
		}
		for i := 0; i < pages; i++ {
			a, ok := s.Find(base + uint64(i)*pg)
			if model[i] < 0 {
				require.False(t, ok, "step %d page %d", step, i)
			} else {
				require.True(t, ok, "step %d page %d", step, i)
				require.Equal(t, uint32(model[i]), a.Prot)
			}
		}
		for i := 1; i < s.Len(); i++ {
			p, q := s.At(i-1), s.At(i)
			require.Less(t, p.Start, p.End)
			require.LessOrEqual(t, p.End, q.Start)
			require.False(t, p.End == q.Start && p.Prot == q.Prot, "unmerged at step %d", step)
		}
	}
}

// TestSeal: a sealed range keeps its mark through splits and merges
// only with sealed neighbours; CanWrite sees it.
func TestSeal(t *testing.T) {
	s := newSpace()
	base := uint64(1 << 40)
	require.True(t, s.Insert(base, base+8*pg, ProtRead))
	require.True(t, s.CanWrite(base, base+8*pg))
	require.True(t, s.Seal(base+2*pg, base+4*pg))
	require.Equal(t, []Area{{base, base + 2*pg, ProtRead, false}, {base + 2*pg, base + 4*pg, ProtRead, true}, {base + 4*pg, base + 8*pg, ProtRead, false}}, areas(s))
	require.False(t, s.CanWrite(base+3*pg, base+5*pg))
	require.True(t, s.CanWrite(base+4*pg, base+8*pg))
	require.True(t, s.Protect(base, base+8*pg, ProtNone))
	require.False(t, s.CanWrite(base, base+8*pg), "a protection change keeps the seal")
	require.Len(t, areas(s), 3, "sealed and unsealed areas do not merge")
	require.True(t, s.Insert(base+2*pg, base+4*pg, ProtRead))
	require.True(t, s.CanWrite(base, base+8*pg), "a new mapping is not sealed")
	require.False(t, s.Seal(base+7*pg, base+9*pg), "partly unmapped")
}
