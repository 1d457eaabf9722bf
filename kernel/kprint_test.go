package kernel

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKbufFormats(t *testing.T) {
	var k kbuf
	k.s("r3=").x(0xdead, 8).c(' ').d(-42).c(' ').d(math.MinInt64).c(' ').x(0, 0)
	require.Equal(t, "r3=0x0000dead -42 -9223372036854775808 0x0", string(k.bytes()))
}

func TestSetReturnErrno(t *testing.T) {
	var c Context
	setReturn(&c, -38)
	require.Equal(t, uint64(38), c.GPR[3])
	require.NotZero(t, c.CR&crSO)
	setReturn(&c, 7)
	require.Equal(t, uint64(7), c.GPR[3])
	require.Zero(t, c.CR&crSO)
	setReturn(&c, -1<<40) // a large negative value is data (an address), not an errno
	require.Zero(t, c.CR&crSO)
}
