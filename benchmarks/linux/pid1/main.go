// Command pid1 is the init process of the Linux peer's initramfs
// (benchmarks/linux builds it for GOOS=linux GOARCH=ppc64le and packs it
// as /init); it runs inside the Linux guest, not on the host. It mounts
// proc, sysfs, devtmpfs and a tmpfs on /tmp, runs /bench (the benchmark
// program) as a child with its own arguments (the words after "--" on the
// kernel command line) and the console as standard output and error,
// prints the marker line
//
//	linux-init: exit status N
//
// with the child's status (128+N when a signal ended it, 127 when it
// could not start), and powers the machine off.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Marker starts the line that carries the benchmark's exit status; the
// host (benchmarks/linux) matches it.
const Marker = "linux-init: exit status "

// Program is the benchmark's path in the initramfs.
const Program = "/bench"

func main() {
	for _, m := range []struct{ fstype, dir string }{
		{"proc", "/proc"}, {"sysfs", "/sys"}, {"devtmpfs", "/dev"}, {"tmpfs", "/tmp"},
	} {
		if err := syscall.Mount(m.fstype, m.dir, m.fstype, 0, ""); err != nil {
			fmt.Fprintf(os.Stderr, "linux-init: mount %s on %s: %v\n", m.fstype, m.dir, err)
		}
	}
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		up, _, _ := strings.Cut(string(b), " ")
		fmt.Fprintf(os.Stderr, "linux-init: running %s %s, %s s after boot\n", Program, strings.Join(os.Args[1:], " "), up)
	}
	status := run(os.Args[1:])
	fmt.Printf("\n%s%d\n", Marker, status)
	syscall.Sync()
	err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	fmt.Fprintln(os.Stderr, "linux-init: power off:", err)
	select {} // init must not exit: the kernel would panic
}

func run(args []string) int {
	cmd := exec.Command(Program, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "linux-init:", err)
		return 127
	}
}
