// Package cpio writes archives in the cpio "newc" format (SVR4 portable
// ASCII, magic 070701), the format Linux unpacks as an initramfs. It runs
// on the host: the runner packs k42's initial RAM archive with it, and
// benchmarks/linux the Linux peer's initramfs.
//
// A newc archive is a sequence of entries, each a 110-byte ASCII header
// (the magic and thirteen 8-digit hexadecimal fields), the NUL-terminated
// name padded to a multiple of four bytes, and the contents padded the
// same way, closed by an entry named TRAILER!!!. Only what an initramfs
// needs is supported: directories, regular files, symbolic links and
// device nodes; every entry gets its own inode number and one link.
package cpio

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// File type bits of Header.Mode (as in st_mode).
const (
	TypeMask    = 0o170000
	TypeDir     = 0o040000
	TypeReg     = 0o100000
	TypeSymlink = 0o120000
	TypeChar    = 0o020000
	TypeBlock   = 0o060000
)

// Trailer is the name of the entry that ends an archive.
const Trailer = "TRAILER!!!"

// Header describes one entry.
type Header struct {
	Name                 string    // path inside the archive, without a leading slash
	Mode                 uint32    // type bits (TypeDir, ...) and permissions
	UID, GID             uint32    // owner
	ModTime              time.Time // zero: the Unix epoch
	Size                 int64     // bytes of contents that follow (a symlink's: its target)
	RdevMajor, RdevMinor uint32    // a device node's number
}

// Writer writes an archive to an underlying writer.
type Writer struct {
	w      io.Writer
	ino    uint32
	remain int64 // contents still owed to the current entry
	pad    int   // padding after them
	err    error
	closed bool
}

// NewWriter returns a writer that writes an archive to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// ErrWriteTooLong is returned by Write when more is written than the
// header's Size.
var ErrWriteTooLong = errors.New("cpio: write beyond the entry's size")

// WriteHeader finishes the previous entry and starts h; its contents are
// then written with Write.
func (w *Writer) WriteHeader(h *Header) error {
	if w.closed {
		return errors.New("cpio: write to a closed archive")
	}
	if err := w.finish(); err != nil {
		return err
	}
	name := strings.TrimPrefix(h.Name, "/")
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("cpio: bad entry name %q", h.Name)
	}
	if h.Size < 0 || h.Size > 0xffffffff {
		return fmt.Errorf("cpio: %s: size %d out of range", name, h.Size)
	}
	if t := h.Mode & TypeMask; t != TypeReg && t != TypeSymlink && h.Size != 0 {
		return fmt.Errorf("cpio: %s: only regular files and symlinks have contents", name)
	}
	w.ino++
	return w.header(name, w.ino, h.Mode, h.UID, h.GID, 1, h.ModTime, uint32(h.Size), h.RdevMajor, h.RdevMinor)
}

// header writes an entry's header and name and records the contents due.
func (w *Writer) header(name string, ino, mode, uid, gid, nlink uint32, mtime time.Time, size, rmaj, rmin uint32) error {
	var secs uint32
	if !mtime.IsZero() {
		secs = uint32(mtime.Unix())
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, uid, gid, nlink, secs, size, 0, 0, rmaj, rmin, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+4)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = append(buf, make([]byte, padding(len(buf)))...)
	if _, err := w.w.Write(buf); err != nil {
		w.err = err
		return err
	}
	w.remain, w.pad = int64(size), padding(int(size))
	return nil
}

// Write writes contents of the current entry.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if int64(len(p)) > w.remain {
		n, err := w.Write(p[:w.remain])
		if err == nil {
			err = ErrWriteTooLong
		}
		return n, err
	}
	n, err := w.w.Write(p)
	w.remain -= int64(n)
	if err != nil {
		w.err = err
	}
	return n, err
}

// finish checks that the current entry's contents were all written and
// pads them.
func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if w.remain != 0 {
		return fmt.Errorf("cpio: entry short by %d bytes", w.remain)
	}
	if w.pad > 0 {
		if _, err := w.w.Write(make([]byte, w.pad)); err != nil {
			w.err = err
			return err
		}
		w.pad = 0
	}
	return nil
}

// Close writes the trailer entry. It does not close the underlying
// writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	if err := w.finish(); err != nil {
		return err
	}
	if err := w.header(Trailer, 0, 0, 0, 0, 1, time.Time{}, 0, 0, 0); err != nil {
		return err
	}
	w.closed = true
	return nil
}

// AddDir adds a directory with permissions perm.
func (w *Writer) AddDir(name string, perm uint32) error {
	return w.WriteHeader(&Header{Name: name, Mode: TypeDir | perm&0o7777})
}

// AddFile adds a regular file holding data.
func (w *Writer) AddFile(name string, perm uint32, data []byte) error {
	if err := w.WriteHeader(&Header{Name: name, Mode: TypeReg | perm&0o7777, Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// AddSymlink adds a symbolic link to target.
func (w *Writer) AddSymlink(name, target string) error {
	if err := w.WriteHeader(&Header{Name: name, Mode: TypeSymlink | 0o777, Size: int64(len(target))}); err != nil {
		return err
	}
	_, err := w.Write([]byte(target))
	return err
}

// AddCharDevice adds a character device node, such as dev/console (5, 1).
func (w *Writer) AddCharDevice(name string, perm, major, minor uint32) error {
	return w.WriteHeader(&Header{Name: name, Mode: TypeChar | perm&0o7777, RdevMajor: major, RdevMinor: minor})
}

// padding is how many bytes bring n to a multiple of four.
func padding(n int) int { return (4 - n%4) % 4 }
