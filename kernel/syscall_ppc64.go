package kernel

import "k42/kernel/linux"

// The system-call dispatcher. Every system call arrives here from trap
// with the caller's registers saved in t.Ctx: the number in r0, the
// arguments in r3 to r8. The entry of the table (linux64.go) serves it;
// the result goes back in r3, an error as errno with CR0[SO] set.

// handler serves one system call for thread t on CPU c. It returns the
// result (a negative errno on failure) or blocked, when it has put the
// thread to sleep (the waker sets the result) or set the registers
// itself.
type handler func(c *CPU, t *Thread) int64

// blocked is what a handler returns when the caller does not resume yet.
const blocked = -1 << 63

// errno is a handler's failure result.
func errno(e linux.Errno) int64 { return -int64(e) }

// reported marks unknown system calls already printed.
var reported [numSyscalls]bool

func doSyscall(c *CPU, t *Thread) {
	nr := t.Ctx.GPR[0]
	var r int64
	switch {
	case nr >= numSyscalls:
		r = unknownSyscall(nr)
	case syscalls[nr].fn != nil:
		r = syscalls[nr].fn(c, t)
	case syscalls[nr].support == Refused:
		r = errno(syscalls[nr].errno)
	default:
		r = unknownSyscall(nr)
	}
	if r != blocked {
		setReturn(&t.Ctx, r)
	}
}

// unknownSyscall prints a call the table does not list, once, and fails
// it with ENOSYS.
func unknownSyscall(nr uint64) int64 {
	if nr < numSyscalls && reported[nr] {
		return errno(linux.ENOSYS)
	}
	if nr < numSyscalls {
		reported[nr] = true
	}
	var k kbuf
	k.s("k42: unsupported system call ").d(int64(nr))
	if name := linux.SyscallName(nr); name != "" {
		k.s(" (").s(name).s(")")
	}
	k.s(": ENOSYS\n")
	consoleWrite(k.bytes())
	return errno(linux.ENOSYS)
}

// Typed access to the caller's arguments (r3 to r8), in the spirit of
// gVisor's arch.SyscallArgument.

// arg returns argument i as the raw register.
func arg(t *Thread, i int) uint64 { return t.Ctx.GPR[3+i] }

// argInt returns argument i as a C int (sign-extended from 32 bits).
func argInt(t *Thread, i int) int32 { return int32(t.Ctx.GPR[3+i]) }

// argUint returns argument i as a C unsigned int.
func argUint(t *Thread, i int) uint32 { return uint32(t.Ctx.GPR[3+i]) }

// argAddr returns argument i as a user address.
func argAddr(t *Thread, i int) uint64 { return t.Ctx.GPR[3+i] }

// argSize returns argument i as a size_t.
func argSize(t *Thread, i int) uint64 { return t.Ctx.GPR[3+i] }

// argLong returns argument i as a C long.
func argLong(t *Thread, i int) int64 { return int64(t.Ctx.GPR[3+i]) }

// sysAccept serves calls accepted and ignored (their note says which).
func sysAccept(c *CPU, t *Thread) int64 { return 0 }
