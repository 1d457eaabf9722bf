package fs

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMkdevLinux checks Mkdev, Major and Minor against the host's.
func TestMkdevLinux(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		ma, mi := rng.Uint32(), rng.Uint32()
		if i%2 == 0 {
			ma, mi = ma%4096, mi%(1<<20)
		}
		dev := unix.Mkdev(ma, mi)
		if got := Mkdev(ma, mi); got != dev {
			t.Fatalf("Mkdev(%d, %d) = %#x, host %#x", ma, mi, got, dev)
		}
		if Major(dev) != unix.Major(dev) || Minor(dev) != unix.Minor(dev) {
			t.Fatalf("Major/Minor(%#x) = %d, %d; host %d, %d", dev, Major(dev), Minor(dev), unix.Major(dev), unix.Minor(dev))
		}
	}
}
