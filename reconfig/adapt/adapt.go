// Package adapt is the machinery adaptive policies share (paper §6.3): a
// policy is a monitor that components' calls reach through the generic
// interposer (a reconfig.Wrapper), and it acts only by swapping the
// component for another implementation, never by a branch inside one.
// This package owns what every policy needs around that:
//
//   - Policy: a name, an on/off switch, and named integer parameters
//     (thresholds, durations), settable at boot (kernel options
//     k42.policy.NAME.PARAM=VALUE, k42.policy.NAME=on|off) and at run time
//     (the console's policy command, and so the control file);
//   - Log: the decisions, each with its time, object, the implementations
//     it swapped from and to, and the reason;
//   - Worker: where decisions are carried out. A monitor runs inside the
//     call it watches, which is a request of its CPU's generation, and a
//     swap waits for requests to end, so a monitor never swaps: it hands
//     the swap to the worker, a goroutine outside any request.
//
// It knows nothing of files or memory. Execution context: ordinary Go;
// a monitor's Decide call is made inside components' calls and does not
// block (it drops a decision when the worker is backed up, and says so).
package adapt

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Param is one of a policy's parameters.
type Param struct {
	Name string
	Doc  string
	// Duration: the value is a time.Duration (set as "10ms"); otherwise
	// a count or a size in bytes.
	Duration bool
	v        atomic.Int64
}

// Get returns the parameter's value.
func (p *Param) Get() int64 { return p.v.Load() }

// Dur returns the value as a duration.
func (p *Param) Dur() time.Duration { return time.Duration(p.v.Load()) }

// String formats the value as Set takes it.
func (p *Param) String() string {
	if p.Duration {
		return p.Dur().String()
	}
	return strconv.FormatInt(p.Get(), 10)
}

// Set parses and sets the value: a non-negative integer, or a duration.
func (p *Param) Set(s string) error {
	if p.Duration {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("%s: %q is not a duration (say 10ms or 2s)", p.Name, s)
		}
		p.v.Store(int64(d))
		return nil
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%s: %q is not a non-negative integer", p.Name, s)
	}
	p.v.Store(n)
	return nil
}

// Policy is one adaptive policy.
type Policy struct {
	Name   string
	Doc    string
	on     atomic.Bool
	params []*Param
	log    *Log
	worker *Worker
}

// On reports whether the policy acts.
func (p *Policy) On() bool { return p.on.Load() }

// SetOn switches the policy on or off; off, its monitors decide nothing.
func (p *Policy) SetOn(on bool) { p.on.Store(on) }

// Param returns the named parameter, or nil.
func (p *Policy) Param(name string) *Param {
	for _, q := range p.params {
		if q.Name == name {
			return q
		}
	}
	return nil
}

// Params returns the parameters.
func (p *Policy) Params() []*Param { return slices.Clone(p.params) }

// Decide hands a decision to the worker: act runs outside any request and
// returns the implementations it swapped between (from, to) or an error;
// the decision is logged with the object and reason either way. It does
// not block: with the worker's queue full the decision is dropped and
// logged as such. A policy that is off decides nothing.
func (p *Policy) Decide(object, reason string, act func() (from, to string, err error)) {
	if !p.On() {
		return
	}
	at := p.log.now()
	if !p.worker.post(func() {
		from, to, err := act()
		d := Decision{Time: at, Policy: p.Name, Object: object, From: from, To: to, Reason: reason}
		if err != nil {
			d.Err = err.Error()
		}
		if from == to && err == nil {
			return // nothing to do by the time it ran (pinned, closed, already there)
		}
		p.log.add(d)
	}) {
		p.log.add(Decision{Time: at, Policy: p.Name, Object: object, Reason: reason, Err: "dropped: the policy worker is backed up"})
	}
}

// Record logs a decision its caller made and carried out itself (outside
// any request), whether or not the policy is on: a swap a protocol
// requires, not one the policy chose.
func (p *Policy) Record(object, from, to, reason string, took time.Duration, err error) {
	if from == to && err == nil {
		return
	}
	d := Decision{Time: p.log.now(), Policy: p.Name, Object: object, From: from, To: to, Reason: reason, Took: took}
	if err != nil {
		d.Err = err.Error()
	}
	p.log.add(d)
}

// Decision is one entry of the log.
type Decision struct {
	Time     time.Time
	Policy   string
	Object   string
	From, To string
	Reason   string
	Took     time.Duration // how long the swap took, if the decider measured it
	Err      string        // why the swap failed (the old component stays), if it did
}

func (d Decision) String() string {
	s := fmt.Sprintf("%s %-10s %s: %s -> %s (%s)", d.Time.Format("15:04:05.000000"), d.Policy, d.Object, d.From, d.To, d.Reason)
	if d.Took > 0 {
		s += fmt.Sprintf(" in %v", d.Took)
	}
	if d.Err != "" {
		s += ": failed: " + d.Err
	}
	return s
}

// logSize bounds the log; the oldest decisions go first.
const logSize = 512

// Log is the decisions of every policy of a Registry.
type Log struct {
	clock atomic.Pointer[func() time.Time]
	mu    sync.Mutex
	ring  [logSize]Decision
	next  int
	total int
}

// now is the log's clock: time.Now unless SetClock gave another.
func (l *Log) now() time.Time {
	if c := l.clock.Load(); c != nil {
		return (*c)()
	}
	return time.Now()
}

func (l *Log) add(d Decision) {
	l.mu.Lock()
	l.ring[l.next] = d
	l.next = (l.next + 1) % logSize
	l.total++
	l.mu.Unlock()
}

// List returns the decisions kept, oldest first, and how many were made
// in all.
func (l *Log) List() ([]Decision, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(l.total, logSize)
	out := make([]Decision, 0, n)
	for i := range n {
		out = append(out, l.ring[(l.next-n+i+logSize)%logSize])
	}
	return out, l.total
}

// Worker carries decisions out, one at a time, on its own goroutine.
type Worker struct {
	q       chan func()
	pending atomic.Int64
	mu      sync.Mutex
	idle    *sync.Cond
}

func newWorker() *Worker {
	w := &Worker{q: make(chan func(), 1024)}
	w.idle = sync.NewCond(&w.mu)
	go func() {
		for f := range w.q {
			f()
			if w.pending.Add(-1) == 0 {
				w.mu.Lock()
				w.idle.Broadcast()
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *Worker) post(f func()) bool {
	w.pending.Add(1)
	select {
	case w.q <- f:
		return true
	default:
		w.pending.Add(-1)
		return false
	}
}

// Wait waits until every decision posted so far has been carried out.
func (w *Worker) Wait() {
	w.mu.Lock()
	for w.pending.Load() != 0 {
		w.idle.Wait()
	}
	w.mu.Unlock()
}

// Registry is a set of policies with one log and one worker.
type Registry struct {
	mu       sync.Mutex
	policies map[string]*Policy
	log      Log
	worker   *Worker
}

// NewRegistry returns an empty registry and starts its worker.
func NewRegistry() *Registry {
	return &Registry{policies: make(map[string]*Policy), worker: newWorker()}
}

// SetClock sets the clock decisions are stamped with (the kernel's wall
// clock, which reads the timebase: time.Now there is two system calls).
func (r *Registry) SetClock(now func() time.Time) { r.log.clock.Store(&now) }

// Log returns the registry's decision log.
func (r *Registry) Log() *Log { return &r.log }

// Worker returns the registry's worker.
func (r *Registry) Worker() *Worker { return r.worker }

// Register adds a policy with its parameters at their defaults (name,
// doc, default value; a default of type time.Duration makes a duration
// parameter), switched on. Registering a name twice returns the first.
func (r *Registry) Register(name, doc string, params ...ParamSpec) *Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.policies[name]; ok {
		return p
	}
	p := &Policy{Name: name, Doc: doc, log: &r.log, worker: r.worker}
	p.on.Store(true)
	for _, s := range params {
		q := &Param{Name: s.Name, Doc: s.Doc}
		switch v := s.Default.(type) {
		case time.Duration:
			q.Duration = true
			q.v.Store(int64(v))
		case int:
			q.v.Store(int64(v))
		case int64:
			q.v.Store(v)
		default:
			panic(fmt.Sprintf("adapt: parameter %s.%s: default of type %T", name, s.Name, s.Default))
		}
		p.params = append(p.params, q)
	}
	r.policies[name] = p
	return p
}

// ParamSpec declares a parameter to Register.
type ParamSpec struct {
	Name, Doc string
	Default   any // int, int64 or time.Duration
}

// Policy returns the named policy, or nil.
func (r *Registry) Policy(name string) *Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.policies[name]
}

// Policies returns the policies by name.
func (r *Registry) Policies() []*Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Policy, 0, len(r.policies))
	for _, p := range r.policies {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Set applies one setting: "NAME=on", "NAME=off" or "NAME.PARAM=VALUE".
// An unknown policy or parameter, or a bad value, is an error naming it
// and changes nothing.
func (r *Registry) Set(setting string) error {
	key, val, ok := strings.Cut(setting, "=")
	if !ok {
		return fmt.Errorf("policy setting %q: want NAME=on|off or NAME.PARAM=VALUE", setting)
	}
	name, param, hasParam := strings.Cut(key, ".")
	p := r.Policy(name)
	if p == nil {
		return fmt.Errorf("policy setting %q: no policy %q (have %s)", setting, name, r.names())
	}
	if !hasParam {
		switch val {
		case "on", "yes", "1":
			p.SetOn(true)
		case "off", "no", "0":
			p.SetOn(false)
		default:
			return fmt.Errorf("policy setting %q: %q is neither on nor off", setting, val)
		}
		return nil
	}
	q := p.Param(param)
	if q == nil {
		var have []string
		for _, q := range p.params {
			have = append(have, q.Name)
		}
		return fmt.Errorf("policy setting %q: policy %s has no parameter %q (have %s)", setting, name, param, strings.Join(have, ", "))
	}
	if err := q.Set(val); err != nil {
		return fmt.Errorf("policy setting %q: %w", setting, err)
	}
	return nil
}

func (r *Registry) names() string {
	var n []string
	for _, p := range r.Policies() {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}
