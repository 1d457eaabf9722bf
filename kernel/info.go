package kernel

// Info is the machine as the kernel sees it; the boot argument info prints
// it as one JSON line.
type Info struct {
	CPUs       int    `json:"cpus"`
	MemBytes   uint64 `json:"mem_bytes"`
	TimebaseHz uint64 `json:"timebase_hz"`
	BootMs     int64  `json:"boot_ms"`

	// Frames of the physical allocator (64 KiB each): managed, in use
	// (kernel image, page tables and the program's touched pages), and
	// the most ever in use.
	FramesTotal int `json:"frames_total"`
	FramesUsed  int `json:"frames_used"`
	FramesPeak  int `json:"frames_peak"`

	Disks []DiskInfo `json:"disks"` // every disk found, in device-file order
}

// ThreadStat describes one live kernel thread.
type ThreadStat struct {
	TID      int32
	State    string
	CPU      int32
	Runs     uint64
	RunTicks uint64 // timebase ticks on a CPU
}

// MemStats reports the frame allocator: frames in use (including those
// reserved for the kernel image), total, peak, reserved, and the longest
// free run, all in frames of FrameSize bytes.
type MemStats struct {
	FramesTotal, FramesUsed, FramesPeak, FramesReserved, LargestFree int
	FrameSize                                                        int
}

// Mapping is one area of the program's address space.
type Mapping struct {
	Start, End uint64
	Prot       uint32
}

// VMStats describes the program's address space.
type VMStats struct {
	Areas        int    // mappings in the table
	MappedBytes  uint64 // their total size
	DemandFaults uint64 // pages backed on first touch since boot
	PagesFreed   uint64 // pages unmapped and their frames freed
}

// DiskInfo describes one disk: its device file's name, what it is, its
// size, where it sits on the PCI bus, how its completions arrive, what
// the kernel uses it for, and what it has done.
type DiskInfo struct {
	Name       string `json:"name"`  // vda, vdb, ...
	Model      string `json:"model"` // virtio-blk
	ID         string `json:"id,omitempty"`
	Bytes      int64  `json:"bytes"`
	BlockSize  int    `json:"block_size"`
	PCI        string `json:"pci"`        // bridge BUID:device.function
	Interrupts string `json:"interrupts"` // "msi-x" or "polled"
	Role       string `json:"role"`       // "root file system" or "raw"
	ReadOnly   bool   `json:"read_only,omitempty"`

	Reads, Writes, Flushes  int64 `json:"-"`
	BytesRead, BytesWritten int64 `json:"-"`
}
