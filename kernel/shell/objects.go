package shell

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k42/reconfig"
	"k42/reconfig/wrappers"
)

// Reconfiguration commands: list the objects of a translation table,
// attach and detach the generic wrappers on a named object while it is in
// use, show a profiler's histograms, and hot-swap an object (to itself, or to a
// named member of its family).

// wrapperKinds are the wrappers an operator can attach by name.
var wrapperKinds = []string{"count", "inflight", "profile", "trace"}

// AddObjects adds the reconfiguration commands over table t.
func (s *Shell) AddObjects(t *reconfig.Table) {
	s.Register(Command{Name: "objects", Help: "objects: name, interface, implementation, wrappers, calls, swaps",
		Run: func(s *Shell, args []string) error { return listObjects(s.Out, t) }})
	s.Register(Command{Name: "attach", Args: "NAME count|inflight|profile|trace [METHOD...]", Help: "attach a generic wrapper to an object, live",
		Run: func(s *Shell, args []string) error { return attach(s, t, args) }})
	s.Register(Command{Name: "detach", Args: "NAME count|inflight|profile|trace", Help: "detach a wrapper, live",
		Run: func(s *Shell, args []string) error { return detach(s, t, args) }})
	s.Register(Command{Name: "profile", Args: "NAME", Help: "latency histograms of an attached profiler",
		Run: func(s *Shell, args []string) error { return profile(s, t, args) }})
	s.Register(Command{Name: "show", Args: "NAME", Help: "one object: interface, implementation, its family's members, wrappers, swaps (and an FCM's pages and counters)",
		Run: func(s *Shell, args []string) error { return show(s, t, args) }})
	s.Register(Command{Name: "swap", Args: "NAME [IMPL]", Help: "hot-swap an object to a new instance of its family's member IMPL (without IMPL: to itself, a null swap) and print the swap report",
		Run: func(s *Shell, args []string) error { return swap(s, t, args) }})
}

// object checks that args has between min and max words and looks up the
// object its first word names.
func object(t *reconfig.Table, args []string, min, max int) (reconfig.Object, error) {
	if len(args) < min || len(args) > max {
		return nil, errUsage
	}
	o, err := t.Object(args[0])
	if err != nil {
		return nil, noObject(args[0])
	}
	return o, nil
}

func show(s *Shell, t *reconfig.Table, args []string) error {
	o, err := object(t, args, 1, 1)
	if err != nil {
		return err
	}
	info := o.Info()
	ws := strings.Join(info.Wrappers, ",")
	if ws == "" {
		ws = "-"
	}
	impls := strings.Join(o.Implementations(), ",")
	if impls == "" {
		impls = "-"
	}
	fmt.Fprintf(s.Out, "object %s\ninterface %s\ntype %s\nfamily %s\nwrappers %s\nswaps %d\nswapping %v\n",
		info.Name, info.Interface, info.Implementation, impls, ws, info.Swaps, info.Swapping)
	for _, d := range s.details {
		if text, ok := d(info.Name); ok {
			fmt.Fprint(s.Out, text)
		}
	}
	return nil
}

// noObject is the error for a name the table lacks; it is a
// reconfig.ErrNotFound.
type noObject string

func (n noObject) Error() string { return fmt.Sprintf("no object %q (objects lists them)", string(n)) }
func (noObject) Unwrap() error   { return reconfig.ErrNotFound }

// kindOf names the kind of an attached wrapper, or "".
func kindOf(w reconfig.Wrapper) string {
	switch w.(type) {
	case *wrappers.CallCounter:
		return "count"
	case *wrappers.InFlight:
		return "inflight"
	case *wrappers.Profiler:
		return "profile"
	case *wrappers.Tracer:
		return "trace"
	}
	return ""
}

func listObjects(out io.Writer, t *reconfig.Table) error {
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "name\tinterface\timplementation\twrappers\tcalls\tswaps")
	for _, info := range t.List() {
		calls, kinds := "-", []string{}
		if o, err := t.Object(info.Name); err == nil {
			for _, a := range o.Attachments() {
				k := kindOf(a.Wrapper())
				if k == "" {
					k = fmt.Sprintf("%T", a.Wrapper())
				}
				kinds = append(kinds, k)
				if c, ok := a.Wrapper().(*wrappers.CallCounter); ok {
					calls = fmt.Sprint(c.Total())
				}
			}
		}
		ws := strings.Join(kinds, ",")
		if ws == "" {
			ws = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", info.Name, info.Interface, info.Implementation, ws, calls, info.Swaps)
	}
	return w.Flush()
}

func attach(s *Shell, t *reconfig.Table, args []string) error {
	o, err := object(t, args, 2, len(args))
	if err != nil {
		return err
	}
	var wr reconfig.Wrapper
	p, methods := t.Platform(), o.Methods()
	switch args[1] {
	case "count":
		wr = wrappers.NewCallCounter(p, methods)
	case "inflight":
		wr = wrappers.NewInFlight(p, methods)
	case "profile":
		wr = wrappers.NewProfiler(p, methods)
	case "trace":
		wr = wrappers.NewTracer(s.Out)
	default:
		return fmt.Errorf("no wrapper %q (want one of %s)", args[1], strings.Join(wrapperKinds, ", "))
	}
	start := time.Now()
	a, err := o.Attach(wr, args[2:]...)
	if err != nil {
		return err
	}
	which := strings.Join(a.Methods(), ",")
	if which == "" {
		which = "all"
	}
	fmt.Fprintf(s.Out, "attached %s to %s (methods: %s) in %v\n", args[1], args[0], which, time.Since(start).Round(time.Microsecond))
	return nil
}

func findAttachment(o reconfig.Object, kind string) *reconfig.Attachment {
	as := o.Attachments()
	for i := len(as) - 1; i >= 0; i-- {
		if kindOf(as[i].Wrapper()) == kind {
			return as[i]
		}
	}
	return nil
}

func detach(s *Shell, t *reconfig.Table, args []string) error {
	o, err := object(t, args, 2, 2)
	if err != nil {
		return err
	}
	a := findAttachment(o, args[1])
	if a == nil {
		return fmt.Errorf("%s has no %s wrapper attached", args[0], args[1])
	}
	start := time.Now()
	if err := o.Detach(a); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "detached %s from %s in %v\n", args[1], args[0], time.Since(start).Round(time.Microsecond))
	return nil
}

func profile(s *Shell, t *reconfig.Table, args []string) error {
	o, err := object(t, args, 1, 1)
	if err != nil {
		return err
	}
	a := findAttachment(o, "profile")
	if a == nil {
		return fmt.Errorf("%s has no profiler (attach %s profile)", args[0], args[0])
	}
	fmt.Fprint(s.Out, a.Wrapper().(*wrappers.Profiler).String())
	return nil
}

func swap(s *Shell, t *reconfig.Table, args []string) error {
	o, err := object(t, args, 1, 2)
	if err != nil {
		return err
	}
	var r reconfig.SwapReport
	if len(args) == 2 {
		r, err = o.SwapTo(args[1], reconfig.SwapOptions{})
	} else {
		r, err = o.NullSwap(reconfig.SwapOptions{})
	}
	if err == nil || r.Tries > 0 {
		fmt.Fprintln(s.Out, r) // a swap that started has a report, failed or not
	}
	return err
}
