package initrd

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"k42/qemu/runner/cpio"
)

// write builds an archive with the runner's writer.
func write(t *testing.T, members []member) []byte {
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	for _, m := range members {
		require.NoError(t, w.WriteHeader(&cpio.Header{Name: m.name, Mode: m.mode, Size: int64(len(m.data))}))
		_, err := w.Write([]byte(m.data))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

type member struct {
	name string
	mode uint32
	data string
}

func TestRoundTrip(t *testing.T) {
	members := []member{
		{ArgsName, ModeRegular | 0o644, "a\x00b c\x00\xff'\"\x00"},
		{"tmp", ModeDir | 0o755, ""},
		{"tmp/x", ModeRegular | 0o600, "hello, world"},
		{"tmp/empty", ModeRegular | 0o644, ""},
		{"tmp/link", ModeSymlink | 0o777, "x"},
	}
	a := write(t, members)
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
	good := write(t, []member{{"f", ModeRegular | 0o644, string(bytes.Repeat([]byte{'x'}, 100))}})
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
