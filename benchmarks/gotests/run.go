package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"k42/benchmarks/gotests/testlog"
	"k42/qemu/runner"
)

// runs runs packages' tests on either kernel.
type runs struct {
	root, work string
	c          *config
	linuxTool  string    // the built benchmarks/linux
	log        io.Writer // where the consoles are shown as they come (-v)
	progress   func(format string, args ...any)
}

// bootFunc boots one kernel with a package's test binary and the flags
// given; n numbers the runs of the package from 0.
type bootFunc func(flags []string, n int) (*Run, *testlog.Log)

// side runs a package's tests with boot, and again, up to -retries
// times, while the binary dies before its final line: each rerun skips
// (-test.skip) the tests the runs so far died in, so that the tests
// after them are judged too.
func (r *runs) side(name string, boot bootFunc) *Side {
	s := &Side{}
	var skipped []string
	for n := 0; ; n++ {
		flags := r.c.flags
		if len(skipped) > 0 {
			quoted := make([]string, len(skipped))
			for i, t := range skipped {
				quoted[i] = regexp.QuoteMeta(t)
			}
			flags = append(append([]string(nil), flags...), "-test.skip=^("+strings.Join(quoted, "|")+")$")
		}
		run, log := boot(flags, n)
		run.Skipped = append([]string(nil), skipped...)
		s.add(run, log)
		r.progress("  %s", runLine(run))
		if log.Done || run.Error != "" || n >= r.c.retries {
			break
		}
		if run.Killed != "" {
			r.progress("%s: running it again as it was", name)
			continue
		}
		if hasSkip(r.c.flags) {
			break
		}
		more := culprits(log)
		if len(more) == 0 {
			break // it died before any test, or between them: a rerun would too
		}
		skipped = append(skipped, more...)
		r.progress("%s: running it again without %s", name, strings.Join(more, ", "))
	}
	return s
}

// killedRe matches QEMU's line when a signal from outside ends it.
var killedRe = regexp.MustCompile(`(?m)^qemu-system-ppc64: terminating on signal \d+ from pid \d+.*$`)

// killed returns QEMU's line on a signal from outside in out, if any.
func killed(out []byte) string {
	return string(killedRe.Find(out))
}

// runName is the saved output's name of run n of pkg on a kernel.
func runName(pkg, kernel string, n int, ext string) string {
	if n > 0 {
		kernel += "." + strconv.Itoa(n+1)
	}
	return fileName(pkg) + "." + kernel + ext
}

// k42 runs pkg's tests on k42, as bin/k42 -test does.
func (r *runs) k42(pkg string) *Side {
	var build bytes.Buffer
	b, err := runner.BuildTest(r.root, pkg, &build)
	if err != nil {
		return &Side{Error: strings.TrimSpace(err.Error() + "\n" + build.String())}
	}
	trees := append(append([]runner.Tree(nil), b.Trees...), r.c.trees...)
	return r.side(pkg+" on k42", func(flags []string, n int) (*Run, *testlog.Log) {
		bootargs := []string{"k42.argv0=" + b.Name, "k42.cwd=" + b.Dir}
		for _, kv := range r.c.env {
			bootargs = append(bootargs, "k42.env."+kv)
		}
		bootargs = append(bootargs, flags...)
		m := &merger{tee: r.log}
		out, con := m.writer(), m.writer()
		t0 := time.Now()
		res, err := runner.Run(&runner.Machine{Image: b.Image, CPUs: r.c.smp, Memory: r.c.mem, Timeout: r.c.timeout,
			Bootargs: bootargs, Files: trees, Stdout: out, Stderr: con})
		run := &Run{Seconds: time.Since(t0).Seconds()}
		out.Close()
		con.Close()
		if err != nil {
			run.Status, run.Error = runner.StatusNoReport, err.Error()
		} else {
			run.Status, run.TimedOut = res.Status, res.TimedOut
		}
		run.Killed = killed(m.bytes())
		run.Output = r.save(runName(pkg, "k42", n, ".log"), m.bytes())
		return run, testlog.ParseString(string(m.bytes()))
	})
}

// bootedRe matches benchmarks/linux's line on the boot's length.
var bootedRe = regexp.MustCompile(`(?m)^linux: Linux booted, ran .* and powered off in ([0-9.]+) s`)

// linux runs pkg's tests on Linux with benchmarks/linux -test.
func (r *runs) linux(pkg string) *Side {
	return r.side(pkg+" on Linux", func(flags []string, n int) (*Run, *testlog.Log) {
		args := []string{"-test", pkg, "-smp", strconv.Itoa(r.c.smp), "-m", r.c.mem, "-timeout", r.c.timeout.String()}
		for _, kv := range r.c.env {
			args = append(args, "-env", kv)
		}
		for _, t := range r.c.trees {
			args = append(args, "-fs", t.Host+":"+t.Guest)
		}
		args = append(append(args, "--"), flags...)
		var out, con bytes.Buffer
		cmd := exec.Command(r.linuxTool, args...)
		cmd.Dir = r.root
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, r.log), io.MultiWriter(&con, r.log)
		t0 := time.Now()
		err := cmd.Run()
		run := &Run{Seconds: time.Since(t0).Seconds()}
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			run.Status = exit.ExitCode()
		default:
			run.Status, run.Error = runner.StatusUsage, err.Error()
		}
		switch run.Status {
		case runner.StatusUsage:
			if run.Error == "" {
				run.Error = lastLines(con.String(), 20)
			}
		case runner.StatusTimeout:
			run.TimedOut = true
		}
		if m := bootedRe.FindStringSubmatch(con.String()); m != nil {
			run.Seconds, _ = strconv.ParseFloat(m[1], 64) // the boot alone, as for k42
		}
		run.Killed = killed(con.Bytes())
		run.Output = r.save(runName(pkg, "linux", n, ".log"), out.Bytes())
		run.Console = r.save(runName(pkg, "linux", n, ".console"), con.Bytes())
		return run, testlog.ParseString(out.String())
	})
}

// fileName is pkg's name in file names.
func fileName(pkg string) string {
	return strings.NewReplacer("/", "_", ".", "_").Replace(strings.Trim(pkg, "./"))
}

// save writes an output under the work folder and returns its path
// relative to the module root.
func (r *runs) save(name string, b []byte) string {
	p := filepath.Join(r.work, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return "(not saved: " + err.Error() + ")"
	}
	rel, _ := filepath.Rel(r.root, p)
	return rel
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// merger merges output streams line by line, as they arrive, the way a
// console shows them: no line of one stream is cut by another's.
type merger struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer // also shown here, if not nil
}

func (m *merger) writer() *lineWriter { return &lineWriter{m: m} }

func (m *merger) bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Bytes()
}

func (m *merger) put(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf.Write(b)
	if m.tee != nil {
		m.tee.Write(b)
	}
}

// lineWriter is one stream of a merger: it passes on whole lines and
// holds a partial one until its end arrives, or Close.
type lineWriter struct {
	m       *merger
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			break
		}
		line := append(w.partial, p[:i+1]...)
		w.partial = nil
		w.m.put(line)
		p = p[i+1:]
	}
	return n, nil
}

// Close passes on a final partial line, ending it.
func (w *lineWriter) Close() error {
	if len(w.partial) > 0 {
		w.m.put(append(w.partial, '\n'))
		w.partial = nil
	}
	return nil
}

// runLine is one line on how a run went.
func runLine(run *Run) string {
	b := fmt.Sprintf("status %d in %.0f s", run.Status, run.Seconds)
	if len(run.Skipped) > 0 {
		b += " skipping " + strings.Join(run.Skipped, ", ")
	}
	switch {
	case run.TimedOut:
		b += "; HUNG: stopped by the timeout"
	case run.Done:
		b += "; ran to its end"
	default:
		b += "; died: no final PASS/FAIL line"
	}
	if run.Crash != "" {
		b += "; " + run.Crash
	}
	if run.Killed != "" {
		b += "; killed from outside: " + run.Killed
	}
	if run.Error != "" {
		first, _, _ := strings.Cut(run.Error, "\n")
		b += "; " + first
	}
	return b + " [" + run.Output + "]"
}
