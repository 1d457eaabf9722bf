package ktest

import (
	"os"
	"runtime"
	"syscall"

	"k42/kernel"
)

// Tests of behaviour only this kernel has.

func init() {
	Add(
		Test{Name: "TestKernelProcessIdentity", Fn: testIdentity, KernelOnly: true},
		Test{Name: "TestKernelNoFileSystem", Fn: testNoFS, KernelOnly: true},
		Test{Name: "TestKernelCPUStatsCount", Fn: testCPUStats, KernelOnly: true},
		Test{Name: "TestKernelSyscallTable", Fn: testSyscallTable, KernelOnly: true},
		Test{Name: "TestKernelMemoryAccounting", Fn: testMemAccounting, KernelOnly: true},
	)
}

func testIdentity(t TB) {
	if os.Getpid() != 1 {
		t.Errorf("getpid = %d, want 1", os.Getpid())
	}
	if wd, err := os.Getwd(); err != nil || wd != "/" {
		t.Errorf("getcwd = %q, %v; want /", wd, err)
	}
	if runtime.NumCPU() != kernel.NumCPUs() {
		t.Errorf("runtime.NumCPU() = %d, kernel has %d CPUs", runtime.NumCPU(), kernel.NumCPUs())
	}
	if id := kernel.CPUID(); id < 0 || id >= kernel.NumCPUs() {
		t.Errorf("CPUID() = %d with %d CPUs", id, kernel.NumCPUs())
	}
}

func testNoFS(t TB) {
	if _, err := os.Open("/etc/passwd"); !os.IsNotExist(err) {
		t.Errorf("open with no file system returned %v, want ENOENT", err)
	}
	if n, _, e := syscall.Syscall(syscall.SYS_FCNTL, 0, syscall.F_GETFL, 0); e != 0 || n&3 != syscall.O_RDONLY {
		t.Errorf("F_GETFL on stdin = %#x, %v; want read-only", n, e)
	}
}

func testCPUStats(t TB) {
	before, err := kernel.CPUStatsAll()
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	for i := 0; i < 100; i++ {
		syscall.Getpid()
	}
	after, _ := kernel.CPUStatsAll()
	var b, a uint64
	for i := range before {
		b += before[i].Syscalls
		a += after[i].Syscalls
	}
	if a-b < 100 {
		t.Errorf("100 getpid calls counted as %d system calls", a-b)
	}
}

func testSyscallTable(t TB) {
	tab := kernel.Syscalls()
	for nr, name := range map[int]string{221: "futex", 90: "mmap", 120: "clone", 250: "tgkill", 172: "rt_sigreturn"} {
		if tab[nr].Name != name || tab[nr].Support == kernel.Unlisted {
			t.Errorf("table entry %d = %+v, want %s", nr, tab[nr], name)
		}
	}
}

func testMemAccounting(t TB) {
	before := kernel.ReadMemStats()
	b, err := syscall.Mmap(-1, 0, 8<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	mid := kernel.ReadMemStats()
	syscall.Munmap(b)
	after := kernel.ReadMemStats()
	frames := (8 << 20) / before.FrameSize
	if mid.FramesUsed-before.FramesUsed < frames {
		t.Errorf("mapping 8 MiB took %d frames, want at least %d", mid.FramesUsed-before.FramesUsed, frames)
	}
	if mid.FramesUsed-after.FramesUsed < frames {
		t.Errorf("unmapping 8 MiB returned %d frames, want %d", mid.FramesUsed-after.FramesUsed, frames)
	}
}
