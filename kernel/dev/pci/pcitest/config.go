// Package pcitest is a fake PCI configuration space for host tests of PCI
// drivers: 256 bytes, read-only where a real function's header is, with
// BARs that answer the all-ones sizing probe from their size, and a
// capability list built entry by entry. Only tests import it.
//
// Execution context: test goroutines; a Config is safe for concurrent use.
package pcitest

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// Low bits of a BAR, for SetBAR.
const (
	IO       = 1 << 0
	Mem64    = 2 << 1
	Prefetch = 1 << 3
)

// Config is the configuration space of one fake function.
type Config struct {
	mu         sync.Mutex
	b          [256]byte
	bars       [6]bar
	capEnd     int // where the next capability goes
	lastCap    int // the last capability added, 0 if none
	violations int
}

type bar struct {
	size  uint64 // 0: unimplemented
	flags uint32 // the low bits it reads back
	upper bool   // the upper half of the 64-bit BAR before it
}

var le = binary.LittleEndian

// New returns a type-0 function with the IDs, class code (base<<16 |
// sub<<8 | interface) and revision, no BARs and no capabilities.
func New(vendor, device uint16, class uint32, revision uint8) *Config {
	c := &Config{capEnd: 0x40}
	le.PutUint16(c.b[0x00:], vendor)
	le.PutUint16(c.b[0x02:], device)
	le.PutUint32(c.b[0x08:], class<<8|uint32(revision))
	return c
}

// Absent returns the config space of a slot with no function in it:
// every byte reads 0xff.
func Absent() *Config {
	c := &Config{}
	for i := range c.b {
		c.b[i] = 0xff
	}
	return c
}

// SetSubsystem sets the subsystem vendor and device IDs.
func (c *Config) SetSubsystem(vendor, device uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	le.PutUint16(c.b[0x2c:], vendor)
	le.PutUint16(c.b[0x2e:], device)
}

// SetBAR makes BAR i decode size bytes (a power of two, for a real
// device) with the low bits flags (IO, or Mem64 and Prefetch); a Mem64
// BAR takes register i+1 as its upper half.
func (c *Config) SetBAR(i int, size uint64, flags uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bars[i] = bar{size: size, flags: flags}
	le.PutUint32(c.b[0x10+4*i:], flags)
	if flags&IO == 0 && flags&Mem64 != 0 {
		c.bars[i+1] = bar{upper: true}
		le.PutUint32(c.b[0x10+4*i+4:], 0)
	}
}

// AddCap appends a capability with the ID and the bytes after its ID and
// next pointer, and returns its offset.
func (c *Config) AddCap(id uint8, body []byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	off := c.capEnd
	c.b[off], c.b[off+1] = id, 0
	copy(c.b[off+2:], body)
	if c.lastCap == 0 {
		c.b[0x34] = byte(off)
	} else {
		c.b[c.lastCap+1] = byte(off)
	}
	c.b[0x06] |= 1 << 4 // status: capability list
	c.lastCap = off
	c.capEnd = (off + 2 + len(body) + 3) &^ 3
	return off
}

// Poke writes raw bytes, bypassing what the registers would allow (to
// break a capability list, say).
func (c *Config) Poke(off, size int, v uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range size {
		c.b[off+k] = byte(v >> (8 * k))
	}
}

// Peek reads raw bytes.
func (c *Config) Peek(off, size int) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(off, size)
}

// DecodeViolations counts the all-ones writes to a BAR made while the
// command register had that BAR's kind of decoding on.
func (c *Config) DecodeViolations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.violations
}

func (c *Config) get(off, size int) uint32 {
	var v uint32
	for k := range size {
		v |= uint32(c.b[off+k]) << (8 * k)
	}
	return v
}

func check(off, size int) error {
	if size != 1 && size != 2 && size != 4 {
		return fmt.Errorf("pcitest: access of %d bytes", size)
	}
	if off < 0 || off+size > 256 || off%size != 0 {
		return fmt.Errorf("pcitest: %d-byte access at %#x", size, off)
	}
	return nil
}

// Read implements pci.ConfigSpace.
func (c *Config) Read(off, size int) (uint32, error) {
	if err := check(off, size); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(off, size), nil
}

// Write implements pci.ConfigSpace: the dword written is merged and then
// filtered as the hardware would.
func (c *Config) Write(off, size int, v uint32) error {
	if err := check(off, size); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := off &^ 3
	old := le.Uint32(c.b[d:])
	shift := uint(off-d) * 8
	m := uint32(uint64(1)<<(8*size)-1) << shift
	nv := old&^m | v<<shift&m
	le.PutUint32(c.b[d:], c.filter(d, old, nv))
	return nil
}

func (c *Config) filter(d int, old, nv uint32) uint32 {
	switch {
	case d == 0x00 || d == 0x08 || d == 0x2c || d == 0x34:
		return old // IDs, class, subsystem, capability pointer
	case d == 0x04:
		return old&0xffff0000 | nv&0xffff // the status is read-only here
	case d == 0x0c:
		return old&0x00ff0000 | nv&^0x00ff0000 // the header type
	case d >= 0x10 && d < 0x28:
		return c.barWrite((d-0x10)/4, nv)
	}
	return nv
}

func (c *Config) barWrite(i int, v uint32) uint32 {
	b := c.bars[i]
	cmd := c.get(0x04, 2)
	if b.upper {
		lo := c.bars[i-1]
		if v == 0xffffffff && cmd&2 != 0 {
			c.violations++
		}
		return v & uint32(^(lo.size-1)>>32)
	}
	if b.size == 0 {
		return 0
	}
	if v == 0xffffffff && (b.flags&IO != 0 && cmd&1 != 0 || b.flags&IO == 0 && cmd&2 != 0) {
		c.violations++
	}
	if b.flags&IO != 0 {
		return v&uint32(^(b.size-1))&^3 | b.flags
	}
	return v&uint32(^(b.size-1))&^0xf | b.flags
}
