package shell

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/kernel"
)

// TestDisksAndSync: the console lists the disks it is given and syncs
// them; a failed sync is reported.
func TestDisksAndSync(t *testing.T) {
	var out bytes.Buffer
	s := New(&fake{halted: -1}, &out)
	var list []kernel.DiskInfo
	syncErr := error(nil)
	synced := 0
	s.AddDisks(Disks{List: func() []kernel.DiskInfo { return list },
		Sync: func() (string, error) { synced++; return "synced", syncErr }})
	run := func(line string) string {
		out.Reset()
		s.Exec(line)
		return out.String()
	}
	assert.Contains(t, run("disks"), "no disks")
	list = []kernel.DiskInfo{{Name: "vda", Model: "virtio-blk", Bytes: 256 << 20, BlockSize: 512, PCI: "800000020000000:02.0",
		Interrupts: "msi-x", Role: "page-cache store", Reads: 3, BytesRead: 12288}}
	got := run("disks")
	for _, w := range []string{"vda", "virtio-blk", "256.0M", "512", "800000020000000:02.0", "msi-x", "page-cache store", "12.0K"} {
		assert.Contains(t, got, w)
	}
	assert.Contains(t, run("sync"), "synced")
	syncErr = errors.New("vda: flush failed")
	assert.Contains(t, run("sync"), "vda: flush failed")
	assert.Equal(t, 2, synced)
}

// TestPageCacheDrop: "pagecache drop" empties the cache and the data
// reads back.
func TestPageCacheDrop(t *testing.T) {
	_, m, limit := newFCMs(t)
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	f, err := fsys.OpenAt(nil, "/x", syscall.O_CREAT|syscall.O_RDWR, 0o644)
	require.NoError(t, err)
	data := bytes.Repeat([]byte("k42 "), 5000)
	_, err = f.Write(data)
	require.NoError(t, err)
	require.NotZero(t, m.Cache().Used())
	var out bytes.Buffer
	s := New(&fake{halted: -1}, &out)
	s.AddPageCache(PageCache{FCMs: m, FS: fsys})
	s.Exec("pagecache drop")
	assert.Contains(t, out.String(), "dropped 5 pages")
	assert.Zero(t, m.Cache().Used())
	got := make([]byte, len(data))
	_, err = f.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}
