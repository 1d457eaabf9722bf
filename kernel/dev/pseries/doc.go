// Package pseries is the pseries platform's side of the drivers in
// kernel/dev: what PCI and virtio need from a PAPR machine and QEMU's
// spapr PCI host bridge, over the kernel's device calls (kernel/sys):
//
//   - Bridge: a PCI host bridge from the device tree, its functions'
//     configuration space through RTAS (pci.ConfigSpace), its MMIO
//     windows (pci.Window) and BARs mapped as registers (MMIO);
//   - DMA: memory a device can reach. On pseries a PCI device sees memory
//     through its bridge's DMA window, a TCE table the hypervisor keeps:
//     Bridge.DMA takes physically contiguous memory from the kernel and
//     maps it into the window with H_PUT_TCE, and hands out pieces of it
//     with their bus addresses (virtio.DMA). A virtio device that has not
//     negotiated VIRTIO_F_ACCESS_PLATFORM bypasses the window and takes
//     physical addresses (QEMU's default): Bridge.DirectDMA. Data go through these
//     buffers (bounce buffers): Go's heap pages are demand-paged and
//     scattered, and mapping each one into the window for each request
//     would cost hypercalls per page;
//   - MSI-X: vectors from the firmware (ibm,change-msi), routed to a CPU
//     and enabled; a driver waits for them with sys.WaitInterrupt;
//   - Disks: every virtio-blk function found, opened (kernel/dev/virtioblk).
//
// Execution context: ordinary Go, in the goroutines that start and run the
// drivers; never in the trap layer.
package pseries
