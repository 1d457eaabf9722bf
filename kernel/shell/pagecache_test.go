package shell

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/mm/fcm"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// newFCMs returns a table and an FCM manager in it over a 1 MiB cache,
// and the page limit of a file system over them.
func newFCMs(t *testing.T) (*reconfig.Table, *fcm.Manager, *fs.PageLimit) {
	t.Helper()
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	tab := reconfig.NewTable(d)
	m, limit, err := fcm.NewInMemory(tab, 1<<20, 8<<20, fcm.ImplSingle)
	require.NoError(t, err)
	t.Cleanup(m.Cache().Close)
	return tab, m, limit
}

// TestPageCacheCommands: a console session shows a file's FCM, swaps it
// by hand, pins one, upgrades the factory and shows the cache.
func TestPageCacheCommands(t *testing.T) {
	tab, m, limit := newFCMs(t)
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	for _, name := range []string{"/x", "/y"} {
		f, err := fsys.OpenAt(nil, name, syscall.O_CREAT|syscall.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = f.Write(bytes.Repeat([]byte("k42 "), 3000))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	require.NoError(t, fsys.SymlinkAt("/x", nil, "/link"))

	var out bytes.Buffer
	s := New(&fake{halted: -1}, &out)
	s.AddObjects(tab)
	s.AddPageCache(PageCache{FCMs: m, FS: fsys})
	run := func(line string) string {
		out.Reset()
		s.Exec(line)
		return out.String()
	}
	got := run("fcm /link")
	assert.Contains(t, got, "name fcm:/x\nimplementation single\npinned -\nresident 3\ndirty 3\npages 3\n")
	assert.Contains(t, got, "bytes_written 12000\n")
	assert.Contains(t, run("swap fcm:/x replicated"), "state in protocol 1")
	assert.Contains(t, run("fcm /x"), "implementation replicated\n")
	assert.Contains(t, run("fcm /x"), "replicas ")
	assert.Contains(t, run("fcm /y pin sequential"), "implementation sequential\npinned sequential\n")
	assert.Contains(t, run("upgrade fcm replicated"), "single -> replicated: 0 swapped, 1 already replicated, 1 pinned")
	assert.Regexp(t, `fcm:/y\s+sequential\s+3\s+3`, run("fcms"))
	assert.Contains(t, run("fcm /y unpin"), "pinned -\n")
	assert.Contains(t, run("upgrade fcm single"), "replicated -> single: 2 swapped, 0 already single, 0 pinned, 0 gone, 0 failed")
	assert.Contains(t, run("upgrade fcm lru"), `k42: upgrade: reconfig: no implementation of that name: "lru"`)
	assert.Contains(t, run("swap fcm:/x lru"), `"lru" (fcm.FCM has replicated, sequential, single)`)
	assert.Contains(t, run("fcm /"), "k42: fcm: / is not a regular file with an FCM")
	assert.Contains(t, run("fcm /nope"), "k42: fcm: lookup /nope: no such file or directory")
	assert.Contains(t, run("pagecache"), "budget 256 pages (1024 KiB)\nused 6 pages\n")
	assert.Contains(t, run("objects"), "fcm/factory")
}
