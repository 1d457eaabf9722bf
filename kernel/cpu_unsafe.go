package kernel

import (
	"unsafe"

	"k42/arch/ppc64"
)

// cpuOf returns the CPU whose TrapArea a is: the area is the CPU's first
// field (see CPU).
func cpuOf(a *ppc64.TrapArea) *CPU { return (*CPU)(unsafe.Pointer(a)) }

// uintptrOf is the address of c's area, for SPRG0 and RTAS start-cpu.
func uintptrOf(c *CPU) uintptr { return uintptr(unsafe.Pointer(c)) }

// ctxAddr is the address the exception entry saves thread i's registers to.
func ctxAddr(i int32) uintptr { return uintptr(unsafe.Pointer(&threads[i].Ctx)) }

// nestedCtxAddr is where a fault inside c's trap handler is saved.
func nestedCtxAddr(c *CPU) uintptr { return uintptr(unsafe.Pointer(&c.nested)) }

// vectorWords is the code of interrupt vector v (real address v).
func vectorWords(v uint64) *[5]uint32 { return (*[5]uint32)(unsafe.Pointer(uintptr(v))) }

// instructionAt is the instruction word at a (checked by validCode).
func instructionAt(a uint64) *uint32 { return (*uint32)(unsafe.Pointer(uintptr(a))) }

// physBytes is physical memory [addr, addr+n), identity-mapped.
func physBytes(addr, n uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n)
}
