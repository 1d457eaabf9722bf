package shell

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// The descriptor commands on the host's files: open, write, seek, read
// and close by %N and by number, and clear errors for bad arguments.
func TestOpenWriteReadClose(t *testing.T) {
	var out bytes.Buffer
	s := NewBare(&out)
	s.AddOpens()
	path := filepath.Join(t.TempDir(), "f")
	run := func(line string) string {
		t.Helper()
		out.Reset()
		s.Exec(line)
		return out.String()
	}
	if got := run("open " + path); !strings.HasPrefix(got, "%1: descriptor ") {
		t.Fatalf("open: %q", got)
	}
	if got := run("write %1 hello world"); got != "wrote 12 bytes\n" {
		t.Fatalf("write: %q", got)
	}
	if got := run("seek %1 0"); got != "offset 0\n" {
		t.Fatalf("seek: %q", got)
	}
	if got := run("read %1 5"); got != "\"hello\"\n" {
		t.Fatalf("read: %q", got)
	}
	if got := run("open " + path + " x"); !strings.Contains(got, "want r, w or rw") {
		t.Fatalf("bad mode: %q", got)
	}
	if got := run("read %2"); !strings.Contains(got, "open has made 1 descriptors") {
		t.Fatalf("bad %%N: %q", got)
	}
	if got := run("close %1"); got != "" {
		t.Fatalf("close: %q", got)
	}
	if got := run("read %1"); !strings.Contains(got, "is not one open opened") {
		t.Fatalf("read after close: %q", got)
	}
}
