package reconfig_test

import (
	"fmt"
	"testing"

	"k42/reconfig"
	"k42/reconfig/testcomp"
)

func benchEntries(b *testing.B, n int) []*reconfig.Entry[testcomp.Counter] {
	tab := newBenchTable(b)
	es := make([]*reconfig.Entry[testcomp.Counter], n)
	for i := range es {
		es[i], _ = reconfig.Create[testcomp.Counter](tab, fmt.Sprint(i), testcomp.CounterInterface, new(testcomp.AtomicCounter))
	}
	return es
}

func BenchmarkNullSwapOneByOne1000(b *testing.B) {
	es := benchEntries(b, 1000)
	b.ResetTimer()
	for range b.N {
		for _, e := range es {
			e.NullSwap(reconfig.SwapOptions{})
		}
	}
}

func BenchmarkSwapAllNull1000(b *testing.B) {
	es := benchEntries(b, 1000)
	b.ResetTimer()
	for range b.N {
		reconfig.SwapAll(es, func(_ int, from testcomp.Counter) testcomp.Counter { return from }, reconfig.SwapOptions{})
	}
}

func BenchmarkSwapAllTransfer1000(b *testing.B) {
	es := benchEntries(b, 1000)
	b.ResetTimer()
	for range b.N {
		reconfig.SwapAll(es, func(int, testcomp.Counter) testcomp.Counter { return new(testcomp.AtomicCounter) }, reconfig.SwapOptions{})
	}
}
