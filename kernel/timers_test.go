package kernel

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTimerHeap: random pushes and removals keep the heap ordered by
// deadline and every thread's recorded position true.
func TestTimerHeap(t *testing.T) {
	var q timerHeap
	rng := rand.New(rand.NewPCG(1, 2))
	in := map[int32]bool{}
	for step := range 20000 {
		i := int32(rng.IntN(200))
		if in[i] {
			q.remove(i)
			delete(in, i)
		} else {
			threads[i].wakeAt = 1 + rng.Uint64N(1000)
			q.push(0, i)
			in[i] = true
		}
		require.EqualValues(t, len(in), q.n, "step %d", step)
		for j := int32(0); j < q.n; j++ {
			require.Equal(t, j, threads[q.h[j]].timerIdx, "position of %d", q.h[j])
			if j > 0 {
				require.LessOrEqual(t, threads[q.h[(j-1)/2]].wakeAt, threads[q.h[j]].wakeAt, "heap order at %d", j)
			}
		}
	}
	var order []uint64
	for q.n > 0 {
		i := q.h[0]
		order = append(order, threads[i].wakeAt)
		q.remove(i)
		require.EqualValues(t, -1, threads[i].timerCPU)
	}
	require.True(t, sort.SliceIsSorted(order, func(a, b int) bool { return order[a] < order[b] }), "taken earliest first")
}
