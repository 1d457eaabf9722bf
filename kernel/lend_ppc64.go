package kernel

import "sync/atomic"

// Handing the caller's P to its server. A Go thread needs a P (the
// runtime's right to run Go code) to return from a system call. A
// file-system server waits in k42_serve, a system call, long enough for
// sysmon to take its P away; when a request comes and every P is held,
// by goroutines running or by callers sitting in their forwarded calls,
// the server could not run until sysmon took one back (20 µs to 10 ms).
// But the caller's own P is idle for exactly as long as the server
// works for it: the caller entered its call with entersyscall, so its P
// stays wired to its thread with the goroutine in _Gsyscall, the state
// in which the runtime itself lets another thread take the P.
//
// So, as K42's protected procedure call runs the server on the caller's
// time slice, the trap layer runs the server on the caller's P:
//
//   - When it hands a request to a server that has no P, it moves the
//     caller's P to the server's thread (movePTo) the way the runtime's
//     setBlockOnExitSyscall and takeP take the P of a thread in a
//     system call: it holds the caller goroutine's scan bit (_Gscan)
//     while it rewires p.m and the two m.p, so that sysmon and the
//     garbage collector, which take that bit for the same purpose,
//     cannot act on the P meanwhile; the P stays _Prunning, owned by the
//     server's thread. The server's exitsyscall then finds a P and takes
//     its fast path.
//   - When the server answers, the P goes back to the caller the same
//     way (the server's goroutine is in _Gsyscall again, in k42_serve),
//     and the caller's exitsyscall takes its fast path too.
//   - If a move cannot be made (the scan bit is held, the caller came in
//     through RawSyscall, the server kept its own P), nothing is moved;
//     the caller's m.oldp is still copied to the server's, so that the
//     server's exitsyscall takes the caller's P itself through the
//     runtime's own path if it must.
//
// Every word written is one the runtime writes in the same transition,
// and only while the threads involved are stopped in the kernel; the
// offsets come from the image's DWARF (RuntimeLayout) and the status
// values are checked against the toolchain's source by a host test.

// lendP is on unless the kernel option k42.serve.lend=off turned it off
// (for measuring the stall it removes).
var lendP = true

// Counts of hand-overs, for the benchmarks: moves made, to servers and
// back, and fallbacks to the copied oldp. sched guards them.
var lendStats struct{ toServer, back, oldpOnly uint64 }

// threadM returns the runtime m of thread t (from its g, R30) with the
// words lend uses in t's g and m checked present, or 0. gen is vmGen+1
// (as in rtWords), here and below.
func threadM(t *Thread, gen uint64) uint64 {
	if m := t.rt.cached(t.Ctx.GPR[30], gen); m != 0 {
		return m
	}
	return checkM(t, gen)
}

// cached returns the m checked for g in generation gen, or 0. (Small
// enough to inline where threadM is not: movePTo's hot path.)
func (r *rtWords) cached(g, gen uint64) uint64 {
	if r.gen == gen && r.g == g {
		return r.m
	}
	return 0
}

// checkM is threadM's slow path: it reads t's m from its g and checks the
// words lend uses.
func checkM(t *Thread, gen uint64) uint64 {
	g := t.Ctx.GPR[30]
	L := &RuntimeLayout
	m, ok := userWord(g + L[RLGM])
	if !ok || m == 0 || !userAligned(g+L[RLGStatus], 4) || !userAligned(m+L[RLMP], 8) || !userAligned(m+L[RLMOldP], 8) {
		t.rt.gen = 0
		return 0
	}
	t.rt.gen, t.rt.g, t.rt.m = gen, g, m
	return m
}

// checkedP reports whether P p's words lend uses are present, through
// thread t's cache.
func checkedP(t *Thread, p, gen uint64) bool {
	return t.rt.pGen == gen && t.rt.p == p || checkP(t, p, gen)
}

// checkP is checkedP's slow path.
func checkP(t *Thread, p, gen uint64) bool {
	L := &RuntimeLayout
	if p == 0 || !userAligned(p+L[RLPM], 8) || !userAligned(p+L[RLPStatus], 4) {
		return false
	}
	t.rt.pGen, t.rt.p = gen, p
	return true
}

// userAligned reports whether the n-byte word at addr is aligned and
// present.
func userAligned(addr, n uint64) bool { return addr&(n-1) == 0 && validUser(addr, n) }

// movePTo moves the P of thread from, whose goroutine is in a system
// call, to thread to, whose goroutine is in a system call without a P.
// It returns the P moved, or 0 if it moved nothing. sched is held.
func movePTo(from, to *Thread, gen uint64) uint64 {
	L := &RuntimeLayout
	mf, mt := from.rt.cached(from.Ctx.GPR[30], gen), to.rt.cached(to.Ctx.GPR[30], gen)
	if mf == 0 {
		mf = checkM(from, gen)
	}
	if mt == 0 {
		mt = checkM(to, gen)
	}
	if mf == 0 || mt == 0 || mf == mt {
		return 0
	}
	// Plain loads: to's thread is stopped in the kernel, and the scan bit
	// taken below orders what the collector or sysmon might change.
	if *userU32(to.rt.g + L[RLGStatus]) != RuntimeGsyscall {
		return 0
	}
	if *userU64(mt + L[RLMP]) != 0 {
		return 0 // the target still has its P: its exitsyscall is fast anyway
	}
	p := *userU64(mf + L[RLMP])
	if !checkedP(from, p, gen) {
		return 0
	}
	gsf := userU32(from.rt.g + L[RLGStatus])
	if !atomic.CompareAndSwapUint32(gsf, RuntimeGsyscall, RuntimeGsyscall|RuntimeGscan) {
		return 0 // not in a syscall, or sysmon or the collector holds it
	}
	// The CAS's barrier (lwsync after it) orders these loads after it.
	if *userU64(p + L[RLPM]) == mf && *userU32(p + L[RLPStatus]) == RuntimePrunning && *userU64(mf + L[RLMP]) == p {
		*userU64(p + L[RLPM]) = mt
		*userU64(mf + L[RLMP]) = 0
		*userU64(mt + L[RLMP]) = p
		to.rt.pGen, to.rt.p = gen, p // checked: it is to's now
	} else {
		p = 0
	}
	atomic.StoreUint32(gsf, RuntimeGsyscall) // sync; stw: the rewiring is visible first
	return p
}

// lend runs when caller's request is handed to server: it moves the
// caller's P to the server if the server has none, and otherwise copies
// the caller's m.oldp for the server's exitsyscall. sched is held.
func lend(caller, server *Thread) {
	server.lentP = 0
	if !lendP || RuntimeLayout[RLFilled] != 1 {
		return
	}
	gen := vmGen.Load() + 1
	if p := movePTo(caller, server, gen); p != 0 {
		server.lentP = p
		lendStats.toServer++
		return
	}
	cm, sm := threadM(caller, gen), threadM(server, gen)
	if cm == 0 || sm == 0 {
		return
	}
	oldp := RuntimeLayout[RLMOldP]
	if p := *userU64(cm + oldp); p != 0 {
		*userU64(sm + oldp) = p
		lendStats.oldpOnly++
	}
}

// giveBack runs when server answers caller: the P lent to it goes back.
// sched is held.
func giveBack(server, caller *Thread) {
	if server.lentP == 0 {
		return
	}
	gen := vmGen.Load() + 1
	if m := threadM(server, gen); m != 0 && *userU64(m + RuntimeLayout[RLMP]) == server.lentP && movePTo(server, caller, gen) == server.lentP {
		lendStats.back++
	}
	server.lentP = 0
}

// userWord reads the aligned word at a user address.
func userWord(addr uint64) (uint64, bool) {
	if addr&7 != 0 || !validUser(addr, 8) {
		return 0, false
	}
	return *userU64(addr), true
}
