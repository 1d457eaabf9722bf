package pci

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// BAR is one base address register as sized (and, by AssignBARs, placed):
// its Size bytes answer at bus address Bus, which the CPU reaches at CPU.
// A 64-bit memory BAR takes two registers, Index and Index+1.
type BAR struct {
	Index          int
	Bus, CPU, Size uint64
	Mem64          bool // a 64-bit memory BAR
	Prefetch       bool // prefetchable memory
	IO             bool // an I/O-space BAR (Bus is its I/O address)
}

// Window is a host bridge's MMIO window: bus addresses [Bus, Bus+Size)
// appear at CPU physical addresses [CPU, CPU+Size). A Mem64 window lies
// above 4 GiB on the bus, where only 64-bit BARs reach.
type Window struct {
	Bus, CPU, Size uint64
	Mem64          bool
}

// ErrNoSpace is the error of an allocation that no window has room for.
var ErrNoSpace = errors.New("no MMIO window has room")

// Allocator hands out naturally aligned bus addresses from windows, by
// bumping a pointer through each: BARs are placed once, at probe time,
// and never freed. It is not safe for concurrent use (one goroutine
// probes the bus).
type Allocator struct {
	windows []window
}

type window struct {
	Window
	used uint64 // bytes from Bus on that are taken, alignment padding included
}

// NewAllocator returns an allocator over the windows, tried in order.
func NewAllocator(windows ...Window) *Allocator {
	a := &Allocator{}
	for _, w := range windows {
		a.windows = append(a.windows, window{Window: w})
	}
	return a
}

// Alloc places size bytes (a power of two, as BAR sizes are) at an
// address aligned to size. A 64-bit BAR goes in a Mem64 window if one has
// room, else below 4 GiB; a 32-bit BAR only below 4 GiB.
func (a *Allocator) Alloc(size uint64, mem64 bool) (bus, cpu uint64, err error) {
	if size == 0 || size&(size-1) != 0 {
		return 0, 0, fmt.Errorf("pci: BAR size %#x is not a power of two", size)
	}
	passes := []bool{false}
	if mem64 {
		passes = []bool{true, false}
	}
	for _, want64 := range passes {
		for i := range a.windows {
			w := &a.windows[i]
			if w.Mem64 != want64 {
				continue
			}
			if bus, ok := w.fit(size, want64); ok {
				w.used = bus + size - w.Bus
				return bus, w.CPU + (bus - w.Bus), nil
			}
		}
	}
	kind := "32-bit"
	if mem64 {
		kind = "64-bit"
	}
	return 0, 0, fmt.Errorf("pci: %w for a %#x-byte %s BAR", ErrNoSpace, size, kind)
}

// fit returns where size bytes would go in w, if they fit (and, unless
// above4G, end at or below 4 GiB).
func (w *window) fit(size uint64, above4G bool) (uint64, bool) {
	start := w.Bus + w.used
	bus := (start + size - 1) &^ (size - 1)
	end := bus + size
	if bus < start || end < bus || end > w.Bus+w.Size {
		return 0, false // wrapped, or past the window
	}
	if !above4G && end > 1<<32 {
		return 0, false
	}
	return bus, true
}

// Low bits of a BAR.
const (
	barIO       = 1 << 0
	barType     = 3 << 1 // memory: 0 32-bit, 1 below 1 MiB (legacy), 2 64-bit
	barType64   = 2 << 1
	barPrefetch = 1 << 3
)

// barCount is how many BAR registers the function's header type has.
func (f *Function) barCount() (int, error) {
	t, err := f.read(RegHeaderType, 1)
	if err != nil {
		return 0, err
	}
	switch t & 0x7f {
	case 0:
		return 6, nil
	case 1:
		return 2, nil
	}
	return 0, fmt.Errorf("%v: header type %d has no BARs this package knows", f, t&0x7f)
}

// SizeBARs sizes the function's BARs the standard way (write all ones,
// read back the size mask, restore), with memory and I/O decoding off
// meanwhile so that the transient all-ones address decodes nothing; the
// command register is restored afterwards. Unimplemented BARs are left
// out. Bus is the address a BAR held (the firmware's, or 0); CPU is 0,
// since only an Allocator knows the windows.
func (f *Function) SizeBARs() (bars []BAR, err error) {
	n, err := f.barCount()
	if err != nil {
		return nil, err
	}
	cmd, err := f.decodeOff()
	if err != nil {
		return nil, err
	}
	defer func() {
		if werr := f.write(RegCommand, 2, cmd); werr != nil && err == nil {
			bars, err = nil, werr
		}
	}()
	for i := 0; i < n; i++ {
		b, err := f.sizeBAR(i, n)
		if err != nil {
			return nil, err
		}
		if b.Mem64 {
			i++ // the upper half is the next register
		}
		if b.Size != 0 {
			bars = append(bars, b)
		}
	}
	return bars, nil
}

// sizeBAR sizes BAR i of n; Size 0 means unimplemented.
func (f *Function) sizeBAR(i, n int) (BAR, error) {
	b := BAR{Index: i}
	off := RegBAR0 + 4*i
	orig, rb, err := f.probe(off)
	if err != nil {
		return b, err
	}
	var mask uint64
	switch {
	case orig&barIO != 0:
		b.IO, b.Bus = true, uint64(orig&^3)
		m := rb &^ 3
		if m == 0 {
			return b, nil
		}
		if m&0xffff0000 == 0 {
			m |= 0xffff0000 // a 16-bit I/O decoder
		}
		mask = 0xffffffff00000000 | uint64(m)
	case orig&barType == barType64:
		if i+1 >= n {
			return b, fmt.Errorf("%v: BAR %d is 64-bit but is the last BAR", f, i)
		}
		horig, hrb, err := f.probe(off + 4)
		if err != nil {
			return b, err
		}
		b.Mem64 = true
		b.Bus = uint64(horig)<<32 | uint64(orig&^0xf)
		mask = uint64(hrb)<<32 | uint64(rb&^0xf)
		if mask == 0 {
			return b, nil
		}
	case orig&barType == 3<<1:
		return b, fmt.Errorf("%v: BAR %d has the reserved memory type 3 (%#x)", f, i, orig)
	default: // 32-bit, or the legacy below-1-MiB type, sized alike
		b.Bus = uint64(orig &^ 0xf)
		if rb&^0xf == 0 {
			return b, nil
		}
		mask = 0xffffffff00000000 | uint64(rb&^0xf)
	}
	b.Prefetch = !b.IO && orig&barPrefetch != 0
	if inv := ^mask; inv&(inv+1) != 0 {
		return b, fmt.Errorf("%v: BAR %d reads back %#x after all ones: not a size mask", f, i, mask)
	}
	b.Size = ^mask + 1
	return b, nil
}

// probe writes all ones to the register at off and restores it, returning
// what it held and what it read back.
func (f *Function) probe(off int) (orig, readback uint32, err error) {
	if orig, err = f.read(off, 4); err != nil {
		return 0, 0, err
	}
	if err = f.write(off, 4, 0xffffffff); err != nil {
		return 0, 0, err
	}
	if readback, err = f.read(off, 4); err != nil {
		return 0, 0, err
	}
	return orig, readback, f.write(off, 4, orig)
}

// AssignBARs sizes the BARs, gives every memory BAR a bus address from a
// (largest first, so that natural alignment wastes least), writes and
// verifies it, then turns on memory decoding and bus mastering. I/O BARs
// are returned unassigned (Bus and CPU 0) and I/O decoding is left off:
// the host bridges this kernel runs on give it no I/O window, and the
// devices it drives need none. If anything fails, decoding stays off.
func (f *Function) AssignBARs(a *Allocator) ([]BAR, error) {
	bars, err := f.SizeBARs()
	if err != nil {
		return nil, err
	}
	cmd, err := f.decodeOff()
	if err != nil {
		return nil, err
	}
	order := make([]int, 0, len(bars))
	for i, b := range bars {
		if b.IO {
			bars[i].Bus = 0
		} else {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(bars[y].Size, bars[x].Size) })
	for _, i := range order {
		b := &bars[i]
		bus, cpu, err := a.Alloc(b.Size, b.Mem64)
		if err != nil {
			return nil, fmt.Errorf("%v: BAR %d: %w", f, b.Index, err)
		}
		if err := f.placeBAR(b, bus); err != nil {
			return nil, err
		}
		b.Bus, b.CPU = bus, cpu
	}
	if err := f.write(RegCommand, 2, cmd&^CmdIO|CmdMemory|CmdMaster); err != nil {
		return nil, err
	}
	return bars, nil
}

// decodeOff turns the function's memory and I/O decoding off, so that a
// BAR being sized or moved answers nowhere meanwhile, and returns the
// command register as it was.
func (f *Function) decodeOff() (uint32, error) {
	cmd, err := f.read(RegCommand, 2)
	if err != nil {
		return 0, err
	}
	return cmd, f.write(RegCommand, 2, cmd&^cmdDecodeAll)
}

// placeBAR writes bus into b's register(s) and reads it back.
func (f *Function) placeBAR(b *BAR, bus uint64) error {
	off := RegBAR0 + 4*b.Index
	regs := []uint32{uint32(bus)}
	if b.Mem64 {
		regs = append(regs, uint32(bus>>32))
	} else if bus>>32 != 0 {
		return fmt.Errorf("%v: BAR %d is 32-bit but was given %#x", f, b.Index, bus)
	}
	for k, want := range regs {
		if err := f.write(off+4*k, 4, want); err != nil {
			return err
		}
		got, err := f.read(off+4*k, 4)
		if err != nil {
			return err
		}
		if k == 0 {
			got &^= 0xf // the type bits
		}
		if got != want {
			return fmt.Errorf("%v: BAR %d reads back %#x after writing %#x", f, b.Index, got, want)
		}
	}
	return nil
}
