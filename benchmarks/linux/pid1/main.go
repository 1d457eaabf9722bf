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
//
// When it holds DiskConfig (benchmarks/linux -disk puts it there), init
// first loads the kernel modules that file lists (finit_module, in
// order: the virtio PCI transport, virtio_blk, ext4 and their
// dependencies, which Debian's kernel does not build in), waits for the
// disks' device nodes to appear in devtmpfs (/dev/vda, ...) and mounts
// the file systems it names (-disk-fs ext4: /dev/vda on /mnt), before
// it runs the program. A failure is reported on the console and the
// program runs all the same, so that its own error says what it missed.
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
	"time"
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

// DiskConfig is the file that makes init set up disks before the
// program runs.
const DiskConfig = "/linux-init-disks.json"

// diskConfig is DiskConfig's contents (benchmarks/linux writes them).
type diskConfig struct {
	Modules []string `json:"modules"` // module files in the initramfs, in load order
	Devices []string `json:"devices"` // device nodes to wait for
	Mounts  []mount  `json:"mounts"`
}

type mount struct {
	Dev    string `json:"dev"`
	Dir    string `json:"dir"`
	FSType string `json:"fstype"`
}

// readDiskConfig decodes and checks DiskConfig's contents.
func readDiskConfig(b []byte) (diskConfig, error) {
	var c diskConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %v", DiskConfig, err)
	}
	for _, p := range append(append([]string{}, c.Modules...), c.Devices...) {
		if !strings.HasPrefix(p, "/") {
			return c, fmt.Errorf("%s: %q is not an absolute path", DiskConfig, p)
		}
	}
	for _, m := range c.Mounts {
		if !strings.HasPrefix(m.Dev, "/") || !strings.HasPrefix(m.Dir, "/") || m.FSType == "" {
			return c, fmt.Errorf("%s: mount %+v: want absolute dev and dir and a file system type", DiskConfig, m)
		}
	}
	return c, nil
}

// deviceWait bounds how long init waits for a disk's device node.
const deviceWait = 20 * time.Second

// setUpDisks loads the modules, waits for the devices and mounts the
// file systems of DiskConfig, reporting each failure on standard error.
func setUpDisks(b []byte) {
	c, err := readDiskConfig(b)
	if err != nil {
		fmt.Fprintln(os.Stderr, "linux-init:", err)
		return
	}
	for _, m := range c.Modules {
		if err := loadModule(m); err != nil {
			fmt.Fprintf(os.Stderr, "linux-init: loading %s: %v\n", m, err)
		}
	}
	for _, d := range c.Devices {
		if err := waitFor(d, deviceWait); err != nil {
			fmt.Fprintln(os.Stderr, "linux-init:", err)
		}
	}
	for _, m := range c.Mounts {
		if err := os.MkdirAll(m.Dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "linux-init:", err)
			continue
		}
		if err := syscall.Mount(m.Dev, m.Dir, m.FSType, 0, ""); err != nil {
			fmt.Fprintf(os.Stderr, "linux-init: mount %s (%s) on %s: %v\n", m.Dev, m.FSType, m.Dir, err)
		}
	}
}

// loadModule loads the kernel module in the file at path (finit_module,
// no parameters); one that is loaded already is not an error.
func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	params, _ := syscall.BytePtrFromString("")
	_, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(params)), 0)
	if e != 0 && e != syscall.EEXIST {
		return e
	}
	return nil
}

// waitFor waits until path exists, for at most limit.
func waitFor(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %v", path, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

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
	// /tmp's tmpfs has no inode limit: its default (half of memory's
	// pages, which are 64 KiB on ppc64el) allowed some 7,300 files in
	// 1 GiB, fewer than Postmark's second preset makes.
	for _, m := range []struct{ fstype, dir, data string }{
		{"proc", "/proc", ""}, {"sysfs", "/sys", ""}, {"devtmpfs", "/dev", ""}, {"tmpfs", "/tmp", "nr_inodes=0"},
	} {
		if err := syscall.Mount(m.fstype, m.dir, m.fstype, 0, m.data); err != nil {
			fmt.Fprintf(os.Stderr, "linux-init: mount %s on %s: %v\n", m.fstype, m.dir, err)
		}
	}
	if err := loopbackUp(); err != nil {
		fmt.Fprintf(os.Stderr, "linux-init: loopback: %v\n", err)
	}
	if b, err := os.ReadFile(DiskConfig); err == nil {
		setUpDisks(b)
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
