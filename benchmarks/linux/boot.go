package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"k42/qemu/runner"
)

// linuxMachine is one boot of the Linux peer.
type linuxMachine struct {
	Kernel  string        // vmlinux
	Initrd  string        // the initramfs (cpio newc)
	CPUs    int           // -smp, as for k42
	Memory  string        // -m, as for k42
	Timeout time.Duration // 0: none
	Args    []string      // the benchmark program's arguments
	Params  []string      // more kernel parameters, such as mitigations=off
	Console io.Writer     // the console (kernel, init and the program), as it arrives
	ICount  bool          // count guest time in instructions (runner.ICountArgs)
	Disks   []runner.Disk // attached as bin/k42 attaches them (runner.DiskArgs); prepared (runner.PrepareDisks)
}

// linuxResult is how a boot ended.
type linuxResult struct {
	Status   int    // the program's exit status, from init's marker line
	Reported bool   // init printed the marker
	TimedOut bool   //
	Output   []byte // the console, without carriage returns
	InitAt   string // seconds from boot to init, as init read /proc/uptime
}

// maxInitArgs bounds the program's arguments: the kernel hands init at
// most 32 words (CONFIG_INIT_ENV_ARG_LIMIT) and panics beyond them.
const maxInitArgs = 24

// kernelCommandLine is the -append string: the console on the first
// virtual terminal, quiet, any further kernel parameters, and after "--"
// the words the kernel passes to init as its arguments (which init passes
// on to the program). The kernel splits the line at spaces and strips
// quotes, so no word may hold either.
func kernelCommandLine(params, args []string) (string, error) {
	if len(args) > maxInitArgs {
		return "", fmt.Errorf("the Linux peer takes at most %d program arguments, got %d", maxInitArgs, len(args))
	}
	for _, p := range params {
		if p == "" || p == "--" || strings.ContainsAny(p, " \t\n\"'\\") {
			return "", fmt.Errorf("kernel parameter %q: a word without spaces, quotes or backslashes, and not --", p)
		}
	}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\") {
			return "", fmt.Errorf("program argument %q: on the kernel command line an argument cannot be empty or hold spaces, quotes or backslashes", a)
		}
	}
	line := strings.Join(append([]string{"console=hvc0", "quiet"}, params...), " ")
	if len(args) == 0 {
		return line, nil
	}
	line += " -- " + strings.Join(args, " ")
	if len(line) > 2000 {
		return "", errors.New("program arguments too long for the kernel command line (2048 bytes)")
	}
	return line, nil
}

// linuxArgs is QEMU's command line for m: the runner's machine, then the
// kernel, the initramfs and the command line.
func linuxArgs(m *linuxMachine) ([]string, error) {
	line, err := kernelCommandLine(m.Params, m.Args)
	if err != nil {
		return nil, err
	}
	args := append(runner.MachineArgs(m.CPUs, m.Memory),
		"-kernel", m.Kernel, "-initrd", m.Initrd, "-append", line)
	if m.ICount {
		args = append(args, runner.ICountArgs...)
	}
	return append(args, runner.DiskArgs(m.Disks)...), nil
}

// errNoStatus is the error of a boot that ended without init's marker.
var errNoStatus = errors.New("without init's exit status line")

var (
	markerRe = regexp.MustCompile(`(?m)^linux-init: exit status (-?\d+)$`)
	uptimeRe = regexp.MustCompile(`(?m)^linux-init: running .*, ([0-9.]+) s after boot$`)
)

// parseConsole takes the exit status and init's start time from the
// console's text.
func parseConsole(out []byte, res *linuxResult) {
	if m := markerRe.FindAllSubmatch(out, -1); len(m) > 0 {
		res.Status, _ = strconv.Atoi(string(m[len(m)-1][1]))
		res.Reported = true
	}
	if m := uptimeRe.FindSubmatch(out); m != nil {
		res.InitAt = string(m[1])
	}
}

// bootLinux boots m and returns how it ended.
func bootLinux(m *linuxMachine) (linuxResult, error) {
	args, err := linuxArgs(m)
	if err != nil {
		return linuxResult{}, err
	}
	ctx := context.Background()
	if m.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "qemu-system-ppc64", args...)
	cmd.WaitDelay = 2 * time.Second
	conR, err := cmd.StdoutPipe()
	if err != nil {
		return linuxResult{}, err
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		return linuxResult{}, err
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return linuxResult{}, errors.New("qemu-system-ppc64 not found: run 'make qemu' (installs Debian's qemu-system-ppc)")
		}
		return linuxResult{}, err
	}
	var (
		out bytes.Buffer
		mu  sync.Mutex
		wg  sync.WaitGroup
	)
	console := m.Console
	if console == nil {
		console = io.Discard
	}
	wg.Add(2)
	go func() { // the console: kept, and shown as it comes
		defer wg.Done()
		r := bufio.NewReader(conR)
		for {
			line, err := r.ReadBytes('\n')
			line = bytes.ReplaceAll(line, []byte("\r"), nil)
			mu.Lock()
			out.Write(line)
			console.Write(line)
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { // QEMU's own messages
		defer wg.Done()
		s := bufio.NewScanner(errR)
		for s.Scan() {
			mu.Lock()
			fmt.Fprintln(console, s.Text())
			mu.Unlock()
		}
	}()
	wg.Wait()
	werr := cmd.Wait()
	res := linuxResult{Output: out.Bytes()}
	parseConsole(res.Output, &res)
	if ctx.Err() == context.DeadlineExceeded {
		res.TimedOut = true
		return res, fmt.Errorf("Linux did not finish within %v; QEMU stopped", m.Timeout)
	}
	if !res.Reported {
		return res, fmt.Errorf("QEMU exited (%v) %w", werr, errNoStatus)
	}
	return res, nil
}
