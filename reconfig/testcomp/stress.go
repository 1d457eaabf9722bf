package testcomp

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"k42/reconfig"
	"k42/reconfig/wrappers"
)

// StressConfig sizes the stress workload (issue 4): Callers goroutines
// each make CallsPerCaller calls, each in its own request, through one
// entry holding a Counter, while Swaps hot swaps alternate the component
// between an AtomicCounter and a LockedCounter and AttachCycles
// attach-and-detach cycles of a call counter happen.
type StressConfig struct {
	Callers        int
	CallsPerCaller int
	Swaps          int
	AttachCycles   int
	// Options for each swap. Left zero, the workload uses a 100 ms
	// block timeout and 10 tries: generous, because a loaded machine (or
	// an emulated one) can keep a tracked call off its CPU for many
	// milliseconds, and a swap that gives up would count as a failure.
	Options reconfig.SwapOptions
}

// StressResult is what the workload observed.
type StressResult struct {
	Calls      int64 // calls made
	Final      int64 // the counter's value at the end
	Served     int64 // Add calls served, summed over all instances
	Late       int64 // calls served by an instance after it was swapped out
	Duplicates int64 // Add results seen twice (a lost or doubled update)
	Missing    int64 // totals 1..Calls no call returned
	Swaps      int   // swaps that succeeded
	Failures   []error
	Overlap    int // swaps and attach cycles done while callers were still calling
	Attaches   int
	MaxSwap    time.Duration
	MeanSwap   time.Duration
	Elapsed    time.Duration
}

// Check returns an error describing every broken promise: a call not
// served exactly once, or a counter whose state is inconsistent.
func (r StressResult) Check() error {
	var errs []error
	if r.Final != r.Calls {
		errs = append(errs, fmt.Errorf("final count %d, want %d", r.Final, r.Calls))
	}
	if r.Served != r.Calls {
		errs = append(errs, fmt.Errorf("%d calls served, want %d", r.Served, r.Calls))
	}
	if r.Late != 0 {
		errs = append(errs, fmt.Errorf("%d calls served by swapped-out components", r.Late))
	}
	if r.Duplicates != 0 || r.Missing != 0 {
		errs = append(errs, fmt.Errorf("%d totals returned twice, %d never", r.Duplicates, r.Missing))
	}
	errs = append(errs, r.Failures...)
	return errors.Join(errs...)
}

// counterInstance is what the swapper creates: a Counter it can inspect.
type counterInstance interface {
	Counter
	Served() int64
	Late() int64
	Retire()
}

// Stress runs the workload on table t (whose domain counts the requests)
// under the object name name.
func Stress(t *reconfig.Table, name string, cfg StressConfig) (StressResult, error) {
	first := &AtomicCounter{}
	e, err := reconfig.Create(t, name, CounterInterface, Counter(first))
	if err != nil {
		return StressResult{}, err
	}
	defer e.Destroy()
	ref, d := e.Ref(), t.Domain()
	if o := cfg.Options; o.BlockTimeout == 0 && o.ForwardTimeout == 0 && o.Tries == 0 && o.Observer == nil {
		cfg.Options = reconfig.SwapOptions{BlockTimeout: 100 * time.Millisecond, Tries: 10}
	}
	total := int64(cfg.Callers) * int64(cfg.CallsPerCaller)
	seen := make([]atomic.Uint64, (total+63)/64)
	var res StressResult
	totalOps := int64(cfg.Swaps + cfg.AttachCycles)
	var opsDone atomic.Int64
	var dup, made atomic.Int64
	var calling atomic.Bool
	calling.Store(true)
	start := time.Now()

	var callers sync.WaitGroup
	for range cfg.Callers {
		callers.Add(1)
		go func() {
			defer callers.Done()
			ctx := context.Background()
			for i := range cfg.CallsPerCaller {
				// Keep the calls spread over the swaps and attach
				// cycles, so that all of them happen while calls are
				// made: call i waits until the operations are
				// i/(0.9 × CallsPerCaller) done.
				for int64(i)*totalOps*10 > opsDone.Load()*int64(cfg.CallsPerCaller)*9 && opsDone.Load() < totalOps {
					runtime.Gosched()
				}
				r := d.Enter()
				v := ref.Get().Add(ctx, 1)
				r.End()
				made.Add(1)
				if v < 1 || v > total {
					dup.Add(1)
					continue
				}
				bit := uint64(1) << ((v - 1) % 64)
				if seen[(v-1)/64].Or(bit)&bit != 0 {
					dup.Add(1)
				}
			}
		}()
	}

	var mu sync.Mutex
	instances := []counterInstance{first}
	var ops sync.WaitGroup
	ops.Add(2)
	var overlap atomic.Int64
	go func() {
		defer ops.Done()
		var sum time.Duration
		for k := range cfg.Swaps {
			var next counterInstance = &AtomicCounter{}
			if k%2 == 0 {
				next = &LockedCounter{}
			}
			mu.Lock()
			cur := instances[len(instances)-1]
			instances = append(instances, next)
			mu.Unlock()
			rep, err := e.Swap(next, cfg.Options)
			opsDone.Add(1)
			if calling.Load() {
				overlap.Add(1)
			}
			if err != nil {
				res.Failures = append(res.Failures, err)
				mu.Lock()
				instances = instances[:len(instances)-1]
				mu.Unlock()
				continue
			}
			cur.Retire()
			res.Swaps++
			sum += rep.Total
			res.MaxSwap = max(res.MaxSwap, rep.Total)
		}
		if res.Swaps > 0 {
			res.MeanSwap = sum / time.Duration(res.Swaps)
		}
	}()
	go func() {
		defer ops.Done()
		for range cfg.AttachCycles {
			a, err := e.Attach(wrappers.NewCallCounter(t.Platform(), e.Methods()))
			if err == nil {
				err = e.Detach(a)
			}
			opsDone.Add(1)
			if err != nil {
				res.Failures = append(res.Failures, err)
				continue
			}
			if calling.Load() {
				overlap.Add(1)
			}
			res.Attaches++
		}
	}()

	callers.Wait()
	calling.Store(false)
	ops.Wait()
	res.Elapsed = time.Since(start)
	res.Overlap = int(overlap.Load())
	res.Calls = made.Load()
	res.Duplicates = dup.Load()
	for i := range seen {
		want := ^uint64(0)
		if rest := total - int64(i)*64; rest < 64 {
			want = 1<<rest - 1
		}
		res.Missing += int64(bits.OnesCount64(want &^ seen[i].Load()))
	}
	r := d.Enter()
	res.Final = ref.Get().Value(context.Background())
	r.End()
	for _, in := range instances {
		res.Served += in.Served()
		res.Late += in.Late()
	}
	res.Served-- // the Value call above
	return res, nil
}
