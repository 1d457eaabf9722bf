package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/kernel/dev/pci"
	"k42/kernel/dev/pci/pcitest"
)

func function(c *pcitest.Config) *pci.Function { return &pci.Function{Dev: 3, Fn: 0, Config: c} }

func TestHeader(t *testing.T) {
	c := pcitest.New(0x1af4, 0x1042, 0x010000, 1)
	c.SetSubsystem(0x1af4, 0x0002)
	h, err := function(c).Header()
	require.NoError(t, err)
	assert.Equal(t, pci.Header{Vendor: 0x1af4, Device: 0x1042, Class: 0x010000, Revision: 1,
		SubVendor: 0x1af4, SubDevice: 0x0002}, h)

	_, err = function(pcitest.Absent()).Header()
	assert.ErrorIs(t, err, pci.ErrAbsent)
	assert.ErrorContains(t, err, "pci 03.0")
}

// sample has a 32-bit BAR, an I/O BAR, a 64-bit prefetchable BAR and a
// 64-bit BAR bigger than 4 GiB.
func sample() *pcitest.Config {
	c := pcitest.New(0x1234, 0x5678, 0x020000, 0)
	c.SetBAR(0, 0x1000, 0)
	c.SetBAR(1, 0x20, pcitest.IO)
	c.SetBAR(2, 0x4000, pcitest.Mem64|pcitest.Prefetch)
	c.SetBAR(4, 8<<30, pcitest.Mem64)
	return c
}

func TestSizeBARs(t *testing.T) {
	c := sample()
	c.Poke(pci.RegBAR0, 4, 0x80002000) // where firmware put it
	c.Poke(pci.RegCommand, 2, pci.CmdIO|pci.CmdMemory)
	bars, err := function(c).SizeBARs()
	require.NoError(t, err)
	assert.Equal(t, []pci.BAR{
		{Index: 0, Bus: 0x80002000, Size: 0x1000},
		{Index: 1, Size: 0x20, IO: true},
		{Index: 2, Size: 0x4000, Mem64: true, Prefetch: true},
		{Index: 4, Size: 8 << 30, Mem64: true},
	}, bars)
	assert.Zero(t, c.DecodeViolations(), "decoding is off while BARs hold all ones")
	assert.EqualValues(t, pci.CmdIO|pci.CmdMemory, c.Peek(pci.RegCommand, 2), "the command register is restored")
	assert.EqualValues(t, 0x80002000, c.Peek(pci.RegBAR0, 4), "the BAR is restored")
}

func TestSizeBARsRefusesMalformed(t *testing.T) {
	c := pcitest.New(0x1234, 0x5678, 0, 0)
	c.SetBAR(0, 0x3000, 0)
	_, err := function(c).SizeBARs()
	assert.ErrorContains(t, err, "BAR 0 reads back 0xffffffffffffd000 after all ones: not a size mask")

	c = pcitest.New(0x1234, 0x5678, 0, 0)
	c.Poke(pci.RegBAR0+20, 4, pcitest.Mem64)
	_, err = function(c).SizeBARs()
	assert.ErrorContains(t, err, "BAR 5 is 64-bit but is the last BAR")
}

func TestAssignBARsAlignsAndEnables(t *testing.T) {
	c := sample()
	c.Poke(pci.RegCommand, 2, pci.CmdIO)
	w32 := pci.Window{Bus: 0x8000_0100, CPU: 0x2000_8000_0100, Size: 0x10_0000}
	w64 := pci.Window{Bus: 0x1_0000_0000, CPU: 0x3000_0000_0000, Size: 0x4_0000_0000, Mem64: true}
	bars, err := function(c).AssignBARs(pci.NewAllocator(w32, w64))
	require.NoError(t, err)
	require.Len(t, bars, 4)
	for _, b := range bars {
		if b.IO {
			assert.Zero(t, b.Bus, "I/O BARs stay unassigned")
			continue
		}
		assert.Zero(t, b.Bus%b.Size, "BAR %d at %#x is aligned to its size", b.Index, b.Bus)
		w := w32
		if b.Mem64 {
			w = w64
		}
		assert.True(t, b.Bus >= w.Bus && b.Bus+b.Size <= w.Bus+w.Size, "BAR %d in its window", b.Index)
		assert.Equal(t, w.CPU+(b.Bus-w.Bus), b.CPU)
		got := uint64(c.Peek(pci.RegBAR0+4*b.Index, 4) &^ 0xf)
		if b.Mem64 {
			got |= uint64(c.Peek(pci.RegBAR0+4*b.Index+4, 4)) << 32
		}
		assert.Equal(t, b.Bus, got, "BAR %d holds its address", b.Index)
	}
	assert.EqualValues(t, 0x8000_1000, bars[0].Bus, "the first aligned address after the window's base")
	assert.EqualValues(t, 0x2_0000_0000, bars[3].Bus, "8 GiB placed first, at its alignment")
	assert.EqualValues(t, 0x4_0000_0000, bars[2].Bus, "then the 16 KiB BAR after it")
	assert.EqualValues(t, pci.CmdMemory|pci.CmdMaster, c.Peek(pci.RegCommand, 2), "memory and mastering on, I/O off")
}

func TestAssignBARsRunsOutOfWindow(t *testing.T) {
	c := pcitest.New(0x1234, 0x5678, 0, 0)
	c.SetBAR(0, 0x2000, 0)
	c.SetBAR(1, 0x2000, 0)
	_, err := function(c).AssignBARs(pci.NewAllocator(pci.Window{Bus: 0x8000_0000, CPU: 0x8000_0000, Size: 0x3000}))
	assert.ErrorIs(t, err, pci.ErrNoSpace)
	assert.ErrorContains(t, err, "pci 03.0: BAR 1: pci: no MMIO window has room for a 0x2000-byte 32-bit BAR")
	assert.Zero(t, c.Peek(pci.RegCommand, 2)&pci.CmdMemory, "decoding stays off")

	a := pci.NewAllocator(pci.Window{Bus: 0x1_0000_0000, Size: 1 << 30, Mem64: true})
	_, _, err = a.Alloc(0x1000, false)
	assert.ErrorIs(t, err, pci.ErrNoSpace, "a 32-bit BAR cannot use a 64-bit window")
	bus, _, err := a.Alloc(0x1000, true)
	require.NoError(t, err)
	assert.EqualValues(t, 0x1_0000_0000, bus)
	_, _, err = a.Alloc(0x1800, true)
	assert.ErrorContains(t, err, "not a power of two")

	a = pci.NewAllocator(pci.Window{Bus: 0xffff_f000, Size: 0x2000})
	_, _, err = a.Alloc(0x2000, false)
	assert.ErrorIs(t, err, pci.ErrNoSpace, "a 32-bit BAR may not cross 4 GiB")
}

func TestCapabilities(t *testing.T) {
	c := pcitest.New(0x1234, 0x5678, 0, 0)
	caps, err := function(c).Capabilities()
	require.NoError(t, err)
	assert.Empty(t, caps, "no capability list")

	a := c.AddCap(pci.CapVendor, make([]byte, 14))
	b := c.AddCap(pci.CapMSIX, []byte{2, 0, 0x04, 0x20, 0, 0, 0x04, 0x30, 0, 0})
	d := c.AddCap(pci.CapVendor, make([]byte, 6))
	caps, err = function(c).Capabilities()
	require.NoError(t, err)
	assert.Equal(t, []pci.Capability{{pci.CapVendor, a}, {pci.CapMSIX, b}, {pci.CapVendor, d}}, caps)

	c.Poke(d+1, 1, uint32(a))
	_, err = function(c).Capabilities()
	assert.ErrorContains(t, err, "pci 03.0: capability pointer at 0x5d leads back to 0x40: the list is a cycle")

	c.Poke(d+1, 1, 0x20)
	_, err = function(c).Capabilities()
	assert.ErrorContains(t, err, "capability pointer at 0x5d is 0x20, outside [0x40, 0xfc]")
	c.Poke(d+1, 1, 0x3f)
	_, err = function(c).Capabilities()
	assert.ErrorContains(t, err, "is 0x3c, outside", "the reserved low bits are masked first")
}

func TestMSIX(t *testing.T) {
	c := pcitest.New(0x1234, 0x5678, 0, 0)
	f := function(c)
	_, err := f.MSIX()
	assert.ErrorIs(t, err, pci.ErrNoCapability)
	assert.ErrorIs(t, f.EnableMSIX(true), pci.ErrNoCapability)

	off := c.AddCap(pci.CapMSIX, []byte{2, 0, 0x04, 0x20, 0, 0, 0x04, 0x30, 0, 0})
	m, err := f.MSIX()
	require.NoError(t, err)
	assert.Equal(t, pci.MSIX{Cap: pci.Capability{ID: pci.CapMSIX, Off: off}, TableSize: 3,
		TableBAR: 4, TableOffset: 0x2000, PBABAR: 4, PBAOffset: 0x3000}, m)

	require.NoError(t, f.EnableMSIX(true))
	require.NoError(t, f.MaskMSIX(true))
	assert.EqualValues(t, 0xc002, c.Peek(off+2, 2), "enable and mask set, table size kept")
	require.NoError(t, f.MaskMSIX(false))
	assert.EqualValues(t, 0x8002, c.Peek(off+2, 2))
	require.NoError(t, f.EnableMSIX(false))
	assert.EqualValues(t, 0x0002, c.Peek(off+2, 2))
}
