package ppc64

// Platform describes the machine, as the boot code read it from the
// firmware's device tree (boot/devtree). It holds no pointers and is made
// of fixed-size arrays, so it is filled in before the Go runtime exists
// and read by the kernel's trap handler.

// MaxCPUs bounds the CPUs the kernel uses.
const MaxCPUs = 64

// RTASTokens holds the tokens of the RTAS services the kernel uses; 0 if
// absent.
type RTASTokens struct {
	StartCPU, StopSelf, QueryCPUStopped, PowerOff, GetTimeOfDay, SystemReboot uint32
	// PCI configuration space, MSI and interrupt routing (PAPR 7.3.4,
	// 7.3.10, 7.3.13).
	ReadPCIConfig, WritePCIConfig, ChangeMSI, QueryIntSource, SetXive, IntOn, IntOff uint32
}

// Bounds of the PCI description.
const (
	MaxPHBs       = 4  // host bridges
	MaxPCIRanges  = 4  // windows of one bridge
	MaxPCIDevices = 32 // functions of one bridge
)

// PCIRange is one window of a host bridge's "ranges": bus addresses
// [Bus, Bus+Size) of Space appear at CPU physical address CPU.
type PCIRange struct {
	Space    uint32 // 1 = I/O, 2 = 32-bit memory, 3 = 64-bit memory
	Prefetch bool
	Bus, CPU uint64
	Size     uint64
}

// PCIDevice is one function the firmware lists under a host bridge.
type PCIDevice struct {
	ConfigAddr     uint32 // bus<<16 | device<<11 | function<<8, as RTAS takes it
	Vendor, Device uint32
	Class          uint32
	IntPin         uint32 // "interrupts": 1..4 = INTA..INTD, 0 none
	ReqMSIX        uint32 // "ibm,req#msi-x": vectors the function asks for
	Name           [24]byte
}

// PHB is a PCI host bridge (a logical PHB under PAPR): its bus unit ID,
// which RTAS's configuration calls take, its MMIO windows, the DMA window
// its devices' bus addresses go through (a TCE table named by LIOBN) and
// its functions.
type PHB struct {
	BUID             uint64
	LIOBN            uint32
	DMABase, DMASize uint64
	NumRanges        int
	Ranges           [MaxPCIRanges]PCIRange
	NumDevices       int
	Devices          [MaxPCIDevices]PCIDevice
}

// Platform is what the kernel learned from the device tree.
type Platform struct {
	MemBytes   uint64          // total RAM in all memory nodes
	TimebaseHz uint64          // from the first CPU
	NumCPUs    int             // CPU nodes (threads) found
	CPUServer  [MaxCPUs]uint32 // interrupt server number of each CPU
	RTAS       RTASTokens      //
	NumVty     int             // virtual terminals under /vdevice
	Vty        [4]uint32       // their terminal numbers, lowest first
	NumPHBs    int             // PCI host bridges found
	PHBs       [MaxPHBs]PHB    //
	bootargs   [MaxBootargs]byte
	nbootargs  int
	// BootargsLen is the length of /chosen/bootargs as the firmware has
	// it; more than MaxBootargs means Bootargs holds only its start.
	BootargsLen int
	Model       [64]byte // root "model", NUL padded
	// InitrdStart and InitrdEnd locate the initial RAM archive QEMU
	// loaded (/chosen linux,initrd-start and -end); both 0 if none.
	InitrdStart, InitrdEnd uint64
}

// MaxBootargs bounds the kernel command line the kernel reads.
const MaxBootargs = 4096

// Bootargs returns /chosen/bootargs without the trailing NUL.
func (p *Platform) Bootargs() []byte { return p.bootargs[:p.nbootargs] }

// SetBootargs replaces the boot arguments (tests).
func (p *Platform) SetBootargs(b []byte) { p.nbootargs = copy(p.bootargs[:], b) }

// BootargsBuffer is where the device-tree reader copies the command line;
// SetBootargsLen records how much of it is the command line.
func (p *Platform) BootargsBuffer() []byte { return p.bootargs[:] }

// SetBootargsLen sets the length of the command line in BootargsBuffer.
func (p *Platform) SetBootargsLen(n int) { p.nbootargs = min(n, len(p.bootargs)) }
