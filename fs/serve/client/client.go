// Package client is the client's half of an exclusive file session: what
// K42's FileLinux kept in the caller's address space while a file was not
// shared (paper §2.2), here in the trap layer. A session slot holds an
// open file description's offset, the file's length, a window of the
// file's data (the whole file, for the small-file cache) and a snapshot of
// its attributes, so that read, write, pread64, pwrite64, lseek and fstat
// on it return from the trap without a hand-off to a server. Dirty data
// in the window goes back to the file when the server says so: on close,
// fsync, a full window, or a recall. The server half (fs/serve's
// exclusive and small-file sessions) owns the policy; this package only
// holds the state and the protocol between the two halves.
//
// # Slots and their states
//
// There is one slot per server handle (the handle is the slot's index),
// in a fixed table. A slot's state word says who may touch its fields:
//
//   - Free: no exclusive session; every call is forwarded.
//   - Idle: an exclusive session; the fast path may take it.
//   - Busy: a fast-path call holds it. It runs in trap context on one
//     CPU with interrupts off and does not block, so Busy lasts the copy
//     of at most one window, never a wait.
//   - Server: a server thread holds it (a forwarded call of the session,
//     a flush, a recall). The fast path forwards the call instead, to the
//     server side, where the mediator can hold it.
//   - Recalled: the server has taken the state out (a swap's export) and
//     holds no lock on it: the fast path forwards, and whichever server
//     call comes next decides (the new session frees the slot; if the
//     swap failed, the old one takes it back).
//
// The fast path takes a slot with one compare-and-swap Idle→Busy and
// gives it back with one store Busy→Idle; a server takes it with
// compare-and-swap from Idle or Recalled to Server, spinning while it is
// Busy (bounded, see above) and yielding while another server holds it.
// So on any number of CPUs the fast path and a recall exclude each other
// by the state word alone: a recall that wins sees every fast-path
// change before it (the CAS orders them), and a fast path that loses
// forwards its call, which the server then serves with the recalled
// state. The fields are plain data, read and written only by the holder.
//
// A slot also records the node's change count at the time its snapshot
// was taken: when anyone changes the file's attributes or contents
// through the server (a chmod by path, a truncate by path, a link), the
// count moves, the fast path forwards, and the server refreshes the slot.
//
// Execution context: Read, ReadAt, Write, WriteAt, Seek and Stat are the
// fast path, called by the trap layer in trap context: they allocate
// nothing, take no lock and write no heap pointer (make vet checks the
// package as trap code). The rest is for the server threads, ordinary Go
// that allocates nothing either. The memory the fast path touches must be
// present: the table is in the image, and a window's pages are written
// once by the server when it makes one.
package client

import (
	"runtime"
	"sync/atomic"

	"k42/kernel/linux"
)

// MaxSlots is the number of slots: one per server handle.
const MaxSlots = 4096

// States of a slot.
const (
	Free uint32 = iota
	Idle
	Busy
	Server
	Recalled
)

// Fast-path operations, for the counters.
const (
	OpRead = iota
	OpWrite
	OpSeek
	OpStat
	NumOps
)

// Slot is one session's client-side state. Its exported fields belong to
// the holder of the state word (see the package doc).
type Slot struct {
	state atomic.Uint32
	_     [60]byte // the state word alone in its line pair's first line

	Off    int64  // the description's offset
	Len    int64  // the file's length
	WinOff int64  // file offset of Buf[0]
	WinLen int    // Buf[:WinLen] holds the file's bytes at WinOff
	Lo, Hi int    // Buf[Lo:Hi] is dirty (not yet in the file); Lo == Hi: clean
	Buf    []byte // the window; len(Buf) is its capacity
	// Fixed keeps the window at offset 0 (the small-file cache): a write
	// past len(Buf) is forwarded, for the server to swap the session out.
	Fixed bool
	// Append is the description's O_APPEND.
	Append bool
	// Attr is the attributes when the server last refreshed the slot (its
	// size and times are kept current by the fast path).
	Attr linux.Stat
	// Changes, if set, is the node's change count; Seen its value when
	// Stat was taken. A difference sends every call to the server.
	Changes *atomic.Uint64
	Seen    uint64

	// Fast-path calls served, by operation (written by the holder only).
	Hits [NumOps]uint64
}

// Slots is the table, indexed by server handle.
var Slots [MaxSlots]Slot

// slot returns handle h's slot, or nil.
func slot(h int32) *Slot {
	if h < 0 || h >= MaxSlots {
		return nil
	}
	return &Slots[h]
}

// Take moves h's slot from Idle to Busy, if it is an exclusive session
// whose snapshot is current, and returns it for the caller's one
// fast-path operation (the Slot methods below), after which the caller
// gives it back with Give; nil means forward the call. Fast path.
func Take(h int32) *Slot {
	s := slot(h)
	if s == nil || !s.state.CompareAndSwap(Idle, Busy) {
		return nil
	}
	if s.Changes != nil && s.Changes.Load() != s.Seen {
		s.state.Store(Idle)
		return nil
	}
	return s
}

// Give ends a fast-path call (Busy→Idle). Fast path.
func (s *Slot) Give() { s.state.Store(Idle) }

// State returns h's slot state (for the console and tests).
func State(h int32) uint32 {
	if s := slot(h); s != nil {
		return s.state.Load()
	}
	return Free
}

// The fast-path operations on a slot taken with Take: each returns ok
// false if the window cannot serve it (the caller gives the slot back and
// forwards the call), else its result (a count, an offset, or -errno).

// Read reads at the slot's offset into p and advances it.
func (s *Slot) Read(p []byte) (int64, bool) {
	n, ok := s.readAt(p, s.Off)
	if ok {
		s.Off += n
		s.Hits[OpRead]++
	}
	return n, ok
}

// ReadAt is pread64.
func (s *Slot) ReadAt(p []byte, off int64) (int64, bool) {
	if off < 0 {
		return 0, false // the server says EINVAL
	}
	n, ok := s.readAt(p, off)
	if ok {
		s.Hits[OpRead]++
	}
	return n, ok
}

// Write writes p at the slot's offset (at the end, with O_APPEND) and
// advances it, stamping the file's times with now.
func (s *Slot) Write(p []byte, now linux.Timespec) (int64, bool) {
	off := s.Off
	if s.Append {
		off = s.Len
	}
	n, ok := s.writeAt(p, off, now)
	if ok {
		s.Off = off + n
		s.Hits[OpWrite]++
	}
	return n, ok
}

// WriteAt is pwrite64 (not with O_APPEND, where Linux appends: that is
// forwarded).
func (s *Slot) WriteAt(p []byte, off int64, now linux.Timespec) (int64, bool) {
	if off < 0 || s.Append {
		return 0, false
	}
	n, ok := s.writeAt(p, off, now)
	if ok {
		s.Hits[OpWrite]++
	}
	return n, ok
}

// Lseek is lseek with SEEK_SET, SEEK_CUR or SEEK_END (the others are
// forwarded): the new offset, or -EINVAL.
func (s *Slot) Lseek(off int64, whence int) (int64, bool) {
	base := int64(0)
	switch whence {
	case 0:
	case 1:
		base = s.Off
	case 2:
		base = s.Len
	default:
		return 0, false
	}
	s.Hits[OpSeek]++
	nw := base + off
	if nw < 0 || (off > 0 && nw < base) {
		return -int64(linux.EINVAL), true
	}
	s.Off = nw
	return nw, true
}

// Stat fills st with the session's view of the file.
func (s *Slot) Stat(st *linux.Stat) {
	*st = s.Attr
	st.Size = s.Len
	if b := (s.Len + 4095) / 4096 * 8; b > st.Blocks {
		st.Blocks = b // written but not yet given back: pages it will take
	}
	s.Hits[OpStat]++
}

func (s *Slot) readAt(p []byte, off int64) (int64, bool) {
	if off >= s.Len {
		return 0, true // end of file: the length is the session's
	}
	end := off + int64(len(p))
	if end > s.Len || end < off {
		end = s.Len
	}
	if off < s.WinOff || end > s.WinOff+int64(s.WinLen) {
		return 0, false
	}
	return int64(copy(p, s.Buf[off-s.WinOff:end-s.WinOff])), true
}

func (s *Slot) writeAt(p []byte, off int64, now linux.Timespec) (int64, bool) {
	if len(p) == 0 {
		return 0, true
	}
	end := off + int64(len(p))
	win := s.WinOff + int64(s.WinLen)
	if off < s.WinOff || off > win || end > s.WinOff+int64(len(s.Buf)) || end < off {
		return 0, false // a hole, or past the window: the server's
	}
	lo, hi := int(off-s.WinOff), int(end-s.WinOff)
	copy(s.Buf[lo:hi], p)
	if s.Lo == s.Hi {
		s.Lo, s.Hi = lo, hi
	} else {
		s.Lo, s.Hi = min(s.Lo, lo), max(s.Hi, hi)
	}
	s.WinLen = max(s.WinLen, hi)
	s.Len = max(s.Len, end)
	s.Attr.Mtime, s.Attr.Ctime = now, now
	return int64(len(p)), true
}

// The server's side. Ordinary Go.

// ReadAtHeld is ReadAt for the slot's holder: ok false if the window does
// not hold what p asks for.
func (s *Slot) ReadAtHeld(p []byte, off int64) (int64, bool) { return s.readAt(p, off) }

// WriteAtHeld is WriteAt for the slot's holder: ok false if p does not
// land in the window next to what it holds.
func (s *Slot) WriteAtHeld(p []byte, off int64, now linux.Timespec) (int64, bool) {
	return s.writeAt(p, off, now)
}

// Acquire makes the calling server thread the holder of h's slot, from
// Idle or Recalled, and reports whether it did: false if the slot is Free
// (no session). It spins while a fast-path call holds the slot and yields
// while another server thread does.
func Acquire(h int32) bool {
	s := slot(h)
	if s == nil {
		return false
	}
	for spins := 0; ; spins++ {
		switch st := s.state.Load(); st {
		case Free:
			return false
		case Idle, Recalled:
			if s.state.CompareAndSwap(st, Server) {
				return true
			}
		case Server:
			runtime.Gosched()
		default: // Busy: a fast path on another CPU, with interrupts off
			if spins > 64 {
				runtime.Gosched()
			}
		}
	}
}

// Get returns h's slot, for its holder (after Acquire, or while Free
// before Publish).
func Get(h int32) *Slot { return slot(h) }

// Release gives the slot back to the fast path (Server→Idle).
func Release(h int32) { slot(h).state.Store(Idle) }

// Recall leaves the slot Recalled (its holder has taken the state out):
// the fast path forwards until a server takes it again.
func Recall(h int32) { slot(h).state.Store(Recalled) }

// Publish opens a Free slot, whose fields the caller has set, to the
// fast path.
func Publish(h int32) { slot(h).state.Store(Idle) }

// Clear ends h's session: the slot is Free. Its window's memory stays for
// the next session of the handle (a new window is allocated, and its pages
// touched, only when the size differs). Its holder
// (or, for a Free slot, the server that owns the handle) calls it.
func Clear(h int32) {
	s := slot(h)
	s.Changes = nil // the window (Buf) stays, for the handle's next session
	s.Off, s.Len, s.WinOff, s.WinLen, s.Lo, s.Hi, s.Fixed, s.Append = 0, 0, 0, 0, 0, 0, false, false
	s.state.Store(Free)
}

// Hits returns h's fast-path counts (racy: for the console).
func Hits(h int32) [NumOps]uint64 {
	if s := slot(h); s != nil {
		return s.Hits
	}
	return [NumOps]uint64{}
}
