package reconfig_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
	"k42/reconfig/testcomp"
)

// emptyWrapper is the paper's empty wrapper: PreCall and PostCall return.
type emptyWrapper struct{}

func (emptyWrapper) PreCall(*reconfig.Call)  {}
func (emptyWrapper) PostCall(*reconfig.Call) {}

func newBenchTable(tb testing.TB) *reconfig.Table {
	d, err := generation.New(platform.Host(), 2)
	require.NoError(tb, err)
	return reconfig.NewTable(d)
}

func newAdder(tb testing.TB, t *reconfig.Table, name string) *reconfig.Entry[testcomp.Adder] {
	e, err := reconfig.Create(t, name, testcomp.AdderInterface, testcomp.Adder(&testcomp.PlainAdder{}))
	require.NoError(tb, err)
	return e
}
