package fs

import "syscall"

// Flags of the *at operations, open and rename, and special times of
// utimensat, as Linux defines them. These have the same values on every
// Linux architecture; the open flags whose values differ between
// architectures (O_DIRECTORY, O_NOFOLLOW, O_DIRECT, ...) are taken from the
// syscall package, so they are the target's.
const (
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_EACCESS          = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
	AT_STATX_SYNC_TYPE  = 0x6000 // statx's sync bits: accepted, nothing to sync

	O_PATH    = 0x200000
	O_TMPFILE = 0x400000 // without O_DIRECTORY's bit

	RENAME_NOREPLACE = 1
	RENAME_EXCHANGE  = 2
	RENAME_WHITEOUT  = 4

	UTIME_NOW  = 1<<30 - 1
	UTIME_OMIT = 1<<30 - 2

	// Access modes of AccessAt.
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4
)

// File type bits of a mode, and the permission bits chmod sets.
const (
	S_IFMT   = syscall.S_IFMT
	S_IFSOCK = syscall.S_IFSOCK
	S_IFLNK  = syscall.S_IFLNK
	S_IFREG  = syscall.S_IFREG
	S_IFBLK  = syscall.S_IFBLK
	S_IFDIR  = syscall.S_IFDIR
	S_IFCHR  = syscall.S_IFCHR
	S_IFIFO  = syscall.S_IFIFO

	S_ISUID = 0o4000
	S_ISGID = 0o2000
	S_ISVTX = 0o1000

	permBits = 0o7777
)

// Flags F_SETFL may change; Linux's others there (O_ASYNC, O_DIRECT) are
// ignored.
const setflMask = syscall.O_APPEND | syscall.O_NONBLOCK | syscall.O_NOATIME

// Open flags that describe the open only and are not kept in the open
// file's flags (F_GETFL does not show them).
const openOnly = syscall.O_CREAT | syscall.O_EXCL | syscall.O_NOCTTY | syscall.O_TRUNC | syscall.O_CLOEXEC

const (
	nameMax    = 255
	pathMax    = 4096 // including the terminating NUL, as Linux counts
	maxSymlink = 40
	direntSize = 20 // tmpfs's BOGO_DIRENT_SIZE: a directory's size grows by this per entry
)
