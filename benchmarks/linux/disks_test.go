package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k42/benchmarks/results"
	"k42/qemu/runner"
)

// elfModule is a minimal little-endian ppc64 relocatable ELF with a
// .modinfo section holding the KEY=VALUE strings info, as a kernel
// module's.
func elfModule(info ...string) []byte {
	modinfo := []byte(strings.Join(info, "\x00") + "\x00")
	shstrtab := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	modOff := uint64(ehsize)
	strOff := modOff + uint64(len(modinfo))
	shOff := (strOff + uint64(len(shstrtab)) + 7) &^ 7
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	binary.Write(&b, le, struct {
		Type, Machine                                        uint16
		Version                                              uint32
		Entry, Phoff, Shoff                                  uint64
		Flags                                                uint32
		Ehsize, Phentsize, Phnum, Shentsize, Shnum, Shstrndx uint16
	}{1, 21, 1, 0, 0, shOff, 0, ehsize, 0, 0, shentsize, 3, 2})
	b.Write(modinfo)
	b.Write(shstrtab)
	b.Write(make([]byte, shOff-uint64(b.Len())))
	type sh struct {
		Name, Type                uint32
		Flags, Addr, Offset, Size uint64
		Link, Info                uint32
		Addralign, Entsize        uint64
	}
	binary.Write(&b, le, sh{})
	binary.Write(&b, le, sh{Name: 1, Type: 1, Flags: 2, Offset: modOff, Size: uint64(len(modinfo)), Addralign: 1})
	binary.Write(&b, le, sh{Name: 10, Type: 3, Offset: strOff, Size: uint64(len(shstrtab)), Addralign: 1})
	return b.Bytes()
}

// fakeModuleDeps are the modules (and their depends=) of Debian's
// 6.1.0-57 ppc64el kernel that the disks need, as its .modinfo sections
// say.
var fakeModuleDeps = map[string]string{
	"drivers/virtio/virtio_ring":           "",
	"drivers/virtio/virtio":                "virtio_ring",
	"drivers/virtio/virtio_pci_modern_dev": "",
	"drivers/virtio/virtio_pci_legacy_dev": "",
	"drivers/virtio/virtio_pci":            "virtio_ring,virtio_pci_modern_dev,virtio_pci_legacy_dev,virtio",
	"drivers/block/virtio_blk":             "virtio,virtio_ring",
	"lib/crc16":                            "",
	"fs/mbcache":                           "",
	"fs/jbd2/jbd2":                         "",
	"fs/ext4/ext4":                         "jbd2,mbcache,crc16",
	"crypto/crc32c_generic":                "",
}

// fakeModules writes fakeModuleDeps, and a module nothing needs, into an
// unpacked package at x.
func fakeModules(t *testing.T, x string) {
	t.Helper()
	dir := filepath.Join(x, "lib", "modules", "6.1.0-57-powerpc64le", "kernel")
	all := map[string]string{"sound/snd-unneeded": ""}
	for k, v := range fakeModuleDeps {
		all[k] = v
	}
	for p, deps := range all {
		f := filepath.Join(dir, p+".ko")
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		ko := elfModule("license=GPL", "depends="+deps, "name="+moduleName(filepath.Base(p)))
		if err := os.WriteFile(f, ko, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestModinfo(t *testing.T) {
	info, err := modinfo(elfModule("softdep=pre: crypto-crc32c", "depends=jbd2,mbcache,crc16", "name=ext4"))
	if err != nil || info["depends"] != "jbd2,mbcache,crc16" || info["name"] != "ext4" || info["softdep"] != "pre: crypto-crc32c" {
		t.Errorf("%q, %v", info, err)
	}
	if _, err := modinfo([]byte("not an ELF")); err == nil {
		t.Error("a non-ELF accepted")
	}
}

func TestKeepModulesOrdersDependenciesFirst(t *testing.T) {
	x := t.TempDir()
	fakeModules(t, x)
	dir := filepath.Join(t.TempDir(), "modules")
	order, err := keepModules(x, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(fakeModuleDeps) || slices.Contains(order, "snd_unneeded") {
		t.Fatalf("kept %q", order)
	}
	pos := map[string]int{}
	for i, m := range order {
		pos[m] = i
	}
	for p, deps := range fakeModuleDeps {
		for _, d := range strings.Split(deps, ",") {
			if d != "" && pos[d] > pos[filepath.Base(p)] {
				t.Errorf("%s loads before its dependency %s: %q", filepath.Base(p), d, order)
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, modulesOrder))
	if string(b) != strings.Join(order, "\n")+"\n" {
		t.Errorf("order file %q", b)
	}
	for _, m := range order {
		if _, err := os.Stat(filepath.Join(dir, m+".ko")); err != nil {
			t.Error(err)
		}
	}

	// A dependency the package lacks names both modules.
	os.Remove(filepath.Join(x, "lib/modules/6.1.0-57-powerpc64le/kernel/fs/mbcache.ko"))
	if _, err := keepModules(x, dir); err == nil || !strings.Contains(err.Error(), "no module mbcache, which ext4 depends on") {
		t.Errorf("missing dependency: %v", err)
	}
}

func TestParseFlagsDisks(t *testing.T) {
	c, err := parseFlags([]string{"-only", "linux", "-disk", "/tmp/a.img", "-disk-size", "64M", "-disk-iops", "100", "-disk-bps", "1M", "-disk-cache", "writeback", "-disk-fs", "ext4", "--", "-file", "/mnt/f"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []runner.Disk{{Path: "/tmp/a.img", Size: 64 << 20, IOPS: 100, BPS: 1 << 20, Cache: "writeback"}}
	if !slices.Equal(c.disks, want) || c.diskFS != "ext4" || strings.Join(c.args, " ") != "-file /mnt/f" {
		t.Errorf("%+v", c)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-disk-fs", "ext4"}, "-disk-fs needs -disk"},
		{[]string{"-disk", "/tmp/a.img", "-disk-fs", "btrfs"}, `-disk-fs "btrfs"`},
		{[]string{"-disk", "/tmp/a.img", "-disk-cache", "fast"}, `-disk-cache "fast"`},
		{[]string{"-disk", "/tmp/a.img", "-test", "os"}, "-disk is for the benchmarks"},
	} {
		if _, err := parseFlags(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.err)
		}
	}
}

// Both kernels get the runner's disk flags, after the rest.
func TestLinuxArgsDisks(t *testing.T) {
	disks := []runner.Disk{{Path: "/tmp/a.img", Cache: "none", IOPS: 10}, {Path: "/tmp/b.img", Cache: "unsafe"}}
	args, err := linuxArgs(&linuxMachine{Kernel: "vmlinux", Initrd: "initrd.cpio", CPUs: 1, Memory: "512M", Disks: disks})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(runner.MachineArgs(1, "512M"), "-kernel", "vmlinux", "-initrd", "initrd.cpio", "-append", "console=hvc0 quiet"), runner.DiskArgs(disks)...)
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("got  %q\nwant %q", args, want)
	}
	if !strings.Contains(strings.Join(args, " "), "-drive file=/tmp/a.img,if=none,id=disk0,format=raw,cache=none,aio=threads,throttling.iops-total=10 -device virtio-blk-pci,drive=disk0") {
		t.Errorf("%q", args)
	}
}

func TestDiskInitramfs(t *testing.T) {
	dir := t.TempDir()
	var mods []string
	for _, m := range []string{"virtio_ring", "virtio_blk"} {
		p := filepath.Join(dir, m+".ko")
		os.WriteFile(p, []byte("KO-"+m), 0o644)
		mods = append(mods, p)
	}
	d, err := newDiskInit(2, "ext4", mods)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d)
	want := `{"modules":["/lib/modules/virtio_ring.ko","/lib/modules/virtio_blk.ko"],"devices":["/dev/vda","/dev/vdb"],` +
		`"mounts":[{"dev":"/dev/vda","dir":"/mnt","fstype":"ext4"},{"dev":"/dev/vdb","dir":"/mnt1","fstype":"ext4"}]}`
	if string(b) != want {
		t.Errorf("config %s\nwant   %s", b, want)
	}
	var buf bytes.Buffer
	if err := packInitramfs(&buf, []byte("INIT"), []byte("BENCH"), d); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, name := range []string{"mnt\x00", "lib/modules\x00", "lib/modules/virtio_ring.ko\x00", "KO-virtio_blk", strings.TrimPrefix(diskConfigName, "/") + "\x00", want} {
		if !strings.Contains(s, name) {
			t.Errorf("no %q in the archive", name)
		}
	}
	// Raw disks: no mounts.
	d, _ = newDiskInit(1, "", nil)
	if b, _ := json.Marshal(d); string(b) != `{"modules":[],"devices":["/dev/vda"],"mounts":[]}` {
		t.Errorf("raw: %s", b)
	}
	if guestDevice(25) != "/dev/vdz" || guestDevice(26) != "/dev/vdaa" || mountDir(2) != "/mnt2" {
		t.Error("device or mount naming")
	}
}

func TestFormatDisks(t *testing.T) {
	if _, err := mkfsCommand(); err != nil {
		t.Skip(err)
	}
	img := filepath.Join(t.TempDir(), "ext4.img")
	disks, err := runner.PrepareDisks([]runner.Disk{{Path: img, Size: 32 << 20}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkFormattable(disks); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := formatDisks(disks, "ext4", &log); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2)
	f, _ := os.Open(img)
	f.ReadAt(b, 1024+0x38) // the superblock's magic
	f.Close()
	if b[0] != 0x53 || b[1] != 0xef {
		t.Errorf("no ext4 superblock: %x", b)
	}
	if out, err := exec.Command("dumpe2fs", "-h", img).CombinedOutput(); err == nil && !strings.Contains(string(out), "k42disk0") {
		t.Errorf("label: %s", out)
	}
	if err := checkFormattable([]runner.Disk{{Path: "/dev/null"}}); err == nil {
		t.Error("-disk-fs would format a device")
	}
}

func TestStampKeepsTheProgramsConfig(t *testing.T) {
	recs := []results.Record{{Experiment: "disk", Config: "raw", Workload: "disk_seq_read"}, {Experiment: "disk", Workload: "calibration"}}
	stamp(recs, "linux", &config{command: "x"}, results.Context{Date: "2026-12-02T00:00:00Z"})
	if recs[0].Workload != "disk_seq_read/raw" || recs[0].Config != "linux" || recs[1].Workload != "calibration" || recs[1].Config != "linux" {
		t.Errorf("%+v", recs)
	}
}
