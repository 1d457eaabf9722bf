// Package frames is the kernel's physical frame allocator: a bitmap over
// fixed-size frames with first-fit allocation of contiguous runs, address
// hints, claims of exact ranges, and a record of which frames have ever been
// handed out so that only reused frames need zeroing.
//
// A frame allocated as a reservation (no zero function) keeps whatever it
// held; it is marked pending and zeroed when it is claimed for use, so
// that address-space reservations which are never touched cost no zeroing.
//
// An Allocator holds no Go pointers and allocates nothing, so it can live in
// a global, be set up before the Go runtime starts, and be called from the
// kernel's trap handler. It does no locking: callers serialise.
package frames

import "math/bits"

// Shift is log2 of the frame size. The kernel tells the Go runtime this is
// the page size (AT_PAGESZ).
const (
	Shift = 16
	Size  = 1 << Shift
)

// MaxFrames bounds the memory one Allocator can manage (64 GiB).
const MaxFrames = 1 << 20

// Allocator manages frames [0, n) of physical memory starting at address 0.
type Allocator struct {
	n       int
	used    [MaxFrames / 64]uint64 // 1: in use or reserved
	dirty   [MaxFrames / 64]uint64 // 1: handed out since boot, may be non-zero
	pending [MaxFrames / 64]uint64 // 1: reserved, not zeroed yet
	inUse   int
	peak    int
	fixed   int // frames reserved at Init (kernel image, firmware)
	hint    int // where the next first-fit search starts
}

// Init manages memory [0, memBytes) with [0, reservedEnd) reserved for the
// kernel image and firmware. Memory above reservedEnd is taken to be zero.
func (a *Allocator) Init(memBytes, reservedEnd uint64) {
	n := int(memBytes >> Shift)
	if n > MaxFrames {
		n = MaxFrames
	}
	a.n = n
	clear(a.used[:])
	clear(a.dirty[:])
	clear(a.pending[:])
	r := int((reservedEnd + Size - 1) >> Shift)
	if r > n {
		r = n
	}
	for i := 0; i < r; i++ {
		a.set(i)
	}
	a.inUse, a.peak, a.fixed, a.hint = r, r, r, r
}

func (a *Allocator) isUsed(i int) bool { return a.used[i/64]&(1<<(i%64)) != 0 }
func (a *Allocator) set(i int)         { a.used[i/64] |= 1 << (i % 64) }
func (a *Allocator) isDirty(i int) bool {
	return a.dirty[i/64]&(1<<(i%64)) != 0
}

// Total is the number of frames managed, Used the number in use (including
// reserved ones), Peak the most ever in use, Reserved those reserved at Init.
func (a *Allocator) Total() int    { return a.n }
func (a *Allocator) Used() int     { return a.inUse }
func (a *Allocator) Peak() int     { return a.peak }
func (a *Allocator) Reserved() int { return a.fixed }

// Frames returns the number of frames needed for n bytes.
func Frames(n uint64) int { return int((n + Size - 1) >> Shift) }

// free reports whether frames [i, i+n) are all free.
func (a *Allocator) free(i, n int) bool {
	if i < 0 || n <= 0 || i+n > a.n {
		return false
	}
	for j := i; j < i+n; {
		if j%64 == 0 && j+64 <= i+n {
			if a.used[j/64] != 0 {
				return false
			}
			j += 64
			continue
		}
		if a.isUsed(j) {
			return false
		}
		j++
	}
	return true
}

// take marks [i, i+n) used, zeroing frames that were handed out before,
// or, for a reservation (zero == nil), marking them pending.
func (a *Allocator) take(i, n int, zero func(addr, n uint64)) {
	for j := i; j < i+n; j++ {
		bit := uint64(1) << (j % 64)
		if a.isDirty(j) {
			if zero != nil {
				zero(uint64(j)<<Shift, Size)
			} else {
				a.pending[j/64] |= bit
			}
		}
		a.used[j/64] |= bit
		a.dirty[j/64] |= bit
	}
	a.inUse += n
	if a.inUse > a.peak {
		a.peak = a.inUse
	}
}

// Alloc finds n contiguous free frames, at hint if that range is free,
// otherwise first fit, and returns the address of the first. Frames that
// were used before are zeroed with zero, or left pending if zero is nil
// (a reservation). ok is false if no run is free.
func (a *Allocator) Alloc(n int, hint uint64, zero func(addr, n uint64)) (addr uint64, ok bool) {
	if n <= 0 {
		return 0, false
	}
	if hint != 0 && hint%Size == 0 {
		if i := int(hint >> Shift); a.free(i, n) {
			a.take(i, n, zero)
			return hint, true
		}
	}
	start := a.search(a.hint, n)
	if start < 0 {
		start = a.search(a.fixed, n)
	}
	if start < 0 {
		return 0, false
	}
	a.take(start, n, zero)
	if n < 64 {
		a.hint = start + n
	}
	return uint64(start) << Shift, true
}

// search returns the first i >= from with [i, i+n) free, or -1.
func (a *Allocator) search(from, n int) int {
	run := 0
	for i := from; i < a.n; {
		w := a.used[i/64]
		if i%64 == 0 && w == 0 && i+64 <= a.n {
			run += 64
			i += 64
		} else if i%64 == 0 && w == ^uint64(0) {
			run = 0
			i += 64
			continue
		} else {
			if w&(1<<(i%64)) != 0 {
				run = 0
				i++
				continue
			}
			run++
			i++
		}
		if run >= n {
			return i - run
		}
	}
	return -1
}

// Claim makes [addr, addr+nbytes) usable memory: free frames are taken
// and pending ones zeroed (a fixed mapping over memory that may already be
// partly reserved). It fails without change if the range leaves memory.
func (a *Allocator) Claim(addr, nbytes uint64, zero func(addr, n uint64)) bool {
	i, n := int(addr>>Shift), Frames(addr%Size+nbytes)
	if i+n > a.n {
		return false
	}
	for j := i; j < i+n; j++ {
		bit := uint64(1) << (j % 64)
		switch {
		case !a.isUsed(j):
			a.take(j, 1, zero)
		case a.pending[j/64]&bit != 0:
			if zero != nil {
				zero(uint64(j)<<Shift, Size)
			}
			a.pending[j/64] &^= bit
		}
	}
	return true
}

// Free returns the frames of [addr, addr+nbytes) that are in use, except
// reserved ones, and reports how many it freed.
func (a *Allocator) Free(addr, nbytes uint64) int {
	i, n := int(addr>>Shift), Frames(addr%Size+nbytes)
	freed := 0
	for j := i; j < i+n && j < a.n; j++ {
		if j < a.fixed || !a.isUsed(j) {
			continue
		}
		a.used[j/64] &^= 1 << (j % 64)
		a.pending[j/64] &^= 1 << (j % 64)
		freed++
	}
	a.inUse -= freed
	if i < a.hint {
		a.hint = max(i, a.fixed)
	}
	return freed
}

// Largest returns the length in frames of the longest free run.
func (a *Allocator) Largest() int {
	best, run := 0, 0
	for i := 0; i < a.n; i++ {
		if i%64 == 0 && i+64 <= a.n && a.used[i/64] == 0 {
			run += 64
			i += 63
		} else if a.isUsed(i) {
			run = 0
		} else {
			run++
		}
		best = max(best, run)
	}
	return best
}

// Count returns the number of used frames by scanning the bitmap; tests use
// it to check the running count.
func (a *Allocator) Count() int {
	c := 0
	for i := 0; i < (a.n+63)/64; i++ {
		c += bits.OnesCount64(a.used[i])
	}
	return c
}
