package pseries

import (
	"fmt"
	"sync"
	"time"

	"k42/kernel/dev/pci"
	"k42/kernel/dev/virtio"
	"k42/kernel/dev/virtioblk"
	"k42/kernel/sys"
)

// Disk is a virtio block device found on a bridge and opened.
type Disk struct {
	*virtioblk.Disk
	Name       string // vda, vdb, ... in bus order
	PCI        string // BUID:device.function
	Interrupts string // "msi-x irq N", or "polled (why)" when no vector could be had
}

// PCI IDs of virtio block functions: transitional and modern.
const (
	vendorVirtio     = 0x1af4
	deviceBlkLegacy  = 0x1001
	deviceBlkModern  = 0x1042
	requestTimeout   = 10 * time.Second
	disksMSIXVectors = 1 // the request queue's; configuration changes are not signalled
)

var (
	disksOnce sync.Once
	disks     []*Disk
	diskErrs  []error
)

// Disks finds and opens every virtio block function under every bridge,
// once; later calls return the same disks. A function that cannot be
// opened is left out and its error returned (the others are still
// opened).
func Disks() ([]*Disk, []error) {
	disksOnce.Do(func() {
		for _, b := range Bridges() {
			alloc := pci.NewAllocator(b.Windows()...)
			for _, d := range b.Devices() {
				if d.Vendor != vendorVirtio || d.Device != deviceBlkLegacy && d.Device != deviceBlkModern {
					continue
				}
				name := fmt.Sprintf("vd%c", 'a'+len(disks))
				k, err := b.openDisk(alloc, d.ConfigAddr, name)
				if err != nil {
					diskErrs = append(diskErrs, fmt.Errorf("%s (pci %s): %w", name, b.Addr(d.ConfigAddr), err))
					continue
				}
				disks = append(disks, k)
			}
		}
	})
	return disks, diskErrs
}

func (b *Bridge) openDisk(alloc *pci.Allocator, fn uint32, name string) (*Disk, error) {
	f := b.Function(fn)
	bars, err := f.AssignBARs(alloc)
	if err != nil {
		return nil, err
	}
	caps, err := virtio.FindCaps(f, bars, func(bar int, off, length uint64) (virtio.Regs, error) {
		for _, x := range bars {
			if x.Index == bar {
				return Map(x, off, length)
			}
		}
		return nil, fmt.Errorf("BAR %d is not assigned", bar)
	})
	if err != nil {
		return nil, err
	}
	cfg := virtioblk.Config{Caps: caps, DMA: b.DMA(), MSIXVector: 0xffff, Timeout: requestTimeout, Name: name, Direct: Physical}
	mode := "polled"
	if vs, err := b.EnableMSIX(fn, f, bars, disksMSIXVectors); err == nil {
		cfg.MSIXVector, cfg.Wait, mode = 0, vs[0].Wait, fmt.Sprintf("msi-x irq %#x", vs[0].IRQ)
	} else {
		mode = "polled (" + err.Error() + ")"
	}
	d, err := virtioblk.Open(cfg)
	if err != nil {
		return nil, err
	}
	return &Disk{Disk: d, Name: name, PCI: b.Addr(fn), Interrupts: mode}, nil
}

// Physical gives the physical ranges behind p (virtioblk.Config.Direct):
// the bus addresses of a virtio device that bypasses the bridge's IOMMU.
func Physical(p []byte) ([]virtioblk.Range, bool) {
	if a, ok := identity(p); ok {
		return []virtioblk.Range{{Addr: a, Len: len(p)}}, true
	}
	var out [64][2]uint64 // a 1 MiB buffer of scattered 64 KiB frames needs 17
	n, err := sys.PhysRanges(p, out[:])
	if err != nil {
		return nil, false
	}
	rs := make([]virtioblk.Range, n)
	for i, r := range out[:n] {
		rs[i] = virtioblk.Range{Addr: r[0], Len: int(r[1])}
	}
	return rs, true
}
