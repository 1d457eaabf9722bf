package percpu

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

func TestRowsStartOnLinePairs(t *testing.T) {
	for _, width := range []int{1, 3, 16, 17, 40} {
		c := New(5, width)
		for cpu := range 5 {
			assert.Zero(t, uintptr(unsafe.Pointer(c.At(cpu, 0)))%lineBytes, "width %d cpu %d", width, cpu)
		}
		c.Add(4, width-1, 3)
		c.Add(0, width-1, 2)
		assert.EqualValues(t, 5, c.Sum(width-1))
		assert.EqualValues(t, 4, c.Add(4, width-1, 1))
		assert.EqualValues(t, 6, c.Total())
	}
}
