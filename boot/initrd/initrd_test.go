package initrd

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	members := []struct {
		name string
		mode uint32
		data string
	}{
		{ArgsName, ModeRegular | 0o644, "a\x00b c\x00\xff'\"\x00"},
		{"tmp", ModeDir | 0o755, ""},
		{"tmp/x", ModeRegular | 0o600, "hello, world"},
		{"tmp/empty", ModeRegular | 0o644, ""},
		{"tmp/link", ModeSymlink | 0o777, "x"},
	}
	for _, m := range members {
		require.NoError(t, w.Add(m.name, m.mode, []byte(m.data)))
	}
	require.NoError(t, w.Close())
	a := buf.Bytes()
	require.Zero(t, len(a)%4, "members are 4-byte aligned")

	off, i := 0, 0
	for {
		e, next, st := Next(a, off)
		if st == End {
			break
		}
		require.Equal(t, OK, st, "member %d", i)
		require.Equal(t, members[i].name, string(e.Name))
		require.Equal(t, members[i].mode, e.Mode)
		require.Equal(t, members[i].data, string(e.Data))
		off, i = next, i+1
	}
	require.Equal(t, len(members), i)

	d, ok := Find(a, "tmp/x")
	require.True(t, ok)
	require.Equal(t, "hello, world", string(d))
	_, ok = Find(a, "tmp/y")
	require.False(t, ok)
}

func TestCorruptArchives(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	require.NoError(t, w.Add("f", ModeRegular|0o644, bytes.Repeat([]byte{'x'}, 100)))
	require.NoError(t, w.Close())
	good := buf.Bytes()
	for _, cut := range []int{0, 5, 109, 112, 150} {
		_, _, st := Next(good[:cut], 0)
		require.Equal(t, Corrupt, st, "archive cut at %d", cut)
	}
	bad := bytes.Clone(good)
	bad[0] = 'x'
	_, _, st := Next(bad, 0)
	require.Equal(t, Corrupt, st, "bad magic")
	bad = bytes.Clone(good)
	copy(bad[54:62], "zzzzzzzz")
	_, _, st = Next(bad, 0)
	require.Equal(t, Corrupt, st, "bad size field")
	_, ok := Find([]byte("garbage"), ArgsName)
	require.False(t, ok)
}

func TestWriterRefusesBadNames(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	require.ErrorIs(t, w.Add("", ModeRegular, nil), ErrName)
	require.ErrorIs(t, w.Add("a\x00b", ModeRegular, nil), ErrName)
	require.Error(t, w.Add("d", ModeDir, []byte("x")))
}
