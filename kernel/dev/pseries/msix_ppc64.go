package pseries

import (
	"fmt"
	"time"

	"k42/kernel/dev/pci"
	"k42/kernel/sys"
)

// Vector is one MSI-X vector of a function, routed to a CPU: Wait blocks
// until it has fired since the last Wait returned.
type Vector struct {
	Index int
	IRQ   uint32
	seen  uint64
}

// Wait blocks until the vector's interrupt has come since the previous
// Wait returned (at once if it already has), or timeout passes (then
// sys.ErrInterruptTimeout). One goroutine waits on a vector.
func (v *Vector) Wait(timeout time.Duration) error {
	n, err := sys.WaitInterrupt(v.IRQ, v.seen, timeout)
	v.seen = n
	return err
}

// EnableMSIX gives the function at config address fn up to n MSI-X
// vectors: the firmware allocates them and writes their messages into
// the function's table (ibm,change-msi), each is routed to CPU 0 and
// enabled, its table entry unmasked, and MSI-X turned on. bars are the
// function's assigned BARs (the table lives in one).
func (b *Bridge) EnableMSIX(fn uint32, f *pci.Function, bars []pci.BAR, n int) ([]*Vector, error) {
	m, err := f.MSIX()
	if err != nil {
		return nil, err
	}
	n = min(n, m.TableSize)
	var table *pci.BAR
	for i := range bars {
		if bars[i].Index == m.TableBAR {
			table = &bars[i]
		}
	}
	if table == nil {
		return nil, fmt.Errorf("%v: the MSI-X table's BAR %d is not assigned", f, m.TableBAR)
	}
	got, err := sys.AllocMSIX(b.BUID(), fn, n)
	if err != nil {
		return nil, err
	}
	if got < 1 {
		return nil, fmt.Errorf("%v: the firmware gave no MSI-X vectors", f)
	}
	regs, err := Map(*table, m.TableOffset, uint64(got)*pci.MSIXEntrySize)
	if err != nil {
		return nil, err
	}
	vs := make([]*Vector, got)
	for i := range vs {
		irq, err := sys.MSIXInterrupt(b.BUID(), fn, i)
		if err != nil {
			return nil, err
		}
		if err := sys.RouteInterrupt(irq); err != nil {
			return nil, err
		}
		vs[i] = &Vector{Index: i, IRQ: irq, seen: sys.InterruptCount(irq)}
		regs.Write32(i*pci.MSIXEntrySize+12, 0) // vector control: unmasked
	}
	if err := f.MaskMSIX(false); err != nil {
		return nil, err
	}
	if err := f.EnableMSIX(true); err != nil {
		return nil, err
	}
	return vs, nil
}
