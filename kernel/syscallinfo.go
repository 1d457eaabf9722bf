package kernel

import "k42/kernel/linux"

// Support states how completely the kernel serves a Linux system call.
type Support uint8

const (
	// Unlisted calls print their number once and fail with ENOSYS.
	Unlisted Support = iota
	// Full: the Linux semantics a Go program can observe.
	Full
	// Partial: served, with the limits the note states.
	Partial
	// Refused: deliberately fails with the entry's errno.
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
	Errno   linux.Errno // what a refused call returns
	Handled bool        // the entry has a handler
}
