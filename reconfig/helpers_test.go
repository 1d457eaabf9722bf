package reconfig_test

import (
	"testing"

	"k42/reconfig"
)

// newBenchTable returns a table over the host platform (see reconfig/bench).
func newBenchTable(tb testing.TB) *reconfig.Table { return suite.NewTable(tb) }
