package fs

import (
	"io"
	"syscall"
)

// Device serves the reads and writes of a character device: every open
// file of a device node whose rdev it is registered for (Options.Devices).
// Device files have no offset of their own: Read and Write get no
// position, and Seek on them always returns 0, as on Linux's memory devices.
// A Device must be safe for concurrent use.
type Device interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}

// Positioned is a Device with positions and a size: a disk. Its open files
// keep an offset as a regular file's do; read, write, pread and pwrite
// go to ReadAt and WriteAt, and lseek is relative to Size at SEEK_END
// (Read and Write are not called).
type Positioned interface {
	Device
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Size() int64
}

// Opener is a Device each open of which gets a session of its own: Open
// returns the Device that serves that open file (a control file's
// command and its answer, say). If the session is an io.Closer, the last
// close of the open file description closes it.
type Opener interface {
	Open() Device
}

// Reconfigurer marks a Device whose writes reconfigure the system (a
// control file's commands hot-swap components, which waits for every
// request in the system to end): a server must make such a write outside
// any request of its own, or the swap would wait for the very call that
// asked for it.
type Reconfigurer interface {
	Reconfigures()
}

// Mkdev returns the Linux device number of major and minor (the encoding
// of st_rdev and st_dev).
func Mkdev(major, minor uint32) uint64 {
	ma, mi := uint64(major), uint64(minor)
	return mi&0xff | (ma&0xfff)<<8 | (mi&^0xff)<<12 | (ma&^0xfff)<<32
}

// Major returns the major number of a device number made by Mkdev.
func Major(dev uint64) uint32 { return uint32(dev>>8&0xfff | dev>>32&^0xfff) }

// Minor returns the minor number of a device number made by Mkdev.
func Minor(dev uint64) uint32 { return uint32(dev&0xff | dev>>12&^0xff) }

// The device numbers Linux gives its memory devices.
var (
	DevNull    = Mkdev(1, 3)
	DevZero    = Mkdev(1, 5)
	DevFull    = Mkdev(1, 7)
	DevURandom = Mkdev(1, 9)
)

// Null is /dev/null: reads find end of file, writes vanish.
type Null struct{}

// Read finds end of file.
func (Null) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return 0, io.EOF
}

// Write discards p.
func (Null) Write(p []byte) (int, error) { return len(p), nil }

// Zero is /dev/zero: reads give zeros, writes vanish.
type Zero struct{}

// Read fills p with zeros.
func (Zero) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Write discards p.
func (Zero) Write(p []byte) (int, error) { return len(p), nil }

// Full is /dev/full: reads give zeros, writes (even of nothing) fail with
// ENOSPC.
type Full struct{}

// Read fills p with zeros.
func (Full) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Write fails with ENOSPC.
func (Full) Write(p []byte) (int, error) { return 0, syscall.ENOSPC }

// URandom is /dev/urandom: reads are filled by Fill, writes are accepted
// and discarded (Linux mixes them into its pool; this has none). Fill must
// be safe for concurrent use.
type URandom struct {
	Fill func([]byte)
}

// Read fills p from Fill.
func (u URandom) Read(p []byte) (int, error) { u.Fill(p); return len(p), nil }

// Write discards p.
func (URandom) Write(p []byte) (int, error) { return len(p), nil }
