package ppc64

// PCI host bridge access under PAPR: how RTAS's configuration-space and
// MSI calls encode their arguments. The calls themselves are made by the
// kernel (kernel/dev_ppc64.go), which owns RTAS's argument block.

// PCIConfigAddr is the configuration address RTAS ibm,read-pci-config and
// ibm,write-pci-config take for register off (0..4095) of function fn
// (bus<<16 | device<<11 | function<<8): the register's low byte in bits
// 0-7 and its extended part (bits 8-11) in bits 28-31.
func PCIConfigAddr(fn, off uint32) uint32 {
	return fn&0x00ffff00 | off&0xff | off&0xf00<<20
}

// ChangeMSIX is ibm,change-msi's function number for MSI-X vectors.
const ChangeMSIX = 4

// RTASBusy reports whether an RTAS status asks to be called again (busy,
// or an extended delay hint 9900-9905).
func RTASBusy(st int32) bool { return st == 1 || st >= 9900 && st <= 9905 }
