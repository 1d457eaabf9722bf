package ktest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"k42/kernel/sys"

	"k42/kernel"
)

// Virtual memory: demand paging, unmapping on every CPU, protection
// faults, device mappings (issue 5).

func init() {
	Add(
		Test{Name: "TestKernelVMStressAllCPUs", Fn: testVMStress, KernelOnly: true},
		Test{Name: "TestKernelProtNoneWriteCaught", Fn: testProtNone, KernelOnly: true},
		Test{Name: "TestKernelBadPointerEFAULT", Fn: testBadPointer, KernelOnly: true},
		Test{Name: "TestKernelFreeOSMemoryReturnsFrames", Fn: testFreeOSMemoryFrames, KernelOnly: true},
		Test{Name: "TestKernelMapDevice", Fn: testMapDevice, KernelOnly: true},
	)
}

const vmPage = 64 << 10

func mmapRW(n int) ([]byte, error) {
	return syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
}

// vmRound maps, touches, checks, drops and unmaps memory; it returns a
// description of the first mismatch.
func vmRound(seed byte) string {
	const size = 16 * vmPage
	b, err := mmapRW(size)
	if err != nil {
		return "mmap: " + err.Error()
	}
	defer syscall.Munmap(b)
	for i := 0; i < size; i += vmPage {
		if b[i] != 0 || b[i+vmPage-1] != 0 {
			return "fresh page not zero"
		}
		b[i], b[i+vmPage-1] = seed, seed+1
	}
	for i := 0; i < size; i += vmPage {
		if b[i] != seed || b[i+vmPage-1] != seed+1 {
			return "page lost its contents"
		}
	}
	// Drop the second half: it reads back as zeros, the first half stays.
	if err := syscall.Madvise(b[size/2:], syscall.MADV_DONTNEED); err != nil {
		return "madvise: " + err.Error()
	}
	for i := 0; i < size; i += vmPage {
		want := seed
		if i >= size/2 {
			want = 0
		}
		if b[i] != want {
			return "MADV_DONTNEED: wrong contents"
		}
	}
	return ""
}

func testVMStress(t TB) {
	n := kernel.NumCPUs()
	run := func(rounds int) {
		var wg sync.WaitGroup
		errs := make([]string, n)
		for w := 0; w < n; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for r := 0; r < rounds && errs[w] == ""; r++ {
					errs[w] = vmRound(byte(w*16 + r%8 + 1))
				}
			}(w)
		}
		wg.Wait()
		for w, e := range errs {
			if e != "" {
				t.Errorf("worker %d: %s", w, e)
			}
		}
	}
	run(2) // page tables and goroutine stacks settle
	before := sys.ReadMemStats()
	run(20)
	after := sys.ReadMemStats()
	if after.FramesUsed > before.FramesUsed+8 {
		t.Errorf("frames used %d before, %d after %d CPUs x 20 rounds: not returned", before.FramesUsed, after.FramesUsed, n)
	}
	var vs [4]kernel.Mapping
	st, _ := sys.ReadVMStats(vs[:])
	t.Logf("frames %d -> %d; %d areas, %d demand faults, %d pages freed", before.FramesUsed, after.FramesUsed, st.Areas, st.DemandFaults, st.PagesFreed)
}

// catchFault runs f with faults turned into panics and returns the
// recovered value's text with the faulting address ("" if f did not
// fault).
func catchFault(f func()) (msg string) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if e, ok := r.(interface{ Addr() uintptr }); ok {
				msg = fmt.Sprintf("fault at %#x: %v", e.Addr(), r)
			}
		}
	}()
	f()
	return ""
}

var vmRead byte

func testProtNone(t TB) {
	b, err := syscall.Mmap(-1, 0, vmPage, syscall.PROT_NONE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer syscall.Munmap(b)
	if m := catchFault(func() { b[100] = 1 }); !strings.Contains(m, "fault") {
		t.Errorf("write to a PROT_NONE page: %q, want a fault panic", m)
	}
	if err := syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if m := catchFault(func() { b[100] = 7 }); m != "" {
		t.Errorf("write after mprotect(RW): %q", m)
	}
	if err := syscall.Mprotect(b, syscall.PROT_READ); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if b[100] != 7 {
		t.Errorf("read-only page reads %d, want 7", b[100])
	}
	if m := catchFault(func() { b[100] = 8 }); !strings.Contains(m, "fault") {
		t.Errorf("write to a read-only page: %q, want a fault panic", m)
	}
	syscall.Mprotect(b, syscall.PROT_NONE)
	if m := catchFault(func() { vmRead = b[5] }); !strings.Contains(m, "fault") {
		t.Errorf("read of a PROT_NONE page: %q, want a fault panic", m)
	}
}

func testBadPointer(t TB) {
	b, err := syscall.Mmap(-1, 0, vmPage, syscall.PROT_NONE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer syscall.Munmap(b)
	for _, p := range []uintptr{uintptr(unsafe.Pointer(&b[0])), 0x7fff00000000, 8} {
		_, _, e := syscall.Syscall(syscall.SYS_WRITE, 2, p, 10)
		if e != syscall.EFAULT {
			t.Errorf("write(2, %#x, 10) = %v, want EFAULT", p, e)
		}
	}
	// A buffer spanning two pages whose frames are not adjacent.
	c, err := mmapRW(2 * vmPage)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer syscall.Munmap(c)
	c[vmPage+8] = 1 // back the second page first
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&c[vmPage-8])), 0); e != 0 {
		t.Errorf("clock_gettime into a page-crossing buffer: %v", e)
	}
	ts = *(*syscall.Timespec)(unsafe.Pointer(&c[vmPage-8]))
	if ts.Sec == 0 && ts.Nsec == 0 {
		t.Errorf("clock_gettime wrote nothing across the page boundary")
	}
}

var vmSink []byte

func testFreeOSMemoryFrames(t TB) {
	debug.FreeOSMemory()
	base := sys.ReadMemStats()
	vmSink = make([]byte, 64<<20)
	for i := 0; i < len(vmSink); i += 4096 {
		vmSink[i] = 1
	}
	full := sys.ReadMemStats()
	vmSink = nil
	debug.FreeOSMemory()
	freed := sys.ReadMemStats()
	want := (32 << 20) / base.FrameSize
	if full.FramesUsed-base.FramesUsed < want {
		t.Errorf("64 MiB of heap took %d frames", full.FramesUsed-base.FramesUsed)
	}
	if full.FramesUsed-freed.FramesUsed < want {
		t.Errorf("FreeOSMemory returned %d frames (used %d -> %d -> %d), want at least %d",
			full.FramesUsed-freed.FramesUsed, base.FramesUsed, full.FramesUsed, freed.FramesUsed, want)
	}
}

// devProbe is kernel-image memory: identity-mapped, so its address is
// its physical address.
var devProbe [3 * vmPage]byte

func testMapDevice(t TB) {
	pa := (uintptr(unsafe.Pointer(&devProbe[0])) + vmPage - 1) &^ (vmPage - 1)
	ram := wordsAt(pa)
	for i := range ram {
		ram[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	va, err := sys.MapDevice(uint64(pa), vmPage)
	if err != nil {
		t.Fatalf("MapDevice: %v", err)
	}
	if va == pa {
		t.Fatalf("MapDevice returned the physical address")
	}
	dev := wordsAt(va)
	for i := range dev {
		if dev[i] != ram[i] {
			t.Fatalf("device view word %d = %#x, RAM has %#x", i, dev[i], ram[i])
		}
	}
	dev[5] = 42
	if ram[5] != 42 {
		t.Errorf("store through the device mapping not seen in RAM")
	}
	if err := sys.UnmapDevice(va, vmPage); err != nil {
		t.Errorf("UnmapDevice: %v", err)
	}
	if _, err := sys.MapDevice(uint64(pa)+1, vmPage); err == nil {
		t.Errorf("MapDevice of an unaligned address succeeded")
	}
}
