package kernel

import (
	"k42/arch/ppc64"
	"k42/kernel/frames"
	"k42/kernel/vm"
)

// The kernel's own calls, which its Go API (kernel/sys) makes: they copy
// kernel state out for ordinary Go code, which must never read it while
// the trap handler changes it.

func sysK42Halt(c *CPU, t *Thread) int64 {
	powerOff(int(argInt(t, 0)))
	return 0
}

// sysK42Stats copies every CPU's statistics to (buf, n bytes).
func sysK42Stats(c *CPU, t *Thread) int64 {
	buf, n := argAddr(t, 0), argSize(t, 1)
	if n < cpuStatsSize*uint64(numCPUs) || !validUser(buf, n) {
		return -eINVAL
	}
	for i := 0; i < numCPUs; i++ {
		s := cpus[i].Stats
		if s.Idle = threads[cpus[i].current].idle; s.Idle {
			s.IdleTicks += ppc64.Timebase() - s.idleSince
		}
		*userCPUStats(buf + uint64(i)*cpuStatsSize) = s
	}
	return int64(numCPUs)
}

func sysK42CPU(c *CPU, t *Thread) int64 { return int64(t.cpu) }

// ThreadRecord is one live thread as k42_threads copies it out.
type ThreadRecord struct {
	TID      int32
	State    uint32 // ThreadStateName names it
	CPU      int32
	_        int32
	Runs     uint64 // dispatches
	RunTicks uint64 // timebase ticks on a CPU
}

// ThreadStateName names a ThreadRecord's State.
func ThreadStateName(s uint32) string {
	names := [...]string{"free", "runnable", "running", "blocked", "dead"}
	if s < uint32(len(names)) {
		return names[s]
	}
	return "?"
}

// sysK42Threads copies up to n ThreadRecords of the live non-idle threads
// to buf and returns how many.
func sysK42Threads(c *CPU, t *Thread) int64 {
	buf, n := argAddr(t, 0), argSize(t, 1)
	if !validUser(buf, n*threadRecordSize) {
		return -eFAULT
	}
	sched.lock()
	defer releaseSched(c)
	k := uint64(0)
	for i := int32(0); i < threadHigh && k < n; i++ {
		th := &threads[i]
		if th.state == threadFree || th.idle {
			continue
		}
		*userThreadRecord(buf + k*threadRecordSize) = ThreadRecord{TID: th.tid, State: th.state, CPU: th.cpu, Runs: th.runs, RunTicks: th.runTicks}
		k++
	}
	return int64(k)
}

// Operations of the k42_mem call. Go code reaches memLock only through
// it: a thread holding memLock must not touch its own (demand-paged)
// stack, or the fault it takes would wait for memLock forever; the trap
// handler runs on the CPU's interrupt stack in kernel memory.
const (
	MemOpStats    = iota // MemStats to a1
	MemOpVM              // VMStats to a1, up to a3 largest Mappings to a2; returns how many
	MemOpMapDev          // map physical [a1, a1+a2) as a device; returns the address
	MemOpUnmapDev        // unmap the device mapping [a1, a1+a2)
	MemOpSeal            // seal the program's mapping [a1, a1+a2): it may never be made writable
)

func sysK42Mem(c *CPU, t *Thread) int64 {
	op, a1, a2, a3 := arg(t, 0), arg(t, 1), arg(t, 2), arg(t, 3)
	switch op {
	case MemOpStats:
		memLock.lock()
		s := MemStats{phys.Total(), phys.Used(), phys.Peak(), phys.Reserved(), phys.Largest(), frames.Size}
		memLock.unlock()
		if !validUser(a1, memStatsSize) {
			return -eFAULT
		}
		*userMemStats(a1) = s
		return 0
	case MemOpVM:
		var buf [16]vm.Area
		n := int(min(a3, uint64(len(buf))))
		memLock.lock()
		s := VMStats{Areas: userVM.Len(), MappedBytes: userVM.Mapped()}
		n = userVM.Largest(buf[:n])
		memLock.unlock()
		s.DemandFaults, s.PagesFreed = demandFaults.Load(), pagesFreed.Load()
		if !validUser(a1, vmStatsSize) || n > 0 && !validUser(a2, uint64(n)*mappingSize) {
			return -eFAULT
		}
		*userVMStats(a1) = s
		for i := 0; i < n; i++ {
			*userMapping(a2 + uint64(i)*mappingSize) = Mapping{buf[i].Start, buf[i].End, buf[i].Prot}
		}
		return int64(n)
	case MemOpMapDev:
		return mapDevice(a1, a2)
	case MemOpUnmapDev:
		return unmapDevice(a1, a2)
	case MemOpSeal:
		n := (a2 + pageSize - 1) &^ (pageSize - 1)
		if a1%pageSize != 0 || n == 0 || a1+n < a1 || !userVM.Inside(a1, n) {
			return -eINVAL
		}
		memLock.lock()
		ok := userVM.Seal(a1, a1+n)
		memLock.unlock()
		if !ok {
			return -eNOMEM
		}
		return 0
	}
	return -eINVAL
}

// Operations of the k42_fault call.
const (
	FaultOpRecord   = iota // the fault record's address, for the faulting thread
	FaultOpRegister        // a1: the entry of the Go fault reporter (kernel/sys)
	FaultOpWrite           // a1, a2: report text to the error terminal, whatever fd 2 now is
)

// sysK42Fault serves the fault report's hand-off (fault_ppc64.go).
func sysK42Fault(c *CPU, t *Thread) int64 {
	switch arg(t, 0) {
	case FaultOpRecord:
		if faultThread != int32(c.current) {
			return -ePERM
		}
		return int64(faultRecordAddr())
	case FaultOpRegister:
		reportFaultPC = arg(t, 1)
		runtimeUp = true
		return 0
	case FaultOpWrite:
		buf, n := arg(t, 1), arg(t, 2)
		if n > 1<<20 || !validUser(buf, n) {
			return -eFAULT
		}
		reportWrite(user(buf, int(n)))
		return int64(n)
	}
	return -eINVAL
}
