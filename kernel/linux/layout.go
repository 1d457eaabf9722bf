package linux

import "unsafe"

// Structure layouts of ppc64 (64-bit, big-endian), as the kernel's
// system calls copy them to and from the program. Both the trap handler
// and the servers write them as whole structs.

// Timespec is struct timespec.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Stat is struct stat (arch/powerpc/include/uapi/asm/stat.h, 64-bit).
type Stat struct {
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Mode    uint32
	UID     uint32
	GID     uint32
	_       uint32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte units
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
	_       [3]uint64
}

// StatxTimestamp is struct statx_timestamp.
type StatxTimestamp struct {
	Sec  int64
	Nsec uint32
	_    int32
}

// Statx is struct statx.
type Statx struct {
	Mask           uint32
	Blksize        uint32
	Attributes     uint64
	Nlink          uint32
	UID            uint32
	GID            uint32
	Mode           uint16
	_              uint16
	Ino            uint64
	Size           uint64
	Blocks         uint64
	AttributesMask uint64
	Atime          StatxTimestamp
	Btime          StatxTimestamp
	Ctime          StatxTimestamp
	Mtime          StatxTimestamp
	RdevMajor      uint32
	RdevMinor      uint32
	DevMajor       uint32
	DevMinor       uint32
	MntID          uint64
	DioMemAlign    uint32
	DioOffsetAlign uint32
	_              [12]uint64
}

// statx(2) mask bits.
const (
	STATX_TYPE        = 0x1
	STATX_MODE        = 0x2
	STATX_NLINK       = 0x4
	STATX_UID         = 0x8
	STATX_GID         = 0x10
	STATX_ATIME       = 0x20
	STATX_MTIME       = 0x40
	STATX_CTIME       = 0x80
	STATX_INO         = 0x100
	STATX_SIZE        = 0x200
	STATX_BLOCKS      = 0x400
	STATX_BASIC_STATS = 0x7ff
	STATX_BTIME       = 0x800
)

// Statfs is struct statfs (ppc64: __statfs_word is long).
type Statfs struct {
	Type    int64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Fsid    [2]int32
	Namelen int64
	Frsize  int64
	Flags   int64
	Spare   [4]int64
}

// Dirent64 is the fixed head of struct linux_dirent64; the NUL-terminated
// name follows, and the record is padded to 8 bytes.
type Dirent64 struct {
	Ino    uint64
	Off    int64
	Reclen uint16
	Type   uint8
}

// DirentNameOffset is where a linux_dirent64's name starts.
const DirentNameOffset = 19

// d_type values.
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
)

// Sizes the kernel checks user buffers against.
const (
	SizeofStat   = 144
	SizeofStatx  = 256
	SizeofStatfs = 120
)

var (
	_ = [1]struct{}{}[unsafe.Sizeof(Stat{})-SizeofStat]
	_ = [1]struct{}{}[unsafe.Sizeof(Statx{})-SizeofStatx]
	_ = [1]struct{}{}[unsafe.Sizeof(Statfs{})-SizeofStatfs]
)
