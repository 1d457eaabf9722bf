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
	SysK42Serve   = 1006 // a file-system server waits for a request, and answers (serve_ppc64.go)
	SysK42Dev     = 1007 // PCI configuration space, MSI-X, DMA memory and physical ranges, device interrupts (dev_ppc64.go)

	numSyscalls = 1008
)

var syscalls = [numSyscalls]syscallEntry{
	// Files and descriptors (sys_file_ppc64.go, fd_ppc64.go, pipe_ppc64.go):
	// the trap layer serves terminals, pipes, eventfds and epoll itself and
	// forwards the rest to the file system's servers (serve_ppc64.go).
	linux.SYS_READ:     {"read", Full, "terminals (fd 0: console lines), pipes, eventfds here; files by the file system's servers", sysRead, 0},
	linux.SYS_WRITE:    {"write", Full, "terminals, pipes (atomic up to PIPE_BUF, EPIPE and SIGPIPE without readers), eventfds; files forwarded", sysWrite, 0},
	linux.SYS_READV:    {"readv", Full, "as read, vector by vector; at most 1024 vectors", sysReadv, 0},
	linux.SYS_WRITEV:   {"writev", Full, "as write, vector by vector; at most 1024 vectors", sysReadv, 0},
	linux.SYS_PREAD64:  {"pread64", Full, "files (a client-side session's from its slot); other descriptors ESPIPE", sysPread, 0},
	linux.SYS_PWRITE64: {"pwrite64", Full, "files (O_APPEND appends, as Linux does); other descriptors ESPIPE", sysPwrite, 0},
	linux.SYS_LSEEK:    {"lseek", Full, "files, with SEEK_DATA and SEEK_HOLE; pipes and terminals ESPIPE", sysLseek, 0},
	linux.SYS_CLOSE:    {"close", Full, "a file's description is released by its server when its last descriptor closes", sysClose, 0},
	linux.SYS_DUP:      {"dup", Full, "the lowest free descriptor shares the description", sysDup, 0},
	linux.SYS_DUP2:     {"dup2", Full, "as dup3 without flags; onto itself succeeds", sysDup3, 0},
	linux.SYS_DUP3:     {"dup3", Full, "O_CLOEXEC; the replaced descriptor is closed", sysDup3, 0},
	linux.SYS_FCNTL:    {"fcntl", Partial, "F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL (O_APPEND, O_NONBLOCK), F_GETPIPE_SZ; locks always granted (one process); others EINVAL", sysFcntl, 0},
	linux.SYS_IOCTL:    {"ioctl", Partial, "ENOTTY on every descriptor: no termios, no device controls", sysIoctl, 0},
	linux.SYS_PIPE2:    {"pipe2", Full, "64 KiB pipes, O_CLOEXEC and O_NONBLOCK; pollable (epoll, edge-triggered too)", sysPipe2, 0},

	// Zero-copy transfers are refused with the errno that makes Go's os
	// and net fall back to an ordinary copy (splice: EINVAL, since Go
	// takes ENOSYS from it as a real failure).
	linux.SYS_SPLICE:          {"splice", Refused, "not supported: EINVAL, on which Go copies instead", nil, linux.EINVAL},
	linux.SYS_TEE:             {"tee", Refused, "not supported: EINVAL", nil, linux.EINVAL},
	linux.SYS_VMSPLICE:        {"vmsplice", Refused, "not supported: EINVAL", nil, linux.EINVAL},
	linux.SYS_SENDFILE:        {"sendfile", Full, "from a file to any descriptor: its server reads the file and writes out_fd", sysSendfile, 0},
	linux.SYS_COPY_FILE_RANGE: {"copy_file_range", Refused, "not supported: Go copies instead", nil, linux.ENOSYS},

	// Sockets (socket_ppc64.go): the loopback only.
	linux.SYS_SOCKET:      {"socket", Partial, "AF_INET, AF_INET6, AF_UNIX; SOCK_STREAM and SOCK_DGRAM, and SOCK_SEQPACKET for AF_UNIX; the loopback only", sysSocket, 0},
	linux.SYS_SOCKETPAIR:  {"socketpair", Full, "AF_UNIX stream and datagram", sysSocketpair, 0},
	linux.SYS_BIND:        {"bind", Partial, "loopback and unspecified addresses, ephemeral ports, SO_REUSEADDR/SO_REUSEPORT; Unix abstract names", sysBind, 0},
	linux.SYS_LISTEN:      {"listen", Full, "backlog up to 64", sysListen, 0},
	linux.SYS_CONNECT:     {"connect", Partial, "to a listener on the loopback (established when it returns); elsewhere ENETUNREACH", sysConnect, 0},
	linux.SYS_ACCEPT:      {"accept", Full, "", sysAccept4, 0},
	linux.SYS_ACCEPT4:     {"accept4", Full, "SOCK_NONBLOCK, SOCK_CLOEXEC", sysAccept4, 0},
	linux.SYS_GETSOCKNAME: {"getsockname", Full, "", sysGetsockname, 0},
	linux.SYS_GETPEERNAME: {"getpeername", Full, "", sysGetpeername, 0},
	linux.SYS_SHUTDOWN:    {"shutdown", Full, "", sysShutdown, 0},
	linux.SYS_SENDTO:      {"sendto", Full, "MSG_DONTWAIT, MSG_NOSIGNAL", sysSendto, 0},
	linux.SYS_RECVFROM:    {"recvfrom", Full, "MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC", sysRecvfrom, 0},
	linux.SYS_SENDMSG:     {"sendmsg", Partial, "no control messages; one buffer for datagrams", sysSendmsg, 0},
	linux.SYS_RECVMSG:     {"recvmsg", Partial, "no control messages; one buffer for datagrams", sysSendmsg, 0},
	linux.SYS_SETSOCKOPT:  {"setsockopt", Partial, "SOL_SOCKET, TCP and IPv6 options Go uses; others ENOPROTOOPT", sysSetsockopt, 0},
	linux.SYS_GETSOCKOPT:  {"getsockopt", Partial, "SOL_SOCKET, TCP and IPv6 options Go uses; others ENOPROTOOPT", sysGetsockopt, 0},
	linux.SYS_FSTAT:       {"fstat", Full, "files by their session; terminals, pipes, eventfds as Linux describes them", sysFstat, 0},
	linux.SYS_GETDENTS64:  {"getdents64", Full, "directory streams stay correct while entries are added and removed", sysFileOnly, 0},
	linux.SYS_FTRUNCATE:   {"ftruncate", Full, "files opened for writing", sysFileOnly, 0},
	linux.SYS_FSYNC:       {"fsync", Full, "files (the in-memory file system has nothing to flush yet)", sysFileOnly, 0},
	linux.SYS_FDATASYNC:   {"fdatasync", Full, "as fsync", sysFileOnly, 0},
	linux.SYS_FCHMOD:      {"fchmod", Full, "", sysFileOnly, 0},
	linux.SYS_FCHOWN:      {"fchown", Full, "as root", sysFileOnly, 0},
	linux.SYS_FSTATFS:     {"fstatfs", Full, "the file system's figures", sysFileOnly, 0},
	linux.SYS_FCHDIR:      {"fchdir", Full, "", sysFileOnly, 0},
	linux.SYS_OPENAT:      {"openat", Full, "O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_NONBLOCK, O_PATH; access modes enforced", sysPath, 0},
	linux.SYS_OPEN:        {"open", Full, "as openat(AT_FDCWD)", sysPath, 0},
	linux.SYS_NEWFSTATAT:  {"newfstatat", Full, "AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH", sysPath, 0},
	linux.SYS_STAT:        {"stat", Full, "", sysPath, 0},
	linux.SYS_LSTAT:       {"lstat", Full, "", sysPath, 0},
	linux.SYS_STATX:       {"statx", Full, "the basic fields and the birth time", sysPath, 0},
	linux.SYS_MKDIRAT:     {"mkdirat", Full, "", sysPath, 0},
	linux.SYS_MKDIR:       {"mkdir", Full, "", sysPath, 0},
	linux.SYS_MKNODAT:     {"mknodat", Partial, "FIFOs, sockets and devices can be made and stat'ed; opening them is ENXIO (but the four devices of /dev)", sysPath, 0},
	linux.SYS_UNLINKAT:    {"unlinkat", Full, "AT_REMOVEDIR; an open file keeps its data until its last close", sysPath, 0},
	linux.SYS_UNLINK:      {"unlink", Full, "", sysPath, 0},
	linux.SYS_RMDIR:       {"rmdir", Full, "", sysPath, 0},
	linux.SYS_RENAMEAT:    {"renameat", Full, "atomic; a directory cannot move into its own subtree", sysPath, 0},
	linux.SYS_RENAMEAT2:   {"renameat2", Partial, "RENAME_NOREPLACE and RENAME_EXCHANGE; RENAME_WHITEOUT EINVAL", sysPath, 0},
	linux.SYS_RENAME:      {"rename", Full, "", sysPath, 0},
	linux.SYS_LINKAT:      {"linkat", Full, "AT_SYMLINK_FOLLOW, AT_EMPTY_PATH; directories EPERM", sysPath, 0},
	linux.SYS_LINK:        {"link", Full, "", sysPath, 0},
	linux.SYS_SYMLINKAT:   {"symlinkat", Full, "", sysPath, 0},
	linux.SYS_SYMLINK:     {"symlink", Full, "", sysPath, 0},
	linux.SYS_READLINKAT:  {"readlinkat", Full, "/proc/self/exe names the program", sysPath, 0},
	linux.SYS_READLINK:    {"readlink", Full, "", sysPath, 0},
	linux.SYS_FCHMODAT:    {"fchmodat", Full, "", sysPath, 0},
	linux.SYS_FCHMODAT2:   {"fchmodat2", Full, "AT_SYMLINK_NOFOLLOW (a symbolic link's mode cannot change: EOPNOTSUPP), AT_EMPTY_PATH", sysPath, 0},
	linux.SYS_CHOWN:       {"chown", Full, "as root: any owner", sysPath, 0},
	linux.SYS_LCHOWN:      {"lchown", Full, "as root: any owner", sysPath, 0},
	linux.SYS_UMASK:       {"umask", Full, "applied by the file system's servers to created files, directories and nodes", sysUmask, 0},
	linux.SYS_CHMOD:       {"chmod", Full, "", sysPath, 0},
	linux.SYS_FCHOWNAT:    {"fchownat", Full, "as root: any owner", sysPath, 0},
	linux.SYS_UTIMENSAT:   {"utimensat", Full, "nanosecond times, UTIME_NOW, UTIME_OMIT, AT_SYMLINK_NOFOLLOW; a NULL path is the descriptor itself", sysPath, 0},
	linux.SYS_FACCESSAT:   {"faccessat", Full, "as root sees it: execute needs an x bit", sysPath, 0},
	linux.SYS_FACCESSAT2:  {"faccessat2", Full, "AT_EACCESS, AT_SYMLINK_NOFOLLOW", sysPath, 0},
	linux.SYS_ACCESS:      {"access", Full, "", sysPath, 0},
	linux.SYS_TRUNCATE:    {"truncate", Full, "", sysPath, 0},
	linux.SYS_STATFS:      {"statfs", Full, "the file system's figures", sysPath, 0},
	linux.SYS_SYNC:        {"sync", Full, "every file's dirty pages written back, the disk's file system committed (its server)", sysServed, 0},
	linux.SYS_CHDIR:       {"chdir", Full, "", sysPath, 0},
	linux.SYS_GETCWD:      {"getcwd", Full, "ENOENT once the directory is removed, as Linux", sysServed, 0},

	// Memory (sys_mem.go).
	linux.SYS_MMAP:     {"mmap", Partial, "anonymous memory demand-paged in 64 KiB pages above 1 TiB (hints honoured where free; MAP_FIXED, MAP_FIXED_NOREPLACE); regular files MAP_PRIVATE, and MAP_SHARED read-only, filled at the call through the file's FCM (a copy: later writes to the file are not seen); MAP_SHARED with PROT_WRITE ENODEV", sysMmap, 0},
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
	linux.SYS_GETTIMEOFDAY:    {"gettimeofday", Full, "the realtime clock; the time zone is UTC", sysGettimeofday, 0},
	linux.SYS_CLOCK_GETTIME:   {"clock_gettime", Full, "from the timebase; REALTIME from RTAS get-time-of-day at boot; CPU-time clocks approximated by uptime", sysClockGettime, 0},
	linux.SYS_CLOCK_GETRES:    {"clock_getres", Full, "1 ns", sysClockGetres, 0},
	linux.SYS_NANOSLEEP:       {"nanosleep", Full, "timebase deadline", sysNanosleep, 0},
	linux.SYS_CLOCK_NANOSLEEP: {"clock_nanosleep", Full, "relative and TIMER_ABSTIME", sysClockNanosleep, 0},
	linux.SYS_TIMER_CREATE:    {"timer_create", Refused, "no POSIX timers: Go's CPU profiler falls back to setitimer", nil, linux.ENOSYS},
	linux.SYS_SETITIMER:       {"setitimer", Full, "ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF (process CPU time, for Go's CPU profiler)", sysSetitimer, 0},
	linux.SYS_GETITIMER:       {"getitimer", Full, "the three interval timers", sysGetitimer, 0},

	// Identity, limits and the machine (sys_identity.go).
	linux.SYS_GETPID:    {"getpid", Full, "one process, pid 1", sysGetpid, 0},
	linux.SYS_GETPPID:   {"getppid", Full, "0: no parent", sysAccept, 0},
	linux.SYS_GETUID:    {"getuid", Full, "root", sysAccept, 0},
	linux.SYS_GETEUID:   {"geteuid", Full, "root", sysAccept, 0},
	linux.SYS_GETGID:    {"getgid", Full, "root", sysAccept, 0},
	linux.SYS_GETEGID:   {"getegid", Full, "root", sysAccept, 0},
	linux.SYS_GETGROUPS: {"getgroups", Full, "root belongs to no supplementary group", sysAccept, 0},
	linux.SYS_SETGROUPS: {"setgroups", Partial, "accepted and ignored (one user)", sysAccept, 0},
	linux.SYS_UNAME:     {"uname", Full, "Linux-compatible names, nodename k42", sysUname, 0},
	linux.SYS_GETRLIMIT: {"getrlimit", Partial, "fixed limits (NOFILE 1024/4096, STACK 8 MiB, others unlimited)", sysGetrlimit, 0},
	linux.SYS_PRLIMIT64: {"prlimit64", Partial, "own process; fixed limits as getrlimit, new limits accepted and ignored", sysPrlimit64, 0},
	linux.SYS_SYSINFO:   {"sysinfo", Partial, "uptime, RAM and free RAM", sysSysinfo, 0},
	linux.SYS_CAPGET:    {"capget", Full, "root's capabilities, all of them", sysCapget, 0},
	linux.SYS_PRCTL:     {"prctl", Partial, "names, dumpable, keep-caps, no-new-privs, parent-death signal, subreaper, bounding set (all of it), PR_SET_VMA accepted; others EINVAL", sysPrctl, 0},
	linux.SYS_GETRANDOM: {"getrandom", Full, "from the darn instruction", sysGetrandom, 0},

	// The runtime's poller (sys_poll.go).
	linux.SYS_EVENTFD2:      {"eventfd2", Full, "counter or semaphore; reads of zero and overflowing writes block unless EFD_NONBLOCK", sysEventfd2, 0},
	linux.SYS_EPOLL_CREATE1: {"epoll_create1", Partial, "up to 16 instances", sysEpollCreate1, 0},
	linux.SYS_EPOLL_CTL:     {"epoll_ctl", Partial, "eventfds, pipes and sockets, level- or edge-triggered, EPOLLONESHOT; files and terminals EPERM (not pollable, as regular files on Linux: Go then uses blocking I/O); 4096 watches in all", sysEpollCtl, 0},
	linux.SYS_EPOLL_WAIT:    {"epoll_wait", Partial, "as epoll_pwait", sysEpollPwait, 0},
	linux.SYS_EPOLL_PWAIT:   {"epoll_pwait", Partial, "millisecond timeout; the signal mask is ignored", sysEpollPwait, 0},
	linux.SYS_EPOLL_PWAIT2:  {"epoll_pwait2", Refused, "Go falls back to epoll_pwait", nil, linux.ENOSYS},

	// The kernel's own calls (sys_k42.go).
	SysK42Stats:   {"k42_stats", Full, "kernel: copy per-CPU statistics", sysK42Stats, 0},
	SysK42Halt:    {"k42_halt", Full, "kernel: power off with a status", sysK42Halt, 0},
	SysK42Fault:   {"k42_fault", Full, "kernel: register the fault reporter; the fault report's hand-off", sysK42Fault, 0},
	SysK42CPU:     {"k42_cpu", Full, "kernel: the scheduler's record of the caller's CPU", sysK42CPU, 0},
	SysK42Mem:     {"k42_mem", Full, "kernel: memory figures, device mappings", sysK42Mem, 0},
	SysK42Threads: {"k42_threads", Full, "kernel: copy the thread table out", sysK42Threads, 0},
	SysK42Serve:   {"k42_serve", Full, "kernel: a file-system server registers, answers a forwarded call and waits for the next", sysK42Serve, 0},
	SysK42Dev:     {"k42_dev", Full, "kernel: PCI configuration space and MSI-X through RTAS, DMA memory and physical ranges, device interrupts (XICS)", sysK42Dev, 0},
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
