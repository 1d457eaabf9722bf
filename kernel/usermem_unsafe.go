//go:build ppc64

package kernel

import "unsafe"

// User memory. The kernel and the program share one address space mapped
// one-to-one onto physical memory, and the trap handler runs in real mode,
// so a user address is used as it is. These are the only ways system-call
// handlers reach user memory; each caller checks the range with validUser
// first.

// user returns n bytes of memory at a user address. The kernel runs in
// real mode, so a user address is a physical address.
func user(addr uint64, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n)
}

func userU64(addr uint64) *uint64 { return (*uint64)(unsafe.Pointer(uintptr(addr))) }

// validUser reports whether [addr, addr+n) lies in RAM.
func validUser(addr uint64, n uint64) bool {
	return addr >= nilPageEnd && addr+n >= addr && addr+n <= Platform.MemBytes
}

// ptr converts a checked user address to a pointer.
func ptr(addr uint64) unsafe.Pointer { return unsafe.Pointer(uintptr(addr)) }
