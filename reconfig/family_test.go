package reconfig_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
)

// TestSwapToByName swaps an object to its family's members by name, through
// the operator's view (Object), with the state carried across; a name the
// family lacks fails with one error naming it and the members, and the
// old component keeps serving.
func TestSwapToByName(t *testing.T) {
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	tab := reconfig.NewTable(d)
	e, err := reconfig.Create[testcomp.Counter](tab, "c", testcomp.CounterInterface, new(testcomp.AtomicCounter))
	require.NoError(t, err)
	add := func(n int64) (v int64) {
		d.Do(func() { v = e.Ref().Get().Add(context.Background(), n) })
		return v
	}
	add(5)
	o, err := tab.Object("c")
	require.NoError(t, err)
	assert.Equal(t, []string{"atomic", "locked"}, o.Implementations())

	_, err = o.SwapTo("locked", reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.Equal(t, "*testcomp.LockedCounter", o.Info().Implementation)
	assert.EqualValues(t, 7, add(2), "the count moved to the locked counter")

	_, err = o.SwapTo("lockless", reconfig.SwapOptions{})
	require.ErrorIs(t, err, reconfig.ErrNoImplementation)
	assert.Contains(t, err.Error(), `"lockless"`)
	assert.Contains(t, err.Error(), "atomic, locked")
	assert.Equal(t, "*testcomp.LockedCounter", o.Info().Implementation)
	assert.EqualValues(t, 8, add(1), "the old component still serves")

	_, err = o.SwapTo("atomic", reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 9, add(1))
}
