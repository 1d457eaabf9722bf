package pci

import (
	"errors"
	"fmt"
)

// Capability IDs this package and its users look for.
const (
	CapMSI    = 0x05
	CapVendor = 0x09 // vendor-specific (virtio's transport structures)
	CapMSIX   = 0x11
)

// Capability is one entry of the capability list, at config offset Off.
type Capability struct {
	ID  uint8
	Off int
}

// ErrNoCapability is the error of a capability the function lacks.
var ErrNoCapability = errors.New("no such capability")

// Capabilities walks the function's capability list. The list lives in
// the device-specific part of the header, [0x40, 0x100), and each entry
// is at least 2 bytes; a pointer outside it or a list that comes back on
// itself is an error naming the offset, not an endless walk.
func (f *Function) Capabilities() ([]Capability, error) {
	st, err := f.read(RegStatus, 2)
	if err != nil {
		return nil, err
	}
	if st&statusCapList == 0 {
		return nil, nil
	}
	p, err := f.read(RegCapPtr, 1)
	if err != nil {
		return nil, err
	}
	var (
		caps []Capability
		seen [256]bool
		from = RegCapPtr // where the pointer being followed was read
	)
	for ptr := int(p &^ 3); ptr != 0; { // the low two bits are reserved
		if ptr < 0x40 || ptr > 0xfc {
			return nil, fmt.Errorf("%v: capability pointer at %#x is %#x, outside [0x40, 0xfc]", f, from, ptr)
		}
		if seen[ptr] {
			return nil, fmt.Errorf("%v: capability pointer at %#x leads back to %#x: the list is a cycle", f, from, ptr)
		}
		seen[ptr] = true
		v, err := f.read(ptr, 2)
		if err != nil {
			return nil, err
		}
		caps = append(caps, Capability{ID: uint8(v), Off: ptr})
		from, ptr = ptr+1, int(v>>8)&^3
	}
	return caps, nil
}

// FindCapability returns the first capability with the ID, or
// ErrNoCapability.
func (f *Function) FindCapability(id uint8) (Capability, error) {
	caps, err := f.Capabilities()
	if err != nil {
		return Capability{}, err
	}
	for _, c := range caps {
		if c.ID == id {
			return c, nil
		}
	}
	return Capability{}, fmt.Errorf("%v: capability %#x: %w", f, id, ErrNoCapability)
}

// The MSI-X capability's registers, from its offset, and its message
// control bits.
const (
	msixControl  = 2
	msixTable    = 4
	msixPBA      = 8
	msixEnable   = 1 << 15
	msixMaskAll  = 1 << 14
	msixSizeMask = 0x7ff // table size - 1
)

// MSIXEntrySize is the size of an MSI-X table entry: message address low
// and high, message data, vector control (bit 0: masked).
const MSIXEntrySize = 16

// MSIX is where a function's MSI-X table and pending-bit array live.
type MSIX struct {
	Cap         Capability
	TableSize   int    // entries
	TableBAR    int    // BAR index (BIR) of the table
	TableOffset uint64 // offset of the table in that BAR
	PBABAR      int
	PBAOffset   uint64
}

// MSIX reads the function's MSI-X capability; ErrNoCapability if it has
// none.
func (f *Function) MSIX() (MSIX, error) {
	c, err := f.FindCapability(CapMSIX)
	if err != nil {
		return MSIX{}, err
	}
	m := MSIX{Cap: c}
	ctl, err := f.read(c.Off+msixControl, 2)
	if err != nil {
		return m, err
	}
	t, err := f.read(c.Off+msixTable, 4)
	if err != nil {
		return m, err
	}
	p, err := f.read(c.Off+msixPBA, 4)
	if err != nil {
		return m, err
	}
	m.TableSize = int(ctl&msixSizeMask) + 1
	m.TableBAR, m.TableOffset = int(t&7), uint64(t&^7)
	m.PBABAR, m.PBAOffset = int(p&7), uint64(p&^7)
	if m.TableBAR > 5 || m.PBABAR > 5 {
		return m, fmt.Errorf("%v: MSI-X at %#x names BAR %d/%d, beyond BAR 5", f, c.Off, m.TableBAR, m.PBABAR)
	}
	return m, nil
}

// EnableMSIX turns MSI-X on or off. While it is on the function raises no
// INTx; vectors are masked per entry in the table (which the platform
// maps) or all at once by MaskMSIX.
func (f *Function) EnableMSIX(on bool) error { return f.msixControlBit(msixEnable, on) }

// MaskMSIX sets or clears the function mask, which holds back every
// vector whatever its entry's mask says.
func (f *Function) MaskMSIX(on bool) error { return f.msixControlBit(msixMaskAll, on) }

func (f *Function) msixControlBit(bit uint32, on bool) error {
	c, err := f.FindCapability(CapMSIX)
	if err != nil {
		return err
	}
	ctl, err := f.read(c.Off+msixControl, 2)
	if err != nil {
		return err
	}
	if on {
		ctl |= bit
	} else {
		ctl &^= bit
	}
	return f.write(c.Off+msixControl, 2, ctl)
}
