package kernel

import (
	"k42/arch/ppc64"
)

// The console: virtual terminals served by the hypervisor. The lowest
// terminal is the console proper (kernel messages and input on fd 0); a
// second terminal, when the machine has one, carries fd 1 and a third fd
// 2, so that a program's standard output and standard error are streams
// of their own (the host runner connects them to its standard output and
// standard error). Reports that end the boot (faults, out of memory, a
// failed boot) go to the error terminal: a user sees them with the
// program's own errors, and the console log keeps the routine messages.

var (
	conLock       spinlock
	conTerm       uint64 // console terminal number
	outTerm       uint64 // the program's output terminal (fd 1 at boot)
	errTerm       uint64 // the program's error terminal (fd 2 at boot)
	tty           ldisc
	consoleReader int32 = -1 // thread blocked reading fd 0, or -1
)

// termWrite writes b to terminal term, 16 bytes per hypercall, retrying
// while the hypervisor is busy.
func termWrite(term uint64, b []byte) {
	for len(b) > 0 {
		n := min(len(b), 16)
		for tries := 0; !ppc64.PutTermChars(term, b[:n]) && tries < 1000; tries++ {
		}
		b = b[n:]
	}
}

// consoleWrite writes kernel output to the console.
func consoleWrite(b []byte) {
	conLock.lock()
	termWrite(conTerm, b)
	conLock.unlock()
}

// reportWrite writes a report that ends the boot (fault, out of memory,
// boot failure) to the error terminal, which is the console itself on a
// machine with one terminal. It takes conLock, so that a report is not
// interleaved with console output when the terminals are the same.
func reportWrite(b []byte) {
	conLock.lock()
	termWrite(errTerm, b)
	conLock.unlock()
}

// pollConsole reads pending input into the line discipline, echoes it and
// completes a waiting read. sched must be held.
func pollConsole() {
	var in [16]byte
	for tty.room() {
		n := ppc64.GetTermChars(conTerm, &in)
		if n == 0 {
			break
		}
		var echo [64]byte
		en := 0
		for _, b := range in[:n] {
			en = tty.input(b, &echo, en)
		}
		if en > 0 {
			consoleWrite(echo[:en])
		}
	}
	if r := consoleReader; r >= 0 && tty.readable() {
		t := &threads[r]
		consoleReader = -1
		wake(r, int64(tty.read(user(uint64(t.readBuf), t.readLen))))
	}
}

// consoleRead reads the console's input (fd 0's terminal) into buf: a
// completed line, or end of file; otherwise the caller blocks until one
// comes. sched is held; buf is checked.
func consoleRead(c *CPU, t *Thread, buf, n uint64) int64 {
	if n == 0 {
		return 0
	}
	pollConsole()
	if tty.readable() || consoleReader >= 0 {
		r := int64(-eAGAIN) // one reader at a time
		if tty.readable() {
			r = int64(tty.read(user(buf, int(n))))
		}
		return r
	}
	consoleReader = int32(c.current)
	t.readBuf, t.readLen = uintptr(buf), int(min(n, 1<<20))
	block(c, t, waitConsole, 0, 0)
	return blocked
}

// terminal is the hypervisor terminal of a terminal desc.
func terminal(index int32) uint64 {
	switch index {
	case termOut:
		return outTerm
	case termErr:
		return errTerm
	}
	return conTerm
}
