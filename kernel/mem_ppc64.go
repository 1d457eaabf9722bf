package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
	"k42/kernel/frames"
	"k42/kernel/vm"
)

// Virtual memory. The kernel keeps its identity map of physical RAM
// (image, frames, page tables, stacks: a kernel address is a physical
// one), and the program's mmap memory lives in a separate virtual range
// above any RAM, [userLo, userHi), described by the area table userVM:
//
//   - mmap places a mapping (at the hint when it is free, as Linux does,
//     otherwise first fit from userBase) and records it; no frame is
//     taken, so PROT_NONE reservations and untouched memory cost nothing.
//   - The first access to an accessible page takes a data or instruction
//     storage interrupt; demandFault maps a zeroed frame there and the
//     thread retries the instruction.
//   - munmap, madvise(MADV_DONTNEED/MADV_FREE) and MAP_FIXED over mapped
//     pages unmap them, invalidate the translations on every CPU (tlbie,
//     broadcast) and only then give the frames back. DONTNEED keeps the
//     area, so the next touch is a fresh zero page.
//   - mprotect changes the area and rewrites the present pages' entries
//     (PROT_NONE pages keep their frame with no access rights).
//
// The trap handler runs with data translation on (trapEntry sets MSR[DR]
// once translation is set up; instruction fetch stays real), so it sees
// user virtual addresses as the program does and the kernel's own
// memory through the identity map. validUser therefore faults the pages
// of a user range in, under memLock, before a handler touches them, and
// a handler can then use a user buffer as one contiguous slice even
// when its frames are scattered.
//
// Device memory is mapped cache-inhibited and guarded in a window of its
// own, [devBase, devHi), by MapDevice.

const (
	userLo   = 1 << 36 // hints are honoured from here (above any RAM)
	userBase = 1 << 40 // first-fit placement starts here
	userHi   = 1 << 48
	devBase  = 1 << 50
	devHi    = 1 << 51
	pageSize = frames.Size
)

var (
	memLock spinlock // guards phys, userVM, the page table and devNext
	phys    frames.Allocator
	userVM  vm.Space
	devNext uint64 = devBase

	demandFaults atomic.Uint64 // pages backed on first touch
	pagesFreed   atomic.Uint64 // pages unmapped with their frames freed
)

const (
	protNone          = 0
	protWrite         = 2
	protRW            = 3
	protExec          = 4
	mapFixed          = 0x10
	mapAnon           = 0x20
	mapFixedNoReplace = 0x100000
	madvDontneed      = 4
	madvFree          = 8
)

// initVM sets up the user address space and moves the page table's
// allocator off the boot's (which stops the boot when memory runs out).
// It runs once, at boot, after SetupRadix.
func initVM() {
	userVM.Init(userLo, userBase, userHi, pageSize)
	// The fault report's stack must lie above every goroutine stack (the
	// compiled stack checks compare SP with the goroutine's guard), so its
	// frames are mapped at the top of the user range, as an area of their
	// own that mmap will not hand out.
	if faultStackTop != 0 {
		va := uint64(userHi - faultStackSize)
		if _, err := ppc64.KernelTable().Map(va, faultStackTop-faultStackSize, faultStackSize, ppc64.AttrKernel); err == nil {
			userVM.Insert(va, userHi, protRW)
			faultStackTop = userHi
		} else {
			faultStackTop = 0
		}
		ppc64.PTESync()
	}
	ppc64.SetTableAlloc(tableFrames)
	ppc64.SetTrapTranslation(true)
}

// tableFrames gives the page table a zeroed block, or 0. memLock is held
// (or the boot is single-threaded).
func tableFrames(n uint64) uint64 {
	p, ok := phys.Alloc(frames.Frames(n), 0, zeroFrames)
	if !ok {
		return 0
	}
	return p
}

// zeroFrames clears memory that is handed out again.
func zeroFrames(addr, n uint64) { clear(physBytes(addr, n)) }

func memUsed() uint64 {
	return uint64(phys.Used()) << frames.Shift
}

// pageAttr is the page-table access for a protection. All memory is the
// kernel's (the Go runtime runs privileged), so every page is privileged;
// PROT_NONE pages have no access at all.
func pageAttr(prot uint32) ppc64.Attr {
	a := ppc64.AttrPrivileged
	if prot != protNone {
		a |= ppc64.AttrRead
	}
	if prot&protWrite != 0 {
		a |= ppc64.AttrWrite
	}
	if prot&protExec != 0 {
		a |= ppc64.AttrExec
	}
	return a
}

// unmapPages removes the pages present in [start, end), invalidates their
// translations on every CPU and then frees their frames. memLock is held.
func unmapPages(start, end uint64) {
	pt := ppc64.KernelTable()
	var batch [64]uint64
	for a := start; a < end; {
		n, stop, scan := 0, end, a
		for n < len(batch) {
			l, pa, size, ok := pt.NextLeaf(scan, end)
			if !ok {
				break
			}
			if size == pageSize {
				batch[n] = pa
				n++
			}
			scan = l + size
		}
		if n == len(batch) {
			stop = scan
		}
		if n == 0 {
			return
		}
		fl, _ := pt.Unmap(a, stop-a)
		ppc64.InvalidateTLB(a, stop-a, fl)
		vmGen.Add(1) // after the unmap: see presentCache
		pt.Reclaim()
		for _, pa := range batch[:n] {
			phys.Free(pa, pageSize)
		}
		pagesFreed.Add(uint64(n))
		a = stop
	}
}

// reserveFrames are kept from the program's pages: the kernel's own
// needs (page tables, device mappings) can still be met, and the
// out-of-memory report made, once the program has taken the rest.
const reserveFrames = 16

// backPage maps a zeroed frame at page (in an accessible area) unless
// one is there. memLock is held. It reports false when memory ran out.
func backPage(page uint64, prot uint32) bool {
	pt := ppc64.KernelTable()
	if _, _, _, ok := pt.Translate(page); ok {
		return true
	}
	if phys.Total()-phys.Used() <= reserveFrames {
		return false
	}
	pa, ok := phys.Alloc(1, 0, zeroFrames)
	if !ok {
		return false
	}
	if _, err := pt.Map(page, pa, pageSize, pageAttr(prot)); err != nil {
		phys.Free(pa, pageSize)
		return false
	}
	ppc64.PTESync() // an invalid entry made valid: no TLB entry to remove
	demandFaults.Add(1)
	return true
}

// Storage-interrupt causes (DSISR for data, SRR1 for instruction).
const dsisrStore = 0x02000000

// Outcomes of demandFault.
const (
	faultRetry  = iota // the page is there now: retry the access
	faultDenied        // inside an area that does not allow the access
	faultWild          // outside every area
	faultNoMem         // no frame left
)

// demandFault handles a storage interrupt of t at a user address.
func demandFault(t *Thread) int {
	addr, store, exec := t.Ctx.DAR, t.Ctx.DSISR&dsisrStore != 0, false
	if t.Ctx.Trap == ppc64.VecInstStorage {
		addr, store, exec = t.Ctx.PC, false, true
	}
	if !userVM.Inside(addr, 1) {
		return faultWild
	}
	memLock.lock()
	defer memLock.unlock()
	a, ok := userVM.Find(addr)
	switch {
	case !ok:
		return faultWild
	case a.Prot == protNone, store && a.Prot&protWrite == 0, exec && a.Prot&protExec == 0:
		return faultDenied
	}
	page := addr &^ (pageSize - 1)
	if pa, _, attr, ok := ppc64.KernelTable().Translate(page); ok && attr != pageAttr(a.Prot) {
		// A stale entry (protection raised since): rewrite it.
		fl, _ := ppc64.KernelTable().Map(page, pa&^(pageSize-1), pageSize, pageAttr(a.Prot))
		ppc64.InvalidateTLB(page, pageSize, fl)
		return faultRetry
	}
	if !backPage(page, a.Prot) {
		return faultNoMem
	}
	return faultRetry
}

// faultIn makes [addr, addr+n) of user memory present for the trap
// handler: every page must lie in an accessible area. It runs in the trap
// handler. Memory running out while it backs the pages is the program's
// out-of-memory condition (oomKill), as a page fault would be.
func faultIn(addr, n uint64) bool {
	if n == 0 {
		return userVM.Inside(addr, 1)
	}
	if !userVM.Inside(addr, n) {
		return false
	}
	memLock.lock()
	gen := vmGen.Load()
	for p := addr &^ (pageSize - 1); p < addr+n; p += pageSize {
		a, ok := userVM.Find(p)
		if !ok || a.Prot == protNone {
			memLock.unlock()
			return false
		}
		if !backPage(p, a.Prot) {
			memLock.unlock()
			oomKill()
		}
		rememberPresent(p, gen)
	}
	memLock.unlock()
	return true
}

// vmGen counts the changes that can take present user pages away or
// make them inaccessible (unmaps, protection changes). It is bumped
// under memLock, after the change.
var vmGen atomic.Uint64

// presentCache remembers user pages faultIn found present and
// accessible, with the generation it found them in: while vmGen has not
// moved, they still are, and validUser need not look again (the common
// case: the same buffers, and the runtime's own structures, over and
// over). Entries are one word each, (page index << 33 | generation),
// written and read atomically from any CPU; direct-mapped by page.
var presentCache [256]atomic.Uint64

const presentGenBits = 33

// presentKey is the cache word of page in generation gen. It is never 0,
// the value of an empty slot (the generation is stored plus one).
func presentKey(page, gen uint64) uint64 {
	return (page/pageSize)<<presentGenBits | (gen%(1<<presentGenBits-1) + 1)
}

// rememberPresent records page as present in generation gen. memLock is
// held (so gen is current).
func rememberPresent(page, gen uint64) {
	presentCache[(page/pageSize)%uint64(len(presentCache))].Store(presentKey(page, gen))
}

// knownPresent reports whether every page of [addr, addr+n) is in the
// present cache for the current generation.
func knownPresent(addr, n uint64) bool {
	if addr < nilPageEnd || addr+n < addr {
		return false
	}
	gen := vmGen.Load()
	for p := addr &^ (pageSize - 1); p < addr+n; p += pageSize {
		if presentCache[(p/pageSize)%uint64(len(presentCache))].Load() != presentKey(p, gen) {
			return false
		}
	}
	return true
}

// OOMStatus is the exit status of a program killed for want of memory:
// 128 + SIGKILL, what a shell reports for Linux's OOM killer.
const OOMStatus = 128 + 9

// oomKill ends the program when it needs a page and none is left. Like
// Linux's OOM killer, it kills the program with SIGKILL (one process: the
// machine powers off with status 137) and says so in one line with the
// memory figures; no register dump, for this is not a kernel fault. It
// runs in the trap handler and allocates nothing.
func oomKill() {
	memLock.lock()
	total, used, reserved := phys.Total(), phys.Used(), phys.Reserved()
	memLock.unlock()
	touched := int64(demandFaults.Load()) - int64(pagesFreed.Load())
	mib := func(frames int64) int64 { return frames * pageSize >> 20 }
	var k kbuf
	k.s("\nk42: out of memory: killed the program (SIGKILL): ").d(mib(int64(used))).s(" of ").d(mib(int64(total))).
		s(" MiB in use, ").d(mib(touched)).s(" MiB of it the program's pages, ").d(mib(int64(reserved))).s(" MiB the kernel image\n")
	reportWrite(k.bytes())
	powerOff(OOMStatus)
}

// mapDevice serves MapDevice in the trap handler.
func mapDevice(pa, size uint64) int64 {
	if pa%pageSize != 0 || size%pageSize != 0 || size == 0 || pa+size < pa {
		return -eINVAL
	}
	memLock.lock()
	defer memLock.unlock()
	va := devNext
	if va+size > devHi || va+size < va {
		return -eNOMEM
	}
	pt := ppc64.KernelTable()
	fl, err := pt.Map(va, pa, size, ppc64.AttrIO|ppc64.AttrPrivileged|ppc64.AttrRead|ppc64.AttrWrite)
	ppc64.InvalidateTLB(va, size, fl)
	ppc64.PTESync()
	if err != nil {
		fl, _ = pt.Unmap(va, size)
		ppc64.InvalidateTLB(va, size, fl)
		pt.Reclaim()
		return -eNOMEM
	}
	devNext = va + size
	return int64(va)
}

// unmapDevice serves UnmapDevice in the trap handler.
func unmapDevice(va, size uint64) int64 {
	if va < devBase || va+size > devHi || va+size < va || va%pageSize != 0 || size%pageSize != 0 {
		return -eINVAL
	}
	memLock.lock()
	defer memLock.unlock()
	pt := ppc64.KernelTable()
	fl, _ := pt.Unmap(va, size)
	ppc64.InvalidateTLB(va, size, fl)
	pt.Reclaim()
	return 0
}
