//go:build ppc64

package sys

import (
	"syscall"
	"unsafe"

	"k42/kernel"
)

// Buffers handed to the kernel's own calls, as (address, length).

type buf struct {
	addr uintptr
	n    uintptr
}

func cpuStatsBuf(s []kernel.CPUStats) buf {
	return buf{uintptr(unsafe.Pointer(&s[0])), unsafe.Sizeof(s[0]) * uintptr(len(s))}
}

// k42Copy makes call nr with a buffer.
func k42Copy(nr uintptr, b buf) syscall.Errno {
	_, _, e := syscall.RawSyscall(nr, b.addr, b.n, 0)
	return e
}

// k42Threads fills recs with the live threads and returns how many.
func k42Threads(recs []kernel.ThreadRecord) int {
	n, _, e := syscall.RawSyscall(kernel.SysK42Threads, uintptr(unsafe.Pointer(&recs[0])), uintptr(len(recs)), 0)
	if e != 0 {
		return 0
	}
	return int(n)
}

// ReadMemStats returns the frame allocator's figures.
func ReadMemStats() kernel.MemStats {
	var s kernel.MemStats
	syscall.RawSyscall(kernel.SysK42Mem, kernel.MemOpStats, uintptr(unsafe.Pointer(&s)), 0)
	return s
}

// ReadVMStats returns the address-space figures and fills largest with
// the largest mappings (at most 16), largest first; it returns how many
// it filled.
func ReadVMStats(largest []kernel.Mapping) (kernel.VMStats, int) {
	var s kernel.VMStats
	var p uintptr
	if len(largest) > 0 {
		p = uintptr(unsafe.Pointer(&largest[0]))
	}
	n, _, _ := syscall.RawSyscall6(kernel.SysK42Mem, kernel.MemOpVM, uintptr(unsafe.Pointer(&s)), p, uintptr(len(largest)), 0, 0)
	return s, int(n)
}

// instructionWord reads the instruction at a (checked by the caller).
func instructionWord(a uint64) [4]byte { return *(*[4]byte)(unsafe.Pointer(uintptr(a))) }

// faultRecord returns the kernel's record of the fault being reported.
func faultRecord() (*kernel.FaultRecord, bool) {
	addr, _, e := syscall.RawSyscall(kernel.SysK42Fault, kernel.FaultOpRecord, 0, 0)
	if e != 0 {
		return nil, false
	}
	return (*kernel.FaultRecord)(unsafe.Pointer(addr)), true
}

// writeRaw writes report text to the error terminal with a raw system
// call (k42_fault), whatever the program has made of fd 2.
func writeRaw(b []byte) {
	if len(b) > 0 {
		syscall.RawSyscall(kernel.SysK42Fault, kernel.FaultOpWrite, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	}
}

// funcEntry returns the code address of a top-level Go function.
func funcEntry(f func()) uintptr { return **(**uintptr)(unsafe.Pointer(&f)) }

// ServeRegister makes the calling thread a file-system server whose
// requests arrive in rq, and waits for the first (fs/serve).
func ServeRegister(rq *kernel.ServeRequest) error {
	if _, _, e := syscall.Syscall(kernel.SysK42Serve, kernel.ServeRegister, uintptr(unsafe.Pointer(rq)), 0); e != 0 {
		return e
	}
	return nil
}

// ServeFifo attaches the open the calling server is serving to the pipe
// of the FIFO ino (the kernel's ServeFifo) and returns the pipe.
func ServeFifo(ino uint64, flags int) (int32, error) {
	p, _, e := syscall.RawSyscall(kernel.SysK42Serve, kernel.ServeFifo, uintptr(ino), uintptr(flags))
	if e != 0 {
		return 0, e
	}
	return int32(p), nil
}

// ServeLend turns the lending of callers' Ps to file-system servers on
// or off (kernel/lend_ppc64.go).
func ServeLend(on bool) {
	a := uintptr(0)
	if on {
		a = 1
	}
	syscall.RawSyscall(kernel.SysK42Serve, kernel.ServeLend, a, 0)
}

// LendStats are the counts of the trap layer's P hand-overs
// (kernel/lend_ppc64.go).
type LendStats struct {
	ToServer, Back, OldpOnly uint64
}

// ServeLendStats reads the hand-over counts.
func ServeLendStats() LendStats {
	var s LendStats
	syscall.RawSyscall(kernel.SysK42Serve, kernel.ServeStats, uintptr(unsafe.Pointer(&s)), 0)
	return s
}

// ServeReply answers the request the calling server holds with result r
// (and, for an open, the new description's handle h), and waits for the
// next request. It returns syscall.EINTR if a signal ended the wait with
// no request (the answer was delivered): call ServeWait.
func ServeReply(r int64, h int32) error {
	if _, _, e := syscall.Syscall(kernel.SysK42Serve, kernel.ServeReply, uintptr(r), uintptr(h)); e != 0 {
		return e
	}
	return nil
}

// ServeWait waits for the next request without answering one, after a
// wait that returned syscall.EINTR.
func ServeWait() error {
	if _, _, e := syscall.Syscall(kernel.SysK42Serve, kernel.ServeWait, 0, 0); e != 0 {
		return e
	}
	return nil
}

// PhysRanges fills out with the physical ranges behind p, as (address,
// length) pairs, faulting its pages in, and returns how many; an error
// if p is not mapped or needs more than len(out) ranges.
func PhysRanges(p []byte, out [][2]uint64) (int, error) {
	if len(p) == 0 || len(out) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall6(kernel.SysK42Dev, kernel.DevOpPhys, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
