package sys

import (
	"fmt"
	"syscall"
	"time"

	"k42/arch/ppc64"
	"k42/kernel"
)

// The device calls (k42_dev, kernel/dev_ppc64.go), for drivers.

func devCall(op uintptr, a ...uintptr) (uintptr, error) {
	var v [5]uintptr
	copy(v[:], a)
	r, _, e := syscall.RawSyscall6(kernel.SysK42Dev, op, v[0], v[1], v[2], v[3], v[4])
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// HostBridges returns the PCI host bridges the device tree listed.
func HostBridges() []ppc64.PHB {
	p := &kernel.Platform
	return append([]ppc64.PHB(nil), p.PHBs[:p.NumPHBs]...)
}

// PCIConfigRead reads size (1, 2 or 4) bytes at off of the configuration
// space of function fn (bus<<16 | device<<11 | function<<8) under the
// bridge buid, through RTAS.
func PCIConfigRead(buid uint64, fn uint32, off, size int) (uint32, error) {
	r, err := devCall(kernel.DevOpConfigRead, uintptr(buid), uintptr(fn), uintptr(off), uintptr(size))
	if err != nil {
		return 0, fmt.Errorf("pci %x:%06x: reading %d bytes at %#x: %w", buid, fn, size, off, err)
	}
	return uint32(r), nil
}

// PCIConfigWrite writes v as size bytes at off of fn's configuration space.
func PCIConfigWrite(buid uint64, fn uint32, off, size int, v uint32) error {
	if _, err := devCall(kernel.DevOpConfigWrite, uintptr(buid), uintptr(fn), uintptr(off), uintptr(size), uintptr(v)); err != nil {
		return fmt.Errorf("pci %x:%06x: writing %d bytes at %#x: %w", buid, fn, size, off, err)
	}
	return nil
}

// AllocMSIX asks the firmware for n MSI-X vectors of fn (it writes their
// messages into the function's MSI-X table) and returns how many it gave.
func AllocMSIX(buid uint64, fn uint32, n int) (int, error) {
	r, err := devCall(kernel.DevOpMSIX, uintptr(buid), uintptr(fn), uintptr(n))
	if err != nil {
		return 0, fmt.Errorf("pci %x:%06x: ibm,change-msi for %d MSI-X vectors: %w", buid, fn, n, err)
	}
	return int(r), nil
}

// MSIXInterrupt returns the interrupt number of fn's MSI-X vector v.
func MSIXInterrupt(buid uint64, fn uint32, v int) (uint32, error) {
	r, err := devCall(kernel.DevOpMSIXIRQ, uintptr(buid), uintptr(fn), uintptr(v))
	if err != nil {
		return 0, fmt.Errorf("pci %x:%06x: interrupt of MSI-X vector %d: %w", buid, fn, v, err)
	}
	return uint32(r), nil
}

// RouteInterrupt routes interrupt irq to CPU 0 and enables it, so that
// WaitInterrupt can wait for it.
func RouteInterrupt(irq uint32) error {
	if _, err := devCall(kernel.DevOpRouteIRQ, uintptr(irq)); err != nil {
		return fmt.Errorf("routing interrupt %#x: %w", irq, err)
	}
	return nil
}

// InterruptCount is how many times irq has come since it was routed.
func InterruptCount(irq uint32) uint64 {
	r, _ := devCall(kernel.DevOpIRQCount, uintptr(irq))
	return uint64(r)
}

// ErrInterruptTimeout is WaitInterrupt's error when no interrupt came.
var ErrInterruptTimeout = syscall.ETIMEDOUT

// WaitInterrupt blocks the calling thread (the runtime's P goes on
// running other goroutines) until irq's count differs from seen, or
// timeout passes (0: no limit), and returns the count.
func WaitInterrupt(irq uint32, seen uint64, timeout time.Duration) (uint64, error) {
	for {
		r, _, e := syscall.Syscall6(kernel.SysK42Dev, kernel.DevOpWaitIRQ, uintptr(irq), uintptr(seen), uintptr(timeout.Nanoseconds()), 0, 0)
		switch e {
		case 0:
			return uint64(r), nil
		case syscall.EINTR:
			continue
		case syscall.ETIMEDOUT:
			return seen, ErrInterruptTimeout
		}
		return seen, fmt.Errorf("waiting for interrupt %#x: %w", irq, e)
	}
}

// AllocDMA returns size bytes of physically contiguous, zeroed memory,
// 64 KiB aligned, at an address that is both its physical address and
// where the kernel's identity map makes it addressable. It is never freed.
func AllocDMA(size uint64) (uintptr, error) {
	r, err := devCall(kernel.DevOpDMAAlloc, uintptr(size))
	if err != nil {
		return 0, fmt.Errorf("allocating %d bytes of DMA memory: %w", size, err)
	}
	return r, nil
}
