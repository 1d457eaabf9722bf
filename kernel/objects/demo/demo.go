// Package demo is the console's live demonstration object: a counter
// registered in the system table as demo/counter and called ten times a
// second, so that an operator can attach wrappers to it, watch its calls
// and hot-swap it between its two implementations (a lock-free one and
// one under a mutex), with its count carried across in either direction.
//
// Execution context: ordinary Go, after boot; its methods run as
// requests of the system table's generation domain.
package demo

//go:generate go run k42/reconfig/cmd/genwrap -type Counter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"k42/reconfig"
)

// Counter counts.
type Counter interface {
	// Add adds n and returns the new total.
	Add(ctx context.Context, n int64) int64
	// Value returns the total.
	Value(ctx context.Context) int64
}

// Atomic is a Counter on an atomic integer.
type Atomic struct{ n atomic.Int64 }

// Add implements Counter.
func (c *Atomic) Add(_ context.Context, n int64) int64 { return c.n.Add(n) }

// Value implements Counter.
func (c *Atomic) Value(context.Context) int64 { return c.n.Load() }

// Protocols implements reconfig.Transferer: the count, canonically.
func (c *Atomic) Protocols() (export, import_ reconfig.ProtocolSet) {
	s := reconfig.Protocols(reconfig.Canonical)
	return s, s
}

// Export implements reconfig.Transferer.
func (c *Atomic) Export(reconfig.Protocol) (any, error) { return c.n.Load(), nil }

// Import implements reconfig.Transferer.
func (c *Atomic) Import(_ reconfig.Protocol, st any) error {
	n, ok := st.(int64)
	if !ok {
		return fmt.Errorf("demo: counter state is %T, not int64", st)
	}
	c.n.Store(n)
	return nil
}

// Locked is a Counter under a mutex.
type Locked struct {
	mu sync.Mutex
	n  int64
}

// Add implements Counter.
func (c *Locked) Add(_ context.Context, n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += n
	return c.n
}

// Value implements Counter.
func (c *Locked) Value(context.Context) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Protocols implements reconfig.Transferer.
func (c *Locked) Protocols() (export, import_ reconfig.ProtocolSet) {
	s := reconfig.Protocols(reconfig.Canonical)
	return s, s
}

// Export implements reconfig.Transferer.
func (c *Locked) Export(reconfig.Protocol) (any, error) { return c.Value(context.Background()), nil }

// Import implements reconfig.Transferer.
func (c *Locked) Import(_ reconfig.Protocol, st any) error {
	n, ok := st.(int64)
	if !ok {
		return fmt.Errorf("demo: counter state is %T, not int64", st)
	}
	c.mu.Lock()
	c.n = n
	c.mu.Unlock()
	return nil
}

// The family's members by name, for the console's "swap demo/counter
// IMPL".
func init() {
	CounterInterface.Provide("atomic", func() Counter { return new(Atomic) })
	CounterInterface.Provide("locked", func() Counter { return new(Locked) })
}

// Start registers demo/counter in t and calls it every period, one
// request a call.
func Start(t *reconfig.Table, period time.Duration) (*reconfig.Entry[Counter], error) {
	e, err := reconfig.Create[Counter](t, "demo/counter", CounterInterface, new(Atomic))
	if err != nil {
		return nil, err
	}
	ref, d := e.Ref(), t.Domain()
	go func() {
		for range time.Tick(period) {
			d.Do(func() { ref.Get().Add(context.Background(), 1) })
		}
	}()
	return e, nil
}
