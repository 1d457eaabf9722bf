package kernel

import (
	"unsafe"

	"k42/mm/frames"
)

// Memory: in real mode (no translation) the runtime's address space is
// physical memory, so mmap hands out frames and an address is a frame's
// physical address. The MMU issue replaces this with page tables.

var (
	memLock spinlock
	phys    frames.Allocator
)

const (
	protNone          = 0
	mapFixed          = 0x10
	mapAnon           = 0x20
	mapFixedNoReplace = 0x100000
	madvDontneed      = 4
	madvFree          = 8
)

// zeroFrames clears memory that is handed out again.
func zeroFrames(addr, n uint64) {
	clear(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n))
}

func memUsed() uint64 {
	return uint64(phys.Used()) << frames.Shift
}

// ReadMemStats returns the frame allocator's figures.
func ReadMemStats() MemStats {
	old := disableInterrupts()
	memLock.lock()
	s := MemStats{phys.Total(), phys.Used(), phys.Peak(), phys.Reserved(), phys.Largest(), frames.Size}
	memLock.unlock()
	restoreInterrupts(old)
	return s
}

func sysMmapMem(c *CPU, t *Thread) int64 {
	addr, length, flags, fd := arg(t, 0), arg(t, 1), arg(t, 3), int64(arg(t, 4))
	if length == 0 || length > 1<<40 {
		return -eINVAL
	}
	if flags&mapAnon == 0 || fd != -1 && flags&mapAnon == 0 {
		return -19 // ENODEV: no files to map
	}
	n := frames.Frames(length)
	memLock.lock()
	defer memLock.unlock()
	if flags&(mapFixed|mapFixedNoReplace) != 0 {
		if addr%frames.Size != 0 {
			return -eINVAL
		}
		if !phys.Claim(addr, length, zeroFrames) {
			return -eNOMEM
		}
		return int64(addr)
	}
	hint := addr &^ (frames.Size - 1)
	zero := zeroFrames
	if arg(t, 2) == protNone {
		zero = nil // a reservation: zeroed when made accessible
	}
	p, ok := phys.Alloc(n, hint, zero)
	if !ok {
		return -eNOMEM
	}
	return int64(p)
}

func sysMunmapMem(c *CPU, t *Thread) int64 {
	addr, length := arg(t, 0), arg(t, 1)
	if addr%frames.Size != 0 || length == 0 {
		return -eINVAL
	}
	memLock.lock()
	phys.Free(addr, length)
	memLock.unlock()
	return 0
}

func sysMadviseMem(c *CPU, t *Thread) int64 {
	addr, length, advice := arg(t, 0), arg(t, 1), arg(t, 2)
	if addr%frames.Size != 0 {
		return -eINVAL
	}
	if advice == madvDontneed {
		if !validUser(addr, length) {
			return -eNOMEM
		}
		// Anonymous private memory reads back as zeros after DONTNEED.
		zeroFrames(addr, length)
	}
	return 0
}

func sysMprotectMem(c *CPU, t *Thread) int64 {
	addr, length, prot := arg(t, 0), arg(t, 1), arg(t, 2)
	if addr%frames.Size != 0 {
		return -eINVAL
	}
	if prot != protNone {
		memLock.lock()
		defer memLock.unlock()
		if !phys.Claim(addr, length, zeroFrames) {
			return -eNOMEM
		}
	}
	return 0
}

func sysMincoreMem(c *CPU, t *Thread) int64 {
	addr, length, vec := arg(t, 0), arg(t, 1), arg(t, 2)
	n := uint64(frames.Frames(length))
	if addr%frames.Size != 0 || !validUser(vec, n) {
		return -eINVAL
	}
	b := user(vec, int(n))
	for i := range b {
		b[i] = 1
	}
	return 0
}
