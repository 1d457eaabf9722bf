package ppc64

import "unsafe"

// Negotiating the MMU with the firmware: ibm,client-architecture-support.
//
// A PAPR guest tells the platform which architecture features it uses by
// calling the method ibm,client-architecture-support (CAS) on the root
// node's instance, while Open Firmware is still alive. QEMU's VOF
// (hw/ppc/vof.c, vof_call_method) serves it for an instance opened with
// the path "/" and hands the argument, the real address of the option
// vectors, to spapr_vof_client_architecture_support (hw/ppc/spapr_hcall.c,
// do_client_architecture_support), then rebuilds the device tree.
//
// The argument block, all big-endian:
//
//	PVR list       {mask, value} pairs of 32-bit words; QEMU reads until an
//	               entry whose value has bits outside its mask. A match of
//	               the real PVR under the mask allows "raw" mode.
//	count - 1      one byte: the number of option vectors that follow, less 1
//	vector n       one length byte (bytes in the vector, less 1), then the
//	               bytes; a vector's bit b of byte i is 0x80>>b of byte i
//
// QEMU requires vectors 1 and 5 (H_PARAMETER otherwise) and, to find 5,
// walks 2, 3 and 4 by their lengths (hw/ppc/spapr_ovec.c). The bits it
// reads (include/hw/ppc/spapr_ovec.h):
//
//	OV1 byte 3 bit 0  (0x80)  the guest implements ISA 3.00
//	OV5 byte 23       0 asks for the XICS interrupt controller (not XIVE
//	                  exploitation; the kernel uses H_IPI)
//	OV5 byte 24 bit 1 (0x40)  radix MMU (bit 0, "both", is refused)
//	OV5 byte 26 bit 1 (0x40)  guest translation shootdown enable (GTSE):
//	                  tlbie from the guest instead of a hypercall
//
// The platform says beforehand what it offers in /chosen
// "ibm,arch-vec-5-platform-support": {byte index, value} pairs, where a
// value for byte 24 with either of its top two bits set allows radix (QEMU
// TCG gives 0xC0: hash or radix, switchable). Afterwards the agreed vector
// 5 is /chosen "ibm,architecture-vec-5" (length byte, then bytes 1..n).

// Firmware is the part of the Open Firmware client interface that
// NegotiateRadix uses. The boot code implements it with QEMU's VOF.
// Handles are 32-bit cells; 0 means none.
type Firmware interface {
	// FindDevice returns the phandle of the node at path.
	FindDevice(path string) uint32
	// GetProp copies property name of node into buf and returns its full
	// length, or -1 if there is no such property.
	GetProp(node uint32, name string, buf []byte) int
	// Open opens the device at path and returns its ihandle.
	Open(path string) uint32
	// CallMethod calls method on ihandle with one argument and returns the
	// first two result cells: in IEEE 1275 the catch result (0: no throw)
	// and the method's first result; VOF instead puts the method's status
	// in the first and 0 in the second. ok is false if the client
	// interface itself failed.
	CallMethod(method string, ihandle, arg uint32) (catch, result uint32, ok bool)
	// Close closes ihandle.
	Close(ihandle uint32)
}

// CASResult is what NegotiateRadix found out.
type CASResult struct {
	Offered bool   // the platform offers radix (or did not say)
	Called  bool   // the client interface ran the call-method service
	Status  uint32 // the method's status: 0 is success (QEMU: H_SUCCESS)
	Radix   bool   // the agreed vector 5 selects the radix MMU
	GTSE    bool   // the agreed vector 5 enables guest tlbie
}

// Accepted reports whether the platform agreed to radix.
func (r CASResult) Accepted() bool { return r.Called && r.Status == 0 && r.Radix }

// CAS is the result of the boot's negotiation.
var CAS CASResult

// Option-vector 5 bytes and bits the kernel asks for.
const (
	ov5MMU      = 24   // MMU model
	ov5Radix    = 0x40 // radix
	ov5RadixExt = 26   // radix options
	ov5GTSE     = 0x40 // guest translation shootdown

	pvrPOWER9     = 0x004e0000 // POWER9, any revision
	pvrMaskFamily = 0xffff0000
)

// casBuf holds the option vectors; its address goes to the firmware, so
// it is a global (below 4 GiB, as a client-interface cell requires).
var (
	casBuf  [64]byte
	propBuf [64]byte
)

// BuildCASVector writes the CAS argument into b and returns its length:
// POWER9 in raw mode, ISA 3.00, XICS, radix with GTSE.
func BuildCASVector(b *[64]byte) int {
	clear(b[:])
	put32(b[0:], pvrMaskFamily)
	put32(b[4:], pvrPOWER9)
	put32(b[8:], 0) // end of the list: the value has bits outside the mask
	put32(b[12:], 0xffffffff)
	n := 16

	b[n] = 5 - 1 // five vectors
	n++
	// OV1: byte 1 none; byte 2 ISA 2.00 to 2.07; byte 3 ISA 3.00.
	b[n], b[n+1], b[n+2], b[n+3] = 3-1, 0x00, 0xff, 0x80
	n += 4
	// OV2 (memory), OV3 (processor), OV4 (capacity): nothing to ask for.
	for i := 0; i < 3; i++ {
		b[n], b[n+1] = 1-1, 0x00
		n += 2
	}
	// OV5: 26 bytes, all zero but the MMU bytes.
	b[n] = ov5RadixExt - 1
	b[n+ov5MMU] = ov5Radix
	b[n+ov5RadixExt] = ov5GTSE
	n += 1 + ov5RadixExt
	return n
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// platformOffersRadix reads "ibm,arch-vec-5-platform-support": pairs of
// {byte index, value}. It is true when the property is absent.
func platformOffersRadix(prop []byte) bool {
	for i := 0; i+1 < len(prop); i += 2 {
		if prop[i] == ov5MMU {
			return prop[i+1]&0xC0 != 0
		}
	}
	return true
}

// vec5Bit tests bit mask of byte i (1-based) of an "ibm,architecture-vec-5"
// property: a length byte (bytes - 1), then the bytes.
func vec5Bit(prop []byte, i int, mask byte) bool {
	if len(prop) == 0 || i < 1 || i > int(prop[0])+1 || i >= len(prop) {
		return false
	}
	return prop[i]&mask != 0
}

// NegotiateRadix asks the firmware for the radix MMU with guest
// translation shootdown, records the outcome in CAS and returns it. It
// must run before the firmware's memory is reused and, as QEMU requires,
// while only the boot CPU runs. It allocates nothing.
func NegotiateRadix(fw Firmware) CASResult {
	var r CASResult
	chosen := fw.FindDevice("/chosen")
	r.Offered = true
	if chosen != 0 && chosen != ^uint32(0) {
		if n := fw.GetProp(chosen, "ibm,arch-vec-5-platform-support", propBuf[:]); n > 0 {
			r.Offered = platformOffersRadix(propBuf[:min(n, len(propBuf))])
		}
	}
	if !r.Offered {
		CAS = r
		return r
	}
	root := fw.Open("/")
	if root == 0 || root == ^uint32(0) {
		CAS = r
		return r
	}
	BuildCASVector(&casBuf)
	first, second, ok := fw.CallMethod("ibm,client-architecture-support", root, uint32(uintptr(unsafe.Pointer(&casBuf))))
	fw.Close(root)
	r.Called = ok
	r.Status = first // VOF: the method's status; IEEE 1275: the catch result
	if first == 0 {
		r.Status = second
	}
	// QEMU rebuilt the tree: look /chosen up again.
	if chosen = fw.FindDevice("/chosen"); chosen != 0 && chosen != ^uint32(0) {
		clear(propBuf[:])
		if n := fw.GetProp(chosen, "ibm,architecture-vec-5", propBuf[:]); n > 0 {
			p := propBuf[:min(n, len(propBuf))]
			r.Radix = vec5Bit(p, ov5MMU, ov5Radix)
			r.GTSE = vec5Bit(p, ov5RadixExt, ov5GTSE)
		}
	}
	CAS = r
	return r
}
