package ppc64

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// ovec returns option vector n of a CAS argument the way QEMU's
// hw/ppc/spapr_ovec.c finds it: skip the PVR list up to its terminator,
// then walk the vectors by their length bytes.
func ovec(t *testing.T, b []byte, n int) []byte {
	i := 0
	for {
		mask := uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
		pvr := uint32(b[i+4])<<24 | uint32(b[i+5])<<16 | uint32(b[i+6])<<8 | uint32(b[i+7])
		i += 8
		if ^mask&pvr != 0 {
			break
		}
	}
	count := int(b[i]) + 1
	require.LessOrEqual(t, n, count)
	i++
	for v := 1; v < n; v++ {
		i += int(b[i]) + 2
	}
	return b[i+1 : i+1+int(b[i])+1]
}

// bit tests QEMU's OV_BIT(byte, bit) in a vector.
func bit(v []byte, byteNo, bitNo int) bool {
	return byteNo <= len(v) && v[byteNo-1]&(0x80>>bitNo) != 0
}

func TestCASVectorAsQEMUReadsIt(t *testing.T) {
	var b [64]byte
	n := BuildCASVector(&b)
	v := b[:n]
	// PVR list: POWER9 DD2.2 (0x004e1202) matches the first entry.
	require.Equal(t, []byte{0xff, 0xff, 0, 0, 0, 0x4e, 0, 0}, v[:8])
	ov1, ov5 := ovec(t, v, 1), ovec(t, v, 5)
	require.True(t, bit(ov1, 3, 0), "OV1_PPC_3_00")
	require.False(t, bit(ov5, 24, 0), "OV5_MMU_BOTH would make QEMU exit")
	require.True(t, bit(ov5, 24, 1), "OV5_MMU_RADIX_300")
	require.True(t, bit(ov5, 26, 1), "OV5_MMU_RADIX_GTSE")
	require.False(t, bit(ov5, 23, 0) || bit(ov5, 23, 1), "XICS: no XIVE bits")
	require.Len(t, ov5, 26)
	require.Equal(t, n, len(v))
	require.Zero(t, b[n], "nothing after the last vector")
}

// fakeOF is a client interface that records the CAS call and answers
// like QEMU's VOF.
type fakeOF struct {
	offer    []byte // ibm,arch-vec-5-platform-support, nil: absent
	status   uint32 // what the CAS method returns
	agreed   []byte // ibm,architecture-vec-5 after CAS
	opened   string
	closed   bool
	method   string
	called   bool
	noChosen bool
}

func (f *fakeOF) FindDevice(path string) uint32 {
	if path == "/chosen" && !f.noChosen {
		return 7
	}
	return ^uint32(0)
}

func (f *fakeOF) GetProp(node uint32, name string, buf []byte) int {
	var p []byte
	switch name {
	case "ibm,arch-vec-5-platform-support":
		p = f.offer
	case "ibm,architecture-vec-5":
		if f.called {
			p = f.agreed
		}
	}
	if p == nil {
		return -1
	}
	copy(buf, p)
	return len(p)
}

func (f *fakeOF) Open(path string) uint32 { f.opened = path; return 3 }
func (f *fakeOF) Close(ih uint32)         { f.closed = ih == 3 }

func (f *fakeOF) CallMethod(method string, ih, arg uint32) (uint32, uint32, bool) {
	f.method, f.called = method, ih == 3
	return f.status, 0, true
}

func vec5(bytes map[int]byte, n int) []byte {
	p := make([]byte, n+1)
	p[0] = byte(n - 1)
	for i, v := range bytes {
		p[i] = v
	}
	return p
}

func TestNegotiateRadix(t *testing.T) {
	f := &fakeOF{offer: []byte{23, 0, 24, 0xC0, 25, 0, 26, 0x40}, agreed: vec5(map[int]byte{22: 0x80, 24: 0x40, 26: 0x40}, 26)}
	r := NegotiateRadix(f)
	require.Equal(t, "/", f.opened, "VOF serves CAS only on the instance of \"/\"")
	require.Equal(t, "ibm,client-architecture-support", f.method)
	require.True(t, f.closed)
	require.Equal(t, CASResult{Offered: true, Called: true, Radix: true, GTSE: true}, r)
	require.True(t, r.Accepted())
	require.Equal(t, r, CAS)
}

func TestNegotiateRadixRefused(t *testing.T) {
	f := &fakeOF{offer: []byte{24, 0x00}}
	r := NegotiateRadix(f)
	require.False(t, r.Offered)
	require.False(t, f.called, "no CAS when the platform offers only hash")
	require.False(t, r.Accepted())

	f = &fakeOF{status: 0xfffffffc, agreed: vec5(nil, 1)} // H_PARAMETER
	r = NegotiateRadix(f)
	require.True(t, r.Offered, "no platform-support property: try")
	require.True(t, r.Called)
	require.Equal(t, uint32(0xfffffffc), r.Status)
	require.False(t, r.Accepted())

	f = &fakeOF{noChosen: true}
	r = NegotiateRadix(f)
	require.True(t, r.Offered && r.Called, "without /chosen CAS is still made")
	require.False(t, r.Accepted(), "but the agreement cannot be read back")

	f = &fakeOF{agreed: vec5(map[int]byte{24: 0x00}, 24)}
	r = NegotiateRadix(f)
	require.True(t, r.Called)
	require.False(t, r.Radix)
	require.False(t, r.Accepted(), "the agreed vector kept hash")
}

func TestVec5Bit(t *testing.T) {
	p := vec5(map[int]byte{24: 0x40}, 24)
	require.True(t, vec5Bit(p, 24, 0x40))
	require.False(t, vec5Bit(p, 26, 0x40), "beyond the vector")
	require.False(t, vec5Bit(nil, 1, 0x80))
	require.False(t, vec5Bit(p, 0, 0xff))
}
