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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Machine describes one QEMU boot.
type Machine struct {
	Image    string        // bootable image
	CPUs     int           // -smp
	Memory   string        // -m, e.g. 2G
	Timeout  time.Duration // 0: none
	Bootargs []string      // kernel command line words

	Stdin  io.Reader // console input; nil: none
	Stdout io.Writer // the program's standard output (fd 1)
	Stderr io.Writer // console: kernel messages, fd 2, QEMU's messages
}

// Result is how a boot ended.
type Result struct {
	Status   int  // the kernel's exit status, or a runner status below
	Reported bool // the kernel reported Status before powering off
	TimedOut bool
}

// Runner statuses when the kernel did not report one.
const (
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

// qemuArgs builds QEMU's command line. The kernel's console is a virtual
// terminal on QEMU's standard input and output; a second terminal, written
// to fd 3, carries the program's standard output. QEMU loads the image at
// its link address (kernel-addr=0).
func qemuArgs(m *Machine) []string {
	args := append(MachineArgs(m.CPUs, m.Memory, "kernel-addr=0"),
		"-chardev", "file,id=out,path=/dev/fd/3",
		"-device", "spapr-vty,chardev=out,reg=0x71000002",
		"-kernel", m.Image,
	)
	if len(m.Bootargs) > 0 {
		args = append(args, "-append", joinBootargs(m.Bootargs))
	}
	return args
}

// joinBootargs quotes words with spaces or quotes so the kernel's splitter
// gives them back unchanged.
func joinBootargs(words []string) string {
	var out []string
	for _, w := range words {
		switch {
		case w == "" || strings.ContainsAny(w, " \t\n"):
			if strings.Contains(w, "'") {
				out = append(out, `"`+w+`"`)
			} else {
				out = append(out, "'"+w+"'")
			}
		case strings.ContainsAny(w, `'"`):
			if strings.Contains(w, "'") {
				out = append(out, `"`+w+`"`)
			} else {
				out = append(out, "'"+w+"'")
			}
		default:
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// noise is QEMU output that says nothing to a user of this kernel.
func noise(line string) bool {
	return strings.Contains(line, "kernel_addr changed from 0x0 to 0x400000")
}

// Run boots m and returns how it ended.
func Run(m *Machine) (Result, error) {
	ctx := context.Background()
	if m.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.Timeout)
		defer cancel()
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, "qemu-system-ppc64", qemuArgs(m)...)
	cmd.ExtraFiles = []*os.File{outW}
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
	errR, err := cmd.StderrPipe()
	if err != nil {
		return Result{}, err
	}
	if err := cmd.Start(); err != nil {
		outR.Close()
		outW.Close()
		if errors.Is(err, exec.ErrNotFound) {
			return Result{}, errors.New("qemu-system-ppc64 not found: run 'make qemu' (installs Debian's qemu-system-ppc)")
		}
		return Result{}, err
	}
	outW.Close()

	var (
		mu  sync.Mutex
		res = Result{Status: StatusNoReport}
		wg  sync.WaitGroup
	)
	wg.Add(3)
	go func() { // program output
		defer wg.Done()
		io.Copy(m.Stdout, outR)
	}()
	go func() { // console: forward and watch for the exit status
		defer wg.Done()
		c := consoleFilter{w: m.Stderr}
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
		s := bufio.NewScanner(errR)
		for s.Scan() {
			if !noise(s.Text()) {
				fmt.Fprintln(m.Stderr, s.Text())
			}
		}
	}()
	wg.Wait()
	werr := cmd.Wait()
	outR.Close()
	if ctx.Err() == context.DeadlineExceeded {
		fmt.Fprintf(m.Stderr, "\nk42 runner: timeout after %v; QEMU stopped\n", m.Timeout)
		return Result{Status: StatusTimeout, TimedOut: true}, nil
	}
	if !res.Reported {
		fmt.Fprintf(m.Stderr, "\nk42 runner: QEMU exited (%v) without a kernel exit status\n", werr)
	} else if res.Status != 0 {
		fmt.Fprintf(m.Stderr, "k42 runner: kernel exit status %d\n", res.Status)
	}
	return res, nil
}
