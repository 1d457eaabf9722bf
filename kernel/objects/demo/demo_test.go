package demo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

func TestDemoCounterSwapsBothWays(t *testing.T) {
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	tab := reconfig.NewTable(d)
	e, err := Start(tab, time.Millisecond)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var v int64
		d.Do(func() { v = e.Ref().Get().Value(context.Background()) })
		return v >= 5
	}, 5*time.Second, time.Millisecond)
	for _, impl := range []string{"locked", "atomic", "locked"} {
		var before int64
		d.Do(func() { before = e.Ref().Get().Value(context.Background()) })
		_, err := e.SwapTo(impl, reconfig.SwapOptions{})
		require.NoError(t, err)
		var after int64
		d.Do(func() { after = e.Ref().Get().Value(context.Background()) })
		require.GreaterOrEqual(t, after, before, "the count survives the swap to %s", impl)
	}
	require.Equal(t, "*demo.Locked", e.Info().Implementation)
}
