package kernel

import "k42/kernel/linux"

// The system-call table: one entry per call the kernel knows, stating in
// one place its name, how completely it is served, a note saying how (or
// why not), and its handler; a refused call names its errno here and has
// no handler. It is the model of gVisor's syscalls/linux/linux64.go.
//
// The table is statically initialised data: the Go runtime makes system
// calls before any package initialiser has run, so no entry may need
// code to build it. TestSyscallTable checks that every entry that claims
// support has a handler, every refused one an errno, and that names agree
// with Linux's numbering.

// syscallEntry is one entry of the table.
type syscallEntry struct {
	name    string
	support Support
	note    string
	fn      handler     // nil for refused calls
	errno   linux.Errno // what a refused call returns
}

// The kernel's own calls, above Linux's range, for the kernel's Go API
// (kernel/sys): the console, the test suite, the benchmarks.
const (
	SysK42Stats   = 1000 // copy per-CPU statistics out
	SysK42Halt    = 1001 // power off with a status, without the runtime's exit path
	SysK42Fault   = 1002 // the fault report's hand-off (fault_ppc64.go)
	SysK42CPU     = 1003 // the CPU the scheduler has the caller on
	SysK42Mem     = 1004 // memory figures and device mappings (mem_ppc64.go)
	SysK42Threads = 1005 // the thread table

	numSyscalls = 1006
)

var syscalls = [numSyscalls]syscallEntry{
	// Files and descriptors (sys_file.go).
	linux.SYS_READ:       {"read", Partial, "fd 0: console lines (echo, backspace, ^D ends input); eventfds; others EBADF", sysRead, 0},
	linux.SYS_WRITE:      {"write", Partial, "fd 1: the program's output terminal, fd 2: the console; eventfds; others EBADF", sysWrite, 0},
	linux.SYS_WRITEV:     {"writev", Partial, "as write, per vector; at most 1024 vectors", sysWritev, 0},
	linux.SYS_CLOSE:      {"close", Partial, "eventfds and epoll instances; fds 0-2 accepted, the terminals stay open", sysClose, 0},
	linux.SYS_LSEEK:      {"lseek", Partial, "terminals: ESPIPE; other fds EBADF", sysLseek, 0},
	linux.SYS_IOCTL:      {"ioctl", Partial, "terminals: ENOTTY (no termios); other fds EBADF", sysIoctl, 0},
	linux.SYS_FCNTL:      {"fcntl", Partial, "F_GETFD, F_SETFD, F_GETFL, F_SETFL on open fds; others EINVAL", sysFcntl, 0},
	linux.SYS_FSTAT:      {"fstat", Partial, "fds 0-2 are character devices; others EBADF", sysFstat, 0},
	linux.SYS_GETCWD:     {"getcwd", Partial, "always /", sysGetcwd, 0},
	linux.SYS_OPEN:       {"open", Refused, "no file system is mounted", nil, linux.ENOENT},
	linux.SYS_OPENAT:     {"openat", Refused, "no file system is mounted", nil, linux.ENOENT},
	linux.SYS_NEWFSTATAT: {"newfstatat", Refused, "no file system is mounted", nil, linux.ENOENT},
	linux.SYS_READLINKAT: {"readlinkat", Refused, "no file system is mounted", nil, linux.ENOENT},
	linux.SYS_FACCESSAT:  {"faccessat", Refused, "no file system is mounted", nil, linux.ENOENT},
	linux.SYS_FACCESSAT2: {"faccessat2", Refused, "no file system is mounted", nil, linux.ENOENT},
	linux.SYS_STATX:      {"statx", Refused, "no file system is mounted", nil, linux.ENOSYS},
	linux.SYS_PIPE2:      {"pipe2", Refused, "no pipes yet", nil, linux.ENFILE},

	// Memory (sys_mem.go).
	linux.SYS_MMAP:     {"mmap", Partial, "anonymous memory only (no files yet: ENODEV), demand-paged in 64 KiB pages above 1 TiB; hints honoured where free; MAP_FIXED and MAP_FIXED_NOREPLACE", sysMmap, 0},
	linux.SYS_MUNMAP:   {"munmap", Full, "pages are invalidated on every CPU before their frames are freed", sysMunmap, 0},
	linux.SYS_MPROTECT: {"mprotect", Full, "rewrites the present pages' entries; PROT_NONE pages keep their frames, inaccessible", sysMprotect, 0},
	linux.SYS_MADVISE:  {"madvise", Partial, "MADV_DONTNEED and MADV_FREE drop the pages (they read back as zeros); other advice accepted and ignored", sysMadvise, 0},
	linux.SYS_MINCORE:  {"mincore", Full, "a page is resident once touched (64 KiB pages); ENOMEM for unmapped ranges", sysMincore, 0},
	linux.SYS_BRK:      {"brk", Partial, "no program break: always 0 (Go does not use brk)", sysAccept, 0},

	// Threads, scheduling and futexes (sys_sched.go).
	linux.SYS_CLONE:             {"clone", Partial, "threads only (CLONE_VM|CLONE_THREAD); no new processes: EINVAL", sysClone, 0},
	linux.SYS_EXIT:              {"exit", Full, "ends the calling thread", sysExit, 0},
	linux.SYS_EXIT_GROUP:        {"exit_group", Full, "reports the status and powers off through RTAS", sysExitGroup, 0},
	linux.SYS_GETTID:            {"gettid", Full, "", sysGettid, 0},
	linux.SYS_SET_TID_ADDRESS:   {"set_tid_address", Partial, "returns the tid; no clear-on-exit", sysGettid, 0},
	linux.SYS_SET_ROBUST_LIST:   {"set_robust_list", Partial, "accepted and ignored", sysAccept, 0},
	linux.SYS_SCHED_YIELD:       {"sched_yield", Full, "the caller goes to the back of its CPU's run queue", sysSchedYield, 0},
	linux.SYS_SCHED_GETAFFINITY: {"sched_getaffinity", Full, "the online CPUs", sysSchedGetaffinity, 0},
	linux.SYS_SCHED_SETAFFINITY: {"sched_setaffinity", Partial, "accepted, not enforced", sysAccept, 0},
	linux.SYS_FUTEX:             {"futex", Partial, "FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET (bitsets ignored), private or shared, relative timeouts; others ENOSYS", sysFutex, 0},
	linux.SYS_RSEQ:              {"rseq", Refused, "no restartable sequences", nil, linux.ENOSYS},

	// Signals (sys_signal.go).
	linux.SYS_RT_SIGACTION:   {"rt_sigaction", Full, "handlers are ELFv1 function descriptors", sysRtSigaction, 0},
	linux.SYS_RT_SIGPROCMASK: {"rt_sigprocmask", Full, "per-thread masks", sysRtSigprocmask, 0},
	linux.SYS_RT_SIGRETURN:   {"rt_sigreturn", Full, "restores the frame rt_sigaction handlers return through", sysRtSigreturn, 0},
	linux.SYS_SIGALTSTACK:    {"sigaltstack", Full, "per-thread alternate stacks", sysSigaltstack, 0},
	linux.SYS_KILL:           {"kill", Partial, "only the process itself (pid 1, 0 or -1)", sysKill, 0},
	linux.SYS_TKILL:          {"tkill", Full, "as tgkill", sysTkill, 0},
	linux.SYS_TGKILL:         {"tgkill", Full, "signals a thread of the process; one running on another CPU takes it at that CPU's next trap (within a 10 ms slice)", sysTgkill, 0},

	// Time (sys_time.go).
	linux.SYS_CLOCK_GETTIME:   {"clock_gettime", Full, "from the timebase; REALTIME from RTAS get-time-of-day at boot; CPU-time clocks approximated by uptime", sysClockGettime, 0},
	linux.SYS_CLOCK_GETRES:    {"clock_getres", Full, "1 ns", sysClockGetres, 0},
	linux.SYS_NANOSLEEP:       {"nanosleep", Full, "timebase deadline", sysNanosleep, 0},
	linux.SYS_CLOCK_NANOSLEEP: {"clock_nanosleep", Full, "relative and TIMER_ABSTIME", sysClockNanosleep, 0},
	linux.SYS_TIMER_CREATE:    {"timer_create", Refused, "no POSIX timers (CPU profiling is unavailable)", nil, linux.ENOSYS},

	// Identity, limits and the machine (sys_identity.go).
	linux.SYS_GETPID:    {"getpid", Full, "one process, pid 1", sysGetpid, 0},
	linux.SYS_GETPPID:   {"getppid", Full, "0: no parent", sysAccept, 0},
	linux.SYS_GETUID:    {"getuid", Full, "root", sysAccept, 0},
	linux.SYS_GETEUID:   {"geteuid", Full, "root", sysAccept, 0},
	linux.SYS_GETGID:    {"getgid", Full, "root", sysAccept, 0},
	linux.SYS_GETEGID:   {"getegid", Full, "root", sysAccept, 0},
	linux.SYS_UNAME:     {"uname", Full, "Linux-compatible names, nodename k42", sysUname, 0},
	linux.SYS_GETRLIMIT: {"getrlimit", Partial, "fixed limits (NOFILE 1024/4096, STACK 8 MiB, others unlimited)", sysGetrlimit, 0},
	linux.SYS_PRLIMIT64: {"prlimit64", Partial, "own process; fixed limits as getrlimit, new limits accepted and ignored", sysPrlimit64, 0},
	linux.SYS_SYSINFO:   {"sysinfo", Partial, "uptime, RAM and free RAM", sysSysinfo, 0},
	linux.SYS_PRCTL:     {"prctl", Partial, "PR_SET_VMA and PR_SET_NAME accepted and ignored; others EINVAL", sysPrctl, 0},
	linux.SYS_GETRANDOM: {"getrandom", Full, "from the darn instruction", sysGetrandom, 0},

	// The runtime's poller (sys_poll.go).
	linux.SYS_EVENTFD2:      {"eventfd2", Partial, "counter semantics; a read of a zero counter returns EAGAIN even without EFD_NONBLOCK", sysEventfd2, 0},
	linux.SYS_EPOLL_CREATE1: {"epoll_create1", Partial, "up to 8 watched eventfds per instance", sysEpollCreate1, 0},
	linux.SYS_EPOLL_CTL:     {"epoll_ctl", Partial, "eventfds only; other fds EPERM (not pollable: Go's os files then block)", sysEpollCtl, 0},
	linux.SYS_EPOLL_WAIT:    {"epoll_wait", Partial, "as epoll_pwait", sysEpollPwait, 0},
	linux.SYS_EPOLL_PWAIT:   {"epoll_pwait", Partial, "EPOLLIN on eventfds, with a millisecond timeout; the signal mask is ignored", sysEpollPwait, 0},
	linux.SYS_EPOLL_PWAIT2:  {"epoll_pwait2", Refused, "Go falls back to epoll_pwait", nil, linux.ENOSYS},

	// The kernel's own calls (sys_k42.go).
	SysK42Stats:   {"k42_stats", Full, "kernel: copy per-CPU statistics", sysK42Stats, 0},
	SysK42Halt:    {"k42_halt", Full, "kernel: power off with a status", sysK42Halt, 0},
	SysK42Fault:   {"k42_fault", Full, "kernel: register the fault reporter; the fault report's hand-off", sysK42Fault, 0},
	SysK42CPU:     {"k42_cpu", Full, "kernel: the scheduler's record of the caller's CPU", sysK42CPU, 0},
	SysK42Mem:     {"k42_mem", Full, "kernel: memory figures, device mappings", sysK42Mem, 0},
	SysK42Threads: {"k42_threads", Full, "kernel: copy the thread table out", sysK42Threads, 0},
}

// NumSyscalls bounds the table's numbers.
const NumSyscalls = numSyscalls

// Syscall describes entry nr of the table; ok is false for unlisted
// numbers. It allocates nothing.
func Syscall(nr int) (info SyscallInfo, ok bool) {
	if nr < 0 || nr >= numSyscalls || syscalls[nr].support == Unlisted {
		return SyscallInfo{}, false
	}
	e := &syscalls[nr]
	return SyscallInfo{Name: e.name, Support: e.support, Note: e.note, Errno: e.errno, Handled: e.fn != nil}, true
}
