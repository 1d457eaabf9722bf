package kernel

// timerHeap is a CPU's threads waiting with a deadline, ordered by it (a
// binary min-heap of thread indices keyed by wakeAt). sched guards it.
type timerHeap struct {
	h [MaxThreads]int32
	n int32
}

func (q *timerHeap) less(a, b int32) bool { return threads[q.h[a]].wakeAt < threads[q.h[b]].wakeAt }

func (q *timerHeap) swap(a, b int32) {
	q.h[a], q.h[b] = q.h[b], q.h[a]
	threads[q.h[a]].timerIdx = a
	threads[q.h[b]].timerIdx = b
}

func (q *timerHeap) up(j int32) {
	for j > 0 {
		p := (j - 1) / 2
		if !q.less(j, p) {
			return
		}
		q.swap(j, p)
		j = p
	}
}

func (q *timerHeap) down(j int32) {
	for {
		l, m := 2*j+1, j
		if l < q.n && q.less(l, m) {
			m = l
		}
		if r := l + 1; r < q.n && q.less(r, m) {
			m = r
		}
		if m == j {
			return
		}
		q.swap(j, m)
		j = m
	}
}

// push adds thread i, whose wakeAt is set, to the heap of CPU cpu (q).
func (q *timerHeap) push(cpu int, i int32) {
	t := &threads[i]
	t.timerCPU, t.timerIdx = int32(cpu), q.n
	q.h[q.n] = i
	q.n++
	q.up(q.n - 1)
}

// remove takes thread i out of the heap.
func (q *timerHeap) remove(i int32) {
	t := &threads[i]
	j := t.timerIdx
	q.n--
	if j != q.n {
		q.swap(j, q.n)
		q.down(j)
		q.up(j)
	}
	t.timerCPU, t.timerIdx = -1, 0
}
