package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
)

// maxLines bounds the output lines shown per test (the JSON summary and
// the saved outputs have them all).
const maxLines = 20

// brief is one line on a side's results.
func (s *Side) brief() string {
	switch {
	case s == nil:
		return "not run"
	case s.Error != "":
		first, _, _ := strings.Cut(s.Error, "\n")
		return "did not run: " + first
	case s.log == nil:
		return "no results"
	}
	b := fmt.Sprintf("%d pass, %d fail, %d skip", s.Pass, s.Fail, s.Skip)
	if s.Crashed > 0 {
		b += fmt.Sprintf(" (%d of the failures unfinished)", s.Crashed)
	}
	return b
}

// printPackage prints one package's comparison.
func printPackage(w io.Writer, p *Package) {
	fmt.Fprintf(w, "\n=== %s\n", p.Name)
	for _, side := range []struct {
		name string
		s    *Side
	}{{"k42", p.K42}, {"Linux", p.Linux}} {
		fmt.Fprintf(w, "  %-6s %s\n", side.name+":", side.s.brief())
		if side.s == nil {
			continue
		}
		if strings.Contains(side.s.Error, "\n") {
			printLines(w, "         ", strings.Split(side.s.Error, "\n"))
		}
		for i, run := range side.s.Runs {
			fmt.Fprintf(w, "         run %d: %s\n", i+1, runLine(run))
		}
	}
	if p.K42 == nil || p.Linux == nil {
		return
	}
	fmt.Fprintf(w, "  PASS on Linux, not on k42: %d\n", len(p.PassLinuxOnly))
	printDiffs(w, p.PassLinuxOnly, "k42", func(d Diff) (Outcome, []string) { return d.K42, d.K42Output })
	fmt.Fprintf(w, "  PASS on k42, not on Linux: %d\n", len(p.PassK42Only))
	printDiffs(w, p.PassK42Only, "Linux", func(d Diff) (Outcome, []string) { return d.Linux, d.LinuxOutput })
	if len(p.Other) > 0 {
		fmt.Fprintf(w, "  other differences: %d\n", len(p.Other))
		for _, d := range p.Other {
			fmt.Fprintf(w, "    %s: Linux %s, k42 %s\n", d.Name, d.Linux, d.K42)
			if len(d.K42Output) > 0 {
				fmt.Fprintln(w, "      k42:")
				printOutput(w, d.K42Output)
			}
			if len(d.LinuxOutput) > 0 {
				fmt.Fprintln(w, "      Linux:")
				printOutput(w, d.LinuxOutput)
			}
		}
	}
}

// printDiffs prints the tests of one list with the outcome and output on
// the side that did not pass them. Sibling subtests in a row with the
// same outcome and the same lines (but for numbers) are printed as one
// entry, TestX/{a,b,c}; a test with no lines of its own, whose subtests
// follow, takes one line; the tests that side never ran are listed
// together at the end, by name only.
func printDiffs(w io.Writer, ds []Diff, side string, other func(Diff) (Outcome, []string)) {
	var missing []string
	for i := 0; i < len(ds); i++ {
		d := ds[i]
		o, out := other(d)
		if o == Missing {
			missing = append(missing, d.Name)
			continue
		}
		parent, leaf := splitName(d.Name)
		leaves := []string{leaf}
		for i+1 < len(ds) {
			p2, l2 := splitName(ds[i+1].Name)
			o2, out2 := other(ds[i+1])
			if parent == "" || p2 != parent || o2 != o || !sameLines(out, out2) {
				break
			}
			leaves = append(leaves, l2)
			i++
		}
		switch {
		case len(leaves) > 1:
			fmt.Fprintf(w, "    %s/{%s}: %s %s (%d tests, the same lines)\n", parent, strings.Join(leaves, ","), side, o, len(leaves))
		case len(out) == 0 && i+1 < len(ds) && strings.HasPrefix(ds[i+1].Name, d.Name+"/"):
			fmt.Fprintf(w, "    %s: %s %s (through its subtests)\n", d.Name, side, o)
			continue
		default:
			fmt.Fprintf(w, "    %s: %s %s\n", d.Name, side, o)
		}
		printOutput(w, out)
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "    never run on %s (%d):\n", side, len(missing))
		printWrapped(w, "        ", byTopLevel(missing))
	}
}

// byTopLevel shortens a list of test names to their top-level tests in
// order, each with how many of its subtests the list has: "TestX (+3
// subtests)", or "TestX/... (3 subtests)" when TestX itself is not in it.
func byTopLevel(names []string) []string {
	var tops []string
	self := map[string]bool{}
	subs := map[string]int{}
	for _, n := range names {
		top, _, sub := strings.Cut(n, "/")
		if _, seen := subs[top]; !seen {
			tops = append(tops, top)
			subs[top] = 0
		}
		if sub {
			subs[top]++
		} else {
			self[top] = true
		}
	}
	out := make([]string, len(tops))
	for i, t := range tops {
		switch n := subs[t]; {
		case n == 0:
			out[i] = t
		case self[t]:
			out[i] = fmt.Sprintf("%s (+%d subtests)", t, n)
		default:
			out[i] = fmt.Sprintf("%s/... (%d subtests)", t, n)
		}
	}
	return out
}

// splitName splits a subtest's name into its parent's and its own.
func splitName(name string) (parent, leaf string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

var digitsRe = regexp.MustCompile(`[0-9]+`)

// sameLines reports whether a and b are the same lines but for numbers
// (sizes, temporary directories' names).
func sameLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if digitsRe.ReplaceAllString(a[i], "N") != digitsRe.ReplaceAllString(b[i], "N") {
			return false
		}
	}
	return true
}

// printOutput prints a test's lines, at most maxLines of them.
func printOutput(w io.Writer, lines []string) {
	if len(lines) == 0 {
		fmt.Fprintln(w, "        (no output of its own)")
		return
	}
	printLines(w, "      ", lines)
}

func printLines(w io.Writer, indent string, lines []string) {
	for i, l := range lines {
		if i == maxLines {
			fmt.Fprintf(w, "%s... %d more lines (in the saved output)\n", indent, len(lines)-i)
			break
		}
		fmt.Fprintf(w, "%s%s\n", indent, strings.ReplaceAll(l, "\t", "    "))
	}
}

// printWrapped prints words in lines of about 100 columns.
func printWrapped(w io.Writer, indent string, words []string) {
	line := indent
	for _, word := range words {
		if len(line) > len(indent) && len(line)+1+len(word) > 100 {
			fmt.Fprintln(w, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	if len(line) > len(indent) {
		fmt.Fprintln(w, line)
	}
}

// printTable prints every package's counts and differences, one row
// each.
func printTable(w io.Writer, pkgs []*Package) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tk42 pass\tfail\tskip\tLinux pass\tfail\tskip\tPASS Linux only\tPASS k42 only\tother\tk42 run\t")
	for _, p := range pkgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t\n", p.Name, counts(p.K42), counts(p.Linux),
			len(p.PassLinuxOnly), len(p.PassK42Only), len(p.Other), ending(p.K42))
	}
	tw.Flush()
}

func counts(s *Side) string {
	if s == nil {
		return "-\t-\t-"
	}
	return fmt.Sprintf("%d\t%d\t%d", s.Pass, s.Fail, s.Skip)
}

// ending is a word on how a side's first run ended, and how many more
// it took.
func ending(s *Side) string {
	if s == nil {
		return "-"
	}
	if len(s.Runs) == 0 {
		return "not run"
	}
	run, e := s.Runs[0], ""
	switch {
	case run.TimedOut:
		e = "hung"
	case !run.Done:
		e = fmt.Sprintf("died (%d)", run.Status)
	default:
		e = fmt.Sprintf("%s (%d)", run.Final, run.Status)
	}
	if n := len(s.Runs) - 1; n > 0 {
		e += fmt.Sprintf(", %d rerun(s)", n)
	}
	return e
}
