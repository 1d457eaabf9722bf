package fcm_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/mm/fcm"
	"k42/mm/fcm/fcmstress"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// TestIntegrityUnderSwapsAndUpgrades runs the integrity workload over a
// cache far smaller than the data: nothing lost, nothing stale, every
// swap and upgrade done.
func TestIntegrityUnderSwapsAndUpgrades(t *testing.T) {
	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	m, limit, err := fcm.NewInMemory(reconfig.NewTable(d), 48*pagecache.PageSize, 128<<20, fcm.ImplSingle)
	require.NoError(t, err)
	defer m.Cache().Close()
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	res, err := fcmstress.Run(fcmstress.Of(fsys, m.Domain()), m, fcmstress.Config{Dir: "/", Clients: 6, Files: 6, MaxSize: 40000,
		Duration: dur, SwapEvery: 2 * time.Millisecond, UpgradeEvery: 40, Seed: 1})
	require.NoError(t, err)
	t.Logf("%+v", res)
	assert.NotZero(t, res.Swaps)
	assert.NotZero(t, res.Upgrades)
	assert.NotZero(t, res.Bytes, "reads checked data")
	assert.NotZero(t, m.Cache().Stats().Counts[pagecache.Evictions], "pages were evicted")
}
