package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// control is k42's control file, /proc/k42/ctl: one command per write, its
// answer read back from the same open file (README, "Programs reach the
// same commands through /proc/k42"). On Linux there is none.
type control struct{ f *os.File }

const controlPath = "/proc/k42/ctl"

// openControl opens k42's control file; ok is false when the kernel has
// none (Linux).
func openControl() (*control, bool, error) {
	f, err := os.OpenFile(controlPath, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &control{f}, true, nil
}

// do runs one command and returns its answer; a failed command's error
// carries the kernel's message.
func (c *control) do(cmd string) (string, error) {
	_, werr := c.f.Write([]byte(cmd))
	out, err := io.ReadAll(c.f)
	if werr != nil {
		return "", fmt.Errorf("%s: %w: %s", cmd, werr, strings.TrimSpace(string(out)))
	}
	if err != nil {
		return "", fmt.Errorf("%s: reading the answer: %w", cmd, err)
	}
	return string(out), nil
}

// counter reads one "name value" line of an answer (the page cache's
// counters, /proc/k42/pagecache).
func counter(answer, name string) (int64, bool) {
	for _, line := range strings.Split(answer, "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == name {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// pagecacheCounters are the totals of /proc/k42/pagecache that the
// experiments report.
type pagecacheCounters struct{ misses, evictions int64 }

// readPagecache reads the page cache's totals; on Linux it returns
// zeros and false.
func readPagecache() (pagecacheCounters, bool) {
	b, err := os.ReadFile("/proc/k42/pagecache")
	if err != nil {
		return pagecacheCounters{}, false
	}
	s := string(b)
	m, _ := counter(s, "misses")
	e, _ := counter(s, "evictions")
	return pagecacheCounters{m, e}, true
}

// swapReport is what the mediator's report of one swap says (reconfig's
// SwapReport.String: "swap NAME: T -> T in D (N tries; forward D, block
// D, transfer D); F calls forwarded, B blocked, R recursive, I in flight
// at block; ...").
type swapReport struct {
	total                        time.Duration
	forwarded, blocked, inFlight int
}

func parseSwapReport(s string) (swapReport, error) {
	var r swapReport
	i := strings.Index(s, " in ")
	j := strings.Index(s, " (")
	if i < 0 || j < i {
		return r, fmt.Errorf("unexpected swap report %q", s)
	}
	var err error
	if r.total, err = time.ParseDuration(s[i+4 : j]); err != nil {
		return r, fmt.Errorf("swap report %q: %w", s, err)
	}
	_, rest, _ := strings.Cut(s, "); ")
	for _, part := range strings.Split(rest, ", ") {
		f := strings.Fields(part)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(f[1], "calls"):
			r.forwarded = n
		case f[1] == "blocked":
			r.blocked = n
		case f[1] == "in" && len(f) > 2 && f[2] == "flight":
			r.inFlight = n
		}
	}
	return r, nil
}

// A setting is one configuration of k42: the control commands that select
// it. Each experiment's configurations vary one axis (sessions, or FCMs)
// and keep the other at the default: shared sessions, the single FCM, every
// policy off.
type setting struct {
	name     string
	commands []string
}

const (
	allOff  = "policy sessions=off sharing=off sequential=off"
	single  = "upgrade fcm single"
	repl    = "upgrade fcm replicated"
	smallOn = "sessions.smallfile=4096"
)

var settings = map[string]setting{
	// The default: shared sessions, single FCMs, no policy.
	"default": {"default", []string{allOff, single}},
	// Sessions (Figure 6): client-side sessions for files open once,
	// without and with the small-file cache; FCMs fixed single.
	"exclusive":     {"exclusive", []string{"policy sessions=on sessions.smallfile=0 sharing=off sequential=off", single}},
	"smallfile":     {"smallfile", []string{"policy sessions=on " + smallOn + " sharing=off sequential=off", single}},
	"smallfile-16k": {"smallfile-16k", []string{"policy sessions=on sessions.smallfile=16384 sharing=off sequential=off", single}},
	// FCMs (Figures 4, 5 and 7): sessions fixed shared.
	"single":     {"single", []string{allOff, single}},
	"replicated": {"replicated", []string{allOff, repl}},
	"sequential": {"sequential", []string{"policy sessions=off sharing=off sequential=on", single}},
	// Adaptive on the FCM axis (Figure 5): the sharing and sequential
	// policies on, sessions fixed shared.
	"adaptive-fcm": {"adaptive", []string{"policy sessions=off sharing=on sequential=on", single}},
	// Adaptive everywhere: every policy on (Figure 6, where the sessions
	// axis varies, and the configuration set beside Linux).
	"adaptive": {"adaptive", []string{"policy sessions=on " + smallOn + " sharing=on sequential=on", single}},
}

// apply selects a configuration through the control file.
func (c *control) apply(s setting) error {
	for _, cmd := range s.commands {
		if _, err := c.do(cmd); err != nil {
			return fmt.Errorf("configuration %s: %w", s.name, err)
		}
	}
	return nil
}

// policySwaps counts the adaptive policies' decisions since t, by policy,
// from the control file's "policy log" (lines "15:04:05.000000 POLICY
// OBJECT: FROM -> TO (why) in D"; a decision that failed says so).
func (c *control) policySwaps(since time.Time) (map[string]int, error) {
	out, err := c.do("policy log")
	if err != nil {
		return nil, err
	}
	return countSwaps(out, since), nil
}

// countSwaps counts a policy log's decisions at or after since, by policy.
func countSwaps(out string, since time.Time) map[string]int {
	from := since.Format("15:04:05.000000")
	n := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || len(f[0]) != len(from) || f[0] < from || !strings.Contains(line, " -> ") {
			continue
		}
		n[f[1]]++
	}
	return n
}
