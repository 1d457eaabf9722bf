package reconfig

// Swapping many objects in one operation (a factory upgrade: the paper's
// §7.1 leaves it open). Each swap's forward phase waits for every request
// that existed when it began to end; swapped one by one, N objects wait N
// times. SwapAll puts a mediator in front of every object first, waits
// once for the requests of that moment, and then blocks, transfers and
// publishes each object in turn, so the wait is shared and each object
// costs only its own block and transfer. An object whose calls do not
// drain in its block phase, or that is already being swapped, or whose
// group's forward phase timed out, is then swapped on its own, with the
// usual retries.

// SwapOutcome is one object's result in SwapAll.
type SwapOutcome struct {
	Report SwapReport
	Err    error
}

// SwapAll swaps each es[i] to pick(i, from), where from is its component
// at the time, in one operation. The entries must be in one table. It
// returns each object's report and error (as Swap would); an object that
// failed keeps its old component, serving every call.
func SwapAll[I any](es []*Entry[I], pick func(i int, from I) I, opts SwapOptions) []SwapOutcome {
	opts = opts.withDefaults()
	out := make([]SwapOutcome, len(es))
	if len(es) == 0 {
		return out
	}
	first := es[0]
	start := first.plat.Now()
	var (
		jobs  []*swapJob[I]
		at    []int // jobs[k] swaps es[at[k]]
		alone []int // swapped on their own afterwards
	)
	for i, e := range es {
		if e.table != first.table || !e.swapMu.TryLock() {
			alone = append(alone, i)
			continue
		}
		j, err := e.begin(func(from I) I { return pick(i, from) }, opts, start)
		if err != nil {
			e.swapMu.Unlock()
			out[i] = SwapOutcome{Report: j.rep, Err: err}
			continue
		}
		jobs = append(jobs, j)
		at = append(at, i)
	}
	if len(jobs) > 0 {
		t := first.plat.Now()
		quiet, q := first.quiesce()
		ok := waitQuiet(quiet, q, opts.ForwardTimeout)
		forward := first.since(t)
		for k, j := range jobs {
			j.rep.Tries, j.rep.Forward = 1, forward
			j.m.try.Store(1)
			i := at[k]
			switch {
			case !ok:
				j.finish(j.from, false)
				alone = append(alone, i)
			case j.observe(PhaseForward) != nil:
				// An observer that fails fails its swap, as in Swap.
				j.finish(j.from, false)
				out[i] = SwapOutcome{Report: j.rep, Err: swapFailure(j.e.name(), PhaseForward, 1, ErrPanic)}
			default:
				fatal, retry := j.block(1)
				switch {
				case fatal != nil:
					out[i] = SwapOutcome{Report: j.rep, Err: fatal}
				case retry != nil:
					j.finish(j.from, false)
					alone = append(alone, i)
				default:
					out[i] = SwapOutcome{Report: j.rep, Err: j.transfer(1)}
				}
			}
			j.e.swapMu.Unlock()
		}
	}
	for _, i := range alone {
		r, err := es[i].swap(func(from I) I { return pick(i, from) }, opts)
		out[i] = SwapOutcome{Report: r, Err: err}
	}
	return out
}
