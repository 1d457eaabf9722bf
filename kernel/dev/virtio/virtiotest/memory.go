// Package virtiotest is a fake virtio 1.x PCI device for host tests of
// virtio drivers: its config space (pcitest) with the virtio vendor
// capabilities, its register regions (virtio.Regs), DMA memory (a byte
// slice with made-up bus addresses), and a device side that walks the
// avail ring when notified and writes the used ring; Blk is a virtio-blk
// device on it. Misbehaviours (bad used entries, lost completions) are
// injected by the tests. Only tests import it.
//
// Go's race detector is the reason for one rule: the device writes the
// used ring only on a goroutine already ordered with the driver's reads
// of it: in the notify (the driver's Kick, under the queue's lock),
// in Wait (the driver's interrupt wait, on the goroutine that then
// consumes the ring), or from the test's own goroutine. Work done
// elsewhere (Blk's asynchronous worker) is Posted and reaches the ring at
// the next Wait, as an interrupt would announce it.
//
// Execution context: test goroutines.
package virtiotest

import (
	"fmt"
	"sync"

	"k42/kernel/dev/virtio"
)

// Memory is DMA memory: buf, with bus address Base at buf[0].
type Memory struct {
	Base uint64

	mu   sync.Mutex
	buf  []byte
	used int
}

// NewMemory returns size bytes of DMA memory at a bus address above 4
// GiB, so that truncated addresses show.
func NewMemory(size int) *Memory {
	return &Memory{Base: 0x1_2340_0000, buf: make([]byte, size)}
}

// Alloc implements virtio.DMA.
func (m *Memory) Alloc(size, align int) (virtio.Buffer, error) {
	if size <= 0 || align <= 0 || align&(align-1) != 0 {
		return virtio.Buffer{}, fmt.Errorf("virtiotest: allocation of %d bytes aligned to %d", size, align)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	at := (m.used + align - 1) &^ (align - 1)
	if at+size > len(m.buf) {
		return virtio.Buffer{}, fmt.Errorf("virtiotest: DMA memory full (%d of %d bytes used, %d asked)", m.used, len(m.buf), size)
	}
	m.used = at + size
	return virtio.Buffer{Bytes: m.buf[at : at+size : at+size], Addr: m.Base + uint64(at)}, nil
}

// Bytes is the memory at bus address addr, n bytes, as the device
// reaches it.
func (m *Memory) Bytes(addr uint64, n int) ([]byte, error) {
	if addr < m.Base || n < 0 || addr-m.Base > uint64(len(m.buf)) || uint64(n) > uint64(len(m.buf))-(addr-m.Base) {
		return nil, fmt.Errorf("virtiotest: bus address [%#x, +%d) is outside DMA memory", addr, n)
	}
	off := int(addr - m.Base)
	return m.buf[off : off+n : off+n], nil
}
