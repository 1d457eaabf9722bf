// Package pseries is the pseries platform's side of the drivers in
// kernel/dev: what PCI and virtio need from a PAPR machine and QEMU's
// spapr PCI host bridge, over the kernel's device calls (kernel/sys):
//
//   - Bridge: a PCI host bridge from the device tree, its functions'
//     configuration space through RTAS (pci.ConfigSpace), its MMIO
//     windows (pci.Window) and BARs mapped as registers (MMIO);
//   - DMA: memory a device can reach. A virtio device that has not
//     negotiated VIRTIO_F_ACCESS_PLATFORM (QEMU's default on pseries)
//     bypasses the bridge's IOMMU and takes physical addresses: Bridge.DMA
//     hands out pieces of physically contiguous memory with them
//     (virtio.DMA), and Physical gives the physical ranges behind any
//     buffer, for requests that move data without a bounce copy;
//     PageFrames gives the page cache pages in such memory;
//   - MSI-X: vectors from the firmware (ibm,change-msi), routed to a CPU
//     and enabled; a driver waits for them with sys.WaitInterrupt;
//   - Disks: every virtio-blk function found, opened (kernel/dev/virtioblk).
//
// Execution context: ordinary Go, in the goroutines that start and run the
// drivers; never in the trap layer.
package pseries
