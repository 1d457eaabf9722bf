package serve

import (
	"unsafe"

	"k42/fs"
	"k42/kernel/linux"
)

// The caller's memory, which the trap layer checked and faulted in
// before it forwarded the call. One address space: the server reaches it
// at the caller's addresses. A concurrent unmap by another thread of the
// caller would fault here; the server's SetPanicOnFault turns that into
// EFAULT (serveOne).

func userBytes(addr uint64, n int) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n)
}

func userStat(addr uint64) *linux.Stat     { return (*linux.Stat)(unsafe.Pointer(uintptr(addr))) }
func userInt64(addr uint64) *int64         { return (*int64)(unsafe.Pointer(uintptr(addr))) }
func userStatx(addr uint64) *linux.Statx   { return (*linux.Statx)(unsafe.Pointer(uintptr(addr))) }
func userStatfs(addr uint64) *linux.Statfs { return (*linux.Statfs)(unsafe.Pointer(uintptr(addr))) }
func userTimes(addr uint64) *[2]linux.Timespec {
	return (*[2]linux.Timespec)(unsafe.Pointer(uintptr(addr)))
}

// iovec returns vector i of the iovec array at iov.
func iovec(iov, i uint64) (base, n uint64) {
	v := (*[2]uint64)(unsafe.Pointer(uintptr(iov + 16*i)))
	return v[0], v[1]
}

// putDirent writes e as a linux_dirent64 record of reclen bytes into b.
func putDirent(b []byte, e fs.DirEntry, reclen int) {
	h := (*linux.Dirent64)(unsafe.Pointer(&b[0]))
	h.Ino, h.Off, h.Reclen, h.Type = e.Ino, e.Off, uint16(reclen), e.DirentType()
	n := copy(b[linux.DirentNameOffset:], e.Name)
	clear(b[linux.DirentNameOffset+n:])
}
