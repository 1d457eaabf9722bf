// Package initrd owns the format of the initial RAM archive: the file
// QEMU loads beside the kernel (-initrd) and names in the device tree's
// /chosen. It is a cpio archive in the "newc" format (the one Linux's
// initramfs uses), so standard tools can list and build it.
//
// The archive carries what does not fit, or does not survive, on the
// kernel command line: the boot arguments themselves, byte for byte
// (member ArgsName), and, for the file system, host files copied into the
// guest. Names under Reserved are the kernel's and are not files.
//
// This package reads archives (Next, Find), in the kernel, before the Go
// runtime exists: it allocates nothing, takes no locks and returns slices
// of the archive itself. The runner writes them with qemu/runner/cpio.
package initrd

// Reserved prefixes the kernel's own members; they are not files.
const Reserved = ".k42/"

// ArgsName is the member holding the boot arguments: every word
// followed by a NUL byte. Words may hold any byte but NUL.
const ArgsName = Reserved + "args"

// Limits on the boot arguments carried in ArgsName (the kernel lays them
// out on the program's initial stack).
const (
	MaxArgs     = 8192      // words, kernel options included
	MaxArgBytes = 256 << 10 // bytes of all words, with their NULs
)

// File modes (the type bits of st_mode, as cpio stores them).
const (
	ModeDir     = 0o040000
	ModeRegular = 0o100000
	ModeSymlink = 0o120000
	ModeType    = 0o170000
)

const (
	magic      = "070701"
	headerSize = 110
	trailer    = "TRAILER!!!"
)

// Entry is one member of an archive. Name and Data alias the archive.
type Entry struct {
	Name []byte // without the terminating NUL
	Mode uint32 // type and permission bits
	Data []byte // file contents, or a symbolic link's target
}

// Status of Next.
const (
	OK      = iota // an entry was returned
	End            // the trailer was reached
	Corrupt        // the archive is malformed
)

// Next parses the member at offset off of archive a and returns it with
// the offset of the member after it. It allocates nothing.
func Next(a []byte, off int) (e Entry, next int, status int) {
	if off < 0 || off+headerSize > len(a) {
		return e, off, Corrupt
	}
	h := a[off : off+headerSize]
	for i := 0; i < len(magic); i++ {
		if h[i] != magic[i] {
			return e, off, Corrupt
		}
	}
	mode, ok1 := hex8(h[14:22])
	size, ok2 := hex8(h[54:62])
	nameSize, ok3 := hex8(h[94:102])
	if !ok1 || !ok2 || !ok3 || nameSize == 0 {
		return e, off, Corrupt
	}
	nameAt := off + headerSize
	if uint64(nameAt)+uint64(nameSize) > uint64(len(a)) {
		return e, off, Corrupt
	}
	e.Name = a[nameAt : nameAt+int(nameSize)-1] // drop the NUL
	dataAt := align4(nameAt + int(nameSize))
	if uint64(dataAt)+uint64(size) > uint64(len(a)) {
		return e, off, Corrupt
	}
	e.Mode = mode
	e.Data = a[dataAt : dataAt+int(size)]
	next = align4(dataAt + int(size))
	if equal(e.Name, trailer) {
		return Entry{}, next, End
	}
	return e, next, OK
}

// Find returns the data of the member called name. It allocates nothing.
func Find(a []byte, name string) ([]byte, bool) {
	for off := 0; ; {
		e, next, st := Next(a, off)
		if st != OK {
			return nil, false
		}
		if equal(e.Name, name) {
			return e.Data, true
		}
		off = next
	}
}

// Lookup returns the member called name (a byte slice, so that callers
// with fixed buffers need not make a string) and its offset, for Next. It
// allocates nothing.
func Lookup(a []byte, name []byte) (e Entry, off int, ok bool) {
	for off := 0; ; {
		e, next, st := Next(a, off)
		if st != OK {
			return Entry{}, 0, false
		}
		if len(e.Name) == len(name) && string(e.Name) == string(name) {
			return e, off, true
		}
		off = next
	}
}

func align4(n int) int { return (n + 3) &^ 3 }

func equal(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

func hex8(b []byte) (uint32, bool) {
	var v uint32
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}
