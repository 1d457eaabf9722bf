package runner

import (
	"bytes"
	"debug/elf"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultGDBPort is the TCP port of QEMU's gdb server without -gdb-port
// (QEMU's own default, as its -s flag uses).
const DefaultGDBPort = 1234

// GDBArgs are QEMU's flags for Machine.GDBPort: the CPUs stay stopped
// (-S) until a debugger continues them, and QEMU's gdb server listens on
// port (-gdb tcp::PORT, every interface, as QEMU's -s).
func GDBArgs(port int) []string {
	return []string{"-S", "-gdb", "tcp::" + strconv.Itoa(port)}
}

// CheckGDBPort reports a port that cannot be QEMU's gdb server's: out of
// range, or taken by another program (another debugging session, say),
// which QEMU would report only after the build.
func CheckGDBPort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("-gdb-port %d: want a TCP port, 1 to 65535", port)
	}
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return fmt.Errorf("-gdb-port %d: the port is not free for QEMU's gdb server: %v", port, err)
	}
	return l.Close()
}

// GDBCommand is the shell command that attaches Debian's gdb-multiarch
// (apt package gdb-multiarch) to QEMU's gdb server on port, with the
// symbols of elfPath, the kernel's unstripped ELF (.build/NAME.elf,
// which BuildKernel, App.Build and BuildTest return beside the image),
// as big-endian 64-bit PowerPC:
//
//	gdb-multiarch -q [-iex 'add-auto-load-safe-path GOROOT/src/runtime'] -ex 'set architecture powerpc:common64' -ex 'set endian big' -ex 'target remote :PORT' ELF
//
// The -iex is there when the ELF names the Go toolchain's gdb script
// (section .debug_gdb_scripts): it lets gdb load that script (Go's
// pretty printers, info goroutines) instead of refusing it with a
// warning. The kernel runs at the ELF's link addresses, so breakpoints on
// Go functions (break runtime.main, break 'k42/kernel.trap') work as in a
// process.
func GDBCommand(elfPath string, port int) string {
	cmd := "gdb-multiarch -q"
	if dir := gdbScriptDir(elfPath); dir != "" {
		cmd += " -iex " + shellQuote("add-auto-load-safe-path "+dir)
	}
	return cmd + fmt.Sprintf(" -ex 'set architecture powerpc:common64' -ex 'set endian big' -ex 'target remote :%d' %s", port, shellQuote(elfPath))
}

// gdbScriptDir is the directory of the gdb script the ELF's
// .debug_gdb_scripts section names (a type byte, 1 for a file name, then
// the NUL-terminated path), or "" when it names none.
func gdbScriptDir(elfPath string) string {
	f, err := elf.Open(elfPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".debug_gdb_scripts")
	if sec == nil {
		return ""
	}
	b, err := sec.Data()
	if err != nil || len(b) < 2 || b[0] != 1 {
		return ""
	}
	name, _, _ := bytes.Cut(b[1:], []byte{0})
	if !filepath.IsAbs(string(name)) {
		return ""
	}
	return filepath.Dir(string(name))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@%", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
