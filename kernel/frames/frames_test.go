package frames

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAllocFreeCounts(t *testing.T) {
	var a Allocator
	a.Init(64<<20, 3*Size+1) // 1024 frames, 4 reserved
	require.Equal(t, 1024, a.Total())
	require.Equal(t, 4, a.Used())

	p, ok := a.Alloc(10, 0, nil)
	require.True(t, ok)
	require.Equal(t, uint64(4*Size), p, "first fit starts above the reserved frames")
	require.Equal(t, 14, a.Used())
	require.Equal(t, 10, a.Free(p, 10*Size))
	require.Equal(t, 4, a.Used())
	require.Equal(t, 14, a.Peak())
	require.Equal(t, 0, a.Free(0, Size), "reserved frames are never freed")
}

func TestHintAndZeroing(t *testing.T) {
	var a Allocator
	a.Init(16<<20, Size)
	var zeroed []uint64
	zero := func(addr, n uint64) { zeroed = append(zeroed, addr) }

	p, ok := a.Alloc(2, 100*Size, zero)
	require.True(t, ok)
	require.Equal(t, uint64(100*Size), p, "a free hinted range is honoured")
	require.Empty(t, zeroed, "never-used frames are known zero")

	_, ok = a.Alloc(2, 100*Size, zero)
	require.True(t, ok)
	a.Free(p, 2*Size)
	q, ok := a.Alloc(1, 101*Size, zero)
	require.True(t, ok)
	require.Equal(t, uint64(101*Size), q)
	require.Equal(t, []uint64{101 * Size}, zeroed, "a reused frame is zeroed")
}

func TestExhaustionAndClaim(t *testing.T) {
	var a Allocator
	a.Init(1<<20, 0) // 16 frames
	_, ok := a.Alloc(17, 0, nil)
	require.False(t, ok)
	require.True(t, a.Claim(3*Size+5, Size, nil), "claim spans two frames")
	require.Equal(t, 2, a.Used())
	require.False(t, a.Claim(15*Size, 2*Size, nil), "claim beyond memory")
	require.Equal(t, 11, a.Largest(), "frames 5..15")
}

func TestRandomAgainstModel(t *testing.T) {
	var a Allocator
	a.Init(256*Size, 0)
	model := make([]bool, 256)
	type run struct {
		addr uint64
		n    int
	}
	var live []run
	r := rand.New(rand.NewSource(1))
	for step := 0; step < 5000; step++ {
		if r.Intn(2) == 0 || len(live) == 0 {
			n := 1 + r.Intn(20)
			p, ok := a.Alloc(n, 0, nil)
			if !ok {
				continue
			}
			for i := int(p / Size); i < int(p/Size)+n; i++ {
				require.False(t, model[i], "frame %d handed out twice", i)
				model[i] = true
			}
			live = append(live, run{p, n})
		} else {
			k := r.Intn(len(live))
			for i := int(live[k].addr / Size); i < int(live[k].addr/Size)+live[k].n; i++ {
				model[i] = false
			}
			a.Free(live[k].addr, uint64(live[k].n)*Size)
			live = append(live[:k], live[k+1:]...)
		}
		require.Equal(t, a.Count(), a.Used())
	}
}

func TestReservationsZeroOnClaim(t *testing.T) {
	var a Allocator
	a.Init(16<<20, Size)
	var zeroed []uint64
	zero := func(addr, n uint64) { zeroed = append(zeroed, addr) }
	p, _ := a.Alloc(4, 0, zero)
	a.Free(p, 4*Size) // four dirty frames
	r, ok := a.Alloc(4, 0, nil)
	require.True(t, ok)
	require.Equal(t, p, r)
	require.Empty(t, zeroed, "a reservation zeroes nothing")
	require.True(t, a.Claim(r+Size, 2*Size, zero))
	require.Equal(t, []uint64{r + Size, r + 2*Size}, zeroed, "claiming reserved dirty frames zeroes them")
	zeroed = nil
	require.True(t, a.Claim(r+Size, 2*Size, zero))
	require.Empty(t, zeroed, "a second claim zeroes nothing")
}
