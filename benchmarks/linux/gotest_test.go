package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k42/benchmarks/gotests/testlog"
	"k42/kernel/initrd"
	"k42/qemu/runner"
)

// TestTestConfigJSON: init (pid1, whose TestReadTestConfig decodes the
// same text) reads what the host writes.
func TestTestConfigJSON(t *testing.T) {
	b, err := json.Marshal(testConfig{Path: "/bin/os.test", Args: []string{"os.test", "-test.short", "-test.v"}, Dir: "/usr/local/go/src/os", Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"path":"/bin/os.test","args":["os.test","-test.short","-test.v"],"dir":"/usr/local/go/src/os","env":[]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if "/"+testConfigName != "/linux-init.json" || startLine != "linux-init: running " {
		t.Error("the names pid1 uses (TestConfig, Running) changed on one side only")
	}
}

func TestParseTestFlags(t *testing.T) {
	dir := t.TempDir()
	c, err := parseFlags([]string{"-test", "io/fs", "-smp", "2", "-m", "1G", "-env", "A=b c", "-fs", dir + ":/opt/x", "--", "-test.run", "Test(A|B)$", "-test.v"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.test != "io/fs" || c.smp != 2 || !slices.Equal(c.env, []string{"A=b c"}) || !slices.Equal(c.args, []string{"-test.run", "Test(A|B)$", "-test.v"}) ||
		!slices.Equal(c.trees, []runner.Tree{{Host: dir, Guest: "/opt/x"}}) {
		t.Errorf("%+v", c)
	}
	for _, bad := range [][]string{
		{"-env", "A=b"},                     // -env without -test
		{"-test", "os", "-env", "=x"},       // no key
		{"-test", "os", "-only", "k42"},     // -test is Linux's
		{"-test", "os", "-env", "NOEQUALS"}, // not KEY=VALUE
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckGuestDir(t *testing.T) {
	for dir, ok := range map[string]bool{
		"/usr/local/go/src/os": true, "/work/k42/fs": true, "/tmpx/a": true,
		"/tmp/go/src/os": false, "/tmp": false, "/proc/x": false, "/dev": false, "src/os": false,
	} {
		if err := checkGuestDir(dir); (err == nil) != ok {
			t.Errorf("checkGuestDir(%q) = %v", dir, err)
		}
	}
}

// entry is an archive member as the test reads it back.
type entry struct {
	mode  uint32
	data  string
	mtime int64
}

func readArchive(t *testing.T, a []byte) map[string]entry {
	t.Helper()
	m := map[string]entry{}
	for off := 0; ; {
		e, next, st := initrd.Next(a, off)
		if st == initrd.End {
			return m
		}
		if st != initrd.OK {
			t.Fatalf("corrupt archive at %d", off)
		}
		mtime, _ := strconv.ParseInt(string(a[off+46:off+54]), 16, 64)
		if _, dup := m[string(e.Name)]; dup {
			t.Errorf("%s twice in the archive", e.Name)
		}
		m[string(e.Name)] = entry{e.Mode, string(e.Data), mtime}
		off = next
	}
}

func TestPackTestInitramfs(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src", "pkg")
	for name, data := range map[string]string{"a.go": "package a\n", "testdata/x.txt": "x\n", "testdata/sub/y": "y"} {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(src, "testdata", "x.txt"), 0o600)
	if err := os.Symlink("x.txt", filepath.Join(src, "testdata", "link")); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(src, "a.go"), old, old)

	// A second tree: one file, elsewhere, sharing parents with the first.
	zone := filepath.Join(filepath.Dir(filepath.Dir(src)), "zoneinfo.zip")
	if err := os.WriteFile(zone, []byte("PK"), 0o644); err != nil {
		t.Fatal(err)
	}

	cfg := testConfig{Path: "/bin/pkg.test", Args: []string{"pkg.test", "-test.v"}, Dir: src, Env: []string{}}
	var buf bytes.Buffer
	trees := []runner.Tree{{Host: src, Guest: src}, {Host: zone, Guest: zone}, {Host: zone, Guest: "/usr/lib/z.zip"}}
	if err := packTestInitramfs(&buf, []byte("INIT"), []byte("TESTBIN"), trees, cfg); err != nil {
		t.Fatal(err)
	}
	m := readArchive(t, buf.Bytes())
	g := strings.TrimPrefix(src, "/")
	for name, want := range map[string]entry{
		"init":                            {initrd.ModeRegular | 0o755, "INIT", 0},
		"bin/pkg.test":                    {initrd.ModeRegular | 0o755, "TESTBIN", 0},
		"etc/passwd":                      {initrd.ModeRegular | 0o644, "root:x:0:0:root:/root:/bin/sh\n", 0},
		"tmp":                             {initrd.ModeDir | 0o1777, "", 0},
		g:                                 {initrd.ModeDir | 0o755, "", -1},
		g + "/a.go":                       {initrd.ModeRegular | 0o644, "package a\n", old.Unix()},
		g + "/testdata/x.txt":             {initrd.ModeRegular | 0o600, "x\n", -1},
		g + "/testdata/sub/y":             {initrd.ModeRegular | 0o644, "y", -1},
		g + "/testdata/link":              {initrd.ModeSymlink | 0o777, "x.txt", -1},
		strings.TrimSuffix(g, "/src/pkg"): {initrd.ModeDir | 0o755, "", -1}, // a parent
		strings.TrimPrefix(zone, "/"):     {initrd.ModeRegular | 0o644, "PK", -1},
		"usr/lib/z.zip":                   {initrd.ModeRegular | 0o644, "PK", -1},
		"usr/lib":                         {initrd.ModeDir | 0o755, "", 0},
	} {
		got, ok := m[name]
		if want.mtime == -1 {
			want.mtime = got.mtime
		}
		if !ok || got != want {
			t.Errorf("%s: %+v (present %v), want %+v", name, got, ok, want)
		}
	}
	for _, name := range []string{"dev/console", "proc", "sys", "root", testConfigName} {
		if _, ok := m[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	// Every directory comes before what it holds: Linux's unpacker makes
	// no parents.
	seen := map[string]bool{}
	for off := 0; ; {
		e, next, st := initrd.Next(buf.Bytes(), off)
		if st != initrd.OK {
			break
		}
		name := string(e.Name)
		if d := filepath.Dir(name); d != "." && !seen[d] {
			t.Errorf("%s comes before its directory %s", name, d)
		}
		seen[name] = true
		off = next
	}
	var got testConfig
	if err := json.Unmarshal([]byte(m[testConfigName].data), &got); err != nil || got.Dir != src || got.Path != "/bin/pkg.test" {
		t.Errorf("config %+v, %v", got, err)
	}
}

func TestTestConsole(t *testing.T) {
	var out, log bytes.Buffer
	c := &testConsole{out: &out, log: &log}
	for _, line := range []string{
		"[    0.5] boot\n", "linux-init: running /bin/x.test -test.v in /src/x, 2.1 s after boot\n",
		"=== RUN   TestA\n", "\n", "    a_test.go:1: after an empty line\n", "--- PASS: TestA (0.00s)\n", "PASS\n",
		"\n", "linux-init: exit status 0\n", "[    9.0] reboot: Power down\n",
	} {
		c.Write([]byte(line))
	}
	if want := "=== RUN   TestA\n\n    a_test.go:1: after an empty line\n--- PASS: TestA (0.00s)\nPASS\n"; out.String() != want {
		t.Errorf("out %q, want %q", out.String(), want)
	}
	if want := "[    0.5] boot\nlinux-init: running /bin/x.test -test.v in /src/x, 2.1 s after boot\nlinux-init: exit status 0\n[    9.0] reboot: Power down\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
}

// TestRunTestOnLinux boots Linux with the tests of testdata/guest, which
// check what the test binary finds there, and reads their results.
func TestRunTestOnLinux(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU; skipped with -short")
	}
	root, err := runner.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := cachedKernel(root); !ok {
		t.Skipf("no cached Linux kernel at %s (go run ./benchmarks/linux -fetch downloads it)", k)
	}
	if _, err := exec.LookPath("qemu-system-ppc64"); err != nil {
		t.Skip("qemu-system-ppc64 not installed (make qemu installs it)")
	}
	var out, log bytes.Buffer
	c := &config{smp: 1, mem: "512M", timeout: 3 * time.Minute, test: "./benchmarks/linux/testdata/guest", env: []string{"K42TEST=1"},
		args: []string{"-test.v", "-test.run", "^Test(Program|WorkingDirectory|Environment|Files|Loopback)$"}}
	status, err := runTest(root, c, &out, &log)
	if err != nil || status != 0 {
		t.Fatalf("status %d, %v\n%s\n%s", status, err, out.String(), log.String())
	}
	l := testlog.ParseString(out.String())
	if p, f, s := l.Counts(); !l.Done || l.Final != testlog.Pass || p != 5 || f+s != 0 || l.Preamble != nil || l.Epilogue != nil {
		t.Errorf("done %v final %q counts %d %d %d preamble %q epilogue %q\n%s", l.Done, l.Final, p, f, s, l.Preamble, l.Epilogue, out.String())
	}
	want := "linux-init: running /bin/guest.test -test.v -test.run ^Test(Program|WorkingDirectory|Environment|Files|Loopback)$ in " +
		filepath.Join(root, "benchmarks", "linux", "testdata", "guest")
	if !strings.Contains(log.String(), want) {
		t.Errorf("no line %q:\n%s", want, log.String())
	}
}
