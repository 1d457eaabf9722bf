// Package testlog parses what a Go test binary prints with -test.v into
// one result per test: its name (subtests included, as TestX/sub), PASS,
// FAIL or SKIP, and the lines it logged. It runs on the host:
// benchmarks/gotests reads with it the output of the same standard-library
// tests under k42 and under Linux and compares them test by test.
//
// The format is the testing package's "chatty" output. Every test
// announces itself with "=== RUN   NAME"; a parallel test prints
// "=== PAUSE NAME" when it calls t.Parallel and "=== CONT  NAME" when it
// resumes. What a test logs (t.Log, t.Error, ...) is printed as it
// happens, indented by four spaces ("    file.go:12: message",
// continuation lines by eight); when the output switches from one test to
// another without a RUN or CONT line, "=== NAME  NAME" says whose it is.
// A test's result is printed when it finishes,
//
//	--- FAIL: TestX (0.00s)
//
// and a subtest's follows its parent's, indented four spaces per level:
// subtests report into their parent's buffer. Any output a test had
// buffered (without -test.v, or flushed by a panic) follows its result
// line. The binary ends with a line "PASS" or "FAIL".
//
// So every line belongs to the test most recently named by a RUN, CONT,
// NAME, PAUSE or result line; Parse attributes it so. A binary that dies
// mid-run (a panic, a runtime fatal error, a test timeout, or a kernel
// that stops) leaves tests announced but never finished: Parse marks them
// FAIL and Crashed, and gives them and the failing tests whose results
// came right beside the crash the first lines of the crash report.
package testlog

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Status is a test's result.
type Status string

// The results the testing package prints.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Test is one test's result.
type Test struct {
	Name     string        // TestX, TestX/sub, ExampleY
	Status   Status        // Fail for a test that never finished
	Elapsed  time.Duration // as printed on the result line (0 if unfinished)
	Output   []string      // the lines it logged or printed, in order; for a crash, the report's first lines
	Crashed  bool          // it never finished: the binary died while it was running or paused
	Paused   bool          // when the binary died, it was waiting to resume (t.Parallel)
	Panicked bool          // its failure is the crash (its result came right beside the report)
}

// Log is one run of a test binary.
type Log struct {
	Tests []*Test // in the order they were first named
	// Done reports that the binary printed its final PASS or FAIL line;
	// Final is that line.
	Done  bool
	Final Status
	// Crash is the report of a panic or fatal error, from its first line
	// ("panic: ...", "fatal error: ...") to the end of the output.
	Crash []string
	// Preamble is what came before the first test (a kernel's boot
	// messages, the binary's own complaints).
	Preamble []string
	// Epilogue is what came after the final line.
	Epilogue []string

	byName map[string]*Test
}

// Test returns the named test, or nil.
func (l *Log) Test(name string) *Test { return l.byName[name] }

// Counts returns how many tests passed, failed and were skipped.
func (l *Log) Counts() (pass, fail, skip int) {
	for _, t := range l.Tests {
		switch t.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		case Skip:
			skip++
		}
	}
	return pass, fail, skip
}

// Merge takes into l the results of m, a later run of the same binary
// that skipped the tests which crashed l: every test of m that l has not
// named, or that l has unfinished (paused, or running beside the one that
// crashed), becomes m's. l's Done and Final become m's; its Crash,
// Preamble and Epilogue stay its own.
func (l *Log) Merge(m *Log) {
	for _, t := range m.Tests {
		old := l.byName[t.Name]
		switch {
		case old == nil:
			l.Tests = append(l.Tests, t)
		case old.Crashed:
			*old = *t
			continue
		default:
			continue
		}
		l.byName[t.Name] = t
	}
	l.Done, l.Final = m.Done, m.Final
}

// CrashExcerpt is how many lines of the crash report a crashed test's
// Output receives (all of it is in Log.Crash).
const CrashExcerpt = 12

var (
	// The header lines' names hold no blanks: the testing package
	// replaces them with underscores.
	headerRe = regexp.MustCompile(`^=== (RUN|PAUSE|CONT|NAME|ATTR|ARTIFACTS) +(\S+)`)
	resultRe = regexp.MustCompile(`^( *)--- (PASS|FAIL|SKIP): (\S+) \(([0-9]+(?:\.[0-9]+)?)s\)$`)
	// crashRe matches the first line of a Go crash report at the start of
	// a line: a panic (a test's, or the testing package's timeout) or a
	// runtime fatal error (which may be preceded by the signal that
	// caused it).
	crashRe = regexp.MustCompile(`^(panic: |fatal error: |SIG[A-Z]+: |unexpected fault address )`)
)

// state is a test's life as the output shows it.
type state int

const (
	running state = iota
	paused
	finished
)

type parser struct {
	log     *Log
	state   map[*Test]state
	current *Test   // whose the next line is
	block   []*Test // the results printed since the last other line
	near    []*Test // failing tests whose results came beside the crash
	crashed bool
	after   []string // the final line and what came after it
}

// Parse reads a test binary's -test.v output (its standard output, or its
// standard output and error merged line by line) and returns the tests'
// results. Carriage returns are dropped. It fails only if r does.
func Parse(r io.Reader) (*Log, error) {
	p := &parser{log: &Log{byName: map[string]*Test{}}, state: map[*Test]state{}}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 16<<20)
	for s.Scan() {
		p.line(strings.TrimRight(s.Text(), "\r"))
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	p.finish()
	return p.log, nil
}

// ParseString is Parse of a string.
func ParseString(out string) *Log {
	l, _ := Parse(strings.NewReader(out))
	return l
}

func (p *parser) test(name string) *Test {
	t := p.log.byName[name]
	if t == nil {
		t = &Test{Name: name}
		p.log.byName[name] = t
		p.log.Tests = append(p.log.Tests, t)
		p.state[t] = running
	}
	return t
}

func (p *parser) line(line string) {
	if m := resultRe.FindStringSubmatch(line); m != nil {
		p.resume()
		t := p.test(m[3])
		t.Status = Status(m[2])
		secs, _ := strconv.ParseFloat(m[4], 64)
		t.Elapsed = time.Duration(secs * float64(time.Second))
		p.state[t] = finished
		p.current = t
		p.block = append(p.block, t)
		if p.crashed && t.Status == Fail {
			p.near = append(p.near, t)
		}
		return
	}
	block := p.block
	p.block = nil
	if m := headerRe.FindStringSubmatch(line); m != nil {
		p.resume()
		t := p.test(m[2])
		switch m[1] {
		case "RUN", "CONT":
			if p.state[t] != finished {
				p.state[t] = running
			}
		case "PAUSE":
			if p.state[t] != finished {
				p.state[t] = paused
			}
		}
		p.current = t
		return
	}
	if !p.crashed && crashRe.MatchString(line) {
		p.crashed = true
		for _, t := range block {
			if t.Status == Fail {
				p.near = append(p.near, t)
			}
		}
	}
	switch {
	case p.crashed:
		p.log.Crash = append(p.log.Crash, line)
	case line == "PASS" || line == "FAIL":
		// The final line, unless tests turn out to go on after it.
		p.resume()
		p.log.Done, p.log.Final = true, Status(line)
		p.after = []string{line}
	case p.log.Done:
		p.after = append(p.after, line)
	default:
		p.add(line)
	}
}

// add gives a line to the current test, or to the preamble before the
// first.
func (p *parser) add(lines ...string) {
	if p.current == nil {
		p.log.Preamble = append(p.log.Preamble, lines...)
		return
	}
	p.current.Output = append(p.current.Output, lines...)
}

// resume is called when tests go on after what looked like the final
// line: that line, and what followed it, were the current test's.
func (p *parser) resume() {
	if !p.log.Done {
		return
	}
	p.log.Done, p.log.Final = false, ""
	p.add(p.after...)
	p.after = nil
}

// finish marks the tests that never finished and hands out the crash
// report.
func (p *parser) finish() {
	if len(p.after) > 1 {
		p.log.Epilogue = p.after[1:]
	}
	excerpt := p.log.Crash
	if len(excerpt) > CrashExcerpt {
		excerpt = excerpt[:CrashExcerpt]
	}
	for _, t := range p.near {
		t.Panicked = true
		t.Output = append(t.Output, excerpt...)
	}
	for _, t := range p.log.Tests {
		st := p.state[t]
		if st == finished {
			continue
		}
		t.Status, t.Crashed, t.Paused = Fail, true, st == paused
		how := "running"
		if t.Paused {
			how = "paused (t.Parallel), never resumed"
		}
		if len(excerpt) > 0 {
			t.Output = append(t.Output, fmt.Sprintf("crashed: %s when the test binary died with:", how))
			t.Output = append(t.Output, excerpt...)
		} else {
			t.Output = append(t.Output, fmt.Sprintf("crashed: %s when the output ended (no PASS/FAIL line, no crash report)", how))
		}
	}
}
