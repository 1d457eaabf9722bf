package blockdev

import (
	"fmt"
	"os"
	"sync"
)

// File is a disk image on the host as a Device of 512-byte blocks (the
// runner formats the images it creates through it; k42fsck checks them).
// It is host code: the kernel's disks are kernel/dev/virtioblk.
type File struct {
	f      *os.File
	blocks int64
	mu     sync.Mutex
	stats  Stats
}

// OpenFile opens the image at path for reading and writing (read-only if
// readOnly).
func OpenFile(path string, readOnly bool) (*File, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	size, err := f.Seek(0, 2)
	if err != nil {
		f.Close()
		return nil, err
	}
	if size%512 != 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes, not a whole number of 512-byte blocks", path, size)
	}
	return &File{f: f, blocks: size / 512}, nil
}

// Close closes the image.
func (d *File) Close() error { return d.f.Close() }

// BlockSize implements Device.
func (d *File) BlockSize() int { return 512 }

// Blocks implements Device.
func (d *File) Blocks() int64 { return d.blocks }

// ReadBlocks implements Device.
func (d *File) ReadBlocks(b int64, p []byte) error {
	if err := Check(d, b, p); err != nil {
		return err
	}
	_, err := d.f.ReadAt(p, b*512)
	d.count(func(s *Stats) { s.Reads++; s.BytesRead += int64(len(p)) })
	return err
}

// WriteBlocks implements Device.
func (d *File) WriteBlocks(b int64, p []byte) error {
	if err := Check(d, b, p); err != nil {
		return err
	}
	_, err := d.f.WriteAt(p, b*512)
	d.count(func(s *Stats) { s.Writes++; s.BytesWritten += int64(len(p)) })
	return err
}

// Flush implements Device.
func (d *File) Flush() error {
	d.count(func(s *Stats) { s.Flushes++ })
	return d.f.Sync()
}

// Stats implements Device.
func (d *File) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

func (d *File) count(f func(*Stats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}
