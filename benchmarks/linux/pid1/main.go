// Command pid1 is the init process of the Linux peer's initramfs
// (benchmarks/linux builds it for GOOS=linux GOARCH=ppc64le and packs it
// as /init); it runs inside the Linux guest, not on the host. It mounts
// proc, sysfs, devtmpfs and a tmpfs on /tmp, brings the loopback
// interface up (as any init does; the machine has no other network),
// runs /bench (the benchmark program) as a child with its own arguments
// (the words after "--" on the kernel command line) and the console as
// standard output and error, prints the marker line
//
//	linux-init: exit status N
//
// with the child's status (128+N when a signal ended it, 127 when it
// could not start), and powers the machine off.
//
// When the initramfs holds TestConfig (benchmarks/linux -test puts it
// there), init runs what that file names instead: a test binary, with
// its own arguments, working directory and whole environment (see
// testConfig), and the same marker after it.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"
)

// Marker starts the line that carries the benchmark's exit status; the
// host (benchmarks/linux) matches it.
const Marker = "linux-init: exit status "

// Program is the benchmark's path in the initramfs.
const Program = "/bench"

// Running starts the line init prints before it starts the program; the
// host takes what follows it, up to the marker, as the program's output.
const Running = "linux-init: running "

// TestConfig is the file that makes init run a test binary instead of
// Program.
const TestConfig = "/linux-init.json"

// testConfig is TestConfig's contents (benchmarks/linux writes them).
type testConfig struct {
	Path string   `json:"path"` // the program
	Args []string `json:"args"` // its os.Args, Args[0] included
	Dir  string   `json:"dir"`  // its working directory
	Env  []string `json:"env"`  // its whole environment
}

// readTestConfig decodes and checks TestConfig's contents.
func readTestConfig(b []byte) (testConfig, error) {
	var c testConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %v", TestConfig, err)
	}
	if !strings.HasPrefix(c.Path, "/") || len(c.Args) == 0 || !strings.HasPrefix(c.Dir, "/") {
		return c, fmt.Errorf("%s: want an absolute path and dir and at least argv[0], got %+v", TestConfig, c)
	}
	if c.Env == nil {
		c.Env = []string{}
	}
	return c, nil
}

func main() {
	for _, m := range []struct{ fstype, dir string }{
		{"proc", "/proc"}, {"sysfs", "/sys"}, {"devtmpfs", "/dev"}, {"tmpfs", "/tmp"},
	} {
		if err := syscall.Mount(m.fstype, m.dir, m.fstype, 0, ""); err != nil {
			fmt.Fprintf(os.Stderr, "linux-init: mount %s on %s: %v\n", m.fstype, m.dir, err)
		}
	}
	if err := loopbackUp(); err != nil {
		fmt.Fprintf(os.Stderr, "linux-init: loopback: %v\n", err)
	}
	var status int
	if b, err := os.ReadFile(TestConfig); err == nil {
		status = runTest(b)
	} else {
		if b, err := os.ReadFile("/proc/uptime"); err == nil {
			fmt.Fprintf(os.Stderr, "%s%s %s, %s s after boot\n", Running, Program, strings.Join(os.Args[1:], " "), uptime(b))
		}
		status = run(exec.Command(Program, os.Args[1:]...))
	}
	fmt.Printf("\n%s%d\n", Marker, status)
	syscall.Sync()
	err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	fmt.Fprintln(os.Stderr, "linux-init: power off:", err)
	select {} // init must not exit: the kernel would panic
}

// loopbackUp sets IFF_UP on lo (SIOCGIFFLAGS, SIOCSIFFLAGS); the kernel
// then gives it 127.0.0.1 and ::1.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	// struct ifreq: the name, then a union whose flags are a short.
	var ifr [40]byte
	copy(ifr[:], "lo")
	ioctl := func(req uintptr) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
			return e
		}
		return nil
	}
	if err := ioctl(syscall.SIOCGIFFLAGS); err != nil {
		return err
	}
	flags := binary.NativeEndian.Uint16(ifr[16:]) | syscall.IFF_UP | syscall.IFF_RUNNING
	binary.NativeEndian.PutUint16(ifr[16:], flags)
	return ioctl(syscall.SIOCSIFFLAGS)
}

func uptime(procUptime []byte) string {
	up, _, _ := strings.Cut(string(procUptime), " ")
	return up
}

// runTest runs the test binary TestConfig names, in its directory, with
// exactly its environment.
func runTest(config []byte) int {
	c, err := readTestConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "linux-init:", err)
		return 127
	}
	up := "?"
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		up = uptime(b)
	}
	fmt.Fprintf(os.Stderr, "%s%s in %s, %s s after boot\n", Running, strings.Join(append([]string{c.Path}, c.Args[1:]...), " "), c.Dir, up)
	cmd := &exec.Cmd{Path: c.Path, Args: c.Args, Dir: c.Dir, Env: c.Env}
	return run(cmd)
}

// run runs cmd with the console as its standard output and error and
// returns its exit status.
func run(cmd *exec.Cmd) int {
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
