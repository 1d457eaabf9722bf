// Command k42test is the kernel's test image: the in-kernel test suite
// and benchmarks, which link the testing package and the reconfiguration
// core's test components. The runner boots it for the boot arguments
// test and bench; the default image (kernel/k42) stays free of test code.
//
//	test [REGEXP]   run the in-kernel test suite; status 0 only if all pass
//	bench [GROUP]   run the in-kernel benchmarks (JSON lines); GROUP fcm: only the FCMs'
package main

import (
	"fmt"
	"os"
	"time"

	_ "k42/boot"
	"k42/kernel/kbench"
	"k42/kernel/ktest"
	"k42/kernel/sys"
)

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "k42test: want test [REGEXP] or bench")
		return 2
	}
	switch args[0] {
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
		if len(args) > 1 {
			return kbench.RunGroup(os.Stdout, args[1])
		}
		return kbench.Run(os.Stdout)
	}
	fmt.Fprintf(os.Stderr, "k42test: unknown boot argument %q (want test [REGEXP] or bench)\n", args[0])
	return 2
}
