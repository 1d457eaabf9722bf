// Package ppc64 runs the POWER9 MMU in radix mode; this part of the
// package documentation is about the MMU (doc.go has the rest).
//
// # Why radix, not the hashed page table
//
// POWER9 under PAPR offers two translation schemes: the hashed page table
// (HPT) of earlier POWER processors and the radix tree of Power ISA 3.0.
// The kernel uses radix:
//
//   - No hypercall per mapping. The HPT of a PAPR guest belongs to the
//     hypervisor: every translation is entered, changed and removed with
//     H_ENTER, H_PROTECT, H_REMOVE or H_BULK_REMOVE, so each mmap, page
//     fault, protection change and unmap costs a hypercall, and a full
//     hash group costs an eviction (H_PTEG_FULL). Radix page tables are
//     written with ordinary stores; the hypervisor hears of them once,
//     when H_REGISTER_PROC_TBL registers the process table.
//   - Page tables are ordinary memory the kernel owns. The tree is a plain
//     data structure (radix.go) that the kernel allocates from its own
//     frames, sizes as it likes, walks itself (PageTable.Translate), and
//     that the host tests build and check without QEMU. There is no hash
//     function, no table sizing for the largest memory (H_RESIZE_HPT_*),
//     and 2 MiB and 1 GiB pages are just leaves higher up the tree, so the
//     identity map of all RAM takes a few tables.
//   - TLB shootdown with tlbie. With guest translation shootdown (GTSE,
//     negotiated through CAS and enabled by H_REGISTER_PROC_TBL) the kernel
//     invalidates other CPUs' translations with tlbie/tlbsync directly,
//     instead of a hypercall per invalidation.
//   - A simpler fault model without an SLB. HPT translation goes through
//     the segment lookaside buffer: each CPU must load a segment entry
//     (slbmte) for every 256 MiB or 1 TiB segment it touches, a missing
//     one raises a segment interrupt (0x380, 0x480) the kernel must serve
//     by reloading the SLB, and the SLB is per-CPU state to switch and
//     shoot down. With radix an access either finds a leaf in the tree or
//     raises a data or instruction storage interrupt (0x300, 0x400) whose
//     DSISR says why; a segment interrupt only means an address in the
//     unused quadrants 1 and 2 (top bits 01 or 10), which is always wild.
//
// The costs: a TLB miss walks up to four levels of memory rather than one
// hash group, and radix needs ISA 3.0 (POWER9), which the kernel requires
// anyway. Under QEMU TCG radix is also the pseries machine's default for an
// ISA 3.00 CPU, so no hashed table is ever allocated.
//
// # Bring-up
//
// While the firmware is alive, NegotiateRadix (cas.go) calls
// ibm,client-architecture-support on "/" asking for radix and GTSE. After
// the frame allocator is up, SetupRadix builds the kernel's tree, an
// identity map of RAM from 64 KiB up, with the largest pages that fit,
// privileged RWX, R and C set; writes process-table entry 0 (a 52-bit tree
// at its root); registers the table with H_REGISTER_PROC_TBL (which sets
// LPCR[UPRT|HR|GTSE] on every CPU); sets PIDR to 0 and flushes the TLB.
// Translation starts when the first thread is entered with an MSR that
// includes MSRTranslate. Interrupts still arrive in real mode at address
// 0 (LPCR[AIL]=0), where the identity map means the handler sees the same
// addresses as the interrupted thread.
//
// The kernel (package kernel, mem_ppc64.go) adds to this tree: the
// program's demand-paged mappings above RAM and device mappings, and runs
// its trap handler with MSR[DR] set so that both are visible there.
//
// Both quadrant 0 (addresses with top bits 00, the PID from PIDR = 0) and
// quadrant 3 (top bits 11, PID 0) use process-table entry 0. The first
// 64 KiB (page 0) are not mapped, so a nil dereference, or a wild store
// outside RAM, takes a data storage interrupt instead of reaching memory.
package ppc64

// H_REGISTER_PROC_TBL and its flags (QEMU hw/ppc/spapr_hcall.c,
// h_register_process_table; include/hw/ppc/spapr.h).
const (
	H_REGISTER_PROC_TBL = 0x37C

	procTblModify   = 0x10 // change the registration
	procTblRegister = 0x08 // register (not deregister) a table
	procTblRadix    = 0x04 // radix (sets LPCR[UPRT|HR])
	procTblGTSE     = 0x01 // guest translation shootdown (sets LPCR[GTSE])
)

// ProcessTableShift is log2 of the process table's size: one 64 KiB frame,
// 4096 entries of 16 bytes. The hypercall takes it less 12.
const ProcessTableShift = 16

// IdentityBase is the lowest address the kernel's identity map covers.
const IdentityBase = PageSize

// SetPIDR sets the process ID register.
func SetPIDR(pid uint64)

// PIDR reads the process ID register.
func PIDR() uint64

// PTESync waits until stores to page tables are seen by table walks.
func PTESync()

func tlbiePID(pid uint64)
func tlbielPID(pid uint64)
func tlbieVA(rb, pid uint64)
func tlbielVA(rb, pid uint64)
func tlbSync()

// physTables is the kernel's TableMemory: page tables are physical
// memory, which the kernel reaches at the same address in real mode and
// through the identity map.
type physTables struct {
	alloc func(n uint64) uint64
}

func (m *physTables) AllocTable() (uint64, bool) {
	p := m.alloc(TableBlock)
	return p, p != 0 && p%TableBlock == 0
}

func (m *physTables) Barrier() { Lwsync() }

var (
	kernelMem   physTables
	kernelTable PageTable
	procTable   uint64 // physical address of the process table
	gtse        bool   // tlbie is allowed (LPCR[GTSE] = 1)
)

// KernelTable returns the kernel's page table, or nil before SetupRadix.
// Changes to it must be serialised by the caller and followed by
// InvalidateTLB (and Reclaim) as their Flush results say.
func KernelTable() *PageTable {
	if kernelTable.Root() == 0 {
		return nil
	}
	return &kernelTable
}

// ProcessTable returns the physical address of the process table.
func ProcessTable() uint64 { return procTable }

// GTSE reports whether tlbie invalidates other CPUs' translations.
func GTSE() bool { return gtse }

// SetupRadix builds the kernel's identity map of [IdentityBase, memBytes)
// with page-table frames from alloc (a zeroed, 64 KiB-aligned block of n
// bytes, or 0), registers it as process 0's tree with the hypervisor, sets
// PIDR to 0 and flushes the TLB. Afterwards a thread entered with
// MSRTranslate runs translated. It runs on the boot CPU in real mode,
// before the Go runtime exists, and allocates nothing.
func SetupRadix(memBytes uint64, alloc func(n uint64) uint64) error {
	if CAS != (CASResult{}) && !CAS.Offered {
		return ErrNoRadix // NegotiateRadix ran and the platform offers only hash
	}
	kernelMem.alloc = alloc
	if err := kernelTable.Init(&kernelMem); err != nil {
		return err
	}
	end := memBytes &^ (PageSize - 1)
	if end > IdentityBase {
		if _, err := kernelTable.Map(IdentityBase, IdentityBase, end-IdentityBase, AttrKernel); err != nil {
			return err
		}
	}
	pt := alloc(1 << ProcessTableShift)
	if pt == 0 || pt%(1<<ProcessTableShift) != 0 {
		return ErrNoMemory
	}
	kernelMem.Store(pt, kernelTable.ProcessTableEntry())
	kernelMem.Store(pt+8, 0)
	PTESync()

	// Ask for GTSE; should the hypervisor refuse it, use tlbiel only.
	r := Regs{H_REGISTER_PROC_TBL, procTblModify | procTblRegister | procTblRadix | procTblGTSE, pt, 0, ProcessTableShift - 12}
	Hcall(&r)
	gtse = int64(r[0]) == H_SUCCESS
	if !gtse {
		r = Regs{H_REGISTER_PROC_TBL, procTblModify | procTblRegister | procTblRadix, pt, 0, ProcessTableShift - 12}
		Hcall(&r)
		if int64(r[0]) != H_SUCCESS {
			return ErrRegister
		}
	}
	procTable = pt
	SetPIDR(0)
	FlushTLB()
	return nil
}

// SetTableAlloc replaces the allocator the kernel's page table takes new
// table blocks from (SetupRadix installs the boot's): alloc returns a
// zeroed, 64 KiB-aligned block of n bytes, or 0.
func SetTableAlloc(alloc func(n uint64) uint64) { kernelMem.alloc = alloc }

// FlushTLB invalidates every translation and cached table walk of PID 0:
// on every CPU when GTSE is on, otherwise on this one.
func FlushTLB() {
	if gtse {
		tlbiePID(0)
	} else {
		tlbielPID(0)
	}
}

// FlushTLBLocal invalidates PID 0's translations on this CPU only.
func FlushTLBLocal() { tlbielPID(0) }

// maxPageInvalidations bounds the per-page invalidations of one
// InvalidateTLB; beyond it the whole PID is flushed.
const maxPageInvalidations = 64

// Actual page size codes (AP) of tlbie's RB for radix pages.
const (
	ap64K = 5
	ap2M  = 1
	ap1G  = 2
)

// InvalidateTLB makes a change to the kernel's page table in [va,
// va+size), whose Map or Unmap returned f, visible: it invalidates the
// stale translations of each size in f, or everything of PID 0 when a
// table was freed (FlushWalk) or the range is large.
func InvalidateTLB(va, size uint64, f Flush) {
	if f == 0 || size == 0 {
		return
	}
	if f&FlushWalk != 0 || size > maxPageInvalidations*PageSize {
		FlushTLB()
		return
	}
	PTESync()
	for _, s := range [...]struct {
		flag Flush
		size uint64
		ap   uint64
	}{{Flush64K, PageSize, ap64K}, {Flush2M, Page2M, ap2M}, {Flush1G, Page1G, ap1G}} {
		if f&s.flag == 0 {
			continue
		}
		for a := va &^ (s.size - 1); a < va+size; a += s.size {
			if gtse {
				tlbieVA(a|s.ap<<5, 0)
			} else {
				tlbielVA(a|s.ap<<5, 0)
			}
		}
	}
	if gtse {
		tlbSync()
	} else {
		PTESync()
	}
}
