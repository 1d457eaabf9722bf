// Package shell is the kernel's console: a prompt that reads commands
// from standard input and reports on standard output. Commands are
// registered in a table, so that later subsystems (reconfiguration, file
// systems) add their own. It talks to the kernel through Machine, so it is
// tested on the host with a fake.
package shell

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"k42/kernel"
)

// Machine is what the console needs from the kernel.
type Machine interface {
	Info() kernel.Info
	CPUStats() ([]kernel.CPUStats, error)
	Threads() []kernel.ThreadStat
	Mem() kernel.MemStats
	// Mappings returns the program's address-space figures and its
	// largest mappings, largest first.
	Mappings() (kernel.VMStats, []kernel.Mapping)
	Syscalls() map[int]kernel.SyscallInfo
	Halt(status int)
}

// Command is one console command.
type Command struct {
	Name string
	Args string // synopsis of the arguments
	Help string
	Run  func(s *Shell, args []string) error
}

// Shell is a console session.
type Shell struct {
	M    Machine
	Out  io.Writer
	cmds map[string]Command
	quit bool
	// details add to show's description of an object (an FCM's pages).
	details []func(name string) (string, bool)
}

// NewBare returns a console with only the help command, for sessions
// that have no machine (a control file's).
func NewBare(out io.Writer) *Shell {
	s := &Shell{Out: out, cmds: map[string]Command{}}
	s.Register(builtins[0])
	return s
}

// New returns a console with the built-in commands.
func New(m Machine, out io.Writer) *Shell {
	s := &Shell{M: m, Out: out, cmds: map[string]Command{}}
	for _, c := range builtins {
		s.Register(c)
	}
	return s
}

// Register adds or replaces a command.
func (s *Shell) Register(c Command) { s.cmds[c.Name] = c }

// errUsage asks Exec to print the command's synopsis.
var errUsage = errors.New("usage")

// Exec runs one command line and reports a failure as one line of output.
func (s *Shell) Exec(line string) {
	if err := s.ExecErr(line); err != nil {
		fmt.Fprintf(s.Out, "k42: %v\n", err)
	}
}

// ExecErr runs one command line and returns its failure: an error that
// names the command (errors.Is(err, ErrUsage) for bad arguments, with the
// synopsis; ErrUnknownCommand for a name no command has).
func (s *Shell) ExecErr(line string) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	c, ok := s.cmds[f[0]]
	if !ok {
		return fmt.Errorf("%w %q (type help for the list)", ErrUnknownCommand, f[0])
	}
	if err := c.Run(s, f[1:]); err != nil {
		if errors.Is(err, errUsage) {
			return fmt.Errorf("%w: %s %s", ErrUsage, c.Name, c.Args)
		}
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	return nil
}

// Errors of ExecErr.
var (
	ErrUsage          = errors.New("usage")
	ErrUnknownCommand = errors.New("unknown command")
)

// MaxLine bounds a command line, in bytes.
const MaxLine = 1024

// Run reads and executes commands from in until end of input or halt. A
// line longer than MaxLine is refused with one error, whatever its
// length; the next line is a new command.
func (s *Shell) Run(in io.Reader) {
	r := bufio.NewReaderSize(in, MaxLine+1)
	for !s.quit {
		fmt.Fprint(s.Out, "k42> ")
		line, n, err := readLine(r)
		if n > MaxLine {
			fmt.Fprintf(s.Out, "k42: line too long: a command line holds at most %d bytes\n", MaxLine)
		} else if n > 0 || err == nil {
			s.Exec(line)
		}
		if err != nil {
			fmt.Fprintln(s.Out)
			return
		}
	}
}

// readLine reads one line and returns it without its newline if it is
// at most MaxLine bytes, and its length in any case; the rest of an
// over-long line is read and dropped. err is io.EOF (or the read error)
// at the end of the input.
func readLine(r *bufio.Reader) (string, int, error) {
	var keep []byte
	n := 0
	for {
		chunk, err := r.ReadSlice('\n')
		n += len(chunk)
		if len(keep) <= MaxLine {
			keep = append(keep, chunk...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			n--
			keep = keep[:len(keep)-1]
		}
		line := strings.TrimSuffix(string(keep), "\r")
		if n > MaxLine {
			line = ""
		}
		return line, n, err
	}
}

var builtins = []Command{
	{Name: "help", Help: "list the commands", Run: help},
	{Name: "info", Help: "the machine as one JSON line", Run: info},
	{Name: "cpus", Help: "each CPU's state, threads run, switches, idle time, interrupts", Run: cpus},
	{Name: "mem", Help: "frame allocator and Go heap figures", Run: mem},
	{Name: "threads", Help: "kernel threads (the runtime's Ms)", Run: threads},
	{Name: "syscalls", Args: "[name|number]", Help: "the system-call table and each call's support level", Run: syscalls},
	{Name: "gc", Help: "run the garbage collector and report", Run: gc},
	{Name: "uptime", Help: "time since boot", Run: uptime},
	{Name: "halt", Args: "[status]", Help: "power off (with an exit status, default 0)", Run: halt},
}

func help(s *Shell, args []string) error {
	names := make([]string, 0, len(s.cmds))
	for n := range s.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	w := tabwriter.NewWriter(s.Out, 0, 8, 2, ' ', 0)
	for _, n := range names {
		c := s.cmds[n]
		fmt.Fprintf(w, "  %s %s\t%s\n", c.Name, c.Args, c.Help)
	}
	return w.Flush()
}

func info(s *Shell, args []string) error {
	b, err := json.Marshal(s.M.Info())
	if err != nil {
		return err
	}
	fmt.Fprintln(s.Out, string(b))
	return nil
}

func ms(ticks, hz uint64) float64 { return float64(ticks) * 1000 / float64(hz) }

func cpus(s *Shell, args []string) error {
	st, err := s.M.CPUStats()
	if err != nil {
		return err
	}
	hz := s.M.Info().TimebaseHz
	w := tabwriter.NewWriter(s.Out, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "cpu\tstate\tthreads run\tswitches\tidle ms\tsyscalls\tdecrementer\texternal\t")
	for i, c := range st {
		state := "running"
		if c.Idle {
			state = "idle"
		}
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%.1f\t%d\t%d\t%d\t\n", i, state, c.ThreadsRun, c.Switches, ms(c.IdleTicks, hz), c.Syscalls, c.Decrements, c.External)
	}
	return w.Flush()
}

func mem(s *Shell, args []string) error {
	m := s.M.Mem()
	mib := func(frames int) float64 { return float64(frames*m.FrameSize) / (1 << 20) }
	fmt.Fprintf(s.Out, "frames: %d total, %d used (%.1f MiB), %d peak, %d reserved for the kernel image; frame %d KiB\n",
		m.FramesTotal, m.FramesUsed, mib(m.FramesUsed), m.FramesPeak, m.FramesReserved, m.FrameSize>>10)
	fmt.Fprintf(s.Out, "largest free run: %d frames (%.1f MiB)\n", m.LargestFree, mib(m.LargestFree))
	vs, maps := s.M.Mappings()
	fmt.Fprintf(s.Out, "mappings: %d, %.1f MiB mapped; %d pages demand-zeroed, %d freed since boot\n",
		vs.Areas, float64(vs.MappedBytes)/(1<<20), vs.DemandFaults, vs.PagesFreed)
	for _, a := range maps {
		fmt.Fprintf(s.Out, "  %#014x-%#014x %9.1f MiB %s\n", a.Start, a.End, float64(a.End-a.Start)/(1<<20), protString(a.Prot))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(s.Out, "go heap: %.1f MiB in use, %.1f MiB from the kernel, %.1f MiB released, %d GCs\n",
		float64(ms.HeapInuse)/(1<<20), float64(ms.Sys)/(1<<20), float64(ms.HeapReleased)/(1<<20), ms.NumGC)
	return nil
}

func threads(s *Shell, args []string) error {
	hz := s.M.Info().TimebaseHz
	w := tabwriter.NewWriter(s.Out, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "tid\tstate\tcpu\truns\tcpu ms\t")
	for _, t := range s.M.Threads() {
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%.1f\t\n", t.TID, t.State, t.CPU, t.Runs, ms(t.RunTicks, hz))
	}
	return w.Flush()
}

func syscalls(s *Shell, args []string) error {
	if len(args) > 1 {
		return errUsage
	}
	tab := s.M.Syscalls()
	nrs := make([]int, 0, len(tab))
	for nr, e := range tab {
		if len(args) == 1 && args[0] != e.Name && args[0] != strconv.Itoa(nr) {
			continue
		}
		nrs = append(nrs, nr)
	}
	if len(nrs) == 0 {
		return fmt.Errorf("no system call %q in the table (unlisted calls fail with ENOSYS)", args[0])
	}
	sort.Ints(nrs)
	w := tabwriter.NewWriter(s.Out, 0, 8, 2, ' ', 0)
	for _, nr := range nrs {
		e := tab[nr]
		fmt.Fprintf(w, "%4d\t%s\t%s\t%s\n", nr, e.Name, e.Support, e.Note)
	}
	return w.Flush()
}

func gc(s *Shell, args []string) error {
	start := time.Now()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(s.Out, "gc took %v; heap %.1f MiB in use\n", time.Since(start).Round(time.Microsecond), float64(ms.HeapInuse)/(1<<20))
	return nil
}

func uptime(s *Shell, args []string) error {
	fmt.Fprintf(s.Out, "up %v\n", (time.Duration(s.M.Info().BootMs) * time.Millisecond))
	return nil
}

func halt(s *Shell, args []string) error {
	status := 0
	if len(args) > 1 {
		return errUsage
	}
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("status %q is not a number from 0 to 255", args[0])
		}
		status = n
	}
	s.quit = true
	s.M.Halt(status)
	return nil
}

// protString renders mmap protection bits as "rwx".
func protString(p uint32) string {
	b := []byte("---")
	for i, c := range "rwx" {
		if p&(1<<i) != 0 {
			b[i] = byte(c)
		}
	}
	return string(b)
}
