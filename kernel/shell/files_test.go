package shell

import (
	"bytes"
	iofs "io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"k42/fs"
)

func fileSession(t *testing.T, input string) string {
	t.Helper()
	root := fstest.MapFS{
		"etc/hostname": {Data: []byte("k42\n"), Mode: 0o644, ModTime: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)},
		"etc/motd":     {Data: []byte("hello\n"), Mode: 0o600},
		"tmp":          {Mode: iofs.ModeDir | iofs.ModeSticky | 0o777},
		"link":         {Data: []byte("etc/hostname"), Mode: iofs.ModeSymlink | 0o777},
	}
	var out bytes.Buffer
	s := New(&fake{halted: -1}, &out)
	s.AddFiles(Files{Root: root, Usage: func() fs.Usage {
		return fs.Usage{Regular: 2, Dirs: 3, Symlinks: 1, Inodes: 6, MaxInodes: 60, Pages: 2, MaxPages: 200}
	}})
	s.Run(strings.NewReader(input))
	return out.String()
}

func TestFileCommands(t *testing.T) {
	out := fileSession(t, "ls\nls -l /etc\ncat /etc/hostname etc/motd\nstat /etc/hostname\nls -l link\ndf\n")
	require.Contains(t, out, "etc\nlink\ntmp\n")
	require.Regexp(t, `-rw-r--r-- +1 +4 +2026-12-01 10:00 +hostname\n`, out)
	require.Contains(t, out, "k42\nhello\n")
	require.Contains(t, out, "  File: /etc/hostname\n  Size: 4\tregular file\n")
	require.Regexp(t, `L.* link -> etc/hostname\n`, out)
	require.Contains(t, out, "inodes: 6 of 60 in use (10.0%): 2 files, 3 directories, 1 symbolic links")
	require.Contains(t, out, "pages: 2 of 200 in use (1.0%)")
}

func TestFileCommandErrors(t *testing.T) {
	out := fileSession(t, "cat /nope\ncat /etc\nls /etc /nope\nstat\nls -x\ndf extra\n")
	require.Contains(t, out, "k42: cat: /nope: file does not exist\n")
	require.Contains(t, out, "k42: cat: /etc: is a directory\n")
	require.Contains(t, out, "hostname\nmotd\nk42: ls: /nope: file does not exist\n", "ls lists what it can, then one error")
	require.Contains(t, out, "k42: usage: stat PATH...\n")
	require.Contains(t, out, "k42: usage: ls [-l] [PATH...]\n")
	require.Contains(t, out, "k42: usage: df \n")
}
