package runner

import (
	"fmt"
	"os"
	"syscall"
)

// fsNames names the file systems of statfs's magic numbers that a disk
// image is likely to be on.
var fsNames = map[int64]string{
	0x01021994: "tmpfs",
	0x858458f6: "ramfs",
	0x794c7630: "overlayfs",
	0xef53:     "ext4",
	0x58465342: "xfs",
	0x9123683e: "btrfs",
	0x65735546: "fuse",
	0x6969:     "nfs",
	0x01021997: "9p",
	0x2011bab0: "exfat",
	0x4d44:     "vfat",
	0x6a656a63: "virtiofs",
	0x5346414f: "afs",
	0xff534d42: "cifs",
	0x73717368: "squashfs",
	0x62656572: "sysfs",
	0x9fa0:     "proc",
	0x01021999: "zfs",
	0x2fc12fc1: "zfs",
}

// directIOProblem returns "" when the image at path can be opened and
// read with O_DIRECT, as QEMU opens it for cache=none and directsync,
// and otherwise why not, naming the file system.
func directIOProblem(path string) string {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_DIRECT|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Sprintf("the file system holding it (%s) refuses: open: %v", fsName(path), err)
	}
	defer syscall.Close(fd)
	// An aligned read, in a page-aligned buffer, as QEMU probes the
	// alignment O_DIRECT wants.
	buf, err := syscall.Mmap(-1, 0, os.Getpagesize(), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return "" // no test buffer: let QEMU judge
	}
	defer syscall.Munmap(buf)
	if _, err := syscall.Pread(fd, buf[:4096], 0); err != nil {
		return fmt.Sprintf("the file system holding it (%s) refuses: a 4 KiB read: %v", fsName(path), err)
	}
	return ""
}

func fsName(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return "unknown"
	}
	if n, ok := fsNames[int64(st.Type)]; ok {
		return n
	}
	return fmt.Sprintf("type %#x", st.Type)
}
