package blockdev

import (
	"errors"
	"io"
)

// Bytes serves a Device at byte offsets, as a disk's device file does
// (/dev/vda): reads and writes at any offset and of any length within the
// device. Whole, aligned blocks go straight to the device; anything else
// reads the blocks it covers and, for a write, writes them back (a read,
// modify and write that a concurrent write to the same block may undo, as
// on any disk without a lock above it). Requests are cut into pieces of
// at most chunk bytes. It implements fs.Positioned.
type Bytes struct{ Dev Device }

// chunk bounds one request to the device.
const chunk = 1 << 20

// ErrNoOffset is the error of Read and Write, which a positioned device is
// never asked (its file keeps the offset).
var ErrNoOffset = errors.New("blockdev: a disk is read and written at an offset")

// Size is the device's capacity in bytes.
func (b Bytes) Size() int64 { return int64(b.Dev.BlockSize()) * b.Dev.Blocks() }

// Read implements fs.Device; it is not used.
func (b Bytes) Read([]byte) (int, error) { return 0, ErrNoOffset }

// Write implements fs.Device; it is not used.
func (b Bytes) Write([]byte) (int, error) { return 0, ErrNoOffset }

// Sync flushes the device (fsync of its file).
func (b Bytes) Sync() error { return b.Dev.Flush() }

// ReadAt reads len(p) bytes at off; at the end of the device the count is
// short and the error io.EOF.
func (b Bytes) ReadAt(p []byte, off int64) (int, error) {
	return b.each(p, off, false)
}

// WriteAt writes p at off; past the end of the device it writes what fits
// and fails with ErrRange.
func (b Bytes) WriteAt(p []byte, off int64) (int, error) {
	return b.each(p, off, true)
}

func (b Bytes) each(p []byte, off int64, write bool) (int, error) {
	size := b.Size()
	if off < 0 {
		return 0, ErrRange
	}
	var end error
	if off >= size || int64(len(p)) > size-off {
		end = io.EOF
		if write {
			end = ErrRange
		}
		if off >= size {
			return 0, end
		}
		p = p[:size-off]
	}
	bs := int64(b.Dev.BlockSize())
	done := 0
	for done < len(p) {
		at := off + int64(done)
		n := min(len(p)-done, chunk)
		if at%bs == 0 && n >= int(bs) { // whole blocks, straight to the device
			n -= n % int(bs)
			q := p[done : done+n]
			var err error
			if write {
				err = b.Dev.WriteBlocks(at/bs, q)
			} else {
				err = b.Dev.ReadBlocks(at/bs, q)
			}
			if err != nil {
				return done, err
			}
			done += n
			continue
		}
		// A partial block: through a copy of the blocks it covers.
		lo := at / bs * bs
		n = min(n, int(lo+bs-at)) // up to the end of this block
		buf := make([]byte, bs)
		if err := b.Dev.ReadBlocks(lo/bs, buf); err != nil {
			return done, err
		}
		if write {
			copy(buf[at-lo:], p[done:done+n])
			if err := b.Dev.WriteBlocks(lo/bs, buf); err != nil {
				return done, err
			}
		} else {
			copy(p[done:done+n], buf[at-lo:])
		}
		done += n
	}
	return done, end
}

// Part is blocks [Start, Start+Count) of a device as a device of its own
// (a partition): tests and benchmarks use a part of a disk that nothing
// else stores on.
type Part struct {
	Dev          Device
	Start, Count int64
}

// BlockSize implements Device.
func (p Part) BlockSize() int { return p.Dev.BlockSize() }

// Blocks implements Device.
func (p Part) Blocks() int64 { return p.Count }

// ReadBlocks implements Device.
func (p Part) ReadBlocks(b int64, q []byte) error {
	if err := Check(p, b, q); err != nil {
		return err
	}
	return p.Dev.ReadBlocks(p.Start+b, q)
}

// WriteBlocks implements Device.
func (p Part) WriteBlocks(b int64, q []byte) error {
	if err := Check(p, b, q); err != nil {
		return err
	}
	return p.Dev.WriteBlocks(p.Start+b, q)
}

// Flush implements Device (the whole device's).
func (p Part) Flush() error { return p.Dev.Flush() }

// Stats implements Device (the whole device's).
func (p Part) Stats() Stats { return p.Dev.Stats() }

// ReadBlocksv implements Vectored (through the device's, or one buffer).
func (p Part) ReadBlocksv(b int64, bufs [][]byte) error {
	if err := p.checkv(b, bufs); err != nil {
		return err
	}
	return ReadBlocksv(p.Dev, p.Start+b, bufs)
}

// WriteBlocksv implements Vectored (through the device's, or one buffer).
func (p Part) WriteBlocksv(b int64, bufs [][]byte) error {
	if err := p.checkv(b, bufs); err != nil {
		return err
	}
	return WriteBlocksv(p.Dev, p.Start+b, bufs)
}

func (p Part) checkv(b int64, bufs [][]byte) error {
	n := 0
	for _, q := range bufs {
		n += len(q)
	}
	return CheckLen(p, b, n)
}

// ReadBlocksv reads consecutive blocks from b on into bufs: in one
// vectored request if d is Vectored, else through one buffer.
func ReadBlocksv(d Device, b int64, bufs [][]byte) error {
	if v, ok := d.(Vectored); ok {
		return v.ReadBlocksv(b, bufs)
	}
	n := 0
	for _, q := range bufs {
		n += len(q)
	}
	buf := make([]byte, n)
	if err := d.ReadBlocks(b, buf); err != nil {
		return err
	}
	for _, q := range bufs {
		buf = buf[copy(q, buf):]
	}
	return nil
}

// WriteBlocksv writes bufs to consecutive blocks from b on: in one
// vectored request if d is Vectored, else through one buffer.
func WriteBlocksv(d Device, b int64, bufs [][]byte) error {
	if v, ok := d.(Vectored); ok {
		return v.WriteBlocksv(b, bufs)
	}
	var buf []byte
	for _, q := range bufs {
		buf = append(buf, q...)
	}
	return d.WriteBlocks(b, buf)
}
