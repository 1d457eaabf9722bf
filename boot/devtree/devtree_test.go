package devtree

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

type node struct {
	props    map[string][]byte
	children []uint32
	parent   uint32
}

type fakeFW struct{ nodes map[uint32]*node }

func (f *fakeFW) Peer(h uint32) uint32 {
	if h == 0 {
		return 1
	}
	par := f.nodes[f.nodes[h].parent]
	if par == nil {
		return 0
	}
	for i, c := range par.children {
		if c == h && i+1 < len(par.children) {
			return par.children[i+1]
		}
	}
	return 0
}

func (f *fakeFW) Child(h uint32) uint32 {
	if n := f.nodes[h]; n != nil && len(n.children) > 0 {
		return n.children[0]
	}
	return 0
}

func (f *fakeFW) GetProp(h uint32, name string, buf []byte) int {
	v, ok := f.nodes[h].props[name]
	if !ok {
		return -1
	}
	copy(buf, v)
	return len(v)
}

func u32s(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func str(s string) []byte { return append([]byte(s), 0) }

func TestProbePseriesTree(t *testing.T) {
	fw := &fakeFW{nodes: map[uint32]*node{}}
	add := func(h, parent uint32, props map[string][]byte) {
		fw.nodes[h] = &node{props: props, parent: parent}
		if p := fw.nodes[parent]; p != nil && h != parent {
			p.children = append(p.children, h)
		}
	}
	add(1, 0, map[string][]byte{"#address-cells": u32s(2), "#size-cells": u32s(2), "model": str("IBM pSeries (emulated by qemu)")})
	add(2, 1, map[string][]byte{"name": str("memory@0"), "reg": u32s(0, 0, 0, 0x20000000)})
	add(3, 1, map[string][]byte{"name": str("memory@20000000"), "reg": u32s(0, 0x20000000, 0, 0x10000000)})
	add(4, 1, map[string][]byte{"name": str("cpus")})
	add(5, 4, map[string][]byte{"name": str("PowerPC,POWER9@0"), "device_type": str("cpu"), "reg": u32s(0), "ibm,ppc-interrupt-server#s": u32s(0), "timebase-frequency": u32s(512000000)})
	add(6, 4, map[string][]byte{"name": str("PowerPC,POWER9@1"), "device_type": str("cpu"), "reg": u32s(1), "ibm,ppc-interrupt-server#s": u32s(1)})
	add(7, 1, map[string][]byte{"name": str("rtas"), "start-cpu": u32s(0x2006), "power-off": u32s(0x200a)})
	add(8, 1, map[string][]byte{"name": str("chosen"), "bootargs": str("test -v")})
	add(9, 1, map[string][]byte{"name": str("vdevice")})
	add(10, 9, map[string][]byte{"name": str("vty@71000001"), "reg": u32s(0x71000001)})
	add(11, 9, map[string][]byte{"name": str("vty@71000000"), "reg": u32s(0x71000000)})

	var p Platform
	Probe(fw, &p)
	require.Equal(t, uint64(0x30000000), p.MemBytes)
	require.Equal(t, 2, p.NumCPUs)
	require.Equal(t, [2]uint32{0, 1}, [2]uint32{p.CPUServer[0], p.CPUServer[1]})
	require.Equal(t, uint64(512000000), p.TimebaseHz)
	require.Equal(t, uint32(0x2006), p.RTAS.StartCPU)
	require.Equal(t, uint32(0x200a), p.RTAS.PowerOff)
	require.Zero(t, p.RTAS.StopSelf, "absent token is 0")
	require.Equal(t, "test -v", string(p.Bootargs()))
	require.Equal(t, 2, p.NumVty)
	require.Equal(t, uint32(0x71000000), p.Vty[0], "the lowest terminal is the console")
}

// TestProbePHB reads a host bridge as QEMU 7.2's pseries machine lists it
// (its values copied from `-M pseries,dumpdtb=` with a virtio-blk-pci
// device).
func TestProbePHB(t *testing.T) {
	fw := &fakeFW{nodes: map[uint32]*node{}}
	add := func(h, parent uint32, props map[string][]byte) {
		fw.nodes[h] = &node{props: props, parent: parent}
		if p := fw.nodes[parent]; p != nil && h != parent {
			p.children = append(p.children, h)
		}
	}
	add(1, 0, map[string][]byte{"#address-cells": u32s(2), "#size-cells": u32s(2)})
	add(2, 1, map[string][]byte{"name": str("pci@800000020000000"), "device_type": str("pci"),
		"reg": u32s(0x8000000, 0x20000000, 0, 0), "#size-cells": u32s(2),
		"ranges": u32s(0x1000000, 0, 0, 0x2000, 0, 0, 0x10000,
			0x2000000, 0, 0x80000000, 0x2000, 0x80000000, 0, 0x80000000,
			0x3000000, 0x2100, 0, 0x2100, 0, 0x100, 0),
		"ibm,dma-window":      u32s(0x80000000, 0, 0, 0, 0x40000000),
		"ibm,#dma-size-cells": u32s(2), "ibm,#dma-address-cells": u32s(2)})
	add(3, 2, map[string][]byte{"name": str("scsi"), "reg": u32s(0x1000, 0, 0, 0, 0, 0x1001010, 0, 0, 0, 0x80),
		"vendor-id": u32s(0x1af4), "device-id": u32s(0x1001), "class-code": u32s(0x10000),
		"interrupts": u32s(1), "ibm,req#msi-x": u32s(2)})
	add(4, 1, map[string][]byte{"name": str("pci-bridge"), "device_type": str("not-pci")})

	var p Platform
	Probe(fw, &p)
	require.Equal(t, 1, p.NumPHBs)
	h := p.PHBs[0]
	require.Equal(t, uint64(0x800000020000000), h.BUID)
	require.Equal(t, uint32(0x80000000), h.LIOBN)
	require.Equal(t, uint64(0), h.DMABase)
	require.Equal(t, uint64(1<<30), h.DMASize)
	require.Equal(t, 3, h.NumRanges)
	require.Equal(t, uint32(2), h.Ranges[1].Space)
	require.Equal(t, uint64(0x80000000), h.Ranges[1].Bus)
	require.Equal(t, uint64(0x200080000000), h.Ranges[1].CPU)
	require.Equal(t, uint64(0x80000000), h.Ranges[1].Size)
	require.Equal(t, uint32(3), h.Ranges[2].Space)
	require.Equal(t, uint64(0x210000000000), h.Ranges[2].CPU)
	require.Equal(t, uint64(0x10000000000), h.Ranges[2].Size)
	require.Equal(t, 1, h.NumDevices)
	d := h.Devices[0]
	require.Equal(t, uint32(0x1000), d.ConfigAddr, "device 2, function 0")
	require.Equal(t, [3]uint32{0x1af4, 0x1001, 0x10000}, [3]uint32{d.Vendor, d.Device, d.Class})
	require.Equal(t, uint32(2), d.ReqMSIX)
	require.Equal(t, "scsi", string(d.Name[:4]))
}
