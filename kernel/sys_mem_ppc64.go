package kernel

import (
	"k42/arch/ppc64"
	"k42/kernel/frames"
	"k42/kernel/linux"
)

func sysMmap(c *CPU, t *Thread) int64 {
	addr, length, prot, flags, fd := arg(t, 0), arg(t, 1), uint32(arg(t, 2)), arg(t, 3), int64(arg(t, 4))
	if length == 0 || length > 1<<40 {
		return -eINVAL
	}
	if flags&mapAnon == 0 {
		return mmapFile(c, t, fd)
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
			return -eEXIST
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

// mmapFile forwards the mapping of a file to the file system's server,
// which makes it (an anonymous mapping of the program's, through this
// same call) and fills it from the file through the file's FCM (fs/serve).
// Only descriptors of served files can be mapped: pipes, sockets,
// terminals and the like get ENODEV, as Linux gives for what it cannot
// map.
func mmapFile(c *CPU, t *Thread, fd int64) int64 {
	sched.lock()
	x, _ := fdDesc(fd)
	switch {
	case x == nil:
		sched.unlock()
		return -eBADF
	case x.kind != descFile:
		sched.unlock()
		return -eNODEV
	case x.flags&linux.O_ACCMODE == linux.O_WRONLY:
		sched.unlock()
		return -int64(linux.EACCES)
	}
	return forwardLocked(c, t, x.index, HandleNone, x.flags)
}

func sysMunmap(c *CPU, t *Thread) int64 {
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

func sysMadvise(c *CPU, t *Thread) int64 {
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

func sysMprotect(c *CPU, t *Thread) int64 {
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
	if prot&protWrite != 0 && !userVM.CanWrite(addr, addr+n) {
		return -int64(linux.EACCES) // a shared mapping of a file (fs/serve/mmap.go): its writes would not reach the file
	}
	if !userVM.Protect(addr, addr+n, prot) {
		return -eNOMEM
	}
	vmGen.Add(1) // pages may be inaccessible now: see presentCache
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

func sysMincore(c *CPU, t *Thread) int64 {
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
