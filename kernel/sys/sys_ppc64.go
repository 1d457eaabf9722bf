package sys

import (
	"syscall"

	"k42/kernel"
	"k42/kernel/linux"
)

// ReadInfo returns the machine's description; BootMs is the time from
// the kernel's first instruction to now.
func ReadInfo() kernel.Info {
	m := ReadMemStats()
	hz := kernel.TimebaseHz()
	return kernel.Info{
		CPUs:        kernel.NumCPUs(),
		MemBytes:    kernel.MemBytes(),
		TimebaseHz:  hz,
		BootMs:      int64((kernel.Timebase() - kernel.BootTB()) * 1000 / hz),
		FramesTotal: m.FramesTotal,
		FramesUsed:  m.FramesUsed,
		FramesPeak:  m.FramesPeak,
		Disks:       disks(),
	}
}

// diskList is the drivers' report of the disks (SetDisks).
var diskList func() []kernel.DiskInfo

// SetDisks registers the function that lists the disks for ReadInfo
// (the root file system does, when it has opened them).
func SetDisks(f func() []kernel.DiskInfo) { diskList = f }

func disks() []kernel.DiskInfo {
	if diskList == nil {
		return []kernel.DiskInfo{}
	}
	return diskList()
}

// SchedulerCPU returns the CPU the scheduler records the calling thread
// as running on (a system call: the answer is the kernel's, not SPRG3's).
func SchedulerCPU() int {
	r, _, _ := syscall.RawSyscall(kernel.SysK42CPU, 0, 0, 0)
	return int(r)
}

// CPUStats returns a snapshot of every CPU's counters.
func CPUStats() ([]kernel.CPUStats, error) {
	out := make([]kernel.CPUStats, kernel.NumCPUs())
	if e := k42Copy(kernel.SysK42Stats, cpuStatsBuf(out)); e != 0 {
		return nil, e
	}
	return out, nil
}

// Threads returns a snapshot of the live threads.
func Threads() []kernel.ThreadStat {
	recs := make([]kernel.ThreadRecord, kernel.MaxThreads)
	n := k42Threads(recs)
	out := make([]kernel.ThreadStat, 0, n)
	for _, r := range recs[:n] {
		out = append(out, kernel.ThreadStat{TID: r.TID, State: kernel.ThreadStateName(r.State), CPU: r.CPU, Runs: r.Runs, RunTicks: r.RunTicks})
	}
	return out
}

// Halt powers the machine off with status, immediately.
func Halt(status int) {
	syscall.RawSyscall(kernel.SysK42Halt, uintptr(status), 0, 0)
}

// BootFailed reports why the boot cannot go on, on the error terminal
// (the runner's standard error), and powers off with the boot-failure
// status. For checks made after the runtime has started (CheckOptions,
// the root file system's options).
func BootFailed(why string) {
	writeRaw([]byte("k42: boot failed: " + why + "\n"))
	Halt(kernel.BootFailStatus)
}

// Warn reports something the user should know on the error terminal (the
// runner's standard error), whatever the program has made of fd 2.
func Warn(what string) { writeRaw([]byte("k42: " + what + "\n")) }

// MapDevice maps the physical range [pa, pa+size) cache-inhibited and
// guarded (ppc64.AttrIO), privileged read/write, in the device window and
// returns its virtual address. pa and size must be multiples of 64 KiB.
// The window is handed out in order and not reused.
func MapDevice(pa, size uint64) (uintptr, error) {
	r, _, e := syscall.RawSyscall(kernel.SysK42Mem, kernel.MemOpMapDev, uintptr(pa), uintptr(size))
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// SealNoWrite marks the program's mapping [va, va+n) as never writable:
// an mprotect that adds PROT_WRITE to it fails with EACCES.
func SealNoWrite(va uintptr, n uint64) error {
	if _, _, e := syscall.RawSyscall(kernel.SysK42Mem, kernel.MemOpSeal, va, uintptr(n)); e != 0 {
		return e
	}
	return nil
}

// UnmapDevice removes a mapping MapDevice made, on every CPU.
func UnmapDevice(va uintptr, size uint64) error {
	if _, _, e := syscall.RawSyscall(kernel.SysK42Mem, kernel.MemOpUnmapDev, va, uintptr(size)); e != 0 {
		return e
	}
	return nil
}

// Syscalls returns the system-call table, indexed by number.
func Syscalls() map[int]kernel.SyscallInfo {
	m := make(map[int]kernel.SyscallInfo)
	for nr := range kernel.NumSyscalls {
		if info, ok := kernel.Syscall(nr); ok {
			m[nr] = info
		}
	}
	return m
}

// SyscallName names Linux system call nr ("" if none).
func SyscallName(nr int) string { return linux.SyscallName(uint64(nr)) }
