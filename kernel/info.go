package kernel

// Info is the machine as the kernel sees it; the boot argument info prints
// it as one JSON line.
type Info struct {
	CPUs       int    `json:"cpus"`
	MemBytes   uint64 `json:"mem_bytes"`
	TimebaseHz uint64 `json:"timebase_hz"`
	BootMs     int64  `json:"boot_ms"`
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
