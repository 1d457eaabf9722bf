// Package vm is the kernel's table of virtual memory areas: the address
// ranges the program has mapped with mmap and their protections, and the
// allocator that places new mappings in the address space.
//
// The table is a fixed, sorted array of non-overlapping areas; adjacent
// areas with the same protection are merged, so the Go runtime's many
// small mmaps of neighbouring memory stay a few entries. It holds no Go
// pointers and never allocates, so the kernel keeps it in a global and
// uses it from its trap handler (under its memory lock: a Space does no
// locking of its own).
//
// Placement follows Linux: a hint is taken when the whole range there is
// free and inside the space; otherwise the first fit from Base upwards.
package vm

// MaxAreas bounds the number of areas one Space holds.
const MaxAreas = 1024

// Protections (Linux's PROT_* values).
const (
	ProtNone  = 0
	ProtRead  = 1
	ProtWrite = 2
	ProtExec  = 4
)

// Area is one mapping: [Start, End) with protection Prot.
type Area struct {
	Start, End uint64
	Prot       uint32
	// Sealed areas may not be made writable (mprotect adding
	// PROT_WRITE fails): a shared mapping of a file whose writes would
	// not reach the file.
	Sealed bool
}

// Len is the area's size in bytes.
func (a Area) Len() uint64 { return a.End - a.Start }

// Space is an address space's areas. Lo and Hi bound every area (hints
// are honoured anywhere in [Lo, Hi)); Base is where first-fit placement
// starts; Page is the granule every address and length is a multiple of.
type Space struct {
	Lo, Base, Hi, Page uint64

	n     int
	areas [MaxAreas]Area
}

// Init empties s and sets its bounds.
func (s *Space) Init(lo, base, hi, page uint64) {
	*s = Space{Lo: lo, Base: base, Hi: hi, Page: page}
}

// Len returns the number of areas.
func (s *Space) Len() int { return s.n }

// At returns area i, in address order.
func (s *Space) At(i int) Area { return s.areas[i] }

// Mapped returns the total size of the areas.
func (s *Space) Mapped() uint64 {
	var t uint64
	for i := 0; i < s.n; i++ {
		t += s.areas[i].Len()
	}
	return t
}

// search returns the index of the first area whose End is above addr.
func (s *Space) search(addr uint64) int {
	lo, hi := 0, s.n
	for lo < hi {
		m := (lo + hi) / 2
		if s.areas[m].End <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Find returns the area holding addr.
func (s *Space) Find(addr uint64) (Area, bool) {
	i := s.search(addr)
	if i < s.n && s.areas[i].Start <= addr {
		return s.areas[i], true
	}
	return Area{}, false
}

// Inside reports whether [addr, addr+n) lies in [Lo, Hi).
func (s *Space) Inside(addr, n uint64) bool {
	return addr >= s.Lo && addr+n >= addr && addr+n <= s.Hi
}

// Free reports whether no area overlaps [addr, addr+n).
func (s *Space) Free(addr, n uint64) bool {
	i := s.search(addr)
	return i == s.n || s.areas[i].Start >= addr+n
}

// Place returns where a new mapping of n bytes goes: at hint if that range
// is inside the space and free, otherwise the lowest free range at or above
// Base. n and hint must be multiples of Page.
func (s *Space) Place(hint, n uint64) (uint64, bool) {
	if n == 0 || n%s.Page != 0 {
		return 0, false
	}
	if hint != 0 && hint%s.Page == 0 && s.Inside(hint, n) && s.Free(hint, n) {
		return hint, true
	}
	a := s.Base
	for i := s.search(a); i < s.n; i++ {
		if s.areas[i].Start >= a+n && a+n >= a {
			break
		}
		a = max(a, s.areas[i].End)
	}
	if !s.Inside(a, n) {
		return 0, false
	}
	return a, true
}

// Room reports whether an operation that may split areas has table
// space: an Insert or Protect adds at most two entries.
func (s *Space) Room() bool { return s.n+2 <= MaxAreas }

// Remove deletes [start, end) from every area, splitting those that cross
// its ends. It reports false, changing nothing, if a split has no room.
func (s *Space) Remove(start, end uint64) bool {
	i := s.search(start)
	if i < s.n && s.areas[i].Start < start && s.areas[i].End > end {
		// One area strictly contains the range: split it in two.
		if s.n == MaxAreas {
			return false
		}
		a := s.areas[i]
		a.Start = end
		s.insertAt(i+1, a)
		s.areas[i].End = start
		return true
	}
	if i < s.n && s.areas[i].Start < start {
		s.areas[i].End = start
		i++
	}
	j := i
	for j < s.n && s.areas[j].End <= end {
		j++
	}
	if j < s.n && s.areas[j].Start < end {
		s.areas[j].Start = end
	}
	s.deleteRange(i, j)
	return true
}

// Insert maps [start, end) with prot, replacing whatever was there.
func (s *Space) Insert(start, end uint64, prot uint32) bool {
	if !s.Room() || !s.Remove(start, end) {
		return false
	}
	i := s.search(start)
	s.insertAt(i, Area{Start: start, End: end, Prot: prot})
	s.merge(i)
	return true
}

// Protect sets the protection of the mapped parts of [start, end). It
// reports false if part of the range is unmapped (as Linux's ENOMEM) or
// the table is full; nothing changes then.
func (s *Space) Protect(start, end uint64, prot uint32) bool {
	return s.change(start, end, func(a *Area) { a.Prot = prot })
}

// Seal marks [start, end), all of it mapped, as never writable again
// (see Area.Sealed); false as Protect.
func (s *Space) Seal(start, end uint64) bool {
	return s.change(start, end, func(a *Area) { a.Sealed = true })
}

// CanWrite reports whether no sealed area lies in [start, end).
func (s *Space) CanWrite(start, end uint64) bool {
	for i := s.search(start); i < s.n && s.areas[i].Start < end; i++ {
		if s.areas[i].End > start && s.areas[i].Sealed {
			return false
		}
	}
	return true
}

// change applies set to the areas covering [start, end), splitting those
// that straddle its ends, then merges around it.
func (s *Space) change(start, end uint64, set func(*Area)) bool {
	if !s.Room() {
		return false
	}
	// The range must be fully mapped.
	a := start
	for i := s.search(start); a < end; i++ {
		if i >= s.n || s.areas[i].Start > a {
			return false
		}
		a = s.areas[i].End
	}
	i := s.search(start)
	if s.areas[i].Start < start {
		x := s.areas[i]
		s.areas[i].End = start
		x.Start = start
		s.insertAt(i+1, x)
		i++
	}
	for ; i < s.n && s.areas[i].Start < end; i++ {
		if s.areas[i].End > end {
			x := s.areas[i]
			s.areas[i].End = end
			x.Start = end
			s.insertAt(i+1, x)
		}
		set(&s.areas[i])
	}
	// Merge around the changed range.
	for k := max(s.search(start)-1, 0); k < s.n-1 && s.areas[k].Start <= end; {
		if !s.mergeNext(k) {
			k++
		}
	}
	return true
}

func (s *Space) insertAt(i int, a Area) {
	copy(s.areas[i+1:s.n+1], s.areas[i:s.n])
	s.areas[i] = a
	s.n++
}

func (s *Space) deleteRange(i, j int) {
	if j <= i {
		return
	}
	copy(s.areas[i:], s.areas[j:s.n])
	s.n -= j - i
}

// mergeNext joins area k with k+1 when they touch and agree.
func (s *Space) mergeNext(k int) bool {
	if a, b := s.areas[k], s.areas[min(k+1, s.n-1)]; k+1 < s.n && a.End == b.Start && a.Prot == b.Prot && a.Sealed == b.Sealed {
		s.areas[k].End = s.areas[k+1].End
		s.deleteRange(k+1, k+2)
		return true
	}
	return false
}

func (s *Space) merge(i int) {
	s.mergeNext(i)
	if i > 0 {
		s.mergeNext(i - 1)
	}
}

// Largest copies up to len(out) of the largest areas into out, largest
// first, and returns how many it copied.
func (s *Space) Largest(out []Area) int {
	k := 0
	for i := 0; i < s.n; i++ {
		a := s.areas[i]
		j := k
		if len(out) == 0 {
			break
		}
		if k < len(out) {
			k++
		} else if a.Len() <= out[k-1].Len() {
			continue
		} else {
			j = k - 1
		}
		for j > 0 && out[j-1].Len() < a.Len() {
			out[j] = out[j-1]
			j--
		}
		out[j] = a
	}
	return k
}
