//go:build ppc64

package kernel

import (
	"unsafe"

	"k42/kernel/linux"
)

// User memory. The kernel and the program share one address space: the
// identity map of RAM (the kernel image, with the runtime's globals, and
// kernel-made stacks) and the program's mmap areas above RAM (see
// mem_ppc64.go). The trap handler runs with data translation on, so a
// user address is used as it is once validUser has made its pages
// present. These are the only ways system-call handlers reach user
// memory; each caller checks the range with validUser first.

// user returns n bytes of memory at a user address checked by validUser.
func user(addr uint64, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n)
}

func userU64(addr uint64) *uint64 { return (*uint64)(unsafe.Pointer(uintptr(addr))) }

func userItimerval(addr uint64) *itimerval { return (*itimerval)(unsafe.Pointer(uintptr(addr))) }

func userMsghdr(addr uint64) *msghdr { return (*msghdr)(unsafe.Pointer(uintptr(addr))) }

// validUser reports whether [addr, addr+n) is memory the program may
// use, RAM or accessible mapped pages, and makes the latter present
// (backing untouched pages with zeroed frames) so that the handler can
// access them without faulting. A false answer is EFAULT. It runs in the
// trap handler; the pages stay present unless the program itself unmaps
// them concurrently, which would be a nested fault.
func validUser(addr uint64, n uint64) bool {
	if n == 0 {
		return true // nothing is read or written: any address will do, as Linux's access_ok
	}
	if addr+n < addr {
		return false
	}
	if addr >= nilPageEnd && addr+n <= Platform.MemBytes {
		return true
	}
	if n <= 4*pageSize && knownPresent(addr, max(n, 1)) {
		return true
	}
	return faultIn(addr, n)
}

// ptr converts a checked user address to a pointer.
func ptr(addr uint64) unsafe.Pointer { return unsafe.Pointer(uintptr(addr)) }

// Typed views of checked user addresses, for the kernel's own calls.
func userCPUStats(addr uint64) *CPUStats         { return (*CPUStats)(ptr(addr)) }
func userThreadRecord(addr uint64) *ThreadRecord { return (*ThreadRecord)(ptr(addr)) }
func userMemStats(addr uint64) *MemStats         { return (*MemStats)(ptr(addr)) }
func userVMStats(addr uint64) *VMStats           { return (*VMStats)(ptr(addr)) }
func userMapping(addr uint64) *Mapping           { return (*Mapping)(ptr(addr)) }
func userU32(addr uint64) *uint32                { return (*uint32)(ptr(addr)) }

// Sizes of what they point at.
const (
	cpuStatsSize     = uint64(unsafe.Sizeof(CPUStats{}))
	threadRecordSize = uint64(unsafe.Sizeof(ThreadRecord{}))
	memStatsSize     = uint64(unsafe.Sizeof(MemStats{}))
	vmStatsSize      = uint64(unsafe.Sizeof(VMStats{}))
	mappingSize      = uint64(unsafe.Sizeof(Mapping{}))
)

// faultRecordAddr is the address of the fault record, for the reporter.
func faultRecordAddr() uintptr { return uintptr(unsafe.Pointer(&faultRec)) }

// BootArgBytes returns the boot-argument words as laid out on the
// program's initial stack: each NUL-terminated, in order (see args.go).
// The memory lives as long as the program.
func BootArgBytes() []byte {
	if argStrs.n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(argStrs.addr))), argStrs.n)
}

func userU16(addr uint64) *uint16 { return (*uint16)(ptr(addr)) }

func userStat(addr uint64) *linux.Stat           { return (*linux.Stat)(ptr(addr)) }
func userEpollEvent(addr uint64) *epollEvent     { return (*epollEvent)(ptr(addr)) }
func userServeRequest(addr uint64) *ServeRequest { return (*ServeRequest)(ptr(addr)) }

const serveRequestSize = uint64(unsafe.Sizeof(ServeRequest{}))

// Wait keys: kernel addresses, distinct from any futex word the program
// has (they are the kernel's own objects).
func pipeAddr(i int32) uintptr   { return uintptr(unsafe.Pointer(&pipes[i])) }
func eventfdKey(d int32) uintptr { return uintptr(unsafe.Pointer(&descs[d].count)) }

// InitrdBytes returns the initial RAM archive QEMU loaded, or nil. The
// memory stays reserved for the program's lifetime.
func InitrdBytes() []byte {
	if initrdHi <= initrdLo {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(initrdLo))), initrdHi-initrdLo)
}
