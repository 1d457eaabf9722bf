package ppc64

import "testing"

func TestPCIConfigAddr(t *testing.T) {
	for _, c := range []struct{ fn, off, want uint32 }{
		{0x1000, 0, 0x1000},           // device 2, function 0, register 0
		{0x1000, 0x98, 0x1098},        // a capability
		{0x010900, 0x104, 0x10010904}, // bus 1, device 1, function 1, extended register 0x104
	} {
		if got := PCIConfigAddr(c.fn, c.off); got != c.want {
			t.Errorf("PCIConfigAddr(%#x, %#x) = %#x, want %#x", c.fn, c.off, got, c.want)
		}
	}
}
