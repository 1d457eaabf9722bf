package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
)

// online counts CPUs that have entered the scheduler.
var online atomic.Int32

// startSecondaries starts every other CPU of the device tree with RTAS
// start-cpu and waits until each has entered its idle thread, so that the
// runtime, which counts CPUs once at start-up, sees them all. A CPU that
// does not come up within a second is left out.
func startSecondaries() {
	n := min(Platform.NumCPUs, MaxCPUs)
	for i := 1; i < n; i++ {
		prepareCPU(i)
	}
	// numCPUs covers every CPU being started, so queues and stealing scan
	// them; a CPU takes work only once Online.
	numCPUs = n
	for i := 1; i < n; i++ {
		c := &cpus[i]
		if _, st := rtas(Platform.RTAS.StartCPU, 1, c.Server, uint32(ppc64.SecondaryEntryPC()), uint32(uintptrOf(c))); st != 0 {
			var k kbuf
			k.s("k42: RTAS start-cpu failed for CPU ").d(int64(i)).s(" (status ").d(int64(st)).s(")\n")
			consoleWrite(k.bytes())
			continue
		}
		deadline := ppc64.Timebase() + Platform.TimebaseHz
		for !c.Online && ppc64.Timebase() < deadline {
		}
	}
	up := 1
	for i := 1; i < n; i++ {
		if cpus[i].Online {
			up++
		}
	}
	if up < n {
		var k kbuf
		k.s("k42: ").d(int64(up)).s(" of ").d(int64(n)).s(" CPUs came up\n")
		consoleWrite(k.bytes())
	}
}

// secondaryStart runs on a secondary CPU, on its interrupt stack, before
// it has any thread: it identifies the CPU and enters its idle thread.
func secondaryStart(a *ppc64.TrapArea) {
	c := cpuOf(a)
	ppc64.SetSPRG3(uint64(c.ID))
	t := &threads[c.idle]
	t.state = threadRunning
	t.cpu = int32(c.ID)
	c.current = c.idle
	c.CurCtx = ctxAddr(c.idle)
	now := ppc64.Timebase()
	c.sliceAt, c.Stats.idleSince = now, now
	ppc64.Lwsync() // the CPU area is complete before others see it online
	c.Online = true
	online.Add(1)
	acceptInterrupts()
	ppc64.SetDEC(uint32(sliceTicks))
	ppc64.ResumeContext()
}
