package kernel

//go:generate go run ./internal/gensysnames

// Support states how completely the kernel serves a Linux system call, in
// the spirit of gVisor's syscall tables.
type Support uint8

const (
	// Unlisted calls print their number once and fail with ENOSYS.
	Unlisted Support = iota
	// Full: the Linux semantics a Go program can observe.
	Full
	// Partial: served, with the limits the note states.
	Partial
	// Refused: deliberately fails with the errno the note states.
	Refused
)

func (s Support) String() string {
	switch s {
	case Full:
		return "full"
	case Partial:
		return "partial"
	case Refused:
		return "refused"
	}
	return "unlisted"
}

// SyscallInfo documents one entry of the system-call table.
type SyscallInfo struct {
	Name    string
	Support Support
	Note    string
}

// Linux ppc64 system-call numbers the kernel knows.
const (
	sysExit           = 1
	sysRead           = 3
	sysWrite          = 4
	sysOpen           = 5
	sysClose          = 6
	sysLseek          = 19
	sysGetpid         = 20
	sysGetuid         = 24
	sysKill           = 37
	sysBrk            = 45
	sysGetgid         = 47
	sysGeteuid        = 49
	sysGetegid        = 50
	sysIoctl          = 54
	sysFcntl          = 55
	sysGetppid        = 64
	sysGetrlimit      = 76
	sysMmap           = 90
	sysMunmap         = 91
	sysFstat          = 108
	sysSysinfo        = 116
	sysClone          = 120
	sysUname          = 122
	sysMprotect       = 125
	sysWritev         = 146
	sysSchedYield     = 158
	sysNanosleep      = 162
	sysPrctl          = 171
	sysRtSigreturn    = 172
	sysRtSigaction    = 173
	sysRtSigprocmask  = 174
	sysGetcwd         = 182
	sysSigaltstack    = 185
	sysMadvise        = 205
	sysMincore        = 206
	sysGettid         = 207
	sysTkill          = 208
	sysFutex          = 221
	sysSchedSetaff    = 222
	sysSchedGetaff    = 223
	sysSetTidAddress  = 232
	sysExitGroup      = 234
	sysEpollCtl       = 237
	sysEpollWait      = 238
	sysTimerCreate    = 240
	sysClockGettime   = 246
	sysClockGetres    = 247
	sysClockNanosleep = 248
	sysTgkill         = 250
	sysOpenat         = 286
	sysNewfstatat     = 291
	sysReadlinkat     = 296
	sysFaccessat      = 298
	sysSetRobustList  = 300
	sysEpollPwait     = 303
	sysEventfd2       = 314
	sysEpollCreate1   = 315
	sysPipe2          = 317
	sysPrlimit64      = 325
	sysGetrandom      = 359
	sysStatx          = 383
	sysRseq           = 387
	sysFaccessat2     = 439
	sysEpollPwait2    = 441

	// Kernel calls, above Linux's range, for programs that import the
	// kernel package (the console, the test suite).
	sysK42Base  = 1000
	sysK42Stats = 1000 // copy per-CPU statistics out
	sysK42Halt  = 1001 // power off with a status, without the runtime's exit path
	sysK42Fault = 1002 // the fault report's hand-off (see fault_ppc64.go)
	sysK42CPU   = 1003 // the CPU the scheduler has the caller on
	sysK42Mem   = 1004 // memory figures and device mappings (mem_ppc64.go)

	numSyscalls = 1005
)

// syscallInfo is the documentation half of the table; the handlers are in
// syscall_ppc64.go. TestSyscallTable checks that both halves agree.
var syscallInfo = [numSyscalls]SyscallInfo{
	sysExit:           {"exit", Full, "ends the calling thread"},
	sysRead:           {"read", Partial, "fd 0: console lines (echo, backspace, ^D ends input); eventfds; others EBADF"},
	sysWrite:          {"write", Partial, "fd 1: program output terminal, fd 2: console; eventfds; others EBADF"},
	sysOpen:           {"open", Refused, "ENOENT: no file system is mounted"},
	sysClose:          {"close", Partial, "eventfds and epoll instances; fds 0-2 accepted, the terminals stay open"},
	sysLseek:          {"lseek", Refused, "ESPIPE: terminals do not seek"},
	sysGetpid:         {"getpid", Full, "one process, pid 1"},
	sysGetuid:         {"getuid", Full, "root"},
	sysKill:           {"kill", Partial, "only the process itself (pid 1 or 0)"},
	sysBrk:            {"brk", Partial, "no program break: always returns 0 (Go does not use brk)"},
	sysGetgid:         {"getgid", Full, "root"},
	sysGeteuid:        {"geteuid", Full, "root"},
	sysGetegid:        {"getegid", Full, "root"},
	sysIoctl:          {"ioctl", Refused, "ENOTTY: terminals have no termios"},
	sysFcntl:          {"fcntl", Partial, "F_GETFD, F_SETFD, F_GETFL, F_SETFL on open fds"},
	sysGetppid:        {"getppid", Full, "0: no parent"},
	sysGetrlimit:      {"getrlimit", Partial, "fixed limits (NOFILE 1024/4096, STACK 8 MiB)"},
	sysMmap:           {"mmap", Partial, "anonymous private memory only; real mode: addresses are physical and reservations use frames"},
	sysMunmap:         {"munmap", Full, "frames return to the allocator"},
	sysFstat:          {"fstat", Partial, "fds 0-2 are character devices"},
	sysSysinfo:        {"sysinfo", Partial, "uptime, RAM and free RAM"},
	sysClone:          {"clone", Partial, "threads only (CLONE_VM|CLONE_THREAD); no new processes"},
	sysUname:          {"uname", Full, "Linux-compatible names, nodename k42"},
	sysMprotect:       {"mprotect", Partial, "making a PROT_NONE reservation accessible zeroes it; real mode enforces no protection"},
	sysWritev:         {"writev", Partial, "as write, per vector"},
	sysSchedYield:     {"sched_yield", Full, "the caller goes to the back of the run queue"},
	sysNanosleep:      {"nanosleep", Full, "timebase deadline"},
	sysPrctl:          {"prctl", Partial, "PR_SET_VMA and PR_SET_NAME accepted and ignored; others EINVAL"},
	sysRtSigreturn:    {"rt_sigreturn", Full, "restores the frame rt_sigaction handlers return through"},
	sysRtSigaction:    {"rt_sigaction", Full, "handlers are ELFv1 function descriptors"},
	sysRtSigprocmask:  {"rt_sigprocmask", Full, "per-thread masks"},
	sysGetcwd:         {"getcwd", Partial, "always /"},
	sysSigaltstack:    {"sigaltstack", Full, "per-thread alternate stacks"},
	sysMadvise:        {"madvise", Partial, "MADV_DONTNEED zeroes the range; other advice accepted"},
	sysMincore:        {"mincore", Full, "a page is resident once touched (64 KiB pages); ENOMEM for unmapped ranges"},
	sysGettid:         {"gettid", Full, ""},
	sysTkill:          {"tkill", Full, "as tgkill"},
	sysFutex:          {"futex", Partial, "FUTEX_WAIT (relative timeout) and FUTEX_WAKE, private or shared; others ENOSYS"},
	sysSchedSetaff:    {"sched_setaffinity", Partial, "accepted, not enforced"},
	sysSchedGetaff:    {"sched_getaffinity", Full, "the online CPUs"},
	sysSetTidAddress:  {"set_tid_address", Partial, "accepted; no clear-on-exit"},
	sysExitGroup:      {"exit_group", Full, "reports the status and powers off through RTAS"},
	sysEpollCtl:       {"epoll_ctl", Partial, "eventfds only; other fds EPERM (not pollable: Go's os files then block)"},
	sysEpollWait:      {"epoll_wait", Partial, "as epoll_pwait"},
	sysTimerCreate:    {"timer_create", Refused, "ENOSYS: no POSIX timers (CPU profiling is unavailable)"},
	sysClockGettime:   {"clock_gettime", Full, "from the timebase; REALTIME from RTAS get-time-of-day at boot"},
	sysClockGetres:    {"clock_getres", Full, "1 ns"},
	sysClockNanosleep: {"clock_nanosleep", Full, "relative and TIMER_ABSTIME"},
	sysTgkill:         {"tgkill", Full, "signals a thread of the process; one running on another CPU takes it at that CPU's next trap (within a 10 ms slice)"},
	sysOpenat:         {"openat", Refused, "ENOENT: no file system is mounted"},
	sysNewfstatat:     {"newfstatat", Refused, "ENOENT: no file system is mounted"},
	sysReadlinkat:     {"readlinkat", Refused, "ENOENT: no file system is mounted"},
	sysFaccessat:      {"faccessat", Refused, "ENOENT: no file system is mounted"},
	sysSetRobustList:  {"set_robust_list", Partial, "accepted and ignored"},
	sysEpollPwait:     {"epoll_pwait", Partial, "EPOLLIN on eventfds, with a millisecond timeout; the signal mask is ignored"},
	sysEventfd2:       {"eventfd2", Partial, "counter semantics; a read of a zero counter returns EAGAIN even without EFD_NONBLOCK"},
	sysEpollCreate1:   {"epoll_create1", Partial, "up to 8 watched eventfds per instance (see epoll_ctl)"},
	sysPipe2:          {"pipe2", Refused, "ENFILE: no pipes yet"},
	sysPrlimit64:      {"prlimit64", Partial, "own process; fixed limits as getrlimit, new limits accepted"},
	sysGetrandom:      {"getrandom", Full, "from the darn instruction"},
	sysStatx:          {"statx", Refused, "ENOSYS: no file system is mounted"},
	sysRseq:           {"rseq", Refused, "ENOSYS"},
	sysFaccessat2:     {"faccessat2", Refused, "ENOENT: no file system is mounted"},
	sysEpollPwait2:    {"epoll_pwait2", Refused, "ENOSYS: Go falls back to epoll_pwait"},
	sysK42Stats:       {"k42_stats", Full, "kernel: copy per-CPU statistics"},
	sysK42Halt:        {"k42_halt", Full, "kernel: power off with a status"},
	sysK42Fault:       {"k42_fault", Full, "kernel: the fault report's hand-off"},
	sysK42CPU:         {"k42_cpu", Full, "kernel: the scheduler's record of the caller's CPU"},
	sysK42Mem:         {"k42_mem", Full, "kernel: memory figures, device mappings"},
}

// Syscalls returns the documented table, indexed by number.
func Syscalls() map[int]SyscallInfo {
	m := make(map[int]SyscallInfo)
	for nr, info := range syscallInfo {
		if info.Support != Unlisted {
			m[nr] = info
		}
	}
	return m
}
