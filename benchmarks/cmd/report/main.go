// Command report regenerates the generated sections of
// benchmarks/RESULTS.md from every JSON-lines results file under
// benchmarks/results/ (package k42/benchmarks/results owns the format and
// the tables). Text outside the sections' markers is left as it is. It
// runs on the host.
//
//	go run ./benchmarks/cmd/report [-dir benchmarks/results] [-o benchmarks/RESULTS.md] [-check]
//
// With -check it changes nothing and exits with status 1 if the file is
// not what it would write.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"k42/benchmarks/results"
	"k42/qemu/runner"
)

func main() {
	dir := flag.String("dir", "", "results folder (default: benchmarks/results in the module)")
	out := flag.String("o", "", "the Markdown file to update (default: benchmarks/RESULTS.md in the module)")
	check := flag.Bool("check", false, "only report whether the file is up to date")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./benchmarks/cmd/report [-dir DIR] [-o FILE] [-check]")
		os.Exit(2)
	}
	if *dir == "" || *out == "" {
		root, err := runner.ModuleRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(2)
		}
		if *dir == "" {
			*dir = filepath.Join(root, results.Dir)
		}
		if *out == "" {
			*out = filepath.Join(root, "benchmarks", "RESULTS.md")
		}
	}
	changed, err := results.Update(*dir, *out, !*check)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(2)
	}
	if *check && changed {
		fmt.Fprintf(os.Stderr, "report: %s is not up to date with %s (run %s)\n", *out, *dir, results.ReportCommand)
		os.Exit(1)
	}
}
