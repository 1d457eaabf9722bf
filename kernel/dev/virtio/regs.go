package virtio

// Regs is one mapped region of device registers. Values are the device's
// little-endian registers already converted (the platform's
// implementation byte-swaps on a big-endian CPU); offsets are relative to
// the region.
type Regs interface {
	Read8(off int) uint8
	Read16(off int) uint16
	Read32(off int) uint32
	Write8(off int, v uint8)
	Write16(off int, v uint16)
	Write32(off int, v uint32)
}

// DMA allocates memory the device can reach.
type DMA interface {
	// Alloc returns size bytes aligned to align (a power of two) both in
	// memory and on the bus.
	Alloc(size, align int) (Buffer, error)
}

// Buffer is DMA memory: Bytes as the CPU sees them, Addr the bus address
// of Bytes[0].
type Buffer struct {
	Bytes []byte
	Addr  uint64
}
