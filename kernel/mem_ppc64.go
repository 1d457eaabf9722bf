package kernel

import (
	"sync/atomic"
	"syscall"
	"unsafe"

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
func zeroFrames(addr, n uint64) {
	clear(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n))
}

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

// Operations of the k42_mem call. Go code reaches memLock only through
// it: a thread holding memLock must not touch its own (demand-paged)
// stack, or the fault it takes would wait for memLock forever; the trap
// handler runs on the CPU's interrupt stack in kernel memory.
const (
	memOpStats    = iota // MemStats to a1
	memOpVM              // VMStats to a1, up to a3 largest Mappings to a2; returns how many
	memOpMapDev          // map physical [a1, a1+a2) as a device; returns the address
	memOpUnmapDev        // unmap the device mapping [a1, a1+a2)
)

func sysK42MemR(c *CPU, t *Thread) int64 {
	op, a1, a2, a3 := arg(t, 0), arg(t, 1), arg(t, 2), arg(t, 3)
	switch op {
	case memOpStats:
		memLock.lock()
		s := MemStats{phys.Total(), phys.Used(), phys.Peak(), phys.Reserved(), phys.Largest(), frames.Size}
		memLock.unlock()
		if !validUser(a1, uint64(unsafe.Sizeof(s))) {
			return -eFAULT
		}
		*(*MemStats)(ptr(a1)) = s
		return 0
	case memOpVM:
		var buf [16]vm.Area
		n := int(min(a3, uint64(len(buf))))
		memLock.lock()
		s := VMStats{Areas: userVM.Len(), MappedBytes: userVM.Mapped()}
		n = userVM.Largest(buf[:n])
		memLock.unlock()
		s.DemandFaults, s.PagesFreed = demandFaults.Load(), pagesFreed.Load()
		msz := uint64(unsafe.Sizeof(Mapping{}))
		if !validUser(a1, uint64(unsafe.Sizeof(s))) || n > 0 && !validUser(a2, uint64(n)*msz) {
			return -eFAULT
		}
		*(*VMStats)(ptr(a1)) = s
		for i := 0; i < n; i++ {
			*(*Mapping)(ptr(a2 + uint64(i)*msz)) = Mapping{buf[i].Start, buf[i].End, buf[i].Prot}
		}
		return int64(n)
	case memOpMapDev:
		return mapDevice(a1, a2)
	case memOpUnmapDev:
		return unmapDevice(a1, a2)
	}
	return -eINVAL
}

// ReadMemStats returns the frame allocator's figures.
func ReadMemStats() MemStats {
	var s MemStats
	syscall.RawSyscall(sysK42Mem, memOpStats, uintptr(unsafe.Pointer(&s)), 0)
	return s
}

// ReadVMStats returns the address-space figures and fills largest with
// the largest mappings (at most 16), largest first; it returns how many
// it filled.
func ReadVMStats(largest []Mapping) (VMStats, int) {
	var s VMStats
	var p uintptr
	if len(largest) > 0 {
		p = uintptr(unsafe.Pointer(&largest[0]))
	}
	n, _, _ := syscall.RawSyscall6(sysK42Mem, memOpVM, uintptr(unsafe.Pointer(&s)), p, uintptr(len(largest)), 0, 0)
	return s, int(n)
}

// MapDevice maps the physical range [pa, pa+size) cache-inhibited and
// guarded (ppc64.AttrIO), privileged read/write, in the device window and
// returns its virtual address. pa and size must be multiples of 64 KiB.
// The window is handed out in order and not reused.
func MapDevice(pa, size uint64) (uintptr, error) {
	r, _, e := syscall.RawSyscall(sysK42Mem, memOpMapDev, uintptr(pa), uintptr(size))
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// UnmapDevice removes a mapping MapDevice made, on every CPU.
func UnmapDevice(va uintptr, size uint64) error {
	if _, _, e := syscall.RawSyscall(sysK42Mem, memOpUnmapDev, va, uintptr(size)); e != 0 {
		return e
	}
	return nil
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
	}
	memLock.unlock()
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
	consoleWrite(k.bytes())
	powerOff(OOMStatus)
}

func sysMmapMem(c *CPU, t *Thread) int64 {
	addr, length, prot, flags, fd := arg(t, 0), arg(t, 1), uint32(arg(t, 2)), arg(t, 3), int64(arg(t, 4))
	if length == 0 || length > 1<<40 {
		return -eINVAL
	}
	if flags&mapAnon == 0 || fd != -1 && flags&mapAnon == 0 {
		return -19 // ENODEV: no files to map
	}
	n := (length + pageSize - 1) &^ (pageSize - 1)
	memLock.lock()
	defer memLock.unlock()
	if !userVM.Room() {
		return -eNOMEM
	}
	if flags&(mapFixed|mapFixedNoReplace) != 0 {
		if addr%pageSize != 0 {
			return -eINVAL
		}
		if !userVM.Inside(addr, n) {
			return -eNOMEM
		}
		if flags&mapFixed == 0 && !userVM.Free(addr, n) {
			return -17 // EEXIST
		}
		unmapPages(addr, addr+n)
		userVM.Insert(addr, addr+n, prot)
		return int64(addr)
	}
	va, ok := userVM.Place(addr&^(pageSize-1), n)
	if !ok {
		return -eNOMEM
	}
	userVM.Insert(va, va+n, prot)
	return int64(va)
}

func sysMunmapMem(c *CPU, t *Thread) int64 {
	addr, length := arg(t, 0), arg(t, 1)
	n := (length + pageSize - 1) &^ (pageSize - 1)
	if addr%pageSize != 0 || length == 0 || addr+n < addr {
		return -eINVAL
	}
	if !userVM.Inside(addr, n) {
		return 0 // nothing of the program's is there
	}
	memLock.lock()
	defer memLock.unlock()
	if !userVM.Remove(addr, addr+n) {
		return -eNOMEM
	}
	unmapPages(addr, addr+n)
	return 0
}

func sysMadviseMem(c *CPU, t *Thread) int64 {
	addr, length, advice := arg(t, 0), arg(t, 1), arg(t, 2)
	n := (length + pageSize - 1) &^ (pageSize - 1)
	if addr%pageSize != 0 || addr+n < addr {
		return -eINVAL
	}
	if advice == madvDontneed || advice == madvFree {
		if !userVM.Inside(addr, n) {
			return -eNOMEM
		}
		// Anonymous private memory reads back as zeros afterwards.
		memLock.lock()
		unmapPages(addr, addr+n)
		memLock.unlock()
	}
	return 0
}

func sysMprotectMem(c *CPU, t *Thread) int64 {
	addr, length, prot := arg(t, 0), arg(t, 1), uint32(arg(t, 2))
	n := (length + pageSize - 1) &^ (pageSize - 1)
	if addr%pageSize != 0 || addr+n < addr {
		return -eINVAL
	}
	if !userVM.Inside(addr, n) {
		return -eNOMEM
	}
	memLock.lock()
	defer memLock.unlock()
	if !userVM.Protect(addr, addr+n, prot) {
		return -eNOMEM
	}
	pt := ppc64.KernelTable()
	var fl ppc64.Flush
	for a := addr; a < addr+n; {
		l, pa, size, ok := pt.NextLeaf(a, addr+n)
		if !ok {
			break
		}
		f, _ := pt.Map(l, pa, size, pageAttr(prot))
		fl |= f
		a = l + size
	}
	ppc64.InvalidateTLB(addr, n, fl)
	return 0
}

func sysMincoreMem(c *CPU, t *Thread) int64 {
	addr, length, vec := arg(t, 0), arg(t, 1), arg(t, 2)
	n := uint64(frames.Frames(length))
	if addr%pageSize != 0 || addr+length < addr {
		return -eINVAL
	}
	if !userVM.Inside(addr, max(length, 1)) {
		return -eNOMEM
	}
	if !validUser(vec, n) {
		return -eFAULT
	}
	b := user(vec, int(n))
	pt := ppc64.KernelTable()
	memLock.lock()
	defer memLock.unlock()
	for i := range b {
		p := addr + uint64(i)*pageSize
		if _, ok := userVM.Find(p); !ok {
			return -eNOMEM // a hole in the range
		}
		b[i] = 0
		if _, _, _, ok := pt.Translate(p); ok {
			b[i] = 1 // backed by a frame
		}
	}
	return 0
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
