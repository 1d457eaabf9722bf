package linux

// Flags and values of the calls the kernel serves, ppc64 values (where
// powerpc differs from other architectures, as for O_DIRECTORY, it is
// noted). abi_test.go checks them against golang.org/x/sys/unix.

// open(2) flags.
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0x40
	O_EXCL      = 0x80
	O_NOCTTY    = 0x100
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_DSYNC     = 0x1000
	O_DIRECTORY = 0x4000 // powerpc
	O_NOFOLLOW  = 0x8000 // powerpc
	O_LARGEFILE = 0x10000
	O_DIRECT    = 0x20000 // powerpc
	O_NOATIME   = 0x40000
	O_CLOEXEC   = 0x80000
	O_SYNC      = 0x101000
	O_PATH      = 0x200000
	O_TMPFILE   = 0x404000
)

// *at(2) flags and the current directory.
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_EACCESS          = 0x200
	AT_REMOVEDIR        = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
	AT_STATX_SYNC_TYPE  = 0x6000
)

// fcntl(2).
const (
	F_DUPFD         = 0x0
	F_GETFD         = 0x1
	F_SETFD         = 0x2
	F_GETFL         = 0x3
	F_SETFL         = 0x4
	F_GETLK         = 0x5
	F_SETLK         = 0x6
	F_SETLKW        = 0x7
	F_DUPFD_CLOEXEC = 0x406
	F_GETPIPE_SZ    = 0x408
	FD_CLOEXEC      = 0x1
)

// lseek(2).
const (
	SEEK_SET  = 0
	SEEK_CUR  = 1
	SEEK_END  = 2
	SEEK_DATA = 3
	SEEK_HOLE = 4
)

// File types and permission bits of st_mode.
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
)

// mmap(2), mprotect(2), madvise(2).
const (
	PROT_NONE  = 0x0
	PROT_READ  = 0x1
	PROT_WRITE = 0x2
	PROT_EXEC  = 0x4

	MAP_SHARED          = 0x1
	MAP_PRIVATE         = 0x2
	MAP_FIXED           = 0x10
	MAP_ANONYMOUS       = 0x20
	MAP_NORESERVE       = 0x40
	MAP_FIXED_NOREPLACE = 0x100000

	MADV_DONTNEED = 0x4
	MADV_FREE     = 0x8
)

// clone(2).
const (
	CLONE_VM     = 0x100
	CLONE_THREAD = 0x10000
)

// futex(2) operations.
const (
	FUTEX_WAIT           = 0
	FUTEX_WAKE           = 1
	FUTEX_WAIT_BITSET    = 9
	FUTEX_WAKE_BITSET    = 10
	FUTEX_PRIVATE_FLAG   = 128
	FUTEX_CLOCK_REALTIME = 256
)

// Clocks and clock_nanosleep(2).
const (
	CLOCK_REALTIME           = 0
	CLOCK_MONOTONIC          = 1
	CLOCK_PROCESS_CPUTIME_ID = 2
	CLOCK_THREAD_CPUTIME_ID  = 3
	CLOCK_MONOTONIC_RAW      = 4
	CLOCK_REALTIME_COARSE    = 5
	CLOCK_MONOTONIC_COARSE   = 6
	CLOCK_BOOTTIME           = 7
	CLOCK_REALTIME_ALARM     = 8
	CLOCK_BOOTTIME_ALARM     = 9

	TIMER_ABSTIME = 0x1
)

// Resource limits.
const (
	RLIMIT_CPU     = 0
	RLIMIT_FSIZE   = 1
	RLIMIT_DATA    = 2
	RLIMIT_STACK   = 3
	RLIMIT_CORE    = 4
	RLIMIT_NOFILE  = 7
	RLIMIT_AS      = 9
	RLIM_NLIMITS   = 16
	RLIM_INFINITY  = ^uint64(0)
	PR_SET_NAME    = 15
	PR_SET_VMA     = 0x53564d41
	GRND_NONBLOCK  = 0x1
	GRND_RANDOM    = 0x2
	GRND_INSECURE  = 0x4
	AT_RANDOM_SIZE = 16
)

// rt_sigprocmask(2) and sigaltstack(2).
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2

	SS_ONSTACK  = 1
	SS_DISABLE  = 2
	MINSIGSTKSZ = 2048
)

// epoll(7) and eventfd(2).
const (
	EPOLL_CTL_ADD = 0x1
	EPOLL_CTL_DEL = 0x2
	EPOLL_CTL_MOD = 0x3
	EPOLLIN       = 0x1
	EPOLLPRI      = 0x2
	EPOLLOUT      = 0x4
	EPOLLERR      = 0x8
	EPOLLHUP      = 0x10
	EPOLLRDHUP    = 0x2000
	EPOLLET       = 0x80000000
	EPOLL_CLOEXEC = 0x80000
	EFD_SEMAPHORE = 0x1
	EFD_NONBLOCK  = 0x800
	EFD_CLOEXEC   = 0x80000
)

// Terminal ioctls (ppc64 numbers).
const (
	TCGETS     = 0x402c7413
	TIOCGWINSZ = 0x40087468
)

// More flags of the file calls.
const (
	EPOLLONESHOT     = 0x40000000
	RENAME_NOREPLACE = 0x1
	RENAME_EXCHANGE  = 0x2
	RENAME_WHITEOUT  = 0x4
	UTIME_NOW        = 0x3fffffff
	UTIME_OMIT       = 0x3ffffffe
	F_OK             = 0
	X_OK             = 1
	W_OK             = 2
	R_OK             = 4
	F_UNLCK          = 2
	PATH_MAX         = 4096
	NAME_MAX         = 255
)
