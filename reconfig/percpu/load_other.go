//go:build !ppc64

package percpu

import "sync/atomic"

// Elsewhere (the host, where the race detector checks these sums) every
// load is a sync/atomic one.

func beginLoads() {}

func endLoads() {}

func load(p *atomic.Int64) int64 { return p.Load() }
