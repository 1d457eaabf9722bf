package order_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestPPC64Barriers compiles the fast paths for ppc64 and counts the
// barriers gc emitted in them: the package's promises (one sync per
// Fence, plain loads, no isync) are about the compiler's output, and a
// change of toolchain could break them without any test on the host
// noticing.
func TestPPC64Barriers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds for ppc64")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	pkgs := []string{"k42/reconfig/generation", "k42/reconfig", "k42/reconfig/bench"}
	args := []string{"build"}
	for _, p := range pkgs {
		args = append(args, "-gcflags="+p+"=-S")
	}
	args = append(args, pkgs...)
	cmd := exec.Command(goCmd, args...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=ppc64", "CGO_ENABLED=0", "GOFLAGS=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.Bytes())
	}
	fns := opcodes(out.Bytes())

	for _, c := range []struct {
		fn          string // the function; {shape} stands for a generic shape
		sync, isync int
		why         string
	}{
		{"k42/reconfig/generation.(*Domain).Enter", 1, 0, "count, Fence, look again"},
		{"k42/reconfig/generation.Request.End", 1, 0, "uncount, Fence, look at waiting"},
		{"k42/reconfig/bench.Suite.CallOTT", 0, 0, "Ref.Get is a plain load"},
		// Every shape's body (not the wrappers that pass a dictionary).
		{"k42/reconfig.(*mediator[go.shape.{shape}]).enter", 1, 0, "count, Fence, look at the phase"},
		{"k42/reconfig.(*mediator[go.shape.{shape}]).untrack", 1, 0, "uncount, Fence, look at the phase"},
	} {
		matches := find(fns, c.fn)
		if len(matches) == 0 {
			t.Errorf("%s: not in the compiler's output", c.fn)
		}
		for fn, ops := range matches {
			if n := ops["SYNC"]; n != c.sync {
				t.Errorf("%s: %d sync, want %d (%s)", fn, n, c.sync, c.why)
			}
			if n := ops["ISYNC"]; n != c.isync {
				t.Errorf("%s: %d isync, want %d (%s)", fn, n, c.isync, c.why)
			}
		}
	}
}

var (
	header = regexp.MustCompile(`^(\S.*) STEXT `)
	instr  = regexp.MustCompile(`^\t0x[0-9a-f]+ [0-9]+ \([^)]*\)\t([A-Z][A-Z0-9]*)`)
)

// opcodes reads gc's -S listing: for each function, how many times each
// opcode occurs.
func opcodes(listing []byte) map[string]map[string]int {
	fns := map[string]map[string]int{}
	var cur map[string]int
	sc := bufio.NewScanner(bytes.NewReader(listing))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := header.FindStringSubmatch(line); m != nil {
			cur = map[string]int{}
			fns[m[1]] = cur
			continue
		}
		if m := instr.FindStringSubmatch(line); m != nil && cur != nil {
			cur[m[1]]++
		}
	}
	return fns
}

// find returns the functions called name, where "{shape}" in name
// stands for any text, with their opcodes.
func find(fns map[string]map[string]int, name string) map[string]map[string]int {
	pre, suf, wild := strings.Cut(name, "{shape}")
	out := map[string]map[string]int{}
	for fn, ops := range fns {
		if fn == name || wild && len(fn) > len(pre)+len(suf) && strings.HasPrefix(fn, pre) && strings.HasSuffix(fn, suf) {
			out[fn] = ops
		}
	}
	return out
}
