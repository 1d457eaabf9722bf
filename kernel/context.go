package kernel

import "k42/arch/ppc64"

// Context is a thread's saved processor state (the architecture's).
type Context = ppc64.Context

// crSO is CR0[SO] in the 32-bit condition register image: the Linux
// system-call ABI on ppc64 sets it when r3 holds an error number.
const crSO = 0x10000000

// setReturn stores a system call's result in the saved registers: a
// value in (-4096, 0) is -errno and is returned as errno with CR0[SO] set.
func setReturn(c *Context, v int64) {
	if v < 0 && v > -4096 {
		c.GPR[3] = uint64(-v)
		c.CR |= crSO
		return
	}
	c.GPR[3] = uint64(v)
	c.CR &^= crSO
}
