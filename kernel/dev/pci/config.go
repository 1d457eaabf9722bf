package pci

import (
	"errors"
	"fmt"
)

// ConfigSpace is one function's configuration space. Accesses are of size
// 1, 2 or 4 at an offset aligned to the size; values are as PCI defines
// them (the bus is little-endian; the implementation converts).
type ConfigSpace interface {
	Read(off, size int) (uint32, error)
	Write(off, size int, v uint32) error
}

// Offsets in the configuration header common to every header type, and
// in the type-0 (endpoint) header.
const (
	RegVendor     = 0x00
	RegDevice     = 0x02
	RegCommand    = 0x04
	RegStatus     = 0x06
	RegRevision   = 0x08 // the 24-bit class code follows, at 0x09
	RegHeaderType = 0x0e
	RegBAR0       = 0x10
	RegSubVendor  = 0x2c // type 0 only
	RegSubDevice  = 0x2e // type 0 only
	RegCapPtr     = 0x34
)

// Bits of the command register.
const (
	CmdIO        = 1 << 0  // decode I/O BARs
	CmdMemory    = 1 << 1  // decode memory BARs
	CmdMaster    = 1 << 2  // the function may master the bus (DMA, MSI)
	CmdINTxOff   = 1 << 10 // the function may not raise INTx
	cmdDecodeAll = CmdIO | CmdMemory
)

// statusCapList is the status register's bit saying a capability list
// exists.
const statusCapList = 1 << 4

// ErrAbsent is the error for a function that does not exist: its vendor
// reads as all ones.
var ErrAbsent = errors.New("no function (vendor reads 0xffff)")

// Function is one PCI function, at device Dev, function Fn of its bus.
type Function struct {
	Dev, Fn int
	Config  ConfigSpace
}

func (f *Function) String() string { return fmt.Sprintf("pci %02x.%d", f.Dev, f.Fn) }

// Header is what a function's configuration header says it is.
type Header struct {
	Vendor, Device       uint16
	Class                uint32 // base class<<16 | subclass<<8 | programming interface
	Revision             uint8
	SubVendor, SubDevice uint16 // zero unless Type is 0
	Type                 uint8  // header layout: 0 endpoint, 1 PCI bridge, 2 CardBus bridge
	MultiFunction        bool
}

// Header reads the function's header; a function that is not there is
// ErrAbsent.
func (f *Function) Header() (Header, error) {
	var h Header
	v, err := f.read(RegVendor, 4)
	if err != nil {
		return h, err
	}
	h.Vendor, h.Device = uint16(v), uint16(v>>16)
	if h.Vendor == 0xffff {
		return h, fmt.Errorf("%v: %w", f, ErrAbsent)
	}
	if v, err = f.read(RegRevision, 4); err != nil {
		return h, err
	}
	h.Revision, h.Class = uint8(v), v>>8
	if v, err = f.read(RegHeaderType, 1); err != nil {
		return h, err
	}
	h.Type, h.MultiFunction = uint8(v&0x7f), v&0x80 != 0
	if h.Type == 0 {
		if v, err = f.read(RegSubVendor, 4); err != nil {
			return h, err
		}
		h.SubVendor, h.SubDevice = uint16(v), uint16(v>>16)
	}
	return h, nil
}

// read and write name the function and the register in their errors.
func (f *Function) read(off, size int) (uint32, error) {
	v, err := f.Config.Read(off, size)
	if err != nil {
		return 0, fmt.Errorf("%v: reading config %#x (%d bytes): %w", f, off, size, err)
	}
	return v, nil
}

func (f *Function) write(off, size int, v uint32) error {
	if err := f.Config.Write(off, size, v); err != nil {
		return fmt.Errorf("%v: writing %#x to config %#x (%d bytes): %w", f, v, off, size, err)
	}
	return nil
}
