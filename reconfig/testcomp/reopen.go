package testcomp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"k42/reconfig"
	"k42/reconfig/generation"
)

// The block phase's reopen window, as a workload: the host tests and the
// kernel's suite run it to show that a phase's deadline holds in every
// round of the phase.

// DawdleCtx dawdles while the mediator asks it for its mark, so that the
// caller is counted while the swapper looks at the tracked calls: the
// window in which a block phase's wait can see a count that then drops
// (a looker, which is not recursive and is then held) or in which the
// re-check sees a count and reopens the phase (a recurser, whose Value
// answers every key, so the mediator lets it through as recursive).
type DawdleCtx struct {
	context.Context
	Recursive bool
}

// Value implements context.Context.
func (c DawdleCtx) Value(any) any {
	runtime.Gosched()
	if c.Recursive {
		return struct{}{}
	}
	return nil
}

// BlockCycler is a Node whose Ping, when it is let into the component
// during a block phase, waits for a Pong it makes in a new request: a
// cross-request call cycle, which the mediator cannot recognise as
// recursion and which only the block timeout breaks. Outside block
// phases Ping returns at once, so block phases start with nothing in
// flight and end only by the re-check or the deadline.
type BlockCycler struct {
	Entry  *reconfig.Entry[Node]
	Domain *generation.Domain
}

// Ping implements Node.
func (c *BlockCycler) Ping(context.Context, int) int {
	if st, ok := c.Entry.SwapStatus(); !ok || st.Phase == reconfig.PhaseForward {
		return 1
	}
	reply := make(chan int, 1)
	c.Domain.Go(func() { reply <- 1 + c.Entry.Ref().Get().Pong(context.Background()) })
	return <-reply
}

// Pong implements Node.
func (c *BlockCycler) Pong(context.Context) int { return 1 }

// ReopenResult is what ReopenWindow observed.
type ReopenResult struct {
	Swaps, Failed int   // swaps made, and how many failed (cleanly)
	CallsAfter    int64 // calls served after the last swap, in a short wait
}

// ReopenWindow drives swaps with block timeouts of 1 to 5 µs while
// lookers and recursers call a BlockCycler registered in t: each swap must
// return (succeed, or fail with a SwapError) within limit, and the
// object must go on serving afterwards.
func ReopenWindow(t *reconfig.Table, swaps int, limit time.Duration) (ReopenResult, error) {
	var res ReopenResult
	c := &BlockCycler{Domain: t.Domain()}
	e, err := reconfig.Create(t, "reopen/cycler", NodeInterface, Node(c))
	if err != nil {
		return res, err
	}
	defer e.Destroy()
	c.Entry = e
	d := t.Domain()
	stop := make(chan struct{})
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range 6 {
		ctx := DawdleCtx{Context: context.Background(), Recursive: i%3 == 0}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d.Do(func() {
					if ctx.Recursive {
						e.Ref().Get().Ping(ctx, 0)
					} else {
						e.Ref().Get().Pong(ctx)
					}
				})
				calls.Add(1)
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := range swaps {
		opts := reconfig.SwapOptions{
			BlockTimeout:   time.Duration(1+i%5) * time.Microsecond,
			ForwardTimeout: 2 * time.Second,
			Tries:          2,
		}
		done := make(chan error, 1)
		go func() {
			_, err := e.NullSwap(opts)
			done <- err
		}()
		select {
		case err := <-done:
			var se *reconfig.SwapError
			if err != nil && !errors.As(err, &se) {
				return res, fmt.Errorf("swap %d: %v is not a SwapError", i, err)
			}
			if err != nil {
				res.Failed++
			}
			res.Swaps++
		case <-time.After(limit):
			return res, fmt.Errorf("swap %d hung in its block phase (block timeout %v)", i, opts.BlockTimeout)
		}
	}
	before := calls.Load()
	time.Sleep(20 * time.Millisecond)
	res.CallsAfter = calls.Load() - before
	return res, nil
}
