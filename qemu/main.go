// Command qemu is the host-side runner: it builds a kernel image, boots
// it under QEMU's pseries machine, streams the console, enforces a
// timeout and exits with the kernel's own exit status.
//
//	go run ./qemu [-smp N] [-m SIZE] [-timeout D] [-app PATH] [-build] -- BOOTARGS...
//
// Without -app it boots the default kernel (./kernel/k42: the console,
// the in-kernel tests and benchmarks). With -app it builds the Go main
// package at PATH (a directory or a .go file, written for Linux) linked
// with the kernel, and runs it with os.Args = [name, BOOTARGS...].
//
// The runner's standard output carries exactly the program's standard
// output; the console (kernel messages, the program's standard error)
// and QEMU's messages go to its standard error.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"k42/qemu/runner"
)

func main() {
	smp := flag.Int("smp", 1, "number of CPUs")
	mem := flag.String("m", "512M", "guest memory (QEMU -m syntax)")
	timeout := flag.Duration("timeout", 0, "stop QEMU after this long (exit status 124); 0 = no limit")
	app := flag.String("app", "", "Go main package (directory or .go file) to run as the kernel's program")
	buildOnly := flag.Bool("build", false, "build the image and print its path; do not boot")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./qemu [flags] -- BOOTARGS...\n\nboot arguments of the default kernel: info, test, bench, crash=fault, crash=panic; none: the console\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(run(*smp, *mem, *timeout, *app, *buildOnly, flag.Args()))
}

func run(smp int, mem string, timeout time.Duration, app string, buildOnly bool, bootargs []string) int {
	root, err := runner.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		return 2
	}
	pkg, name := "./kernel/k42", "k42"
	if app != "" {
		pkg, name, err = runner.StageApp(root, app)
		if err != nil {
			fmt.Fprintln(os.Stderr, "k42 runner: -app:", err)
			return 2
		}
		bootargs = append([]string{"k42.argv0=" + name}, bootargs...)
	}
	img, _, err := runner.BuildKernel(root, pkg, name, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		return 2
	}
	if buildOnly {
		fmt.Println(img)
		return 0
	}
	res, err := runner.Run(&runner.Machine{
		Image: img, CPUs: smp, Memory: mem, Timeout: timeout, Bootargs: bootargs,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "k42 runner:", err)
		return 2
	}
	return res.Status
}
