package sys

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKernelOptions(t *testing.T) {
	words := []string{"prog-arg", "k42.argv0=x", "k42.env.A=b", "k42.trace", "k42.size=1M", "k42.size=2M", "k42.policy.seq=21"}
	opts := optionsIn(words)
	require.Equal(t, []string{"trace", "size=1M", "size=2M", "policy.seq=21"}, opts)
	v, ok := optionIn(opts, "size")
	require.True(t, ok)
	require.Equal(t, "2M", v, "the last one wins")
	v, ok = optionIn(opts, "trace")
	require.True(t, ok)
	require.Empty(t, v)
	_, ok = optionIn(opts, "absent")
	require.False(t, ok)

	err := checkOptions(opts)
	require.ErrorContains(t, err, "unknown kernel option k42.trace")
	DefineOption(OptionInfo{Name: "trace", Help: "test"})
	DefineOption(OptionInfo{Name: "size", Args: "SIZE"})
	require.ErrorContains(t, checkOptions(opts), "unknown kernel option k42.policy.seq=21")
	DefineOption(OptionInfo{Name: "policy.", Args: "VALUE"})
	require.NoError(t, checkOptions(opts))
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"4096", 4096}, {"64M", 64 << 20}, {"1g", 1 << 30}, {"512K", 512 << 10}, {"25%", 1 << 28}} {
		got, err := ParseSize(c.in, 1<<30)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "M", "-1", "0", "12Q", "101%", "0%", "1e3", "99999999999T"} {
		if _, err := ParseSize(bad, 1<<30); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		} else if !strings.Contains(err.Error(), "want") {
			t.Errorf("ParseSize(%q): %v", bad, err)
		}
	}
}
