package kernel

import (
	"sync/atomic"

	"k42/arch/ppc64"
	"k42/kernel/frames"
)

// Devices. Drivers are ordinary Go (kernel/dev/...); what they need from
// the machine goes through the k42_dev call, served here in the trap
// handler, so that RTAS's one argument block, the frame allocator and the
// interrupt controller stay the kernel's:
//
//   - PCI configuration space through RTAS ibm,read-pci-config and
//     ibm,write-pci-config, for host bridges the device tree listed;
//   - MSI-X vectors through ibm,change-msi and
//     ibm,query-interrupt-source-number, routed to CPU 0 by ibm,set-xive
//     and enabled by ibm,int-on;
//   - DMA memory: physically contiguous frames, zeroed, which the
//     identity map makes addressable at their physical address and which
//     are never freed (drivers allocate them once, at start);
//   - a wait for a device interrupt, with a timeout;
//   - the physical ranges behind a buffer (its pages faulted in), so that
//     a driver whose device takes physical addresses can move data
//     straight to and from it. The frames stay the buffer's while it is
//     mapped (the kernel does not move or page them out); the driver
//     keeps the buffer alive until the device is done with it.
//
// Interrupts (XICS, negotiated through CAS): each CPU sets its priority to
// accept everything (H_CPPR 0xff) when it comes online; an external
// interrupt is accepted with H_XIRR, counted in its slot, every thread
// waiting on the slot is restarted, and it is ended with H_EOI at once.
// MSI-X interrupts are edge-like messages, so ending them before the
// driver has looked loses nothing: the count tells a waiter that one came.

// Operations of the k42_dev call.
const (
	DevOpConfigRead  = iota // a1 BUID, a2 function's config address, a3 offset, a4 size: the value
	DevOpConfigWrite        // a1 BUID, a2 config address, a3 offset, a4 size, a5 value
	DevOpMSIX               // a1 BUID, a2 config address, a3 vectors wanted: vectors given
	DevOpMSIXIRQ            // a1 BUID, a2 config address, a3 vector: its interrupt number
	DevOpRouteIRQ           // a1 interrupt: route it to CPU 0, enable it; its slot
	DevOpWaitIRQ            // a1 interrupt, a2 count seen, a3 timeout ns (0 none): the count now
	DevOpDMAAlloc           // a1 bytes: the physical (and identity-mapped) address
	DevOpIRQCount           // a1 interrupt: how many have come
	DevOpPhys               // a1 address, a2 bytes, a3 out, a4 most ranges: the physical ranges behind [a1, a1+a2), as (address, length) pairs
)

// maxIRQs bounds the interrupts drivers may route.
const maxIRQs = 32

// irqSlot is one routed interrupt. sched guards irq and count's updates;
// count is also read without it.
type irqSlot struct {
	irq   uint32
	count uint64
}

var (
	irqs  [maxIRQs]irqSlot
	nirqs int
)

// irqSlotOf returns the slot of interrupt irq, or -1. sched is held, or
// the caller reads a slot that, once made, never changes.
func irqSlotOf(irq uint32) int {
	for i := 0; i < nirqs; i++ {
		if irqs[i].irq == irq {
			return i
		}
	}
	return -1
}

// irqKey is the wait key of slot i: above any address a futex can have.
func irqKey(i int) uintptr { return uintptr(1)<<63 | uintptr(i)<<2 }

// xicsPriority is the priority device interrupts are delivered at (0 is
// the most favoured; 0xff masks).
const xicsPriority = 5

// acceptInterrupts opens this CPU's interrupt presentation controller to
// every priority. Each CPU calls it once, as it comes online.
func acceptInterrupts() { ppc64.SetCPPR(0xff) }

// deviceInterrupts serves an external interrupt: it accepts every
// pending source, counts it and restarts its waiters, and ends it.
func deviceInterrupts() {
	for range 64 { // bounded: a stuck source cannot keep the CPU here
		xirr := ppc64.AcceptXIRR()
		src := uint32(xirr & 0xffffff)
		if src == 0 {
			return
		}
		sched.lock()
		if i := irqSlotOf(src); i >= 0 {
			atomic.AddUint64(&irqs[i].count, 1)
			wakeRestart(irqKey(i))
		}
		sched.unlock()
		ppc64.EOI(xirr)
	}
}

// phbKnown reports whether buid names a host bridge from the device tree.
func phbKnown(buid uint64) bool {
	for i := 0; i < Platform.NumPHBs; i++ {
		if Platform.PHBs[i].BUID == buid {
			return true
		}
	}
	return false
}

// rtasStatus turns an RTAS status into the call's result.
func rtasStatus(st int32, v int64) int64 {
	switch {
	case st == 0:
		return v
	case st == -3: // parameter error: no such function or register
		return -eINVAL
	default:
		return -eIO
	}
}

func sysK42Dev(c *CPU, t *Thread) int64 {
	op, a1, a2, a3, a4, a5 := arg(t, 0), arg(t, 1), arg(t, 2), arg(t, 3), arg(t, 4), arg(t, 5)
	tok := &Platform.RTAS
	switch op {
	case DevOpConfigRead, DevOpConfigWrite:
		if !phbKnown(a1) || a2&^0xffff00 != 0 || a3 >= 4096 || a4 != 1 && a4 != 2 && a4 != 4 || a3%a4 != 0 {
			return -eINVAL
		}
		addr := ppc64.PCIConfigAddr(uint32(a2), uint32(a3))
		if op == DevOpConfigRead {
			rets, st := rtas(tok.ReadPCIConfig, 2, addr, uint32(a1>>32), uint32(a1), uint32(a4))
			return rtasStatus(st, int64(rets[1]))
		}
		_, st := rtas(tok.WritePCIConfig, 1, addr, uint32(a1>>32), uint32(a1), uint32(a4), uint32(a5))
		return rtasStatus(st, 0)
	case DevOpMSIX:
		if !phbKnown(a1) || a2&^0xffff00 != 0 || a3 == 0 || a3 > 64 {
			return -eINVAL
		}
		seq := uint32(1)
		for range 16 { // RTAS asks to be called again while it works
			rets, st := rtas(tok.ChangeMSI, 4, uint32(a2), uint32(a1>>32), uint32(a1), ppc64.ChangeMSIX, uint32(a3), seq)
			if !ppc64.RTASBusy(st) {
				return rtasStatus(st, int64(rets[1]))
			}
			seq = rets[2]
		}
		return -eBUSY
	case DevOpMSIXIRQ:
		if !phbKnown(a1) || a2&^0xffff00 != 0 || a3 >= 64 {
			return -eINVAL
		}
		rets, st := rtas(tok.QueryIntSource, 3, uint32(a2), uint32(a1>>32), uint32(a1), uint32(a3))
		return rtasStatus(st, int64(rets[1]))
	case DevOpRouteIRQ:
		irq := uint32(a1)
		if a1 == 0 || a1 > 0xffffff {
			return -eINVAL
		}
		sched.lock()
		slot := irqSlotOf(irq)
		if slot < 0 && nirqs < maxIRQs {
			slot = nirqs
			irqs[slot] = irqSlot{irq: irq}
			nirqs++
		}
		sched.unlock()
		if slot < 0 {
			return -eNOSPC
		}
		if _, st := rtas(tok.SetXive, 1, irq, Platform.CPUServer[0], xicsPriority); st != 0 {
			return rtasStatus(st, 0)
		}
		_, st := rtas(tok.IntOn, 1, irq)
		return rtasStatus(st, int64(slot))
	case DevOpWaitIRQ, DevOpIRQCount:
		slot := irqSlotOf(uint32(a1))
		if slot < 0 {
			return -eINVAL
		}
		if op == DevOpIRQCount {
			return int64(atomic.LoadUint64(&irqs[slot].count))
		}
		deadline := uint64(0)
		if a3 != 0 {
			deadline = ppc64.Timebase() + max(usToTicks(int64(a3/1e9), int64(a3%1e9/1e3)), 1)
		}
		sched.lock()
		if n := atomic.LoadUint64(&irqs[slot].count); n != a2 {
			sched.unlock()
			return int64(n)
		}
		t.futex = irqKey(slot)
		block(c, t, waitQueue, deadline, -eTIMEDOUT)
		futexLink(int32(c.current))
		return blocked
	case DevOpDMAAlloc:
		if a1 == 0 || a1 > 64<<20 {
			return -eINVAL
		}
		memLock.lock()
		pa, ok := phys.Alloc(frames.Frames(a1), 0, zeroFrames)
		memLock.unlock()
		if !ok {
			return -eNOMEM
		}
		return int64(pa)
	case DevOpPhys:
		va, n, out, most := a1, a2, a3, a4
		if n == 0 || n > 64<<20 || most == 0 || most > 1024 || !validUser(out, most*16) || !faultIn(va, n) && !validUser(va, n) {
			return -eFAULT
		}
		pt := ppc64.KernelTable()
		k := uint64(0)
		memLock.lock()
		for off := uint64(0); off < n; {
			at := va + off
			pa, run := at, n-off // the identity map: a kernel address is physical
			if at < nilPageEnd || at >= Platform.MemBytes {
				p, size, _, ok := pt.Translate(at)
				if !ok {
					memLock.unlock()
					return -eFAULT
				}
				pa, run = p, min(n-off, size-at%size)
			} else {
				run = min(run, Platform.MemBytes-at)
			}
			if k > 0 && *userU64(out + 16*(k-1))+*userU64(out + 16*(k-1) + 8) == pa {
				*userU64(out + 16*(k-1) + 8) += run // contiguous with the last
			} else {
				if k == most {
					memLock.unlock()
					return -eNOSPC
				}
				*userU64(out + 16*k), *userU64(out + 16*k + 8) = pa, run
				k++
			}
			off += run
		}
		memLock.unlock()
		return int64(k)
	}
	return -eINVAL
}
