// Package blockdev owns the block-device interface that the page cache's
// backing stores are built on (read and write whole blocks, flush,
// capacity), and the first device behind it: Memory, blocks kept in memory
// reserved apart from the page cache's budget, so that a page-cache miss
// costs a real copy. A virtio disk serves the same interface.
//
// Execution context: ordinary Go, in server goroutines and the pager; a
// Device is safe for concurrent use. Nothing here runs in the trap layer.
package blockdev

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Device is a disk as the page cache sees it: a fixed number of blocks of
// one size, read and written whole, with writes made durable by Flush.
type Device interface {
	// BlockSize is the size of a block in bytes, a power of two.
	BlockSize() int
	// Blocks is the capacity in blocks.
	Blocks() int64
	// ReadBlocks fills p, a whole number of blocks, from block b on.
	ReadBlocks(b int64, p []byte) error
	// WriteBlocks writes p, a whole number of blocks, at block b on.
	WriteBlocks(b int64, p []byte) error
	// Flush returns once every write that returned before it was called
	// is durable.
	Flush() error
	// Stats reports what the device did.
	Stats() Stats
}

// Discarder is a Device that can be told blocks hold nothing any more
// (a freed slot): it may give their space back, and they read as zeros
// until written again (a disk's TRIM; Memory frees its chunks).
type Discarder interface {
	Discard(b, n int64) error
}

// Vectored is a Device that reads consecutive blocks into several buffers
// (each a whole number of blocks) in one request, sparing a copy.
type Vectored interface {
	ReadBlocksv(b int64, bufs [][]byte) error
	WriteBlocksv(b int64, bufs [][]byte) error
}

// Stats counts a device's work.
type Stats struct {
	Reads, Writes, Flushes  int64 // requests
	BytesRead, BytesWritten int64
}

// ErrRange is the error for a request outside the device or not a whole
// number of blocks.
var ErrRange = errors.New("blockdev: request outside the device")

// Check validates a request of len(p) bytes at block b on d, for
// implementations.
func Check(d Device, b int64, p []byte) error { return CheckLen(d, b, len(p)) }

// CheckLen is Check for a request of n bytes (a vectored one's total).
func CheckLen(d Device, b int64, n int) error {
	bs := d.BlockSize()
	if n%bs != 0 {
		return fmt.Errorf("%w: %d bytes is not a whole number of %d-byte blocks", ErrRange, n, bs)
	}
	if k := int64(n / bs); b < 0 || b > d.Blocks() || k > d.Blocks()-b {
		return fmt.Errorf("%w: blocks [%d, %d) of %d", ErrRange, b, b+k, d.Blocks())
	}
	return nil
}

// Memory is a Device whose blocks live in memory, allocated in chunks as
// they are first written (blocks never written read as zeros), so an
// unused capacity costs nothing. Its memory is its own, not the page
// cache's.
type Memory struct {
	bs     int
	blocks int64

	mu     sync.RWMutex
	chunks map[int64][]byte // chunk index -> chunkBlocks blocks
	live   map[int64]uint16 // chunk index -> its blocks written and not discarded, a bit each

	reads, writes, flushes, bytesRead, bytesWritten atomic.Int64
}

// chunkBlocks is how many blocks Memory allocates at once.
const chunkBlocks = 16

// NewMemory returns a memory device of blocks blocks of bs bytes.
func NewMemory(bs int, blocks int64) (*Memory, error) {
	if bs <= 0 || bs&(bs-1) != 0 {
		return nil, fmt.Errorf("blockdev: block size %d is not a power of two", bs)
	}
	if blocks < 0 {
		return nil, fmt.Errorf("blockdev: negative capacity %d", blocks)
	}
	return &Memory{bs: bs, blocks: blocks, chunks: make(map[int64][]byte), live: make(map[int64]uint16)}, nil
}

// BlockSize implements Device.
func (m *Memory) BlockSize() int { return m.bs }

// Blocks implements Device.
func (m *Memory) Blocks() int64 { return m.blocks }

// ReadBlocks implements Device.
func (m *Memory) ReadBlocks(b int64, p []byte) error {
	if err := Check(m, b, p); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.each(b, p, false, func(c []byte, off int, q []byte) {
		if c == nil {
			clear(q)
		} else {
			copy(q, c[off:])
		}
	})
	m.reads.Add(1)
	m.bytesRead.Add(int64(len(p)))
	return nil
}

// WriteBlocks implements Device.
func (m *Memory) WriteBlocks(b int64, p []byte) error {
	if err := Check(m, b, p); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.each(b, p, true, func(c []byte, off int, q []byte) { copy(c[off:], q) })
	for k := b; k < b+int64(len(p)/m.bs); k++ {
		m.live[k/chunkBlocks] |= 1 << (k % chunkBlocks)
	}
	m.writes.Add(1)
	m.bytesWritten.Add(int64(len(p)))
	return nil
}

// each walks p chunk by chunk. A write (with the lock held for writing)
// makes the chunks it lacks; a read passes nil for them.
func (m *Memory) each(b int64, p []byte, write bool, f func(chunk []byte, off int, q []byte)) {
	bs := int64(m.bs)
	for len(p) > 0 {
		ci, in := b/chunkBlocks, b%chunkBlocks
		n := min(int64(len(p))/bs, chunkBlocks-in)
		c := m.chunks[ci]
		if c == nil && write {
			c = make([]byte, chunkBlocks*bs)
			m.chunks[ci] = c
		}
		f(c, int(in*bs), p[:n*bs])
		p, b = p[n*bs:], b+n
	}
}

// Discard implements Discarder: the blocks read as zeros from now on, and
// a chunk none of whose blocks holds anything any more is freed, so that
// the device's memory follows what its user keeps, not what it ever
// wrote.
func (m *Memory) Discard(b, n int64) error {
	if err := CheckLen(m, b, int(n)*m.bs); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bs := int64(m.bs)
	for k := b; k < b+n; k++ {
		ci, in := k/chunkBlocks, k%chunkBlocks
		c := m.chunks[ci]
		if c == nil {
			continue
		}
		if m.live[ci] &^= 1 << in; m.live[ci] == 0 {
			delete(m.chunks, ci)
			delete(m.live, ci)
			continue
		}
		clear(c[in*bs : (in+1)*bs])
	}
	return nil
}

// Flush implements Device: memory is as durable as it gets.
func (m *Memory) Flush() error {
	m.flushes.Add(1)
	return nil
}

// Resident reports the bytes of memory the device holds.
func (m *Memory) Resident() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.chunks)) * chunkBlocks * int64(m.bs)
}

// Stats implements Device.
func (m *Memory) Stats() Stats {
	return Stats{Reads: m.reads.Load(), Writes: m.writes.Load(), Flushes: m.flushes.Load(),
		BytesRead: m.bytesRead.Load(), BytesWritten: m.bytesWritten.Load()}
}
