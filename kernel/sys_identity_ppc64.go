package kernel

import (
	"k42/arch/ppc64"
)

func sysGetrandom(c *CPU, t *Thread) int64 {
	buf, n := arg(t, 0), arg(t, 1)
	if !validUser(buf, n) {
		return -eFAULT
	}
	b := user(buf, int(n))
	for i := 0; i < len(b); i += 8 {
		r := random64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(r >> (8 * j))
		}
	}
	return int64(n)
}

// random64 returns a hardware random number, retrying while darn reports
// failure, and mixing in the timebase if it keeps failing.
func random64() uint64 {
	for i := 0; i < 16; i++ {
		if r := ppc64.Darn(); r != ^uint64(0) {
			return r
		}
	}
	x := ppc64.Timebase() * 0x9e3779b97f4a7c15
	return x ^ x>>29
}

func sysPrctl(c *CPU, t *Thread) int64 {
	switch arg(t, 0) {
	case 0x53564d41, 15: // PR_SET_VMA, PR_SET_NAME
		return 0
	}
	return -eINVAL
}

func sysUname(c *CPU, t *Thread) int64 {
	buf := arg(t, 0)
	if !validUser(buf, 6*65) {
		return -eFAULT
	}
	b := user(buf, 6*65)
	clear(b)
	for i, s := range [6]string{"Linux", "k42", "6.1.0-k42", "#1 SMP K42 online reconfiguration kernel", "ppc64", "(none)"} {
		copy(b[i*65:i*65+64], s)
	}
	return 0
}

// Resource limits: cur, max.
func rlimit(res uint64) (uint64, uint64, bool) {
	switch res {
	case 3: // RLIMIT_STACK
		return 8 << 20, ^uint64(0), true
	case 7: // RLIMIT_NOFILE
		return 1024, 4096, true
	case 0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15:
		return ^uint64(0), ^uint64(0), true
	}
	return 0, 0, false
}

func sysGetrlimit(c *CPU, t *Thread) int64 {
	cur, mx, ok := rlimit(arg(t, 0))
	if !ok {
		return -eINVAL
	}
	p := arg(t, 1)
	if !validUser(p, 16) {
		return -eFAULT
	}
	*userU64(p), *userU64(p + 8) = cur, mx
	return 0
}

func sysPrlimit64(c *CPU, t *Thread) int64 {
	if pid := arg(t, 0); pid != 0 && pid != 1 {
		return -eSRCH
	}
	cur, mx, ok := rlimit(arg(t, 1))
	if !ok {
		return -eINVAL
	}
	if old := arg(t, 3); old != 0 {
		if !validUser(old, 16) {
			return -eFAULT
		}
		*userU64(old), *userU64(old + 8) = cur, mx
	}
	return 0
}

func sysSysinfo(c *CPU, t *Thread) int64 {
	p := arg(t, 0)
	if !validUser(p, 112) {
		return -eFAULT
	}
	b := user(p, 112)
	clear(b)
	ns, _ := nowNanos(1)
	*userU64(p) = uint64(ns / 1e9)                   // uptime
	*userU64(p + 32) = Platform.MemBytes             // totalram
	*userU64(p + 40) = Platform.MemBytes - memUsed() // freeram
	*userU32(p + 104) = 1                            // mem_unit
	return 0
}

func sysGetpid(c *CPU, t *Thread) int64 { return 1 }
