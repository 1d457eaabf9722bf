// Command k42 is the default kernel image: the console and a few
// diagnostics, selected by the boot arguments. It links no test code: the
// in-kernel test suite and benchmarks are the test image, kernel/k42test,
// which the runner boots for the arguments test and bench.
//
//	(none)        the console
//	info          print the machine as one JSON line and power off
//	crash=fault   make a wild store (the fault report path)
//	crash=panic   panic (the Go panic path)
//	crash=nil     write through a nil pointer (SIGSEGV, Go's nil-pointer panic)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"k42/fs/rootfs"
	"k42/kernel/objects/demo"
	"k42/kernel/sys"

	_ "k42/boot"
	"k42/kernel"
	"k42/kernel/objects"
	"k42/kernel/shell"
)

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	if len(args) == 0 {
		fmt.Println("k42 console: type help for the commands")
		sh := shell.New(machine{}, os.Stdout)
		sh.AddObjects(objects.Table())
		if root := rootfs.FS(); root != nil {
			sh.AddFiles(shell.Files{Root: os.DirFS("/"), Usage: root.Usage})
			sh.AddPageCache(shell.PageCache{FCMs: rootfs.FCMs(), FS: root})
			sh.AddDisks(rootfs.Disks())
			sh.AddPolicies(shell.Policies{Registry: rootfs.Policies(), Server: rootfs.Server()})
			sh.AddOpens()
		}
		startDemo()
		sh.Run(os.Stdin)
		return 0
	}
	switch args[0] {
	case "info":
		b, _ := json.Marshal(sys.ReadInfo())
		fmt.Println(string(b))
		return 0
	case "test", "bench":
		fmt.Fprintf(os.Stderr, "k42: %s is in the test image (kernel/k42test); the runner boots it for you: bin/k42 -- %s\n", args[0], args[0])
		return 2
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
	fmt.Fprintf(os.Stderr, "k42: unknown boot argument %q (want info, crash=fault, crash=panic, crash=nil, test, bench, or none for the console)\n", args[0])
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

// startDemo registers demo/counter in the system table and calls it ten
// times a second, so that the console's wrappers have live traffic to
// watch (attach demo/counter count, then objects).
func startDemo() {
	if _, err := demo.Start(objects.Table(), 100*time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, "k42: demo object:", err)
	}
}
