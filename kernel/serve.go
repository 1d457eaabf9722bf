package kernel

import "k42/kernel/linux"

// The file-system servers' side of the hand-off (serve_ppc64.go has the
// trap layer's). A server is a goroutine locked to its thread that loops
// in the k42_serve call; each time the call returns, the server's
// ServeRequest holds one forwarded system call, which it serves and
// answers with the next k42_serve. A wait that returns EINTR (a signal
// for the server's thread, such as the runtime's per-thread syscall
// signal) brings no request: the answer before it, if any, was
// delivered, and the server waits again with ServeWait.

// ServeRequest is one forwarded system call as a server receives it.
// The trap layer has already translated the call's descriptors to the
// server's handles, checked its output buffers (so the server writes
// them in place) and copied its path arguments.
type ServeRequest struct {
	Nr     uint64    // the Linux system call
	Args   [6]uint64 // its arguments, as the caller passed them
	TID    int32     // the caller's thread
	CPU    int32     // the CPU the caller made it on
	Handle [2]int32  // the server handles of its descriptor arguments (see HandleCwd, ...)
	// Flags are the access mode and status flags of Handle[0]'s
	// description, as the trap layer keeps them.
	Flags uint32
	// More reports that every other server is busy: the server should
	// start another before serving (up to the pool's limit).
	More bool
	_    [3]byte
	// Umask is the process's file-mode creation mask.
	Umask uint32
	// Pipe is the server's to set when it answers an open of a FIFO: the
	// pipe (ServeFifo's result) plus one that the new descriptor is an
	// end of; 0 for any other answer.
	Pipe    int32
	PathLen [2]int32 // lengths of Path[0] and Path[1]; -1: the argument was NULL
	Path    [2][linux.PATH_MAX]byte
}

// Special handles of ServeRequest.Handle.
const (
	HandleNone    = -4 // the call has no such argument
	HandleBad     = -3 // the argument is not an open descriptor (EBADF, for a relative path)
	HandleNotFile = -2 // an open descriptor, but not of the file system (ENOTDIR as a dirfd)
	HandleCwd     = -1 // AT_FDCWD: the current directory
)

// NrRelease is the call number a server sees for the release of a file
// description whose last descriptor was closed (Handle[0]).
const NrRelease = 0x7fff

// Operations of the k42_serve call (its first argument).
const (
	ServeRegister = iota // a1: the server's *ServeRequest; then wait for a request
	ServeReply           // a1: the result (or -errno), a2: a new handle (opens); then wait
	// ServeFifo (a1: the FIFO's identity, its inode number; a2: the open's
	// flags) finds or makes the pipe of the FIFO being opened and counts
	// the opener as one of its readers or writers (both for O_RDWR); it
	// returns the pipe, which the server's answer names in Pipe, or
	// ENXIO for a non-blocking write-only open with no reader, as Linux.
	// It does not block: an open that must wait for the other end waits
	// once the server has answered.
	ServeFifo
	// ServeLend (a1: 0 or 1) turns the lending of callers' Ps to servers
	// off or on (lend_ppc64.go; the kernel option k42.serve.lend).
	ServeLend
	// ServeWait waits for a request without answering one: after a wait
	// (Register, Reply, Wait) returned EINTR because a signal came.
	ServeWait
	// ServeStats (a1: [3]uint64) copies out the counts of Ps handed to
	// servers, handed back, and of the fallbacks to a copied m.oldp.
	ServeStats
)

// Forwarded-call shapes: which arguments are descriptors and paths.
type fwdSpec struct {
	fd    [2]int8 // argument index of a descriptor or dirfd, -1 none
	dirfd [2]bool // fd[i] is a dirfd (AT_FDCWD allowed, ignored for absolute paths)
	path  [2]int8 // argument index of a path, -1 none
}
