// Command k42 is the default kernel image: the console, the in-kernel
// test suite and benchmarks, selected by the boot arguments.
//
//	(none)        the console
//	info          print the machine as one JSON line and power off
//	test [REGEXP] run the in-kernel test suite; status 0 only if all pass
//	bench         run the in-kernel benchmarks (JSON lines)
//	crash=fault   make a wild store (the fault report path)
//	crash=panic   panic (the Go panic path)
//	crash=nil     write through a nil pointer (SIGSEGV, Go's nil-pointer panic)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"k42/kernel/sys"

	_ "k42/boot"
	"k42/kernel"
	"k42/kernel/kbench"
	"k42/kernel/ktest"
	"k42/kernel/objects"
	"k42/kernel/shell"
	"k42/reconfig"
	"k42/reconfig/testcomp"
)

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	if len(args) == 0 {
		fmt.Println("k42 console: type help for the commands")
		sh := shell.New(machine{}, os.Stdout)
		sh.AddObjects(objects.Table())
		startDemo()
		sh.Run(os.Stdin)
		return 0
	}
	switch args[0] {
	case "info":
		b, _ := json.Marshal(sys.ReadInfo())
		fmt.Println(string(b))
		return 0
	case "test":
		pattern := ""
		if len(args) > 1 {
			pattern = args[1]
		}
		s := ktest.Run(os.Stdout, pattern, 2*time.Minute)
		// Frames in use after the suite, on the console (stdout ends with
		// the summary line).
		m := sys.ReadMemStats()
		fmt.Fprintf(os.Stderr, "{\"name\":\"frames_used_after_suite\",\"frames\":%d,\"peak\":%d,\"total\":%d}\n", m.FramesUsed, m.FramesPeak, m.FramesTotal)
		if s.Failed > 0 || s.Passed == 0 {
			return 1
		}
		return 0
	case "bench":
		return kbench.Run(os.Stdout)
	case "crash=fault":
		fmt.Fprintln(os.Stderr, "crash=fault: storing to an address with no memory behind it")
		sys.CrashFault()
		fmt.Fprintln(os.Stderr, "crash=fault: the store did not fault")
		return 1
	case "crash=panic":
		panic("crash=panic: the Go panic path was asked for")
	case "crash=nil":
		var p *struct{ _, x int }
		p.x = 1 // a nil-pointer write: SIGSEGV, the runtime's nil-pointer panic
		return 1
	}
	fmt.Fprintf(os.Stderr, "k42: unknown boot argument %q (want info, test, bench, crash=fault, crash=panic, crash=nil, or none for the console)\n", args[0])
	return 2
}

// machine is the console's view of this kernel.
type machine struct{}

func (machine) Info() kernel.Info                    { return sys.ReadInfo() }
func (machine) CPUStats() ([]kernel.CPUStats, error) { return sys.CPUStats() }
func (machine) Threads() []kernel.ThreadStat         { return sys.Threads() }
func (machine) Mem() kernel.MemStats                 { return sys.ReadMemStats() }
func (machine) Mappings() (kernel.VMStats, []kernel.Mapping) {
	var m [8]kernel.Mapping
	s, n := sys.ReadVMStats(m[:])
	return s, m[:n]
}
func (machine) Syscalls() map[int]kernel.SyscallInfo { return sys.Syscalls() }
func (machine) Halt(status int)                      { sys.Halt(status) }

// startDemo registers demo/counter in the system table and calls it, one
// request a call, ten times a second, so that the console's wrappers have
// live traffic to watch (attach demo/counter count, then objects).
func startDemo() {
	t := objects.Table()
	e, err := reconfig.Create[testcomp.Counter](t, "demo/counter", testcomp.CounterInterface, new(testcomp.AtomicCounter))
	if err != nil {
		fmt.Fprintln(os.Stderr, "k42: demo object:", err)
		return
	}
	ref, d := e.Ref(), t.Domain()
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			d.Do(func() { ref.Get().Add(context.Background(), 1) })
		}
	}()
}
