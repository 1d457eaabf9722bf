package runner

import (
	"bytes"
	"flag"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDiskSize(t *testing.T) {
	for in, want := range map[string]int64{
		"64M": 64 << 20, "1G": 1 << 30, "1g": 1 << 30, "512": 512, "4K": 4096, "4KiB": 4096, "2MiB": 2 << 20, " 256M ": 256 << 20, "1T": 1 << 40,
	} {
		got, err := ParseDiskSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for in, want := range map[string]string{
		"0": "positive multiple of 512", "100": "positive multiple of 512", "": "want a number", "abc": "want a number",
		"-1M": "want a number", "1.5G": "want a number", "1X": "want a number", "99999999999T": "too large",
	} {
		_, err := ParseDiskSize(in)
		require.ErrorContains(t, err, want, in)
	}
}

// parseDiskFlags parses args with the disk flags registered, as bin/k42
// and the Linux peer do.
func parseDiskFlags(t *testing.T, args ...string) (*DiskFlags, error) {
	t.Helper()
	fs := flag.NewFlagSet("k42", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var d DiskFlags
	d.Register(fs)
	return &d, fs.Parse(args)
}

func TestDiskFlags(t *testing.T) {
	d, err := parseDiskFlags(t)
	require.NoError(t, err)
	disks, err := d.Disks()
	require.NoError(t, err)
	require.Empty(t, disks, "no -disk, no disks")

	d, err = parseDiskFlags(t, "-disk", "a.img")
	require.NoError(t, err)
	disks, err = d.Disks()
	require.NoError(t, err)
	require.Equal(t, []Disk{{Path: "a.img", Size: DefaultDiskSize, Cache: "none"}}, disks, "defaults: 256M, cache=none, unthrottled")

	d, err = parseDiskFlags(t, "-disk", "a.img", "-disk-size", "64M", "-disk", "/x/b.img", "-disk-iops", "300", "-disk-bps", "10M", "-disk-cache", "writeback")
	require.NoError(t, err)
	disks, err = d.Disks()
	require.NoError(t, err)
	want := Disk{Size: 64 << 20, IOPS: 300, BPS: 10 << 20, Cache: "writeback"}
	a, b := want, want
	a.Path, b.Path = "a.img", "/x/b.img"
	require.Equal(t, []Disk{a, b}, disks, "the settings apply to every -disk, wherever they are")

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-disk", "a.img", "-disk-cache", "fast"}, `-disk-cache "fast": want one of none, writeback, writethrough, directsync, unsafe`},
		{[]string{"-disk", "a.img", "-disk-iops", "-5"}, "-disk-iops -5"},
		{[]string{"-disk", "/no/such/dir/a.img", "-disk-size", "0"}, `-disk /no/such/dir/a.img: the image does not exist and -disk-size "0": a disk size must be a positive multiple of 512`},
		{[]string{"-disk", os.Args[0], "-disk-size", "lots"}, `-disk-size "lots": want a number`},
	} {
		d, err := parseDiskFlags(t, tc.args...)
		require.NoError(t, err, tc.args)
		_, err = d.Disks()
		require.ErrorContains(t, err, tc.err, tc.args)
	}
	for _, bad := range [][]string{{"-disk", ""}, {"-disk-bps", "fast"}, {"-disk-bps", "-1"}, {"-disk-iops", "x"}} {
		_, err := parseDiskFlags(t, bad...)
		require.Error(t, err, bad)
	}
}

// blocks is st_blocks (512-byte units allocated) of path.
func blocks(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(path, &st))
	return st.Blocks
}

func TestPrepareDisksCreatesSparseImages(t *testing.T) {
	noDirectCheck(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "new.img")
	disks, err := PrepareDisks([]Disk{{Path: p, Size: 1 << 30}}, nil)
	require.NoError(t, err)
	require.Equal(t, []Disk{{Path: p, Size: 1 << 30, Cache: "none"}}, disks)
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, int64(1<<30), st.Size())
	require.LessOrEqual(t, blocks(t, p), int64(32), "a 1 GiB image allocated more than its file system's superblock and checkpoint headers: not sparse")

	// An existing image keeps its size, whatever the Size; preparing it
	// again changes nothing.
	again, err := PrepareDisks([]Disk{{Path: p, Size: 64 << 20}}, nil)
	require.NoError(t, err)
	require.Equal(t, p, again[0].Path)
	st, _ = os.Stat(p)
	require.Equal(t, int64(1<<30), st.Size())

	// A relative path becomes absolute.
	t.Chdir(dir)
	disks, err = PrepareDisks([]Disk{{Path: "rel.img", Size: 4096}}, nil)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "rel.img"), disks[0].Path)
}

func TestPrepareDisksErrorsNameThePath(t *testing.T) {
	noDirectCheck(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.img")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	missing := filepath.Join(dir, "missing.img")
	for _, tc := range []struct {
		disks []Disk
		err   string
	}{
		{[]Disk{{Path: dir}}, "-disk " + dir + ": is a directory, not a disk image"},
		{[]Disk{{Path: missing}}, "-disk " + missing + ": the image does not exist and there is no usable size"},
		{[]Disk{{Path: missing, Size: 1000}}, "-disk " + missing + ": the image does not exist and there is no usable size"},
		{[]Disk{{Path: filepath.Join(dir, "nodir", "x.img"), Size: 4096}}, "-disk " + filepath.Join(dir, "nodir", "x.img") + ": the image does not exist and cannot be created: no directory " + filepath.Join(dir, "nodir")},
		{[]Disk{{Path: filepath.Join(file, "x.img"), Size: 4096}}, "-disk " + filepath.Join(file, "x.img") + ": not a directory"},
		{[]Disk{{Path: empty}}, "-disk " + empty + ": the image is empty"},
		{[]Disk{{Path: "/dev/null"}}, "-disk /dev/null: not a regular file or a block device"},
		{[]Disk{{Path: missing, Size: 4096, Cache: "fast"}}, `-disk ` + missing + `: cache mode "fast"`},
		{[]Disk{{Path: missing, Size: 4096, IOPS: -1}}, "-disk " + missing + ": negative throttling"},
		{[]Disk{{Path: missing, Size: 4096}, {Path: filepath.Join(dir, ".", "missing.img"), Size: 4096}}, "the same image twice"},
		{[]Disk{{Path: ""}}, "an empty path"},
	} {
		_, err := PrepareDisks(tc.disks, nil)
		require.ErrorContains(t, err, tc.err)
		_, serr := os.Stat(missing)
		require.True(t, os.IsNotExist(serr), "a refused list created an image (%s)", tc.err)
	}
	if os.Geteuid() != 0 { // root reads any file
		locked := filepath.Join(dir, "locked.img")
		require.NoError(t, os.WriteFile(locked, make([]byte, 4096), 0o000))
		_, err := PrepareDisks([]Disk{{Path: locked}}, nil)
		require.ErrorContains(t, err, "-disk "+locked+": cannot be opened for reading and writing: permission denied")
	}
}

// noDirectCheck makes PrepareDisks take every file system for one that
// supports O_DIRECT, for the duration of the test.
func noDirectCheck(t *testing.T) {
	saved := directIOCheck
	directIOCheck = func(string) string { return "" }
	t.Cleanup(func() { directIOCheck = saved })
}

func TestPrepareDisksFallsBackWithoutDirectIO(t *testing.T) {
	saved := directIOCheck
	t.Cleanup(func() { directIOCheck = saved })
	directIOCheck = func(string) string { return "the file system holding it (tmpfs) refuses: open: invalid argument" }
	dir := t.TempDir()
	var warn bytes.Buffer
	disks, err := PrepareDisks([]Disk{
		{Path: filepath.Join(dir, "a.img"), Size: 1 << 20},
		{Path: filepath.Join(dir, "b.img"), Size: 1 << 20, Cache: "directsync"},
		{Path: filepath.Join(dir, "c.img"), Size: 1 << 20, Cache: "unsafe"},
	}, &warn)
	require.NoError(t, err)
	require.Equal(t, "writeback", disks[0].Cache)
	require.Equal(t, "writethrough", disks[1].Cache)
	require.Equal(t, "unsafe", disks[2].Cache, "a mode without O_DIRECT is left alone")
	lines := strings.Split(strings.TrimSuffix(warn.String(), "\n"), "\n")
	require.Len(t, lines, 2, "one line per fallback")
	require.Equal(t, "k42 runner: -disk "+filepath.Join(dir, "a.img")+": cache=none needs O_DIRECT, which the file system holding it (tmpfs) refuses: open: invalid argument; using cache=writeback", lines[0])
	// Prepared again, the disks fall back no further and warn no more.
	warn.Reset()
	_, err = PrepareDisks(disks, &warn)
	require.NoError(t, err)
	require.Empty(t, warn.String())
}

// TestDirectIOProblem probes real file systems: the test's temporary
// directory (where QEMU's cache=none is expected to work on a disk file
// system), and, when the test may mount one, a ramfs, which refuses
// O_DIRECT as QEMU reports ("filesystem does not support O_DIRECT").
func TestDirectIOProblem(t *testing.T) {
	p := filepath.Join(t.TempDir(), "probe.img")
	require.NoError(t, os.WriteFile(p, make([]byte, 8192), 0o644))
	if why := directIOProblem(p); why != "" {
		t.Logf("the temporary directory refuses O_DIRECT: %s", why)
		require.Contains(t, why, "the file system holding it (")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a ramfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "ramfs", "ramfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a ramfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	img := filepath.Join(mnt, "r.img")
	disks, err := PrepareDisks([]Disk{{Path: img, Size: 1 << 20}}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "writeback", disks[0].Cache)
	require.Equal(t, "the file system holding it (ramfs) refuses: open: invalid argument", directIOProblem(img))
}

func TestDiskArgs(t *testing.T) {
	require.Empty(t, DiskArgs(nil))
	require.Equal(t, []string{
		"-drive", "file=/img/a.img,if=none,id=disk0,format=raw,cache=none,aio=threads",
		"-device", "virtio-blk-pci,drive=disk0",
		"-drive", "file=/img/b,,c.img,if=none,id=disk1,format=raw,cache=writeback,aio=threads,throttling.iops-total=500,throttling.bps-total=10485760",
		"-device", "virtio-blk-pci,drive=disk1",
		"-drive", "file=/img/d.img,if=none,id=disk2,format=raw,cache=unsafe,aio=threads,throttling.bps-total=4096",
		"-device", "virtio-blk-pci,drive=disk2",
	}, DiskArgs([]Disk{
		{Path: "/img/a.img"},
		{Path: "/img/b,c.img", Cache: "writeback", IOPS: 500, BPS: 10 << 20},
		{Path: "/img/d.img", Cache: "unsafe", BPS: 4096},
	}))
}

func TestQemuArgsDisksAndGDB(t *testing.T) {
	m := &Machine{Image: "k.img", CPUs: 1, Memory: "512M", Disks: []Disk{{Path: "/d.img", Cache: "none"}}, GDBPort: 4321}
	args := qemuArgs(m, "rd.cpio")
	require.Equal(t, []string{
		"-kernel", "k.img", "-initrd", "rd.cpio",
		"-drive", "file=/d.img,if=none,id=disk0,format=raw,cache=none,aio=threads",
		"-device", "virtio-blk-pci,drive=disk0",
		"-S", "-gdb", "tcp::4321",
	}, args[len(args)-11:])
}

func TestGDB(t *testing.T) {
	require.Equal(t, []string{"-S", "-gdb", "tcp::1234"}, GDBArgs(DefaultGDBPort))
	require.Equal(t,
		"gdb-multiarch -q -ex 'set architecture powerpc:common64' -ex 'set endian big' -ex 'target remote :1234' /src/k42/.build/k42.elf",
		GDBCommand("/src/k42/.build/k42.elf", 1234), "no ELF to read: no script path")
	require.Equal(t,
		"gdb-multiarch -q -ex 'set architecture powerpc:common64' -ex 'set endian big' -ex 'target remote :99' '/my dir/it'\\''s.elf'",
		GDBCommand("/my dir/it's.elf", 99))

	// An ELF that names Go's gdb script: a program go build links with
	// DWARF, as the kernel's ELF is.
	if !testing.Short() {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
		exe := filepath.Join(dir, "prog")
		cmd := exec.Command("go", "build", "-o", exe, "main.go")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GO111MODULE=off", "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		script := gdbScriptDir(exe)
		require.FileExists(t, filepath.Join(script, "runtime-gdb.py"))
		require.Equal(t, "gdb-multiarch -q -iex 'add-auto-load-safe-path "+script+"' -ex 'set architecture powerpc:common64' -ex 'set endian big' -ex 'target remote :1' "+exe,
			GDBCommand(exe, 1))
	}

	require.ErrorContains(t, CheckGDBPort(0), "-gdb-port 0: want a TCP port")
	require.ErrorContains(t, CheckGDBPort(70000), "want a TCP port")
	l, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	require.ErrorContains(t, CheckGDBPort(port), "-gdb-port "+strconv.Itoa(port)+": the port is not free")
}
