// Package blocklog owns the crash model the file system's crash-replay
// tests use, in the manner of Linux's dm-log-writes and CrashMonkey: a
// Log is a block device that passes every request to the device under it
// and records each write (its blocks and bytes) and each flush, in order;
// Crash then rebuilds the disk as it could be after a power cut at any
// point of that history.
//
// The model of a cut after entry k: every write that completed before the
// last flush at or before k is on the disk, in order (a flush makes the
// writes before it durable); of the writes after that flush, up to k,
// any subset may have reached the disk, in any order (a volatile write
// cache loses and reorders what it has not been told to make durable);
// nothing after k has. A write is atomic at block granularity: each of
// its blocks lands whole or not at all, and a write's blocks may land
// without each other.
//
// Execution context: ordinary Go, in tests on the host (and in the
// kernel's test image); a Log is safe for concurrent use.
package blocklog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"k42/mm/blockdev"
)

// Entry is one recorded request: a write of Data at Block, or a flush
// (Flush true, no data).
type Entry struct {
	Flush bool
	Block int64
	Data  []byte
}

// Log records the writes and flushes that reach Dev.
type Log struct {
	Dev blockdev.Device

	mu      sync.Mutex
	base    []byte // the device's contents when the log started
	entries []Entry
}

// New returns a log over dev, whose current contents (read whole) are
// the state every replay starts from.
func New(dev blockdev.Device) (*Log, error) {
	base := make([]byte, int64(dev.BlockSize())*dev.Blocks())
	if err := dev.ReadBlocks(0, base); err != nil {
		return nil, fmt.Errorf("blocklog: reading the starting state: %w", err)
	}
	return &Log{Dev: dev, base: base}, nil
}

// BlockSize implements blockdev.Device.
func (l *Log) BlockSize() int { return l.Dev.BlockSize() }

// Blocks implements blockdev.Device.
func (l *Log) Blocks() int64 { return l.Dev.Blocks() }

// ReadBlocks implements blockdev.Device.
func (l *Log) ReadBlocks(b int64, p []byte) error { return l.Dev.ReadBlocks(b, p) }

// WriteBlocks implements blockdev.Device: the write is recorded once the
// device has taken it.
func (l *Log) WriteBlocks(b int64, p []byte) error {
	if err := l.Dev.WriteBlocks(b, p); err != nil {
		return err
	}
	l.mu.Lock()
	l.entries = append(l.entries, Entry{Block: b, Data: slices.Clone(p)})
	l.mu.Unlock()
	return nil
}

// Flush implements blockdev.Device: the flush is recorded once the device
// has made the writes before it durable.
func (l *Log) Flush() error {
	if err := l.Dev.Flush(); err != nil {
		return err
	}
	l.mu.Lock()
	l.entries = append(l.entries, Entry{Flush: true})
	l.mu.Unlock()
	return nil
}

// Stats implements blockdev.Device.
func (l *Log) Stats() blockdev.Stats { return l.Dev.Stats() }

// Entries returns a copy of the history so far.
func (l *Log) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// Len is the number of entries recorded.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Durable returns the index of the last flush at or before entry cut
// (cut counted from 0; cut = Len()-1 is after everything), or -1.
func (l *Log) Durable(cut int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := min(cut, len(l.entries)-1); i >= 0; i-- {
		if l.entries[i].Flush {
			return i
		}
	}
	return -1
}

// Crash returns the disk's contents after a power cut just after entry
// cut (-1: before the first), choosing with rng which of the writes
// after the last flush reached the disk, block by block, and in which
// order. With rng nil, none of them did (the most a crash can lose).
func (l *Log) Crash(cut int, rng *rand.Rand) []byte {
	l.mu.Lock()
	entries := l.entries[:max(0, min(cut+1, len(l.entries)))]
	l.mu.Unlock()
	img := slices.Clone(l.base)
	bs := int64(l.Dev.BlockSize())
	last := -1
	for i, e := range entries {
		if e.Flush {
			last = i
		}
	}
	for _, e := range entries[:last+1] {
		if !e.Flush {
			copy(img[e.Block*bs:], e.Data)
		}
	}
	if rng == nil {
		return img
	}
	// The volatile tail, as blocks: each lands or not, in a random order.
	type block struct {
		at   int64
		data []byte
	}
	var tail []block
	for _, e := range entries[last+1:] {
		for off := int64(0); off < int64(len(e.Data)); off += bs {
			tail = append(tail, block{e.Block*bs + off, e.Data[off : off+bs]})
		}
	}
	rng.Shuffle(len(tail), func(i, j int) { tail[i], tail[j] = tail[j], tail[i] })
	for _, b := range tail {
		if rng.IntN(2) == 0 {
			copy(img[b.at:], b.data)
		}
	}
	return img
}

// Device returns img as a memory device of the log's block size: the disk
// to mount and check after the crash.
func (l *Log) Device(img []byte) (*blockdev.Memory, error) {
	bs := l.Dev.BlockSize()
	m, err := blockdev.NewMemory(bs, int64(len(img)/bs))
	if err != nil {
		return nil, err
	}
	if err := m.WriteBlocks(0, img); err != nil {
		return nil, err
	}
	return m, nil
}
