package ktest

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"k42/kernel/linux"
	"k42/kernel/sys"

	"k42/kernel"
)

// Tests of behaviour only this kernel has.

func init() {
	Add(
		Test{Name: "TestKernelProcessIdentity", Fn: testIdentity, KernelOnly: true},
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

func testCPUStats(t TB) {
	before, err := sys.CPUStats()
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	for i := 0; i < 100; i++ {
		syscall.Getpid()
	}
	after, _ := sys.CPUStats()
	var b, a uint64
	for i := range before {
		b += before[i].Syscalls
		a += after[i].Syscalls
	}
	if a-b < 100 {
		t.Errorf("100 getpid calls counted as %d system calls", a-b)
	}
}

// testSyscallTable checks the one system-call table: every entry that
// claims support has a handler, every refused one an errno and no
// handler, names are unique and agree with Linux's numbering, and the
// calls the runtime makes at start-up are all there.
func testSyscallTable(t TB) {
	tab := sys.Syscalls()
	names := map[string]int{}
	for nr, e := range tab {
		switch e.Support {
		case kernel.Full, kernel.Partial:
			if !e.Handled {
				t.Errorf("%d %s claims %s support but has no handler", nr, e.Name, e.Support)
			}
		case kernel.Refused:
			if e.Handled || e.Errno == 0 || e.Note == "" {
				t.Errorf("%d %s is refused but has a handler, no errno or no note: %+v", nr, e.Name, e)
			}
		default:
			t.Errorf("%d %s is listed as %s", nr, e.Name, e.Support)
		}
		if prev, dup := names[e.Name]; dup {
			t.Errorf("name %s is entry %d and %d", e.Name, prev, nr)
		}
		names[e.Name] = nr
		if nr < linux.MaxSyscall {
			if want := linux.SyscallName(uint64(nr)); e.Name != want {
				t.Errorf("entry %d is named %q; Linux ppc64 calls %d %q", nr, e.Name, nr, want)
			}
		} else if !strings.HasPrefix(e.Name, "k42_") {
			t.Errorf("entry %d (%s) is above Linux's range but not a k42_ call", nr, e.Name)
		}
	}
	for _, nr := range []int{linux.SYS_SCHED_GETAFFINITY, linux.SYS_OPENAT, linux.SYS_CLOCK_GETTIME, linux.SYS_MMAP,
		linux.SYS_MUNMAP, linux.SYS_MADVISE, linux.SYS_RT_SIGPROCMASK, linux.SYS_FCNTL, linux.SYS_PRLIMIT64,
		linux.SYS_SIGALTSTACK, linux.SYS_GETTID, linux.SYS_RT_SIGACTION, linux.SYS_CLONE, linux.SYS_FUTEX,
		linux.SYS_NANOSLEEP, linux.SYS_SCHED_YIELD, linux.SYS_WRITE, linux.SYS_EXIT_GROUP} {
		if _, ok := tab[nr]; !ok {
			t.Errorf("the runtime's start-up call %d (%s) is not in the table", nr, linux.SyscallName(uint64(nr)))
		}
	}
	if len(tab) < 60 {
		t.Errorf("only %d entries", len(tab))
	}
}

// testMemAccounting: an anonymous mapping costs frames only when touched,
// and gives them back when unmapped. Other goroutines (the collector's
// scavenger, the page cache's pager) may free frames meanwhile, so the
// touching and the unmapping are counted by the kernel's own counters of
// pages backed and freed, which only grow; the frames in use, which
// others change too, only bound the untouched mapping's cost.
func testMemAccounting(t TB) {
	const size = 8 << 20
	before := sys.ReadMemStats()
	vm0, _ := sys.ReadVMStats(nil)
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	mapped := sys.ReadMemStats()
	vm1, _ := sys.ReadVMStats(nil)
	for i := 0; i < size; i += before.FrameSize {
		b[i] = 1
	}
	vm2, _ := sys.ReadVMStats(nil)
	syscall.Munmap(b)
	vm3, _ := sys.ReadVMStats(nil)
	frames := uint64(size / before.FrameSize)
	if d := mapped.FramesUsed - before.FramesUsed; d > int(frames/8) {
		t.Errorf("mapping 8 MiB untouched took %d frames, want few (demand paging)", d)
	}
	if d := vm1.DemandFaults - vm0.DemandFaults; d > frames/8 {
		t.Errorf("mapping 8 MiB untouched backed %d pages, want few (demand paging)", d)
	}
	if d := vm2.DemandFaults - vm1.DemandFaults; d < frames {
		t.Errorf("touching 8 MiB backed %d pages, want at least %d", d, frames)
	}
	if d := vm3.PagesFreed - vm2.PagesFreed; d < frames {
		t.Errorf("unmapping 8 MiB freed %d pages, want at least %d", d, frames)
	}
}

func init() {
	Add(Test{Name: "TestKernelPartialSyscalls", Fn: testPartialSyscalls, KernelOnly: true})
}

// testPartialSyscalls exercises each partial entry of the system-call
// table that the other tests do not, checking the behaviour its note
// states.
func testPartialSyscalls(t TB) {
	// close: the terminals stay open; a bad fd is EBADF.
	if err := syscall.Close(1000); err != syscall.EBADF {
		t.Errorf("close(1000) = %v, want EBADF", err)
	}
	// brk: no program break.
	if r, _, _ := syscall.RawSyscall(syscall.SYS_BRK, 0, 0, 0); r != 0 {
		t.Errorf("brk(0) = %#x, want 0", r)
	}
	// fstat: fds 0-2 are character devices.
	var st syscall.Stat_t
	if err := syscall.Fstat(2, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFCHR {
		t.Errorf("fstat(2) = %v, mode %#o; want a character device", err, st.Mode)
	}
	// sysinfo: RAM and uptime.
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil || si.Totalram == 0 || si.Freeram >= si.Totalram {
		t.Errorf("sysinfo = %v, total %d free %d", err, si.Totalram, si.Freeram)
	}
	// writev: as write, per vector.
	parts := [][]byte{[]byte("ktest: "), []byte("writev\n")}
	iov := make([]syscall.Iovec, len(parts))
	for i, p := range parts {
		iov[i].Base = &p[0]
		iov[i].SetLen(len(p))
	}
	if n, _, e := syscall.Syscall(syscall.SYS_WRITEV, 2, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov))); e != 0 || n != 14 {
		t.Errorf("writev = %d, %v; want 14", n, e)
	}
	// mincore: touched pages are resident, untouched ones are not.
	b, err := syscall.Mmap(-1, 0, 1<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	ps := os.Getpagesize()
	vec := make([]byte, (1<<20)/ps)
	for _, i := range []int{0, 3, len(vec) - 1} {
		b[i*ps] = 1
	}
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), 1<<20, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Errorf("mincore: %v", e)
	}
	for i, v := range vec {
		want := byte(0)
		if i == 0 || i == 3 || i == len(vec)-1 {
			want = 1
		}
		if v&1 != want {
			t.Errorf("mincore page %d = %d, want %d", i, v, want)
		}
	}
	syscall.Munmap(b)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), 1<<20, uintptr(unsafe.Pointer(&vec[0]))); e != syscall.ENOMEM {
		t.Errorf("mincore of an unmapped range = %v, want ENOMEM", e)
	}
	// sched_setaffinity, set_tid_address, set_robust_list: accepted.
	var mask [8]byte
	mask[0] = 1
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask[0]))); e != 0 {
		t.Errorf("sched_setaffinity: %v", e)
	}
	if tid, _, _ := syscall.RawSyscall(syscall.SYS_SET_TID_ADDRESS, 0, 0, 0); int(tid) != syscall.Gettid() {
		t.Errorf("set_tid_address = %d, want the tid %d", tid, syscall.Gettid())
	}
	// prlimit64 on the process itself.
	var rl [2]uint64
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_STACK, 0, uintptr(unsafe.Pointer(&rl)), 0, 0); e != 0 || rl[0] != 8<<20 {
		t.Errorf("prlimit64(STACK) = %v, %v", rl, e)
	}
	// lseek and ioctl on a terminal.
	if _, err := syscall.Seek(1, 0, 0); err != syscall.ESPIPE {
		t.Errorf("lseek(1) = %v, want ESPIPE", err)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, 1, syscall.TCGETS, 0); e != syscall.ENOTTY {
		t.Errorf("ioctl(TCGETS) = %v, want ENOTTY", e)
	}
	// eventfd and epoll: a written eventfd is reported ready.
	efd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK, 0)
	if e != 0 {
		t.Fatalf("eventfd2: %v", e)
	}
	defer syscall.Close(int(efd))
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		t.Fatalf("epoll_create1: %v", err)
	}
	defer syscall.Close(ep)
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 7}); err != nil {
		t.Fatalf("epoll_ctl: %v", err)
	}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, 1, &syscall.EpollEvent{Events: syscall.EPOLLIN}); err != syscall.EPERM {
		t.Errorf("epoll_ctl on a terminal = %v, want EPERM (not pollable)", err)
	}
	evs := make([]syscall.EpollEvent, 4)
	if n, _ := syscall.EpollWait(ep, evs, 0); n != 0 {
		t.Errorf("epoll_wait before a write = %d events", n)
	}
	one := []byte{0, 0, 0, 0, 0, 0, 0, 1}
	syscall.Write(int(efd), one)
	n, err := syscall.EpollWait(ep, evs, 1000)
	if err != nil || n != 1 || evs[0].Fd != 7 {
		t.Errorf("epoll_wait after a write = %d, %v, %+v", n, err, evs[0])
	}
	got := make([]byte, 8)
	if n, err := syscall.Read(int(efd), got); err != nil || n != 8 || got[7] != 1 {
		t.Errorf("eventfd read = %d, %v, %v", n, err, got)
	}
	if _, err := syscall.Read(int(efd), got); err != syscall.EAGAIN {
		t.Errorf("second eventfd read = %v, want EAGAIN", err)
	}
	// pipe2: flags it does not know are EINVAL.
	var p [2]int
	if err := syscall.Pipe2(p[:], 0x1); err != syscall.EINVAL {
		t.Errorf("pipe2 with a bad flag = %v, want EINVAL", err)
	}
}
