package kbench

import (
	"syscall"

	"k42/kernel/sys"

	"k42/kernel"
)

// Virtual-memory figures (issue 5).

const vmPage = 64 << 10

// framesUsed reports the frames in use now, as a figure with unit "frames"
// (Ticks holds the count).
func framesUsed(name string) Result {
	m := sys.ReadMemStats()
	return figure(name, "count", 1, float64(m.FramesUsed), "frames")
}

// demandZero: the first touch of a mapped page (storage interrupt, a
// zeroed 64 KiB frame, the retry), per page.
func demandZero() Result {
	const pages = 256
	b, err := syscall.Mmap(-1, 0, pages*vmPage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return figure("demand_zero_fault", "error: "+err.Error(), 0, 0, "")
	}
	defer syscall.Munmap(b)
	t0 := kernel.Timebase()
	for i := 0; i < len(b); i += vmPage {
		b[i] = 1
	}
	return result("demand_zero_fault", "mean", pages, float64(kernel.Timebase()-t0)/pages)
}

// tlbInvalidate: madvise(MADV_DONTNEED) of one touched page: unmap, tlbie
// broadcast with tlbsync, frame freed; the retouch is not timed.
func tlbInvalidate() Result {
	const n = 2000
	b, err := syscall.Mmap(-1, 0, vmPage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return figure("tlb_invalidate_round_trip", "error: "+err.Error(), 0, 0, "")
	}
	defer syscall.Munmap(b)
	var total uint64
	for i := 0; i < n; i++ {
		b[0] = 1
		t0 := kernel.Timebase()
		syscall.Madvise(b, syscall.MADV_DONTNEED)
		total += kernel.Timebase() - t0
	}
	return result("tlb_invalidate_round_trip", "mean", n, float64(total)/n)
}

func vmBenches() []Result {
	return []Result{framesUsed("frames_used_after_boot"), demandZero(), tlbInvalidate()}
}
