package shell

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"k42/kernel"
)

type fake struct{ halted int }

func (f *fake) Info() kernel.Info {
	return kernel.Info{CPUs: 2, MemBytes: 1 << 31, TimebaseHz: 512000000, BootMs: 42}
}
func (f *fake) CPUStats() ([]kernel.CPUStats, error) {
	return []kernel.CPUStats{{Switches: 10, Idle: true, IdleTicks: 512000}, {Syscalls: 7}}, nil
}
func (f *fake) Threads() []kernel.ThreadStat {
	return []kernel.ThreadStat{{TID: 1, State: "running", Runs: 3}}
}
func (f *fake) Mem() kernel.MemStats {
	return kernel.MemStats{FramesTotal: 100, FramesUsed: 10, FramesPeak: 12, FrameSize: 65536}
}
func (f *fake) Mappings() (kernel.VMStats, []kernel.Mapping) {
	return kernel.VMStats{Areas: 2, MappedBytes: 3 << 20, DemandFaults: 9},
		[]kernel.Mapping{{Start: 0xc000000000, End: 0xc000200000, Prot: 3}, {Start: 1 << 40, End: 1<<40 + 1<<20}}
}
func (f *fake) Syscalls() map[int]kernel.SyscallInfo {
	return map[int]kernel.SyscallInfo{
		221: {Name: "futex", Support: kernel.Partial, Note: "wait and wake", Handled: true},
		5:   {Name: "open", Support: kernel.Refused, Note: "no file system"},
	}
}
func (f *fake) Halt(status int) { f.halted = status }

func session(t *testing.T, input string) (string, *fake) {
	var out bytes.Buffer
	f := &fake{halted: -1}
	New(f, &out).Run(strings.NewReader(input))
	return out.String(), f
}

func TestConsoleCommands(t *testing.T) {
	out, f := session(t, "info\ncpus\nmem\nsyscalls futex\nhalt 3\ninfo\n")
	require.Contains(t, out, `{"cpus":2,"mem_bytes":2147483648,"timebase_hz":512000000,"boot_ms":42,"frames_total":0,"frames_used":0,"frames_peak":0,"disks":null}`)
	require.Contains(t, out, "idle")
	require.Contains(t, out, "10 used")
	require.Contains(t, out, "mappings: 2, 3.0 MiB mapped; 9 pages demand-zeroed")
	require.Regexp(t, `0x0000c000000000-0x0000c000200000\s+2\.0 MiB rw-`, out)
	require.Regexp(t, `221\s+futex\s+partial`, out)
	require.Equal(t, 3, f.halted)
	require.Equal(t, 1, strings.Count(out, `"cpus":2`), "nothing runs after halt")
}

func TestConsoleErrors(t *testing.T) {
	out, f := session(t, "frobnicate\nhalt x\nsyscalls nosuchcall\n\n")
	require.Contains(t, out, `k42: unknown command "frobnicate" (type help for the list)`)
	require.Contains(t, out, `k42: halt: status "x" is not a number from 0 to 255`)
	require.Contains(t, out, `no system call "nosuchcall"`)
	require.Equal(t, -1, f.halted)
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _ := session(t, "help\n")
	for _, c := range builtins {
		require.Contains(t, out, c.Name)
	}
}

func TestConsoleLongLines(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	out, f := session(t, long+"\ninfo\n"+strings.Repeat("y", 70000)+"\nhalt 5\n")
	require.Contains(t, out, "k42: line too long: a command line holds at most 1024 bytes")
	require.Contains(t, out, `"cpus":2`, "the line after a long one is a command of its own")
	require.Equal(t, 5, f.halted, "halt after 64 KiB without a newline still works")
	require.Equal(t, 2, strings.Count(out, "line too long"))

	out, f = session(t, strings.Repeat("z", MaxLine)+"\nhalt 6")
	require.Contains(t, out, `unknown command "zzz`, "a line of exactly MaxLine bytes is a command")
	require.Equal(t, 6, f.halted, "a last line without a newline is a command")
}
