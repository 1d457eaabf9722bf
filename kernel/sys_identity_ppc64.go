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

// prctl's process attributes, as Linux keeps them for one process (and
// the thread name, which Linux keeps per thread, once for all).
var prctlState struct {
	keepCaps, noNewPrivs, subreaper bool
	dumpable                        uint64
	pdeathSig                       uint64
	name                            [16]byte
}

func init() { prctlState.dumpable = 1 }

func sysPrctl(c *CPU, t *Thread) int64 {
	sched.lock()
	r := prctlLocked(arg(t, 0), arg(t, 1))
	sched.unlock()
	return r
}

// prctlLocked serves prctl with sched held. (No defer: its many returns
// would make it a runtime defer, which the trap handler cannot use.)
func prctlLocked(op, a1 uint64) int64 {
	flag := func(b *bool) int64 {
		if a1 > 1 {
			return -eINVAL
		}
		*b = a1 == 1
		return 0
	}
	get := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	switch op {
	case 0x53564d41: // PR_SET_VMA (names of anonymous mappings): accepted
		return 0
	case 1: // PR_SET_PDEATHSIG
		if a1 > nsig {
			return -eINVAL
		}
		prctlState.pdeathSig = a1
		return 0
	case 2: // PR_GET_PDEATHSIG
		if !validUser(a1, 4) {
			return -eFAULT
		}
		*userU32(a1) = uint32(prctlState.pdeathSig)
		return 0
	case 3: // PR_GET_DUMPABLE
		return int64(prctlState.dumpable)
	case 4: // PR_SET_DUMPABLE
		if a1 > 1 {
			return -eINVAL
		}
		prctlState.dumpable = a1
		return 0
	case 7: // PR_GET_KEEPCAPS
		return get(prctlState.keepCaps)
	case 8: // PR_SET_KEEPCAPS
		return flag(&prctlState.keepCaps)
	case 15: // PR_SET_NAME
		if !validUser(a1, 16) {
			return -eFAULT
		}
		n := copy(prctlState.name[:15], user(a1, 16))
		for i := 0; i < n; i++ {
			if prctlState.name[i] == 0 {
				n = i
			}
		}
		clear(prctlState.name[n:])
		return 0
	case 16: // PR_GET_NAME
		if !validUser(a1, 16) {
			return -eFAULT
		}
		copy(user(a1, 16), prctlState.name[:])
		return 0
	case 21: // PR_GET_SECCOMP
		return 0
	case 23: // PR_CAPBSET_READ: every capability is in the bounding set (root)
		if a1 > 40 {
			return -eINVAL
		}
		return 1
	case 36: // PR_SET_CHILD_SUBREAPER
		prctlState.subreaper = a1 != 0
		return 0
	case 37: // PR_GET_CHILD_SUBREAPER
		if !validUser(a1, 4) {
			return -eFAULT
		}
		*userU32(a1) = uint32(get(prctlState.subreaper))
		return 0
	case 38: // PR_SET_NO_NEW_PRIVS (it cannot be unset)
		if a1 != 1 {
			return -eINVAL
		}
		prctlState.noNewPrivs = true
		return 0
	case 39: // PR_GET_NO_NEW_PRIVS
		return get(prctlState.noNewPrivs)
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

// sysCapget serves capget: the one user is root, which Linux gives the
// full effective and permitted sets and an empty inheritable one.
func sysCapget(c *CPU, t *Thread) int64 {
	hdr, data := arg(t, 0), arg(t, 1)
	if !validUser(hdr, 8) {
		return -eFAULT
	}
	version := *userU32(hdr)
	words := uint64(2) // _LINUX_CAPABILITY_VERSION_2 and _3: two 32-bit sets
	switch version {
	case 0x19980330: // _LINUX_CAPABILITY_VERSION_1
		words = 1
	case 0x20071026, 0x20080522:
	default:
		*userU32(hdr) = 0x20080522 // the preferred version, as Linux answers
		if data == 0 {
			return 0
		}
		return -eINVAL
	}
	if pid := int32(*userU32(hdr + 4)); pid != 0 && pid != 1 {
		return -eSRCH
	}
	if data == 0 {
		return 0
	}
	if !validUser(data, 12*words) {
		return -eFAULT
	}
	for w := uint64(0); w < words; w++ {
		full := uint32(0xffffffff)
		if w == 1 {
			full = 0x1ff // capabilities 32 to 40
		}
		*userU32(data + 12*w) = full     // effective
		*userU32(data + 12*w + 4) = full // permitted
		*userU32(data + 12*w + 8) = 0    // inheritable
	}
	return 0
}
