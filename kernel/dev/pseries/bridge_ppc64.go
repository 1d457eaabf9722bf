package pseries

import (
	"fmt"
	"sync"

	"k42/arch/ppc64"
	"k42/kernel/dev/pci"
	"k42/kernel/dev/virtio"
	"k42/kernel/sys"
)

// Bridge is a PCI host bridge.
type Bridge struct {
	phb ppc64.PHB
	dma DMA
}

// Bridges returns the host bridges the device tree listed.
func Bridges() []*Bridge {
	var out []*Bridge
	for _, h := range sys.HostBridges() {
		out = append(out, &Bridge{phb: h})
	}
	return out
}

// Addr names function fn (bus<<16|dev<<11|fn<<8) under the bridge:
// BUID:device.function.
func (b *Bridge) Addr(fn uint32) string {
	return fmt.Sprintf("%x:%02x.%d", b.phb.BUID, fn>>11&31, fn>>8&7)
}

// BUID is the bridge's bus unit ID.
func (b *Bridge) BUID() uint64 { return b.phb.BUID }

// Devices lists the functions the device tree has under the bridge.
func (b *Bridge) Devices() []ppc64.PCIDevice { return b.phb.Devices[:b.phb.NumDevices] }

// Function is the function at config address fn (bus<<16|dev<<11|fn<<8).
func (b *Bridge) Function(fn uint32) *pci.Function {
	return &pci.Function{Dev: int(fn >> 11 & 31), Fn: int(fn >> 8 & 7), Config: config{b.phb.BUID, fn}}
}

// Windows returns the bridge's memory windows (I/O space is not used).
func (b *Bridge) Windows() []pci.Window {
	var out []pci.Window
	for _, r := range b.phb.Ranges[:b.phb.NumRanges] {
		if r.Space == 2 || r.Space == 3 {
			out = append(out, pci.Window{Bus: r.Bus, CPU: r.CPU, Size: r.Size, Mem64: r.Space == 3})
		}
	}
	return out
}

// DMA is the memory the bridge's devices reach (see DMA).
func (b *Bridge) DMA() *DMA { return &b.dma }

// config is one function's configuration space, through RTAS.
type config struct {
	buid uint64
	fn   uint32
}

func (c config) Read(off, size int) (uint32, error) {
	return sys.PCIConfigRead(c.buid, c.fn, off, size)
}
func (c config) Write(off, size int, v uint32) error {
	return sys.PCIConfigWrite(c.buid, c.fn, off, size, v)
}

// mapPage is the unit sys.MapDevice maps.
const mapPage = 64 << 10

// Map maps length bytes at offset off of an assigned memory BAR as
// registers.
func Map(bar pci.BAR, off, length uint64) (MMIO, error) {
	if bar.IO || bar.CPU == 0 {
		return MMIO{}, fmt.Errorf("pseries: BAR %d is not an assigned memory BAR", bar.Index)
	}
	if length == 0 || off > bar.Size || length > bar.Size-off {
		return MMIO{}, fmt.Errorf("pseries: [%#x, +%#x) lies outside BAR %d of %#x bytes", off, length, bar.Index, bar.Size)
	}
	pa := bar.CPU + off
	start := pa &^ (mapPage - 1)
	end := (pa + length + mapPage - 1) &^ (mapPage - 1)
	va, err := sys.MapDevice(start, end-start)
	if err != nil {
		return MMIO{}, fmt.Errorf("pseries: mapping BAR %d at %#x: %w", bar.Index, start, err)
	}
	return MMIO{base: va + uintptr(pa-start), size: int(length)}, nil
}

// DMA hands out memory that devices reach by physical address: pieces of
// chunks of contiguous memory from the kernel, never given back (drivers
// allocate at start). It serves virtio devices that have not negotiated
// VIRTIO_F_ACCESS_PLATFORM, which reach guest memory without the
// bridge's IOMMU (QEMU's default on pseries, and what Linux's virtio
// drivers there assume). A device behind the IOMMU would need its
// memory mapped into the bridge's DMA window (H_PUT_TCE); no driver here
// needs that.
type DMA struct {
	mu    sync.Mutex
	chunk []byte // the current chunk, at its physical address
	used  int
}

// dmaChunk is how much memory DMA takes from the kernel at once.
const dmaChunk = 1 << 20

// Alloc implements virtio.DMA: size zeroed bytes aligned to align (a power of two up to
// 64 KiB) in memory and on the bus.
func (d *DMA) Alloc(size, align int) (virtio.Buffer, error) {
	if size <= 0 || align <= 0 || align&(align-1) != 0 || align > mapPage {
		return virtio.Buffer{}, fmt.Errorf("pseries: DMA allocation of %d bytes aligned to %d", size, align)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	at := (d.used + align - 1) &^ (align - 1)
	if d.chunk == nil || at+size > len(d.chunk) {
		n := (max(size, dmaChunk) + mapPage - 1) &^ (mapPage - 1)
		pa, err := sys.AllocDMA(uint64(n))
		if err != nil {
			return virtio.Buffer{}, err
		}
		d.chunk, d.used, at = memory(pa, n), 0, 0
	}
	d.used = at + size
	b := d.chunk[at : at+size : at+size]
	pa, _ := identity(b)
	return virtio.Buffer{Bytes: b, Addr: pa}, nil
}
