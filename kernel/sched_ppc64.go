package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
)

// The scheduler: per-CPU run queues of kernel threads (the Go runtime's
// Ms), waits with deadlines, and the switch. One spinlock, sched, guards
// the queues, the waits and the timers; it is taken only to block, wake
// or move a thread, never on the fast path: a system call that neither
// blocks nor changes what runs returns straight to its caller (trap), so
// a getpid costs the trap entry and exit and nothing more.
//
// Timers: a thread that blocks with a deadline goes into the deadline
// heap of the CPU it blocked on; each CPU's decrementer is programmed for
// its earliest deadline (or its time slice), and its expired timers are
// fired when it reschedules. A thread woken before its deadline leaves
// the heap. Futex waiters are kept in hash buckets by address.

// sched guards the thread table, every CPU's run queue and every wait.
// One lock for all CPUs keeps the invariants simple (a thread is in at
// most one queue, a blocked thread is woken once); per-CPU queues keep
// threads on the CPU they last ran on and let idle CPUs steal.
var sched spinlock

// runnable counts queued threads on all CPUs. sched guards it.
var runnable int32

// Time slice and console poll period in timebase ticks, set at boot.
var sliceTicks, pollTicks uint64

// enqueue makes thread i runnable: on the queue of the CPU it last ran on,
// unless that CPU is busy and another is idle, in which case the idle one
// gets it and is woken. sched must be held.
func enqueue(i int32) {
	t := &threads[i]
	if t.idle || t.state == threadRunnable || t.state == threadFree {
		kernelBug("queueing a thread twice, or an idle or free one", i, t.state)
	}
	t.state = threadRunnable
	t.next = 0
	me := int(ppc64.SPRG3())
	target := int(t.cpu)
	if target < 0 || target >= numCPUs || !cpus[target].Online {
		target = me
	}
	if !cpuIdle(target) {
		for k := 1; k <= numCPUs; k++ {
			if o := (target + k) % numCPUs; cpuIdle(o) && cpus[o].runqLen == 0 {
				target = o
				break
			}
		}
	}
	c := &cpus[target]
	if c.runqTail == 0 {
		c.runqHead = i + 1
	} else {
		threads[c.runqTail-1].next = i + 1
	}
	c.runqTail = i + 1
	c.runqLen++
	runnable++
	switch {
	case cpuIdle(target):
		if target != me {
			ppc64.Prod(uint64(c.Server))
		}
	default:
		// Queued behind a busy CPU: wake an idle one to steal it.
		for k := 0; k < numCPUs; k++ {
			if k != me && cpuIdle(k) {
				ppc64.Prod(uint64(cpus[k].Server))
				break
			}
		}
	}
}

// cpuIdle reports whether CPU i is online and running its idle thread.
func cpuIdle(i int) bool {
	c := &cpus[i]
	return c.Online && threads[c.current].idle
}

// popQueue takes the thread at the head of c's queue, or returns -1.
// Threads frozen by a fault elsewhere are dropped. sched must be held.
func popQueue(c *CPU) int32 {
	for c.runqHead != 0 {
		i := c.runqHead - 1
		c.runqHead = threads[i].next
		if c.runqHead == 0 {
			c.runqTail = 0
		}
		threads[i].next = 0
		c.runqLen--
		runnable--
		if faultFrozen(i) {
			continue
		}
		return i
	}
	return -1
}

// dequeue takes the next thread for c: its own queue first, otherwise the
// oldest thread of the longest other queue. sched must be held.
func dequeue(c *CPU) int32 {
	if i := popQueue(c); i >= 0 {
		return i
	}
	if runnable == 0 {
		return -1
	}
	var victim *CPU
	for k := 0; k < numCPUs; k++ {
		if o := &cpus[k]; o != c && o.runqLen > 0 && (victim == nil || o.runqLen > victim.runqLen) {
			victim = o
		}
	}
	if victim == nil {
		return -1
	}
	c.Stats.Steals++
	return popQueue(victim)
}

// wake makes a blocked thread runnable with result r. sched must be held.
func wake(i int32, r int64) {
	setReturn(&threads[i].Ctx, r)
	resume(i)
}

// resume makes blocked thread i runnable, leaving its registers as they
// are. sched must be held.
func resume(i int32) {
	t := &threads[i]
	switch t.wait {
	case waitFutex, waitQueue, waitFifo:
		futexUnlink(i)
	case waitEpoll:
		epolls[int32(t.futex)].waiters--
	}
	if t.timerCPU >= 0 {
		cpus[t.timerCPU].timers.remove(i)
	}
	t.wait = waitNone
	t.futex = 0
	t.wakeAt = 0
	enqueue(i)
}

// waitOn blocks t, in its system call, until wakeRestart(key); the call
// is then made again from the start (its registers are untouched), so
// it sees the new state. For waits whose condition the call itself
// re-checks: pipes, eventfds. sched must be held.
func waitOn(c *CPU, t *Thread, key uintptr) int64 {
	t.futex = key
	block(c, t, waitQueue, 0, 0)
	futexLink(int32(c.current))
	return blocked
}

// wakeRestart restarts every thread waiting on key. sched must be held.
func wakeRestart(key uintptr) {
	b := futexBucket(key)
	for k := futexHead[b]; k != 0; {
		i := k - 1
		k = threads[i].futexNext
		if w := &threads[i]; w.state == threadBlocked && w.wait == waitQueue && w.futex == key {
			w.Ctx.PC -= 4 // back to the sc: the call is made again
			resume(i)
		}
	}
}

// block puts the current thread t of c to sleep waiting for w until
// deadline (0 = none); when the deadline passes it resumes with timeout.
// sched must be held; it stays held until reschedule has switched away.
func block(c *CPU, t *Thread, w uint8, deadline uint64, timeout int64) {
	t.state = threadBlocked
	t.wait = w
	t.wakeAt = deadline
	t.timeout = timeout
	if deadline != 0 {
		c.timers.push(c.ID, c.current)
	}
	c.schedHeld = true
}

// releaseSched ends a system-call handler's hold on sched (as its
// deferred unlock), unless the handler blocked or queued its thread
// (c.schedHeld): then the lock passes to reschedule, which releases it
// once this CPU has switched away, so that no other CPU can wake and run
// the thread while this one still runs it. A handler that may block
// defers releaseSched(c), never sched.unlock.
func releaseSched(c *CPU) {
	if !c.schedHeld {
		sched.unlock()
	}
}

// requeue puts the current thread t of c back on a run queue (a yield).
// sched must be held; it stays held until reschedule has switched away.
func requeue(c *CPU, t *Thread) {
	setReturn(&t.Ctx, 0)
	enqueue(int32(c.current))
	c.schedHeld = true
}

// expireTimers wakes c's threads whose deadline has passed and returns
// the earliest deadline still pending on c (0 if none). sched must be
// held.
func expireTimers(c *CPU, now uint64) uint64 {
	for c.timers.n > 0 {
		i := c.timers.h[0]
		t := &threads[i]
		if t.wakeAt > now {
			return t.wakeAt
		}
		if t.wait == waitConsole {
			consoleReader = -1
		}
		wake(i, t.timeout) // takes it out of the heap
	}
	return 0
}

// reschedule chooses the thread this CPU resumes and programs the
// decrementer for the next event.
func reschedule(c *CPU, now uint64) {
	if !c.schedHeld {
		sched.lock()
	}
	c.schedHeld = false
	if consoleReader >= 0 {
		pollConsole()
	}
	earliest := expireTimers(c, now)
	cur := &threads[c.current]
	var timerSigs uint64
	if cur.Ctx.Trap == ppc64.VecDecrementer {
		timerSigs = itimerTick(c, cur, now)
	}
	next := c.current
	switch {
	case cur.idle:
		if n := dequeue(c); n >= 0 {
			next = n
		}
	case cur.state == threadRunning && !faultFrozen(c.current):
		if cur.Ctx.Trap == ppc64.VecDecrementer && now-c.sliceAt >= sliceTicks && c.runqLen > 0 {
			enqueue(c.current)
			next = dequeue(c)
		}
	default: // yielded, blocked, exited or frozen
		interruptIfSignalled(c.current)
		if c.handoff != 0 {
			handoffNow(c, cur) // a forwarded call's hand-off
			return
		} else if next = dequeue(c); next < 0 {
			next = c.idle
		}
	}
	if next != c.current {
		switchTo(c, cur, next, now)
	} else if cur.state != threadRunning { // it yielded, and is next again
		cur.state = threadRunning
	}
	t := &threads[next]
	// An idle CPU still wakes every two slices: a prod (H_PROD) that
	// arrives after it decided to idle but before it ceded may be lost, and
	// this bounds how long work queued for it can wait.
	dec := 2 * sliceTicks
	switch {
	case !t.idle:
		dec = sliceTicks
	case runnable > 0:
		dec = sliceTicks / 10 // come back soon to steal
	}
	if earliest != 0 {
		dec = min(dec, max(earliest-now, 1))
	}
	if consoleReader >= 0 || faultDeadline != 0 {
		dec = min(dec, pollTicks)
	}
	dec = itimerDEC(dec, now)
	if faultDeadline != 0 && now >= faultDeadline {
		faultWatchdog()
	}
	sched.unlock()
	setDeadline(c, now, dec)
	for sig := 1; timerSigs != 0; sig++ {
		if timerSigs&sigBit(sig) != 0 {
			timerSigs &^= sigBit(sig)
			signalProcess(sig, -1)
		}
	}
	if !t.idle && atomic.LoadUint64(&t.sigPending)&^t.sigMask != 0 {
		deliverSignals(c, t)
	}
}

// handoffNow switches c from cur straight to the thread a forwarded
// call hands it (c.handoff): a caller to its server, or the server back
// to its caller, as K42's protected procedure call does. It is the part
// of reschedule a hand-off needs: the other side runs on what is left of
// cur's time slice (sliceAt stays), so a caller and its server together
// are preempted as one thread would be; timers that come due meanwhile
// wake at the decrementer interrupt, which is due by the earliest of
// them or the slice's end (setDeadline left it so), and the console is
// polled there too. sched is held, and released.
func handoffNow(c *CPU, cur *Thread) {
	next := c.handoff - 1
	c.handoff = 0
	c.schedHeld = false
	interruptIfSignalled(c.current)
	slice := c.sliceAt
	switchTo(c, cur, next, ppc64.Timebase())
	c.sliceAt = slice
	sched.unlock()
	if t := &threads[next]; signalled(t) {
		deliverSignals(c, t)
	}
}

// interruptIfSignalled ends the wait thread i has just entered if a
// signal it does not block is already pending, as Linux's interruptible
// sleeps return at once for one: a signal sent while the thread ran
// (marked pending, to be taken at its next trap) must not be left
// waiting behind a wait that began in that very trap. sched is held.
func interruptIfSignalled(i int32) {
	if t := &threads[i]; t.state == threadBlocked && signalled(t) {
		interruptWait(i)
	}
}

// setDeadline makes the decrementer interrupt come within dec ticks of
// now. Loading the decrementer is expensive under QEMU (mtdec re-arms a
// host timer, about 9 µs under TCG, more than a whole system call), so
// it is loaded only when the interrupt already due would come too late:
// one due earlier is left as it is, and the reschedule it causes sets
// the next. The interrupt can therefore come early, never late.
func setDeadline(c *CPU, now, dec uint64) {
	want := now + dec
	if c.decAt > now && c.decAt <= want {
		return
	}
	c.decAt = want
	ppc64.SetDEC(uint32(dec))
}

// switchTo makes thread next current on c; cur is the thread it leaves.
// sched must be held.
func switchTo(c *CPU, cur *Thread, next int32, now uint64) {
	cur.runTicks += now - cur.lastRun
	if !cur.idle && itimerCPUArmed() {
		chargeCPU(now - min(now, max(cur.lastRun, c.itimerMark)))
		c.itimerMark = now
	}
	if cur.idle {
		c.Stats.IdleTicks += now - c.Stats.idleSince
	}
	if cur.state == threadDead {
		cur.state = threadFree
	}
	t := &threads[next]
	if !t.idle && t.state != threadRunnable {
		kernelBug("dispatching a thread that is not runnable", next, t.state)
	}
	t.state = threadRunning
	t.cpu = int32(c.ID)
	t.lastRun = now
	t.runs++
	if t.idle {
		c.Stats.idleSince = now
	} else {
		c.Stats.ThreadsRun++
	}
	c.Stats.Switches++
	c.current = next
	c.sliceAt = now
	c.CurCtx = ctxAddr(next)
}

// newThread takes a free slot and returns its index, or -1.
// sched must be held.
func newThread() int32 {
	for i := int32(0); i < MaxThreads; i++ {
		if threads[i].state == threadFree {
			t := &threads[i]
			*t = Thread{}
			t.tid = i + 1
			t.state = threadBlocked
			t.timerCPU = -1
			t.fwdFD, t.fwdDesc, t.fwdRelease = -1, -1, -1
			if i >= threadHigh {
				threadHigh = i + 1
			}
			return i
		}
	}
	return -1
}

// kernelBug reports a broken scheduler invariant and powers off.
func kernelBug(what string, thread int32, state uint32) {
	var k kbuf
	k.s("\n*** k42: kernel bug: ").s(what).s(" (thread ").d(int64(thread)).s(", state ").d(int64(state)).s(")\n")
	reportWrite(k.bytes())
	powerOff(FaultStatus)
}

// Futex waiters, hashed by address. Each bucket is a FIFO list linked
// through Thread.futexNext (index+1; 0 ends it). sched guards them.
const futexBuckets = 256

var futexHead, futexTail [futexBuckets]int32

func futexBucket(addr uintptr) int { return int((addr >> 2) * 0x9e3779b9 >> 8 % futexBuckets) }

// futexLink queues thread i, blocked on its futex word, at the tail.
func futexLink(i int32) {
	b := futexBucket(threads[i].futex)
	threads[i].futexNext = 0
	if futexTail[b] == 0 {
		futexHead[b] = i + 1
	} else {
		threads[futexTail[b]-1].futexNext = i + 1
	}
	futexTail[b] = i + 1
}

// futexUnlink takes thread i out of its bucket.
func futexUnlink(i int32) {
	b := futexBucket(threads[i].futex)
	prev := int32(0)
	for k := futexHead[b]; k != 0; k = threads[k-1].futexNext {
		if k == i+1 {
			next := threads[i].futexNext
			if prev == 0 {
				futexHead[b] = next
			} else {
				threads[prev-1].futexNext = next
			}
			if futexTail[b] == i+1 {
				futexTail[b] = prev
			}
			threads[i].futexNext = 0
			return
		}
		prev = k
	}
}

// futexWake wakes up to n threads waiting on addr, oldest first.
func futexWake(addr uintptr, n int) int {
	woken := 0
	sched.lock()
	b := futexBucket(addr)
	for k := futexHead[b]; k != 0 && woken < n; {
		i := k - 1
		k = threads[i].futexNext
		if w := &threads[i]; w.state == threadBlocked && w.wait == waitFutex && w.futex == addr {
			wake(i, 0)
			woken++
		}
	}
	sched.unlock()
	return woken
}
