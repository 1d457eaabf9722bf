package kernel

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func words(s string) []string {
	dst := make([]byte, 256)
	var offs [maxArgs]int
	n := splitArgs([]byte(s), dst, &offs)
	var out []string
	for _, o := range offs[:n] {
		out = append(out, string(cstring(dst, o)))
	}
	return out
}

func TestSplitArgs(t *testing.T) {
	require.Equal(t, []string{"test", "-v"}, words("  test   -v "))
	require.Equal(t, []string{"echo", "hello world", "it's"}, words(`echo 'hello world' "it's"`))
	require.Equal(t, []string{"a", ""}, words(`a ''`))
	require.Empty(t, words(""))
}
