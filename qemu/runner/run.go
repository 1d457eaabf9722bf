package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"k42/kernel/initrd"
	"k42/qemu/runner/cpio"
)

// Machine describes one QEMU boot.
type Machine struct {
	Image   string        // bootable image
	CPUs    int           // -smp
	Memory  string        // -m, e.g. 2G
	Timeout time.Duration // 0: none
	// Bootargs are the boot-argument words: kernel options (k42.…) and
	// the program's arguments. They travel byte for byte in the initial
	// RAM archive (see CheckBootargs for what can be carried).
	Bootargs []string
	// CommandLine, when Bootargs is empty, is given to the kernel as its
	// command line (-append) instead: the kernel splits it into words
	// itself (see kernel/args.go), as it does when QEMU is run by hand.
	CommandLine string
	// Files are host trees copied into the guest's file system at boot
	// (in the initial RAM archive).
	Files []Tree
	// ICount runs QEMU with -icount shift=0,sleep=off: guest time
	// advances one nanosecond per instruction executed, so a benchmark's
	// "ns" are instruction counts, the same in every run (QEMU then runs
	// every CPU on one host thread). For comparing code paths, not for
	// speeds.
	ICount bool
	// Disks are attached as virtio block devices (DiskArgs); Run
	// prepares them first (PrepareDisks: a missing image is created).
	Disks []Disk
	// GDBPort, when not 0, starts QEMU stopped (-S) with its gdb server
	// on this TCP port (-gdb tcp::PORT), waiting for a debugger to attach
	// and continue; Timeout is then ignored (GDBCommand is the command
	// that attaches).
	GDBPort int

	Stdin  io.Reader // console input; nil: none
	Stdout io.Writer // the program's standard output (fd 1)
	// Stderr carries the program's standard error (fd 2), the kernel's
	// reports that end a boot (a fault, out of memory, a failed boot) and
	// the runner's own complaints.
	Stderr io.Writer
	// Console carries the console terminal (routine kernel messages,
	// the echo of console input) and QEMU's messages; nil: Stderr.
	Console io.Writer
}

// Result is how a boot ended.
type Result struct {
	Status   int  // the kernel's exit status, or a runner status below
	Reported bool // the kernel reported Status before powering off
	TimedOut bool
}

// Exit statuses the kernel reports (kernel.FaultStatus and friends).
const (
	StatusPanic     = 2   // a Go panic or fatal error (the runtime's)
	StatusFault     = 3   // a kernel fault
	StatusBootFail  = 4   // the boot itself failed
	StatusSignal    = 128 // plus N: a signal with a fatal default action
	StatusOOMKilled = 128 + 9
)

// Runner statuses when the kernel did not report one.
const (
	StatusUsage    = 64 // the runner refused its input (flags, arguments, an app that does not build)
	StatusTimeout  = 124
	StatusNoReport = 125
)

// exitMarker starts the line the kernel prints before powering off
// (kernel.ExitMarker); the runner takes the status from it and does not
// show it.
const exitMarker = "k42: power off, exit status "

var exitRe = regexp.MustCompile(`^` + exitMarker + `(-?\d+)\r?$`)

// consoleFilter forwards console bytes as they arrive, except the exit
// marker line and the empty line the kernel prints before it: a line that
// could still be the marker is held back until it proves to be something
// else.
type consoleFilter struct {
	w         io.Writer
	held      []byte // the current line, while it could be the marker
	holding   bool
	midLine   bool // the current line's start was already forwarded
	emptyLine bool // a held "\n" that may precede the marker
}

// put forwards b and reports the exit status when b completes the marker.
func (c *consoleFilter) put(b byte) (int, bool) {
	if b == '\n' {
		if c.holding {
			if m := exitRe.FindSubmatch(c.held); m != nil {
				c.held, c.holding, c.emptyLine = c.held[:0], false, false
				n, _ := strconv.Atoi(string(m[1]))
				return n, true
			}
		} else if !c.midLine && !c.emptyLine {
			c.emptyLine = true
			return 0, false
		}
		c.held = append(c.held, b)
		c.flush()
		c.midLine = false
		return 0, false
	}
	if !c.midLine && !c.holding {
		c.holding = true
	}
	if !c.holding {
		c.w.Write([]byte{b})
		return 0, false
	}
	c.held = append(c.held, b)
	if !bytes.HasPrefix([]byte(exitMarker), c.held) && !bytes.HasPrefix(c.held, []byte(exitMarker)) {
		c.flush()
		c.midLine = true
	}
	return 0, false
}

// flush forwards everything held.
func (c *consoleFilter) flush() {
	if c.emptyLine {
		c.w.Write([]byte{'\n'})
		c.emptyLine = false
	}
	if len(c.held) > 0 {
		c.w.Write(c.held)
		c.held = c.held[:0]
	}
	c.holding = false
}

// MachineArgs are QEMU's flags for the machine every boot uses, k42's
// and the Linux peer's (benchmarks/linux): pseries with QEMU's small
// firmware (VOF), POWER9, the speculation-barrier capabilities TCG cannot
// provide turned off, cpus CPUs and mem memory, no default devices or
// display, power-off on reboot, and the console: a virtual terminal
// (reg 0x71000001, Linux's hvc0) on QEMU's standard input and output.
// machineOpts are added to -M (k42 adds kernel-addr=0).
func MachineArgs(cpus int, mem string, machineOpts ...string) []string {
	machine := "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off"
	for _, o := range machineOpts {
		machine += "," + o
	}
	return []string{
		"-M", machine,
		"-cpu", "power9",
		"-smp", strconv.Itoa(max(cpus, 1)),
		"-m", mem,
		"-nodefaults", "-nographic", "-no-reboot",
		"-chardev", "stdio,id=con,signal=off",
		"-device", "spapr-vty,chardev=con,reg=0x71000001",
	}
}

// ICountArgs are QEMU's flags for Machine.ICount (and the Linux peer's
// -icount): guest time counts instructions, one nanosecond each.
var ICountArgs = []string{"-icount", "shift=0,sleep=off"}

// qemuArgs builds QEMU's command line. The kernel's console is a virtual
// terminal on QEMU's standard input and output; a second terminal, written
// to fd 3, carries the program's standard output, and a third, written to
// fd 4, its standard error. QEMU loads the image at its link address
// (kernel-addr=0).
func qemuArgs(m *Machine, initrd string) []string {
	args := append(MachineArgs(m.CPUs, m.Memory, "kernel-addr=0"),
		"-chardev", "file,id=out,path=/dev/fd/3",
		"-device", "spapr-vty,chardev=out,reg=0x71000002",
		"-chardev", "file,id=err,path=/dev/fd/4",
		"-device", "spapr-vty,chardev=err,reg=0x71000003",
		"-kernel", m.Image,
	)
	if initrd != "" {
		args = append(args, "-initrd", initrd)
	}
	if m.CommandLine != "" {
		args = append(args, "-append", m.CommandLine)
	}
	if m.ICount {
		args = append(args, ICountArgs...)
	}
	args = append(args, DiskArgs(m.Disks)...)
	if m.GDBPort != 0 {
		args = append(args, GDBArgs(m.GDBPort)...)
	}
	return args
}

// CheckBootargs reports, as one error naming the word, what the kernel
// could not be given: a NUL byte (the archive separates words with it),
// more words or bytes than the kernel's limits, or a malformed kernel
// option.
func CheckBootargs(words []string) error {
	if len(words) > initrd.MaxArgs {
		return fmt.Errorf("%d boot arguments: the kernel takes at most %d", len(words), initrd.MaxArgs)
	}
	total := 0
	for i, w := range words {
		if strings.IndexByte(w, 0) >= 0 {
			return fmt.Errorf("boot argument %d (%q) contains a NUL byte, which no argument can carry", i+1, w)
		}
		total += len(w) + 1
		if err := checkOption(w); err != nil {
			return err
		}
	}
	if total > initrd.MaxArgBytes {
		return fmt.Errorf("the boot arguments are %d bytes with their terminating NULs: the kernel takes at most %d", total, initrd.MaxArgBytes)
	}
	return nil
}

// checkOption checks the syntax the kernel checks (kernel/args.go).
func checkOption(w string) error {
	switch {
	case strings.HasPrefix(w, "k42.env."):
		k, _, ok := strings.Cut(strings.TrimPrefix(w, "k42.env."), "=")
		if !ok || k == "" {
			return fmt.Errorf("kernel option %q: want k42.env.KEY=VALUE with a non-empty KEY", w)
		}
	case w == "k42." || strings.HasPrefix(w, "k42.="):
		return fmt.Errorf("kernel option %q: a name must follow k42.", w)
	}
	return nil
}

// writeInitrd writes the initial RAM archive for m into dir and returns
// its path.
func writeInitrd(m *Machine, dir string) (string, error) {
	f, err := os.CreateTemp(dir, "initrd-*.cpio")
	if err != nil {
		return "", err
	}
	var args bytes.Buffer
	for _, w := range m.Bootargs {
		args.WriteString(w)
		args.WriteByte(0)
	}
	w := cpio.NewWriter(f)
	err = w.AddFile(initrd.ArgsName, 0o644, args.Bytes())
	for _, t := range m.Files {
		if err == nil {
			err = addTree(w, t)
		}
	}
	if err == nil {
		err = w.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Tree is a host file or directory tree copied into the guest at Guest
// (an absolute path).
type Tree struct {
	Host, Guest string
}

// ParseTree parses -fs's HOST[:GUEST]; GUEST defaults to HOST's absolute
// path.
func ParseTree(spec string) (Tree, error) {
	host, guest, _ := strings.Cut(spec, ":")
	abs, err := filepath.Abs(host)
	if err != nil {
		return Tree{}, err
	}
	if _, err := os.Lstat(abs); err != nil {
		return Tree{}, fmt.Errorf("-fs %s: %w", spec, err)
	}
	if guest == "" {
		guest = abs
	}
	if !strings.HasPrefix(guest, "/") {
		return Tree{}, fmt.Errorf("-fs %s: the guest path %q must be absolute", spec, guest)
	}
	return Tree{Host: abs, Guest: filepath.Clean(guest)}, nil
}

// addTree writes t into the archive: directories, regular files and
// symbolic links, with their permissions; other kinds are skipped.
func addTree(w *cpio.Writer, t Tree) error {
	return filepath.Walk(t.Host, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(t.Host, p)
		name := strings.TrimPrefix(filepath.ToSlash(filepath.Join(t.Guest, rel)), "/")
		if name == "" {
			return nil // the guest root itself
		}
		perm := uint32(fi.Mode().Perm())
		if fi.Mode()&os.ModeSticky != 0 {
			perm |= 0o1000
		}
		switch {
		case fi.IsDir():
			return w.AddDir(name, perm)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return w.AddSymlink(name, target)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return w.AddFile(name, perm, b)
		}
		return nil
	})
}

// noise is QEMU output that says nothing to a user of this kernel.
func noise(line string) bool {
	return strings.Contains(line, "kernel_addr changed from 0x0 to 0x400000")
}

// UsageError is an error in what the runner was asked to do (the
// machine's settings or the boot arguments), found before QEMU starts.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// MemoryBytes parses a memory size in QEMU's -m syntax (a number of MiB,
// or a number with a K, M, G or T suffix) and checks it is one the
// pseries machine accepts: a multiple of 256 MiB, at most 64 GiB.
func MemoryBytes(size string) (uint64, error) {
	s := strings.TrimSpace(size)
	mult := uint64(1 << 20)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:n-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:n-1]
		case 'g', 'G':
			mult, s = 1<<30, s[:n-1]
		case 't', 'T':
			mult, s = 1<<40, s[:n-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("-m %q: want a size such as 512M or 1G", size)
	}
	b := n * mult
	if b/mult != n || b > 64<<30 {
		return 0, fmt.Errorf("-m %s: the kernel manages at most 64 GiB", size)
	}
	if b%(256<<20) != 0 {
		return 0, fmt.Errorf("-m %s: the pseries machine needs a multiple of 256 MiB (256M, 512M, 1G, ...)", size)
	}
	return b, nil
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	if l.w == nil {
		return len(b), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Run boots m and returns how it ended.
func Run(m *Machine) (Result, error) {
	if m.CPUs < 1 || m.CPUs > 64 {
		return Result{}, &UsageError{fmt.Errorf("-smp %d: the machine needs 1 to 64 CPUs", m.CPUs)}
	}
	if _, err := MemoryBytes(m.Memory); err != nil {
		return Result{}, &UsageError{err}
	}
	if err := CheckBootargs(m.Bootargs); err != nil {
		return Result{}, &UsageError{err}
	}
	if m.GDBPort != 0 {
		if err := CheckGDBPort(m.GDBPort); err != nil {
			return Result{}, &UsageError{err}
		}
	}
	if len(m.Disks) > 0 {
		disks, err := PrepareDisks(m.Disks, m.Stderr)
		if err != nil {
			return Result{}, &UsageError{err}
		}
		mm := *m
		mm.Disks = disks
		m = &mm
	}
	rd := ""
	if len(m.Bootargs) > 0 || m.CommandLine == "" {
		var err error
		if rd, err = writeInitrd(m, ""); err != nil {
			return Result{}, err
		}
		defer os.Remove(rd)
	}
	ctx := context.Background()
	if m.Timeout > 0 && m.GDBPort == 0 { // a debugging session takes its time
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.Timeout)
		defer cancel()
	}
	// The streams are written from their own goroutines: one lock keeps
	// writers that are the same (or share a buffer) whole.
	var outMu sync.Mutex
	stdout, stderr := lockedWriter{&outMu, m.Stdout}, lockedWriter{&outMu, m.Stderr}
	var console io.Writer = stderr
	if m.Console != nil {
		console = lockedWriter{&outMu, m.Console}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return Result{}, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, "qemu-system-ppc64", qemuArgs(m, rd)...)
	cmd.ExtraFiles = []*os.File{outW, errW}
	cmd.WaitDelay = 2 * time.Second

	// Console input: a terminal is handed to QEMU as it is (QEMU makes it
	// raw); anything else is copied, and its end becomes ^D, the kernel
	// terminal's end of file.
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cmd.Stdin = f
	} else if m.Stdin != nil {
		in, err := cmd.StdinPipe()
		if err != nil {
			return Result{}, err
		}
		go func() {
			io.Copy(in, m.Stdin)
			in.Write([]byte{4})
		}()
	}
	conR, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	qemuR, err := cmd.StderrPipe()
	if err != nil {
		return Result{}, err
	}
	if err := cmd.Start(); err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		if errors.Is(err, exec.ErrNotFound) {
			return Result{}, errors.New("qemu-system-ppc64 not found: run 'make qemu' (installs Debian's qemu-system-ppc)")
		}
		return Result{}, err
	}
	outW.Close()
	errW.Close()

	var (
		mu       sync.Mutex
		res      = Result{Status: StatusNoReport}
		wg       sync.WaitGroup
		qemuTail []string // QEMU's last messages, for a boot that ends without a status
	)
	wg.Add(4)
	go func() { // program output
		defer wg.Done()
		io.Copy(stdout, outR)
	}()
	go func() { // program errors and the kernel's final reports
		defer wg.Done()
		io.Copy(stderr, errR)
	}()
	go func() { // console: forward and watch for the exit status
		defer wg.Done()
		c := consoleFilter{w: console}
		r := bufio.NewReader(conR)
		for {
			b, err := r.ReadByte()
			if err != nil {
				break
			}
			if n, ok := c.put(b); ok {
				mu.Lock()
				res.Status, res.Reported = n, true
				mu.Unlock()
			}
		}
		c.flush()
	}()
	go func() { // QEMU's own messages
		defer wg.Done()
		s := bufio.NewScanner(qemuR)
		for s.Scan() {
			if noise(s.Text()) {
				continue
			}
			fmt.Fprintln(console, s.Text())
			mu.Lock()
			qemuTail = append(qemuTail, s.Text())
			if len(qemuTail) > 20 {
				qemuTail = qemuTail[1:]
			}
			mu.Unlock()
		}
	}()
	wg.Wait()
	werr := cmd.Wait()
	outR.Close()
	errR.Close()
	if ctx.Err() == context.DeadlineExceeded {
		fmt.Fprintf(m.Stderr, "\nk42 runner: timeout after %v; QEMU stopped\n", m.Timeout)
		return Result{Status: StatusTimeout, TimedOut: true}, nil
	}
	if !res.Reported {
		fmt.Fprintf(m.Stderr, "\nk42 runner: QEMU exited (%v) without a kernel exit status\n", werr)
		if m.Console != nil {
			for _, l := range qemuTail {
				fmt.Fprintln(m.Stderr, "qemu:", l)
			}
		}
	}
	return res, nil
}
