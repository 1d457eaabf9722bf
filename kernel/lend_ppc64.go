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
// back, and fallbacks to the copied oldp.
var lendStats struct{ toServer, back, oldpOnly atomic.Uint64 }

// threadM returns the runtime m of thread t (from its g, R30), or 0.
func threadM(t *Thread) uint64 {
	m, ok := userWord(t.Ctx.GPR[30] + RuntimeLayout[RLGM])
	if !ok {
		return 0
	}
	return m
}

// movePTo moves the P of thread from, whose goroutine is in a system
// call, to thread to, whose goroutine is in a system call without a P.
// It returns the P moved, or 0 if it moved nothing. sched is held.
func movePTo(from, to *Thread) uint64 {
	L := &RuntimeLayout
	gf, gt := from.Ctx.GPR[30], to.Ctx.GPR[30]
	mf, mt := threadM(from), threadM(to)
	if mf == 0 || mt == 0 || mf == mt {
		return 0
	}
	st, ok := userWord32(gt + L[RLGStatus])
	if !ok || st != RuntimeGsyscall {
		return 0
	}
	if p, ok := userWord(mt + L[RLMP]); !ok || p != 0 {
		return 0 // the target still has its P: its exitsyscall is fast anyway
	}
	p, ok := userWord(mf + L[RLMP])
	if !ok || p == 0 || !validUser(p+L[RLPM], 8) || !validUser(p+L[RLPStatus], 4) {
		return 0
	}
	gsf := userU32(gf + L[RLGStatus])
	if !validUser(gf+L[RLGStatus], 4) || !atomic.CompareAndSwapUint32(gsf, RuntimeGsyscall, RuntimeGsyscall|RuntimeGscan) {
		return 0 // not in a syscall, or sysmon or the collector holds it
	}
	if *userU64(p + L[RLPM]) == mf && atomic.LoadUint32(userU32(p+L[RLPStatus])) == RuntimePrunning && *userU64(mf + L[RLMP]) == p {
		*userU64(p + L[RLPM]) = mt
		*userU64(mf + L[RLMP]) = 0
		*userU64(mt + L[RLMP]) = p
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
	if p := movePTo(caller, server); p != 0 {
		server.lentP = p
		lendStats.toServer.Add(1)
		return
	}
	cm, sm := threadM(caller), threadM(server)
	if cm == 0 || sm == 0 {
		return
	}
	oldp := RuntimeLayout[RLMOldP]
	if p, ok := userWord(cm + oldp); ok && p != 0 && validUser(sm+oldp, 8) && (sm+oldp)&7 == 0 {
		*userU64(sm + oldp) = p
		lendStats.oldpOnly.Add(1)
	}
}

// giveBack runs when server answers caller: the P lent to it goes back.
// sched is held.
func giveBack(server, caller *Thread) {
	if server.lentP == 0 {
		return
	}
	if m := threadM(server); m != 0 {
		if p, ok := userWord(m + RuntimeLayout[RLMP]); ok && p == server.lentP && movePTo(server, caller) == p {
			lendStats.back.Add(1)
		}
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

// userWord32 reads the aligned 32-bit word at a user address.
func userWord32(addr uint64) (uint32, bool) {
	if addr&3 != 0 || !validUser(addr, 4) {
		return 0, false
	}
	return atomic.LoadUint32(userU32(addr)), true
}
