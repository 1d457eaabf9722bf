//go:build ppc64

package pseries

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// MMIO is a range of device registers mapped cache-inhibited and guarded
// (sys.MapDevice). PCI and virtio registers are little-endian and this
// kernel is big-endian, so every access swaps bytes. Each access is one
// load or store of its size: the 32-bit ones are sync/atomic operations
// (a hwsync before each), and the 8- and 16-bit stores are preceded by
// one (fence), so a store to a register is ordered after every store to
// memory before it: the descriptors a device will read by DMA are in
// memory before the notification that tells it to look.
type MMIO struct {
	base uintptr
	size int
}

// fenceWord exists to be stored to: atomic.StoreUint32 is "hwsync; stw".
var fenceWord uint32

func fence() { atomic.StoreUint32(&fenceWord, 0) }

// at is the address of the n-byte register at off, or nil outside the
// mapping: such an access reads as all ones and writes nothing, as a PCI
// read nobody claims does (a register offset comes from the device's
// capabilities and must not become a wild access).
func (m MMIO) at(off, n int) unsafe.Pointer {
	if off < 0 || off+n > m.size || off%n != 0 {
		return nil
	}
	return unsafe.Pointer(m.base + uintptr(off))
}

// Read8 reads the byte register at off.
func (m MMIO) Read8(off int) uint8 {
	fence()
	p := m.at(off, 1)
	if p == nil {
		return 0xff
	}
	return *(*uint8)(p)
}

// Read16 reads the 16-bit register at off.
func (m MMIO) Read16(off int) uint16 {
	fence()
	p := m.at(off, 2)
	if p == nil {
		return 0xffff
	}
	return bits.ReverseBytes16(*(*uint16)(p))
}

// Read32 reads the 32-bit register at off.
func (m MMIO) Read32(off int) uint32 {
	p := m.at(off, 4)
	if p == nil {
		return 0xffffffff
	}
	return bits.ReverseBytes32(atomic.LoadUint32((*uint32)(p)))
}

// Write8 writes the byte register at off.
func (m MMIO) Write8(off int, v uint8) {
	if p := m.at(off, 1); p != nil {
		fence()
		*(*uint8)(p) = v
	}
}

// Write16 writes the 16-bit register at off.
func (m MMIO) Write16(off int, v uint16) {
	if p := m.at(off, 2); p != nil {
		fence()
		*(*uint16)(p) = bits.ReverseBytes16(v)
	}
}

// Write32 writes the 32-bit register at off.
func (m MMIO) Write32(off int, v uint32) {
	if p := m.at(off, 4); p != nil {
		atomic.StoreUint32((*uint32)(p), bits.ReverseBytes32(v))
	}
}

// memory returns the n bytes at the identity-mapped physical address pa
// (DMA memory from sys.AllocDMA) as a slice.
func memory(pa uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(pa)), n)
}
