package ppc64

// Radix page tables (Power ISA 3.0 Book III, "Radix Tree Translation").
//
// This file is portable: it builds and edits a radix tree in memory that a
// TableMemory provides, so the host tests run it over an ordinary Go arena
// and the kernel runs it over physical memory. Why the kernel uses radix
// rather than the hashed page table is in the package documentation in
// mmu_ppc64.go.
//
// The tree translates a 52-bit effective address with four levels, the
// only shape POWER9 supports for a 52-bit space with 64 KiB base pages:
//
//	level  entries  each entry maps       entry may be a leaf
//	0      2^13     2^39 bytes (512 GiB)  no
//	1      2^9      1 GiB                 yes: a 1 GiB page
//	2      2^9      2 MiB                 yes: a 2 MiB page
//	3      2^5      64 KiB                always
//
// A table of 2^n entries of 8 bytes is 2^(n+3) bytes and must be aligned
// to its size: the root is 64 KiB, levels 1 and 2 are 4 KiB, level 3 is
// 256 bytes. Entries are big-endian doublewords (ppc64's native order):
//
//	directory entry:  V=1 (bit 0) | L=0 | NLB (bits 4:55, next table's
//	                  address) | NLS (bits 59:63, log2 of its entries)
//	leaf (PTE):       V=1 | L=1 (bit 1) | RPN (bits 7:51, real page) |
//	                  R (bit 55) | C (bit 56) | ATT (bits 58:59) |
//	                  EAA (bits 60:63: privileged, read, read/write, execute)
//
// QEMU does not set R and C for the guest: an access to a page whose R
// (or, for a store, C) bit is clear takes a storage interrupt. Every leaf
// is therefore written with R and C set.

// Page sizes of the radix tree with 64 KiB base pages.
const (
	PageShift = 16
	PageSize  = 1 << PageShift // 64 KiB: the base page
	Page2M    = 1 << 21
	Page1G    = 1 << 30

	// RadixBits is the size of the translated effective address space.
	RadixBits = 52

	// TableBlock is the size and alignment of the blocks a TableMemory
	// hands out. The root takes one; the other tables are carved from
	// others.
	TableBlock = 64 << 10
)

// MSRTranslate turns on instruction and data translation. A thread whose
// saved MSR is MSRKernel|MSRTranslate runs with the radix MMU; interrupts
// still enter the kernel in real mode (LPCR[AIL] = 0), where the identity
// map makes every address mean the same thing.
const MSRTranslate = MSR_IR | MSR_DR

// Level geometry (see the table above).
var (
	levelBits  = [4]uint{13, 9, 9, 5}
	levelShift = [4]uint{39, 30, 21, 16}
)

// Entry bits.
const (
	pteValid = 1 << 63
	pteLeaf  = 1 << 62
	pdeNLB   = 0x0FFFFFFFFFFFFF00 // next-level base; also a process-table RPDB
	pdeNLS   = 0x1F               // next-level size
	pteRPN   = 0x01FFFFFFFFFFF000 // real page number, as an address
	pteR     = 0x100              // referenced
	pteC     = 0x080              // changed
	attrMask = 0x3F               // ATT and EAA
	maxPA    = 1 << 57            // the RPN field's reach

	// rts52 is the RTS field of a process-table entry for a 52-bit tree:
	// RTS = 52 - 31 = 0b10101, split over bits 1:2 and 56:58.
	rts52 = 2<<61 | 5<<5
)

// Attr is the access part of a leaf: the storage attribute (ATT) and the
// encoded access authority (EAA).
type Attr uint64

const (
	AttrExec       Attr = 0x1  // instruction fetch allowed
	AttrWrite      Attr = 0x2  // loads and stores allowed
	AttrRead       Attr = 0x4  // loads allowed
	AttrPrivileged Attr = 0x8  // no access in problem state (MSR[PR]=1)
	AttrSAO        Attr = 0x10 // strong access ordering
	AttrIO         Attr = 0x20 // non-idempotent I/O: cache-inhibited, guarded
	AttrIOTolerant Attr = 0x30 // tolerant I/O: cache-inhibited

	// AttrKernel is RAM for the kernel and the Go runtime, which run in
	// supervisor state: privileged, readable, writable, executable,
	// ordinary cacheable memory.
	AttrKernel = AttrPrivileged | AttrRead | AttrWrite | AttrExec
)

// TableMemory is the memory a PageTable lives in: blocks of TableBlock
// bytes, aligned to TableBlock and zeroed, at physical addresses, and word
// access to them. The kernel accesses them through the identity map (or
// in real mode); the host tests use a Go array.
type TableMemory interface {
	// AllocTable returns a zeroed, TableBlock-aligned block of
	// TableBlock bytes, or ok = false.
	AllocTable() (pa uint64, ok bool)
	// Load and Store read and write the doubleword at pa.
	Load(pa uint64) uint64
	Store(pa, v uint64)
	// Barrier orders the stores made so far before those that follow,
	// as seen by another processor's table walk (lwsync in the kernel).
	Barrier()
}

// MMUError says why a page-table or MMU operation failed.
type MMUError uint8

const (
	ErrUnaligned MMUError = iota + 1 // address or size not a multiple of 64 KiB
	ErrRange                         // beyond the 52-bit space or wrapping
	ErrAttr                          // bits outside ATT and EAA
	ErrNoMemory                      // TableMemory had no block
	ErrNoTable                       // the PageTable was not initialised
	ErrNoRadix                       // the platform does not offer radix
	ErrRegister                      // H_REGISTER_PROC_TBL failed
)

func (e MMUError) Error() string {
	switch e {
	case ErrUnaligned:
		return "radix: address or size not a multiple of 64 KiB"
	case ErrRange:
		return "radix: range beyond the 52-bit address space"
	case ErrAttr:
		return "radix: invalid page attributes"
	case ErrNoMemory:
		return "radix: out of page-table memory"
	case ErrNoTable:
		return "radix: page table not initialised"
	case ErrNoRadix:
		return "radix: the platform does not offer the radix MMU"
	case ErrRegister:
		return "radix: H_REGISTER_PROC_TBL refused the process table"
	}
	return "radix: unknown error"
}

// Flush says which TLB invalidations a change to a page table in use
// needs: the sizes of the translations that were removed, replaced or
// split, and whether a directory or table was freed (page-walk caches).
type Flush uint8

const (
	Flush64K  Flush = 1 << iota // a 64 KiB translation changed
	Flush2M                     // a 2 MiB translation changed
	Flush1G                     // a 1 GiB translation changed
	FlushWalk                   // a table was unlinked: flush the walk caches too
)

func flushFor(level int) Flush {
	switch level {
	case 1:
		return Flush1G
	case 2:
		return Flush2M
	case 3:
		return Flush64K
	}
	return FlushWalk
}

// PageTable is a radix tree for one address space. It does no locking:
// the caller serialises changes. Tables it frees are kept on pending
// lists and reused only after Reclaim, which the caller calls once it has
// invalidated the TLB as the FlushWalk result of the change required.
// Table memory is never given back to the TableMemory.
type PageTable struct {
	mem  TableMemory
	root uint64

	blocks          int    // blocks taken from mem
	carve, carveHi  uint64 // rest of the current block, carved in 4 KiB pieces
	cut, cutHi      uint64 // rest of the current 4 KiB piece, in 256-byte pieces
	free4K, free256 uint64 // reusable pieces, linked through their first word
	dead4K, dead256 uint64 // freed pieces awaiting Reclaim
}

// Init makes pt an empty tree whose tables come from mem.
func (pt *PageTable) Init(mem TableMemory) error {
	*pt = PageTable{mem: mem}
	root, ok := mem.AllocTable()
	if !ok {
		return ErrNoMemory
	}
	pt.blocks = 1
	pt.root = root
	return nil
}

// Root returns the physical address of the root directory (level 0).
func (pt *PageTable) Root() uint64 { return pt.root }

// TableBytes returns the page-table memory taken from the TableMemory.
func (pt *PageTable) TableBytes() uint64 { return uint64(pt.blocks) * TableBlock }

// ProcessTableEntry returns the first doubleword of the process-table
// entry that selects pt: a 52-bit tree (RTS), the root's address (RPDB)
// and its size, 2^13 entries (RPDS). The second doubleword is 0.
func (pt *PageTable) ProcessTableEntry() uint64 {
	return rts52 | pt.root&pdeNLB | uint64(levelBits[0])
}

// tableSize is the size in bytes of a table at level.
func tableSize(level int) uint64 { return 8 << levelBits[level] }

// entry returns the address of va's entry in table, a table at level.
func entry(table uint64, level int, va uint64) uint64 {
	i := va >> levelShift[level] & (1<<levelBits[level] - 1)
	return table + 8*i
}

// dirEntry is a directory entry pointing at table, a table at level.
func dirEntry(table uint64, level int) uint64 {
	return pteValid | table&pdeNLB | uint64(levelBits[level])
}

// leafEntry is a leaf mapping pa with attr, referenced and changed.
func leafEntry(pa uint64, attr Attr) uint64 {
	return pteValid | pteLeaf | pa&pteRPN | pteR | pteC | uint64(attr)
}

// allocTable returns a zeroed table for level (1, 2 or 3).
func (pt *PageTable) allocTable(level int) (uint64, bool) {
	if tableSize(level) == 256 {
		return pt.alloc256()
	}
	return pt.alloc4K()
}

func (pt *PageTable) alloc4K() (uint64, bool) {
	if p := pt.free4K; p != 0 {
		pt.free4K = pt.mem.Load(p)
		pt.mem.Store(p, 0)
		return p, true
	}
	if pt.carve == pt.carveHi {
		b, ok := pt.mem.AllocTable()
		if !ok {
			return 0, false
		}
		pt.blocks++
		pt.carve, pt.carveHi = b, b+TableBlock
	}
	p := pt.carve
	pt.carve += 4096
	return p, true
}

func (pt *PageTable) alloc256() (uint64, bool) {
	if p := pt.free256; p != 0 {
		pt.free256 = pt.mem.Load(p)
		pt.mem.Store(p, 0)
		return p, true
	}
	if pt.cut == pt.cutHi {
		b, ok := pt.alloc4K()
		if !ok {
			return 0, false
		}
		pt.cut, pt.cutHi = b, b+4096
	}
	p := pt.cut
	pt.cut += 256
	return p, true
}

// freeTable puts an all-zero table at level on a pending list.
func (pt *PageTable) freeTable(table uint64, level int) {
	if tableSize(level) == 256 {
		pt.mem.Store(table, pt.dead256)
		pt.dead256 = table
		return
	}
	pt.mem.Store(table, pt.dead4K)
	pt.dead4K = table
}

// Reclaim makes the tables freed so far reusable. Call it after the TLB
// invalidation that the changes which freed them asked for (FlushWalk):
// until then another processor's page-walk cache may still point at them.
func (pt *PageTable) Reclaim() {
	for p := pt.dead4K; p != 0; {
		next := pt.mem.Load(p)
		pt.mem.Store(p, pt.free4K)
		pt.free4K = p
		p = next
	}
	for p := pt.dead256; p != 0; {
		next := pt.mem.Load(p)
		pt.mem.Store(p, pt.free256)
		pt.free256 = p
		p = next
	}
	pt.dead4K, pt.dead256 = 0, 0
}

// check validates a range and attributes.
func check(va, pa, size uint64, attr Attr) error {
	if va%PageSize != 0 || pa%PageSize != 0 || size%PageSize != 0 {
		return ErrUnaligned
	}
	if va+size < va || va+size > 1<<RadixBits || pa+size < pa || pa+size > maxPA {
		return ErrRange
	}
	if uint64(attr)&^attrMask != 0 {
		return ErrAttr
	}
	return nil
}

// leafLevel is the level of the largest page that maps va to pa within
// size bytes: 1 GiB, 2 MiB or 64 KiB.
func leafLevel(va, pa, size uint64) int {
	for level := 1; level < 3; level++ {
		s := uint64(1) << levelShift[level]
		if (va|pa)&(s-1) == 0 && size >= s {
			return level
		}
	}
	return 3
}

// Map maps [va, va+size) to [pa, pa+size) with attr, using the largest
// pages that alignment and size allow. A mapping already in the range is
// replaced (the result says which TLB entries that makes stale); a larger
// page that only partly overlaps the range is split so that the rest of
// it keeps its translation. On error the range may be partly mapped.
func (pt *PageTable) Map(va, pa, size uint64, attr Attr) (Flush, error) {
	if pt.root == 0 {
		return 0, ErrNoTable
	}
	if err := check(va, pa, size, attr); err != nil {
		return 0, err
	}
	var fl Flush
	for size > 0 {
		level := leafLevel(va, pa, size)
		f, err := pt.setLeaf(va, leafEntry(pa, attr), level)
		fl |= f
		if err != nil {
			return fl, err
		}
		s := uint64(1) << levelShift[level]
		va, pa, size = va+s, pa+s, size-s
	}
	return fl, nil
}

// setLeaf installs leaf as va's entry at level, making the directories on
// the way and splitting larger pages in the way.
func (pt *PageTable) setLeaf(va, leaf uint64, level int) (Flush, error) {
	var fl Flush
	table := pt.root
	for l := 0; l < level; l++ {
		e := entry(table, l, va)
		v := pt.mem.Load(e)
		switch {
		case v&pteValid == 0:
			next, ok := pt.allocTable(l + 1)
			if !ok {
				return fl, ErrNoMemory
			}
			pt.mem.Barrier()
			pt.mem.Store(e, dirEntry(next, l+1))
			table = next
		case v&pteLeaf != 0:
			next, f, err := pt.split(e, v, l)
			fl |= f
			if err != nil {
				return fl, err
			}
			table = next
		default:
			table = v & pdeNLB
		}
	}
	e := entry(table, level, va)
	old := pt.mem.Load(e)
	pt.mem.Store(e, leaf)
	if old&pteValid != 0 {
		if old&pteLeaf != 0 {
			fl |= flushFor(level)
		} else {
			fl |= pt.freeTree(old&pdeNLB, level+1)
		}
	}
	return fl, nil
}

// split replaces the leaf v at entry e (at level) by a table of the next
// level whose leaves together map the same memory with the same
// attributes, and returns that table.
func (pt *PageTable) split(e, v uint64, level int) (uint64, Flush, error) {
	if level+1 > 3 {
		return 0, 0, ErrRange
	}
	next, ok := pt.allocTable(level + 1)
	if !ok {
		return 0, 0, ErrNoMemory
	}
	base := v & pteRPN &^ (uint64(1)<<levelShift[level] - 1)
	keep := v &^ pteRPN // valid, leaf, R, C, attributes
	step := uint64(1) << levelShift[level+1]
	for i := uint64(0); i < 1<<levelBits[level+1]; i++ {
		pt.mem.Store(next+8*i, keep|(base+i*step)&pteRPN)
	}
	pt.mem.Barrier() // the table is complete before it is linked
	pt.mem.Store(e, dirEntry(next, level+1))
	return next, flushFor(level), nil
}

// freeTree frees the table at level and every table below it, and says
// which translations went with them.
func (pt *PageTable) freeTree(table uint64, level int) Flush {
	fl := FlushWalk
	for i := uint64(0); i < 1<<levelBits[level]; i++ {
		v := pt.mem.Load(table + 8*i)
		if v&pteValid == 0 {
			continue
		}
		pt.mem.Store(table+8*i, 0)
		if v&pteLeaf != 0 {
			fl |= flushFor(level)
		} else {
			fl |= pt.freeTree(v&pdeNLB, level+1)
		}
	}
	pt.freeTable(table, level)
	return fl
}

// empty reports whether a table at level has no valid entry.
func (pt *PageTable) empty(table uint64, level int) bool {
	for i := uint64(0); i < 1<<levelBits[level]; i++ {
		if pt.mem.Load(table+8*i)&pteValid != 0 {
			return false
		}
	}
	return true
}

// Unmap removes every translation in [va, va+size). Larger pages that
// only partly overlap the range are split; tables left empty are freed.
func (pt *PageTable) Unmap(va, size uint64) (Flush, error) {
	if pt.root == 0 {
		return 0, ErrNoTable
	}
	if err := check(va, 0, size, 0); err != nil {
		return 0, err
	}
	if size == 0 {
		return 0, nil
	}
	return pt.unmap(pt.root, 0, va, va+size)
}

func (pt *PageTable) unmap(table uint64, level int, lo, hi uint64) (Flush, error) {
	var fl Flush
	span := uint64(1) << levelShift[level]
	for a := lo; a < hi; {
		next := a&^(span-1) + span
		end := min(hi, next)
		e := entry(table, level, a)
		v := pt.mem.Load(e)
		whole := a&(span-1) == 0 && end == next
		switch {
		case v&pteValid == 0:
		case whole:
			pt.mem.Store(e, 0)
			if v&pteLeaf != 0 {
				fl |= flushFor(level)
			} else {
				fl |= pt.freeTree(v&pdeNLB, level+1)
			}
		default:
			sub := v & pdeNLB
			if v&pteLeaf != 0 {
				t, f, err := pt.split(e, v, level)
				fl |= f
				if err != nil {
					return fl, err
				}
				sub = t
			}
			f, err := pt.unmap(sub, level+1, a, end)
			fl |= f
			if err != nil {
				return fl, err
			}
			if pt.empty(sub, level+1) {
				pt.mem.Store(e, 0)
				pt.freeTable(sub, level+1)
				fl |= FlushWalk
			}
		}
		a = end
	}
	return fl, nil
}

// Translate walks the tree for va as the MMU would and returns the real
// address, the size of the page that maps it and its attributes.
func (pt *PageTable) Translate(va uint64) (pa, pageSize uint64, attr Attr, ok bool) {
	if pt.root == 0 || va >= 1<<RadixBits {
		return 0, 0, 0, false
	}
	table := pt.root
	for level := 0; level < 4; level++ {
		v := pt.mem.Load(entry(table, level, va))
		if v&pteValid == 0 {
			return 0, 0, 0, false
		}
		if v&pteLeaf != 0 {
			size := uint64(1) << levelShift[level]
			return v&pteRPN&^(size-1) | va&(size-1), size, Attr(v & attrMask), true
		}
		table = v & pdeNLB
	}
	return 0, 0, 0, false
}

// NextLeaf returns the first valid leaf that maps any of [va, end): its
// first address, the real address it maps and its size. Empty parts of
// the tree are skipped a directory at a time, so walking a large sparse
// range costs little. It takes no callback, so the kernel's trap handler
// can iterate with it without allocating.
func (pt *PageTable) NextLeaf(va, end uint64) (lva, pa, size uint64, ok bool) {
	if pt.root == 0 {
		return 0, 0, 0, false
	}
	return pt.nextLeaf(pt.root, 0, va, min(end, 1<<RadixBits))
}

func (pt *PageTable) nextLeaf(table uint64, level int, lo, hi uint64) (uint64, uint64, uint64, bool) {
	span := uint64(1) << levelShift[level]
	for a := lo; a < hi; {
		next := a&^(span-1) + span
		end := min(hi, next)
		v := pt.mem.Load(entry(table, level, a))
		if v&pteValid != 0 {
			if v&pteLeaf != 0 {
				return a &^ (span - 1), v & pteRPN &^ (span - 1), span, true
			}
			if l, p, s, ok := pt.nextLeaf(v&pdeNLB, level+1, a, end); ok {
				return l, p, s, true
			}
		}
		a = end
	}
	return 0, 0, 0, false
}
