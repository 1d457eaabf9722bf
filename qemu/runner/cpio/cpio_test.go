package cpio

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// entry is one entry as read back by parse.
type entry struct {
	name       string
	ino, mode  uint32
	nlink      uint32
	rmaj, rmin uint32
	data       string
}

// parse reads a newc archive independently of the writer, checking the
// alignment rules as it goes.
func parse(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	off := 0
	field := func(i int) uint32 {
		s := string(b[off+6+8*i : off+6+8*i+8])
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			t.Fatalf("field %d at %d: %q", i, off, s)
		}
		return uint32(v)
	}
	for {
		if off%4 != 0 {
			t.Fatalf("entry at %d not aligned", off)
		}
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("bad magic at %d: %q", off, b[off:off+6])
		}
		e := entry{ino: field(0), mode: field(1), nlink: field(4), rmaj: field(9), rmin: field(10)}
		size, namesize := int(field(6)), int(field(11))
		name := b[off+110 : off+110+namesize]
		if name[namesize-1] != 0 {
			t.Fatalf("name at %d not NUL-terminated", off)
		}
		e.name = string(name[:namesize-1])
		off += 110 + namesize
		off += (4 - off%4) % 4
		e.data = string(b[off : off+size])
		off += size
		off += (4 - off%4) % 4
		if e.name == Trailer {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, e)
	}
}

func TestArchiveRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, err := range []error{
		w.AddDir("dev", 0o755),
		w.AddCharDevice("dev/console", 0o600, 5, 1),
		w.AddFile("/init", 0o755, []byte("hello")), // leading slash dropped
		w.AddFile("empty", 0o644, nil),
		w.AddSymlink("bin", "usr/bin"),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := parse(t, buf.Bytes())
	want := []entry{
		{"dev", 1, TypeDir | 0o755, 1, 0, 0, ""},
		{"dev/console", 2, TypeChar | 0o600, 1, 5, 1, ""},
		{"init", 3, TypeReg | 0o755, 1, 0, 0, "hello"},
		{"empty", 4, TypeReg | 0o644, 1, 0, 0, ""},
		{"bin", 5, TypeSymlink | 0o777, 1, 0, 0, "usr/bin"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestHeaderBytes pins one entry's exact encoding.
func TestHeaderBytes(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.AddFile("ab", 0o644, []byte("xyz")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "070701" + "00000001" + "000081a4" + "00000000" + "00000000" + "00000001" + "00000000" +
		"00000003" + "00000000" + "00000000" + "00000000" + "00000000" + "00000003" + "00000000" +
		"ab\x00" + "\x00\x00\x00" + // 110 + 3 = 113, padded to 116
		"xyz" + "\x00" +
		"070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000000" +
		"00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "0000000b" + "00000000" +
		"TRAILER!!!\x00" + "\x00\x00\x00" // 110 + 11 = 121, padded to 124
	if got := buf.String(); got != want {
		t.Errorf("archive bytes:\n got %q\nwant %q", got, want)
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(&Header{Name: "f", Mode: TypeReg | 0o644, Size: 2}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write([]byte("abc")); n != 2 || !errors.Is(err, ErrWriteTooLong) {
		t.Errorf("Write past the size: %d, %v", n, err)
	}
	if err := w.WriteHeader(&Header{Name: "g", Mode: TypeReg, Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "short by 1") {
		t.Errorf("Close after a short entry: %v", err)
	}
	w = NewWriter(&buf)
	if err := w.WriteHeader(&Header{Name: "", Mode: TypeDir}); err == nil {
		t.Error("empty name accepted")
	}
	if err := w.WriteHeader(&Header{Name: "d", Mode: TypeDir, Size: 1}); err == nil {
		t.Error("a directory with contents accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.AddDir("late", 0o755); err == nil {
		t.Error("entry after Close accepted")
	}
}
