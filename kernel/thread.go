package kernel

// MaxThreads bounds the kernel threads (the runtime's Ms plus one idle
// thread per CPU).
const MaxThreads = 1024

// Thread states.
const (
	threadFree     uint32 = iota
	threadRunnable        // in the run queue
	threadRunning         // on a CPU
	threadBlocked         // waiting (futex, sleep, console, epoll)
	threadDead            // exited; its slot is freed when no CPU runs it
)

// What a blocked thread waits for.
const (
	waitNone uint8 = iota
	waitFutex
	waitSleep
	waitConsole
	waitEpoll
	waitFault  // frozen by a fault elsewhere
	waitQueue  // a restartable wait on a key (pipes, eventfds): the call is made again when woken
	waitServer // a caller waiting for a file-system server (serve_ppc64.go)
	waitServe  // a server waiting for a request
	waitFifo   // an open of a FIFO waiting for the other end (pipe_ppc64.go); its result is set
)

// Thread is a kernel thread: each of the Go runtime's Ms is one, created by
// clone. It holds no Go pointers, so the trap handler can write it freely.
type Thread struct {
	Ctx Context

	tid     int32
	state   uint32
	cpu     int32 // CPU it runs or last ran on
	next    int32 // run-queue link: index+1 of the next thread, 0 = end
	idle    bool  // a CPU's idle thread: never queued, never signalled
	wait    uint8 // what a blocked thread waits for
	futex   uintptr
	wakeAt  uint64 // timebase deadline of a wait, 0 = none
	timeout int64  // result when the deadline passes (e.g. -ETIMEDOUT, 0)

	timerCPU  int32 // CPU whose deadline heap holds the thread, -1 none
	timerIdx  int32 // its position there
	futexNext int32 // futex bucket chain: index+1 of the next waiter, 0 = end

	// Signals.
	sigMask    uint64
	sigPending uint64 // set atomically by other CPUs
	altSP      uint64
	altSize    uint64
	altFlags   int32

	// Console read in progress; an epoll wait's buffer.
	readBuf uintptr
	readLen int

	// A forwarded call in progress (serve_ppc64.go).
	fwdNr      uint64    // the call, or NrRelease
	fwdH       [2]int32  // its handles
	fwdFlags   uint32    // status flags of fwdH[0]'s description
	lentP      uint64    // a server: the runtime P its caller lent it (lend_ppc64.go), or 0
	serveSlot  int32     // a server: its slot in servers, +1; 0: not a server
	rt         rtWords   // the runtime words lend touches, checked (lend_ppc64.go)
	fwdFD      int64     // an open's reserved fd, or -1
	fwdDesc    int32     // an open's reserved desc, or -1
	fwdRelease int32     // the desc a release frees, or -1
	fwdOK      int64     // a release's result on success
	fwdArgs    [6]uint64 // the arguments, when the trap layer made the call up (fwdOwn)
	fwdOwn     bool
	fwdSock    int32 // a socket (index+1) whose file-system name the call makes (bind)

	// Accounting.
	runs     uint64 // dispatches
	runTicks uint64 // timebase ticks on a CPU
	lastRun  uint64
}

// threads is the thread table; a thread's index never changes while it lives.
var threads [MaxThreads]Thread

// threadHigh is one more than the highest index ever used: scans stop there.
var threadHigh int32

// rtWords caches, per thread, the runtime addresses lend_ppc64.go reads
// and writes, checked present once rather than on every hand-off (each check
// costs a present-cache probe, and a hand-over touches a dozen words):
// the thread's g (R30 when it trapped), its m, and the last P seen wired
// to it, each with the VM generation (vmGen) the check was made in.
//
// Why a check stays true: a thread's m is the runtime's for as long as
// the thread lives (one m per thread), a g in a system call is wired to
// the m of the thread that made it, and a P is never freed; the runtime
// never returns the pages of live g, m and p objects to the kernel. A
// change of R30 or of the P re-checks; any unmap (munmap, madvise, a
// shrinking brk) bumps vmGen, and a check from an older generation is
// made again, so even a broken program gets a refusal, never a fault.
type rtWords struct {
	gen  uint64 // vmGen+1 of the g/m check; 0: none
	g, m uint64 // R30 and its m, with g.atomicstatus, m.p and m.oldp checked
	pGen uint64 // vmGen+1 of the p check; 0: none
	p    uint64 // a P with p.m and p.status checked
}
