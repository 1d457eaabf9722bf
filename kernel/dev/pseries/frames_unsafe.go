//go:build ppc64

package pseries

import (
	"unsafe"

	"k42/arch/ppc64"
	"k42/kernel"

	"k42/kernel/sys"
	"k42/mm/pagecache"
)

// PageFrames gives the page cache n pages of contiguous physical memory
// (pagecache.Options.Frames), or none when the kernel has no such run:
// at an address that is also its physical one, so that a disk moves a
// page straight to and from it (Physical needs no system call for it)
// and neighbouring pages make one range. The memory is never freed; the
// cache keeps at most its budget's worth.
func PageFrames(n int) []pagecache.Page {
	pa, err := sys.AllocDMA(uint64(n) * pagecache.PageSize)
	if err != nil {
		return nil
	}
	return unsafe.Slice((*pagecache.Page)(unsafe.Pointer(pa)), n)
}

// identity reports whether p lies in the kernel's identity map of RAM,
// where an address is its physical one.
func identity(p []byte) (uint64, bool) {
	a := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(p))))
	return a, a >= ppc64.IdentityBase && a+uint64(len(p)) <= kernel.MemBytes()
}
