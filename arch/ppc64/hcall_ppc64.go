package ppc64

import "unsafe"

// PutTermChars writes up to 16 bytes to virtual terminal termno and
// reports whether the hypervisor took them.
func PutTermChars(termno uint64, b []byte) bool {
	var w [2]uint64
	n := len(b)
	if n > 16 {
		n = 16
	}
	for i := 0; i < n; i++ {
		w[i/8] |= uint64(b[i]) << (56 - 8*uint(i%8))
	}
	r := Regs{H_PUT_TERM_CHAR, termno, uint64(n), w[0], w[1]}
	Hcall(&r)
	return int64(r[0]) == H_SUCCESS
}

// GetTermChars reads up to 16 pending bytes from virtual terminal termno
// into buf and returns how many arrived.
func GetTermChars(termno uint64, buf *[16]byte) int {
	r := Regs{H_GET_TERM_CHAR, termno}
	Hcall(&r)
	if int64(r[0]) != H_SUCCESS {
		return 0
	}
	n := int(r[1])
	if n > 16 {
		n = 16
	}
	for i := 0; i < n; i++ {
		w := r[2+i/8]
		buf[i] = byte(w >> (56 - 8*uint(i%8)))
	}
	return n
}

// Prod wakes a ceded virtual processor.
func Prod(cpu uint64) {
	r := Regs{H_PROD, cpu}
	Hcall(&r)
}

// RTASCall makes an RTAS call through QEMU's RTAS hypercall. args is the
// big-endian block {token, nargs, nret, args..., rets...} at a real address.
func RTASCall(args unsafe.Pointer) int64 {
	r := Regs{KVMPPC_H_RTAS, uint64(uintptr(args))}
	Hcall(&r)
	return int64(r[0])
}

// The XICS presentation controller of the calling CPU (PAPR hcalls).

// AcceptXIRR accepts the highest-priority pending interrupt: its XIRR
// (the priority it arrived at in the top byte, its source number in the
// low 24 bits); 0 when none is pending.
func AcceptXIRR() uint64 {
	r := Regs{H_XIRR}
	Hcall(&r)
	if int64(r[0]) != H_SUCCESS {
		return 0
	}
	return r[1]
}

// EOI ends the interrupt AcceptXIRR returned.
func EOI(xirr uint64) {
	r := Regs{H_EOI, xirr}
	Hcall(&r)
}

// SetCPPR sets the calling CPU's priority: interrupts at priorities below
// (more favoured than) p are presented; 0xff accepts every one.
func SetCPPR(p uint8) {
	r := Regs{H_CPPR, uint64(p)}
	Hcall(&r)
}
