package runner

import (
	"k42/fs/diskfs"
	"k42/fs/ondisk"

	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Disk is a raw disk image attached to the machine as a virtio block
// device (virtio-blk-pci): the first is the guest's /dev/vda on Linux,
// the next /dev/vdb, and so on.
type Disk struct {
	Path string // the image file (or a host block device)
	// Size is the size a missing image is created with (sparse), in
	// bytes; an existing image keeps its own size.
	Size int64
	IOPS int64 // QEMU throttling.iops-total; 0: unthrottled
	BPS  int64 // QEMU throttling.bps-total, bytes per second; 0: unthrottled
	// Cache is QEMU's cache= mode (one of DiskCacheModes); "" is
	// DefaultDiskCache.
	Cache string
}

// DefaultDiskSize is the size of an image created without -disk-size.
const DefaultDiskSize = 256 << 20

// DefaultDiskCache is the cache mode of a disk without -disk-cache:
// cache=none, so that the host's page cache does not stand between the
// guest and the image (QEMU opens the image with O_DIRECT).
const DefaultDiskCache = "none"

// DiskCacheModes are QEMU's -drive cache= modes.
var DiskCacheModes = []string{"none", "writeback", "writethrough", "directsync", "unsafe"}

// directModes are the cache modes for which QEMU opens the image with
// O_DIRECT (cache.direct=on), and the mode each falls back to on a file
// system that refuses O_DIRECT: the same flushing behaviour through the
// host's page cache.
var directModes = map[string]string{"none": "writeback", "directsync": "writethrough"}

// ParseDiskSize parses an image size: a number of bytes with an optional
// binary suffix K, M, G or T (64M, 1G; KiB, MiB, GiB, TiB are accepted
// too), positive and a multiple of 512 bytes (the disk's sector).
func ParseDiskSize(s string) (int64, error) {
	n, err := parseBytes(s)
	if err != nil {
		return 0, err
	}
	if n == 0 || n%512 != 0 {
		return 0, fmt.Errorf("%q: a disk size must be a positive multiple of 512 bytes (64M, 1G, ...)", s)
	}
	return n, nil
}

// parseBytes parses a non-negative byte count with an optional binary
// suffix (K, M, G, T, or KiB, MiB, GiB, TiB).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	shift := 0
	for i, suffix := range []string{"K", "M", "G", "T"} {
		if u := strings.ToUpper(t); strings.HasSuffix(u, suffix+"IB") {
			t, shift = t[:len(t)-3], 10*(i+1)
			break
		} else if strings.HasSuffix(u, suffix) {
			t, shift = t[:len(t)-1], 10*(i+1)
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: want a number of bytes with an optional K, M, G or T suffix (64M, 1G)", s)
	}
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q: too large", s)
	}
	return n << shift, nil
}

// DiskFlags are the command-line flags that attach disks: -disk FILE
// (repeatable) and -disk-size, -disk-iops, -disk-bps and -disk-cache,
// which apply to every -disk of the command. bin/k42 and the Linux peer
// (benchmarks/linux) register the same flags.
type DiskFlags struct {
	Paths []string // -disk, in order
	Size  string   // -disk-size, for images that do not exist yet
	IOPS  int64    // -disk-iops
	BPS   int64    // -disk-bps
	Cache string   // -disk-cache
}

// Register defines the flags in fs.
func (d *DiskFlags) Register(fs *flag.FlagSet) {
	d.Size, d.Cache = "256M", DefaultDiskCache
	fs.Func("disk", "attach the raw image `FILE` as a virtio block device (/dev/vda, /dev/vdb, ... in order); a missing FILE is created sparse with -disk-size (repeatable)", func(v string) error {
		if v == "" {
			return errors.New("an empty path")
		}
		d.Paths = append(d.Paths, v)
		return nil
	})
	fs.StringVar(&d.Size, "disk-size", d.Size, "`SIZE` of a -disk image that does not exist yet (64M, 1G, ...); an existing image keeps its size")
	fs.Int64Var(&d.IOPS, "disk-iops", 0, "throttle every -disk to `N` operations per second (QEMU throttling.iops-total); 0 = unthrottled")
	fs.Func("disk-bps", "throttle every -disk to `BYTES` per second (QEMU throttling.bps-total; 50M = 50 MiB/s); 0 = unthrottled", func(v string) error {
		n, err := parseBytes(v)
		if err != nil {
			return err
		}
		d.BPS = n
		return nil
	})
	fs.StringVar(&d.Cache, "disk-cache", d.Cache, "QEMU cache `MODE` of every -disk: "+strings.Join(DiskCacheModes, ", ")+" (none and directsync need O_DIRECT on the image's file system, else fall back to writeback and writethrough)")
}

// Disks checks the flags' values and returns the disks they describe.
// It does not touch the images (PrepareDisks does).
func (d *DiskFlags) Disks() ([]Disk, error) {
	if len(d.Paths) == 0 {
		return nil, nil
	}
	if !slices.Contains(DiskCacheModes, d.Cache) {
		return nil, fmt.Errorf("-disk-cache %q: want one of %s", d.Cache, strings.Join(DiskCacheModes, ", "))
	}
	if d.IOPS < 0 {
		return nil, fmt.Errorf("-disk-iops %d: want 0 (unthrottled) or a positive number", d.IOPS)
	}
	size, serr := ParseDiskSize(d.Size)
	var disks []Disk
	for _, p := range d.Paths {
		if serr != nil {
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("-disk %s: the image does not exist and -disk-size %s", p, serr)
			}
			return nil, fmt.Errorf("-disk-size %w", serr)
		}
		disks = append(disks, Disk{Path: p, Size: size, IOPS: d.IOPS, BPS: d.BPS, Cache: d.Cache})
	}
	return disks, nil
}

// PrepareDisks checks disks and makes them ready for QEMU, returning them
// with absolute paths and the cache modes QEMU will be given: a missing
// image is created sparse with its Size; a directory, a path that cannot
// be opened for reading and writing, an empty image, an unknown cache
// mode, a negative throttle or the same image twice is one error naming
// the path. A disk whose cache mode needs O_DIRECT (none, directsync) on
// a file system that refuses it (tmpfs, for one) falls back to writeback
// (writethrough) with a one-line warning to warn, as QEMU itself would
// refuse to start. Preparing prepared disks again changes nothing.
func PrepareDisks(disks []Disk, warn io.Writer) ([]Disk, error) {
	if warn == nil {
		warn = io.Discard
	}
	// Everything that needs no file first, so that a bad disk late in
	// the list leaves no image created for an earlier one.
	out := make([]Disk, 0, len(disks))
	seen := map[string]bool{}
	for _, d := range disks {
		if d.Path == "" {
			return nil, errors.New("-disk: an empty path")
		}
		abs, err := filepath.Abs(d.Path)
		if err != nil {
			return nil, fmt.Errorf("-disk %s: %w", d.Path, err)
		}
		if d.Cache == "" {
			d.Cache = DefaultDiskCache
		}
		switch {
		case !slices.Contains(DiskCacheModes, d.Cache):
			return nil, fmt.Errorf("-disk %s: cache mode %q: want one of %s", d.Path, d.Cache, strings.Join(DiskCacheModes, ", "))
		case d.IOPS < 0 || d.BPS < 0:
			return nil, fmt.Errorf("-disk %s: negative throttling (iops %d, bps %d)", d.Path, d.IOPS, d.BPS)
		case seen[abs]:
			return nil, fmt.Errorf("-disk %s: the same image twice (QEMU locks an image for one drive)", d.Path)
		}
		seen[abs] = true
		out = append(out, d)
	}
	for i, d := range out {
		abs, _ := filepath.Abs(d.Path)
		created, err := ensureImage(d.Path, abs, d.Size)
		if err != nil {
			return nil, err
		}
		switch {
		case i > 0 || !created:
		case d.Size < ondisk.MinBlocks*ondisk.BlockSize:
			fmt.Fprintf(warn, "k42 runner: -disk %s: %d bytes are too few for a k42 file system (%d at least): left unformatted, a raw disk (boot with k42.store=memory)\n", d.Path, d.Size, ondisk.MinBlocks*ondisk.BlockSize)
		default:
			// The first disk holds the root file system: an image made
			// here is formatted here, with the kernel's own code.
			if _, err := diskfs.FormatImage(abs); err != nil {
				os.Remove(abs)
				return nil, fmt.Errorf("-disk %s: formatting the new image: %w", d.Path, err)
			}
		}
		if fallback, ok := directModes[d.Cache]; ok {
			if why := directIOCheck(abs); why != "" {
				fmt.Fprintf(warn, "k42 runner: -disk %s: cache=%s needs O_DIRECT, which %s; using cache=%s\n", d.Path, d.Cache, why, fallback)
				out[i].Cache = fallback
			}
		}
		out[i].Path = abs
	}
	return out, nil
}

// directIOCheck is directIOProblem; tests replace it.
var directIOCheck = directIOProblem

// ensureImage checks the image at abs (as the user named it: path) and
// creates it, sparse, with size bytes when it does not exist, reporting
// whether it did.
func ensureImage(path, abs string, size int64) (created bool, err error) {
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if size <= 0 || size%512 != 0 {
			return false, fmt.Errorf("-disk %s: the image does not exist and there is no usable size to create it with (-disk-size, a positive multiple of 512 bytes)", path)
		}
		if dir := filepath.Dir(abs); !isDir(dir) {
			return false, fmt.Errorf("-disk %s: the image does not exist and cannot be created: no directory %s", path, dir)
		}
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return false, fmt.Errorf("-disk %s: creating the image: %w", path, unwrapPath(err))
		}
		// Truncate allocates no blocks: the image is sparse.
		err = f.Truncate(size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(abs)
			return false, fmt.Errorf("-disk %s: sizing the image: %w", path, unwrapPath(err))
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("-disk %s: %w", path, unwrapPath(err))
	case st.IsDir():
		return false, fmt.Errorf("-disk %s: is a directory, not a disk image", path)
	case !st.Mode().IsRegular() && (st.Mode()&fs.ModeDevice == 0 || st.Mode()&fs.ModeCharDevice != 0):
		return false, fmt.Errorf("-disk %s: not a regular file or a block device (%v)", path, st.Mode().Type())
	case st.Mode().IsRegular() && st.Size() == 0:
		return false, fmt.Errorf("-disk %s: the image is empty (0 bytes): remove it to have it created with -disk-size, or size it (truncate -s 256M)", path)
	}
	f, err := os.OpenFile(abs, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("-disk %s: cannot be opened for reading and writing: %w", path, unwrapPath(err))
	}
	return false, f.Close()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// unwrapPath drops the *PathError around err: the messages name the path
// as the user gave it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// DiskArgs are QEMU's flags that attach disks, for k42 and the Linux peer
// alike: for disk N (from 0), a drive with no interface of its own
//
//	-drive file=PATH,if=none,id=diskN,format=raw,cache=MODE,aio=threads[,throttling.iops-total=N][,throttling.bps-total=N]
//
// and a virtio block device on the machine's PCI host bridge
//
//	-device virtio-blk-pci,drive=diskN
//
// Commas in PATH are doubled, as QEMU's option syntax wants. The disks
// should have been through PrepareDisks.
func DiskArgs(disks []Disk) []string {
	var args []string
	for i, d := range disks {
		cache := d.Cache
		if cache == "" {
			cache = DefaultDiskCache
		}
		drive := fmt.Sprintf("file=%s,if=none,id=disk%d,format=raw,cache=%s,aio=threads", strings.ReplaceAll(d.Path, ",", ",,"), i, cache)
		if d.IOPS > 0 {
			drive += ",throttling.iops-total=" + strconv.FormatInt(d.IOPS, 10)
		}
		if d.BPS > 0 {
			drive += ",throttling.bps-total=" + strconv.FormatInt(d.BPS, 10)
		}
		args = append(args, "-drive", drive, "-device", fmt.Sprintf("virtio-blk-pci,drive=disk%d", i))
	}
	return args
}
