//go:build ppc64

package kernel

import "unsafe"

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

// validUser reports whether [addr, addr+n) is memory the program may
// use, RAM or accessible mapped pages, and makes the latter present
// (backing untouched pages with zeroed frames) so that the handler can
// access them without faulting. A false answer is EFAULT. It runs in the
// trap handler; the pages stay present unless the program itself unmaps
// them concurrently, which would be a nested fault.
func validUser(addr uint64, n uint64) bool {
	if addr+n < addr {
		return false
	}
	if addr >= nilPageEnd && addr+n <= Platform.MemBytes {
		return true
	}
	return faultIn(addr, n)
}

// ptr converts a checked user address to a pointer.
func ptr(addr uint64) unsafe.Pointer { return unsafe.Pointer(uintptr(addr)) }
