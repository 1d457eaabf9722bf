package shell

import (
	"bytes"
	"io"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs"
)

// TestControlFiles: a program opens the control file, writes commands and
// reads their answers; failures are errnos with a message; the views are
// snapshots read to their end.
func TestControlFiles(t *testing.T) {
	tab, m, limit := newFCMs(t)
	ctl, objs, pc := fs.Mkdev(242, 0), fs.Mkdev(242, 1), fs.Mkdev(242, 2)
	var fsys *fs.FS
	control := NewControl(func(s *Shell) {
		s.AddObjects(tab)
		s.AddPageCache(PageCache{FCMs: m, FS: fsys})
	})
	fsys = fs.New(fs.Options{Pages: limit, Data: m.DataFactory(),
		Devices: map[uint64]fs.Device{ctl: control, objs: ObjectsView(tab), pc: PageCacheView(m)}})
	require.NoError(t, fsys.MknodAt(nil, "/ctl", fs.S_IFCHR|0o600, ctl))
	require.NoError(t, fsys.MknodAt(nil, "/objects", fs.S_IFCHR|0o444, objs))
	require.NoError(t, fsys.MknodAt(nil, "/pagecache", fs.S_IFCHR|0o444, pc))
	f, err := fsys.OpenAt(nil, "/x", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.Write(bytes.Repeat([]byte{1}, 9000))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	c, err := fsys.OpenAt(nil, "/ctl", syscall.O_RDWR, 0)
	require.NoError(t, err)
	defer c.Close()
	answer := func() string {
		b, err := io.ReadAll(c)
		require.NoError(t, err)
		return string(b)
	}
	assert.Contains(t, answer(), "swap NAME [IMPL]", "before any command: the list")
	_, err = c.Write([]byte("show fcm:/x\n"))
	require.NoError(t, err)
	got := answer()
	assert.Contains(t, got, "object fcm:/x\ninterface fcm.FCM\ntype *fcm.Single\nfamily replicated,sequential,single\n")
	assert.Contains(t, got, "resident 3\ndirty 3\npages 3\n")
	_, err = c.Write([]byte("swap fcm:/x replicated"))
	require.NoError(t, err)
	assert.Contains(t, answer(), "*fcm.Single -> *fcm.Replicated")
	_, err = c.Write([]byte("attach fcm:/x count\nupgrade fcm sequential"))
	require.NoError(t, err)
	assert.Contains(t, answer(), "upgrade single -> sequential: 1 swapped")

	for _, bad := range []struct {
		cmd   string
		errno syscall.Errno
		msg   string
	}{
		{"show fcm:/nope", syscall.ENOENT, `error: show: no object "fcm:/nope"`},
		{"swap fcm:/x lru", syscall.EINVAL, `error: swap: reconfig: no implementation of that name: "lru"`},
		{"frobnicate", syscall.EINVAL, `error: unknown command "frobnicate"`},
		{"fcm /nope", syscall.ENOENT, "error: fcm: lookup /nope: no such file or directory"},
		{"swap", syscall.EINVAL, "error: usage: swap NAME [IMPL]"},
	} {
		n, err := c.Write([]byte(bad.cmd))
		assert.Zero(t, n)
		assert.ErrorIs(t, err, bad.errno, bad.cmd)
		assert.Contains(t, answer(), bad.msg)
	}

	v, err := fsys.OpenAt(nil, "/objects", syscall.O_RDONLY, 0)
	require.NoError(t, err)
	b, err := io.ReadAll(v)
	require.NoError(t, err)
	assert.Regexp(t, `fcm:/x\s+fcm.FCM\s+\*fcm.Sequential\s+count`, string(b))
	require.NoError(t, v.Close())
	v, err = fsys.OpenAt(nil, "/pagecache", syscall.O_RDONLY, 0)
	require.NoError(t, err)
	b, err = io.ReadAll(v)
	require.NoError(t, err)
	assert.Contains(t, string(b), "factory sequential\nbudget 256 pages")
	_, err = v.Write([]byte("x"))
	assert.ErrorIs(t, err, syscall.EBADF)
}
