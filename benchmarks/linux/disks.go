package main

import (
	"k42/fs/diskfs"

	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k42/qemu/runner"
)

// Disks: the peer takes bin/k42's -disk flags (runner.DiskFlags) and
// attaches the same images, with the same QEMU flags (runner.DiskArgs),
// to both kernels, one side after the other. For Linux the initramfs then
// holds the virtio and ext4 modules of the fetched kernel (modules.go)
// and init's disk configuration: init loads the modules, waits for
// /dev/vda, /dev/vdb, ... and, with -disk-fs ext4, mounts them on /mnt,
// /mnt1, ... before it runs the program, whose arguments say where to
// work (-- -dev /dev/vda, or -- -file /mnt/f). -disk-fs ext4 formats
// every image on the host with mkfs.ext4 (Debian's e2fsprogs) before
// every boot of either side, so each boot starts from a new file system;
// it erases the images.

// diskConfigName is init's disk configuration in the initramfs
// (pid1.DiskConfig).
const diskConfigName = "/linux-init-disks.json"

// diskInit is what init does with the disks (pid1's diskConfig has the
// same fields).
type diskInit struct {
	Modules []string    `json:"modules"` // module files in the initramfs, in load order
	Devices []string    `json:"devices"` // the disks' device nodes, waited for
	Mounts  []diskMount `json:"mounts"`

	moduleData [][]byte // the modules' contents, in Modules' order
}

type diskMount struct {
	Dev    string `json:"dev"`
	Dir    string `json:"dir"`
	FSType string `json:"fstype"`
}

// diskFileSystems are -disk-fs's values: "" leaves the images as they
// are (raw devices).
var diskFileSystems = []string{"", "ext4"}

// guestDevice is disk i's device node on Linux: /dev/vda, /dev/vdb, ...
// (virtio-blk-pci devices in the order of DiskArgs).
func guestDevice(i int) string {
	if i < 26 {
		return "/dev/vd" + string(rune('a'+i))
	}
	return fmt.Sprintf("/dev/vd%c%c", 'a'+i/26-1, 'a'+i%26)
}

// mountDir is where disk i's file system is mounted: /mnt, /mnt1, ...
func mountDir(i int) string {
	if i == 0 {
		return "/mnt"
	}
	return fmt.Sprintf("/mnt%d", i)
}

// newDiskInit is init's configuration for n disks with file system fs
// ("" for none), loading the modules at the host paths modules.
func newDiskInit(n int, fs string, modules []string) (*diskInit, error) {
	d := &diskInit{Modules: []string{}, Devices: []string{}, Mounts: []diskMount{}}
	for _, m := range modules {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		d.Modules = append(d.Modules, "/lib/modules/"+filepath.Base(m))
		d.moduleData = append(d.moduleData, b)
	}
	for i := 0; i < n; i++ {
		d.Devices = append(d.Devices, guestDevice(i))
		if fs != "" {
			d.Mounts = append(d.Mounts, diskMount{Dev: guestDevice(i), Dir: mountDir(i), FSType: fs})
		}
	}
	return d, nil
}

// mkfsCommand finds mkfs.ext4, which is in /sbin, not always on the PATH.
func mkfsCommand() (string, error) {
	if p, err := exec.LookPath("mkfs.ext4"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("-disk-fs ext4: mkfs.ext4 not found: install Debian's e2fsprogs (apt-get install e2fsprogs)")
}

// checkFormattable refuses -disk-fs on what is not an image file: the
// peer formats files it can recreate, never a host block device.
func checkFormattable(disks []runner.Disk) error {
	for _, d := range disks {
		st, err := os.Stat(d.Path)
		if err != nil {
			return fmt.Errorf("-disk %s: %w", d.Path, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("-disk %s: -disk-fs formats image files only, and this is not one", d.Path)
		}
	}
	return nil
}

// mkfsArgs are mkfs.ext4's arguments for disk i at path: quiet, forced
// (an image file, not a device), and with the inode tables and the
// journal written now rather than by a kernel thread after the mount,
// which would write behind the benchmark's back.
func mkfsArgs(i int, path string) []string {
	return []string{"-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", fmt.Sprintf("k42disk%d", i), path}
}

// formatDisks makes a new file system fs on every disk ("" does nothing).
func formatDisks(disks []runner.Disk, fs string, log io.Writer) error {
	if fs == "" {
		return nil
	}
	mkfs, err := mkfsCommand()
	if err != nil {
		return err
	}
	for i, d := range disks {
		var out bytes.Buffer
		cmd := exec.Command(mkfs, mkfsArgs(i, d.Path)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %v: %s", filepath.Base(mkfs), strings.Join(mkfsArgs(i, d.Path), " "), err, strings.TrimSpace(out.String()))
		}
		fmt.Fprintf(log, "linux: formatted %s (%s)\n", d.Path, fs)
	}
	return nil
}

// formatK42 makes the image at path an empty k42 file system, as the
// runner formats the images it creates.
func formatK42(path string) error {
	if _, err := diskfs.FormatImage(path); err != nil {
		return fmt.Errorf("-disk %s: formatting for k42: %w", path, err)
	}
	return nil
}
