// Package devtree reads the facts the kernel needs from the firmware's
// device tree: memory, CPUs, the timebase frequency, RTAS tokens, the
// virtual terminals, /chosen/bootargs, the initial RAM archive and the
// PCI host bridges with their windows, DMA window and functions.
//
// It runs before the Go runtime exists, so it allocates nothing and keeps
// what it learns in a ppc64.Platform, made of fixed-size arrays. The tree
// is read through a Firmware, which the boot code implements with QEMU's
// VOF client interface and the tests implement with a map.
package devtree

import "k42/arch/ppc64"

// Platform is the description Probe fills in.
type Platform = ppc64.Platform

// Firmware walks the device tree (IEEE 1275 client interface semantics).
// Handles are phandles; 0 means none.
type Firmware interface {
	// Peer returns the next sibling of node, or the root for node 0.
	Peer(node uint32) uint32
	// Child returns the first child of node.
	Child(node uint32) uint32
	// GetProp copies property name of node into buf and returns its full
	// length, or -1 if node has no such property.
	GetProp(node uint32, name string, buf []byte) int
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// cells decodes n big-endian cells starting at b as one number.
func cells(b []byte, n int) uint64 {
	var v uint64
	for i := 0; i < n && 4*i+4 <= len(b); i++ {
		v = v<<32 | uint64(be32(b[4*i:]))
	}
	return v
}

// hasPrefix reports whether the NUL-terminated name in b starts with s.
func hasPrefix(b []byte, n int, s string) bool {
	if n < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

// eq reports whether the NUL-terminated string in b[:n] equals s.
func eq(b []byte, n int, s string) bool {
	if n > 0 && b[n-1] == 0 {
		n--
	}
	return n == len(s) && hasPrefix(b, n, s)
}

// Scratch buffers are globals, not locals: arguments of interface calls
// escape, and before the runtime starts nothing may reach the heap.
var (
	buf    [256]byte
	regBuf [256]byte
	tokBuf [4]byte
)

// Probe fills p from the device tree. It is not safe for concurrent use.
func Probe(fw Firmware, p *Platform) {
	root := fw.Peer(0)
	addrCells, sizeCells := 2, 1
	if n := fw.GetProp(root, "#address-cells", buf[:]); n == 4 {
		addrCells = int(be32(buf[:]))
	}
	if n := fw.GetProp(root, "#size-cells", buf[:]); n == 4 {
		sizeCells = int(be32(buf[:]))
	}
	if n := fw.GetProp(root, "model", p.Model[:len(p.Model)-1]); n < 0 {
		p.Model[0] = 0
	}
	for node := fw.Child(root); node != 0; node = fw.Peer(node) {
		n := fw.GetProp(node, "name", buf[:])
		switch {
		case n > 0 && eq(buf[:], n, "memory") || hasPrefix(buf[:], n, "memory@"):
			probeMemory(fw, node, addrCells, sizeCells, p)
		case eq(buf[:], n, "cpus"):
			probeCPUs(fw, node, p)
		case eq(buf[:], n, "rtas"):
			probeRTAS(fw, node, p)
		case eq(buf[:], n, "chosen"):
			args := p.BootargsBuffer()
			if l := fw.GetProp(node, "bootargs", args); l > 0 {
				p.BootargsLen = l
				l = min(l, len(args))
				for l > 0 && args[l-1] == 0 {
					l--
					p.BootargsLen--
				}
				p.SetBootargsLen(l)
			}
			if n := fw.GetProp(node, "linux,initrd-start", buf[:]); n == 4 || n == 8 {
				p.InitrdStart = cells(buf[:], n/4)
			}
			if n := fw.GetProp(node, "linux,initrd-end", buf[:]); n == 4 || n == 8 {
				p.InitrdEnd = cells(buf[:], n/4)
			}
		case eq(buf[:], n, "vdevice"):
			probeVdevice(fw, node, p)
		case hasPrefix(buf[:], n, "pci"):
			if n := fw.GetProp(node, "device_type", buf[:]); eq(buf[:], n, "pci") {
				probePHB(fw, node, addrCells, p)
			}
		}
	}
}

func probeMemory(fw Firmware, node uint32, ac, sc int, p *Platform) {
	reg := &regBuf
	n := fw.GetProp(node, "reg", reg[:])
	step := 4 * (ac + sc)
	for off := 0; n > 0 && off+step <= n && off+step <= len(reg); off += step {
		p.MemBytes += cells(reg[off+4*ac:], sc)
	}
}

func probeCPUs(fw Firmware, cpus uint32, p *Platform) {
	for node := fw.Child(cpus); node != 0; node = fw.Peer(node) {
		if n := fw.GetProp(node, "device_type", buf[:]); !eq(buf[:], n, "cpu") {
			continue
		}
		if p.TimebaseHz == 0 {
			if n := fw.GetProp(node, "timebase-frequency", buf[:]); n == 4 || n == 8 {
				p.TimebaseHz = cells(buf[:], n/4)
			}
		}
		// Each core node lists its hardware threads' server numbers.
		n := fw.GetProp(node, "ibm,ppc-interrupt-server#s", buf[:])
		if n < 4 {
			n = fw.GetProp(node, "reg", buf[:])
		}
		for off := 0; off+4 <= n && off+4 <= len(buf) && p.NumCPUs < ppc64.MaxCPUs; off += 4 {
			p.CPUServer[p.NumCPUs] = be32(buf[off:])
			p.NumCPUs++
		}
	}
}

func probeRTAS(fw Firmware, node uint32, p *Platform) {
	tok := func(name string) uint32 {
		if fw.GetProp(node, name, tokBuf[:]) == 4 {
			return be32(tokBuf[:])
		}
		return 0
	}
	p.RTAS = ppc64.RTASTokens{
		StartCPU:        tok("start-cpu"),
		StopSelf:        tok("stop-self"),
		QueryCPUStopped: tok("query-cpu-stopped-state"),
		PowerOff:        tok("power-off"),
		GetTimeOfDay:    tok("get-time-of-day"),
		SystemReboot:    tok("system-reboot"),
		ReadPCIConfig:   tok("ibm,read-pci-config"),
		WritePCIConfig:  tok("ibm,write-pci-config"),
		ChangeMSI:       tok("ibm,change-msi"),
		QueryIntSource:  tok("ibm,query-interrupt-source-number"),
		SetXive:         tok("ibm,set-xive"),
		IntOn:           tok("ibm,int-on"),
		IntOff:          tok("ibm,int-off"),
	}
}

func probeVdevice(fw Firmware, vdev uint32, p *Platform) {
	for node := fw.Child(vdev); node != 0; node = fw.Peer(node) {
		n := fw.GetProp(node, "name", buf[:])
		if !eq(buf[:], n, "vty") && !hasPrefix(buf[:], n, "vty@") {
			continue
		}
		if fw.GetProp(node, "reg", buf[:]) < 4 || p.NumVty == len(p.Vty) {
			continue
		}
		// Keep them sorted: the lowest is the console.
		v := be32(buf[:])
		i := p.NumVty
		for i > 0 && p.Vty[i-1] > v {
			p.Vty[i] = p.Vty[i-1]
			i--
		}
		p.Vty[i] = v
		p.NumVty++
	}
}

// probePHB records a PCI host bridge: its BUID (the unit address in
// "reg"), its windows ("ranges": a 3-cell PCI address, a parent address
// of ac cells, a 2-cell size), its DMA window ("ibm,dma-window": LIOBN,
// then bus address and size in the bridge's DMA cells) and the functions
// listed as its children.
func probePHB(fw Firmware, node uint32, ac int, p *Platform) {
	if p.NumPHBs == len(p.PHBs) {
		return
	}
	reg := &regBuf
	if n := fw.GetProp(node, "reg", reg[:]); n < 4*ac {
		return
	}
	h := &p.PHBs[p.NumPHBs]
	*h = ppc64.PHB{BUID: cells(reg[:], ac)}
	sc := 2
	if n := fw.GetProp(node, "#size-cells", buf[:]); n == 4 {
		sc = int(be32(buf[:]))
	}
	step := 4 * (3 + ac + sc)
	n := fw.GetProp(node, "ranges", reg[:])
	for off := 0; off+step <= n && off+step <= len(reg) && h.NumRanges < len(h.Ranges); off += step {
		hi := be32(reg[off:])
		h.Ranges[h.NumRanges] = ppc64.PCIRange{
			Space:    hi >> 24 & 3,
			Prefetch: hi&0x40000000 != 0,
			Bus:      cells(reg[off+4:], 2),
			CPU:      cells(reg[off+12:], ac),
			Size:     cells(reg[off+12+4*ac:], sc),
		}
		h.NumRanges++
	}
	dac, dsc := 2, 2
	if n := fw.GetProp(node, "ibm,#dma-address-cells", buf[:]); n == 4 {
		dac = int(be32(buf[:]))
	}
	if n := fw.GetProp(node, "ibm,#dma-size-cells", buf[:]); n == 4 {
		dsc = int(be32(buf[:]))
	}
	if n := fw.GetProp(node, "ibm,dma-window", reg[:]); n >= 4*(1+dac+dsc) && dac <= 2 && dsc <= 2 {
		h.LIOBN = be32(reg[:])
		h.DMABase = cells(reg[4:], dac)
		h.DMASize = cells(reg[4+4*dac:], dsc)
	}
	for c := fw.Child(node); c != 0 && h.NumDevices < len(h.Devices); c = fw.Peer(c) {
		if n := fw.GetProp(c, "reg", reg[:]); n < 4 {
			continue
		}
		d := &h.Devices[h.NumDevices]
		*d = ppc64.PCIDevice{ConfigAddr: be32(reg[:]) & 0x00ffff00}
		prop := func(name string) uint32 {
			if fw.GetProp(c, name, tokBuf[:]) == 4 {
				return be32(tokBuf[:])
			}
			return 0
		}
		d.Vendor, d.Device, d.Class = prop("vendor-id"), prop("device-id"), prop("class-code")
		d.IntPin, d.ReqMSIX = prop("interrupts"), prop("ibm,req#msi-x")
		if n := fw.GetProp(c, "name", buf[:]); n > 0 {
			copy(d.Name[:len(d.Name)-1], buf[:min(n, len(buf))])
		}
		h.NumDevices++
	}
	p.NumPHBs++
}
