package kbench

import (
	"fmt"
	"os"
	"time"

	"k42/kernel"
	"k42/kernel/objects"
	"k42/mm/fcm/fcmbench"
)

// fcmBenches runs the FCMs' suite (mm/fcm/fcmbench) on the kernel's CPUs
// with the kernel's platform, over private file systems: the experiment
// "fcm", a section of its own in RESULTS.md.
func fcmBenches() []Result {
	var out []Result
	clock := func() time.Time { return time.Unix(0, kernel.WallNanos()) }
	err := fcmbench.Run(fcmbench.Config{Platform: objects.Platform(), CPUs: kernel.NumCPUs(), Clock: clock},
		func(w, m string, n int, v float64, unit string) {
			r := figure(w, m, n, v, unit)
			r.Experiment = "fcm"
			out = append(out, r)
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, "kbench: fcm:", err)
	}
	return out
}
