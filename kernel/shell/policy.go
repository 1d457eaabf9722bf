package shell

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"k42/fs/serve"
	"k42/reconfig/adapt"
)

// Policy and session commands: the adaptive policies (switches,
// parameters, the log of their decisions) and every open file's
// configuration (its session, its FCM, its client slot).

// Policies is what the policy commands work on.
type Policies struct {
	Registry *adapt.Registry
	Server   *serve.Server // the file-system server whose sessions files shows
}

// AddPolicies adds policy and sessions over p.
func (s *Shell) AddPolicies(p Policies) {
	s.Register(Command{Name: "policy", Args: "[log | NAME=on|off | NAME.PARAM=VALUE...]", Help: "the adaptive policies: each one's switch and parameters; log: their decisions (time, object, from, to, reason); settings change them live",
		Run: func(s *Shell, args []string) error { return policyCmd(s, p, args) }})
	s.Register(Command{Name: "sessions", Args: "[OBJECT pin IMPL|unpin]", Help: "every open file's configuration: its session (shared, exclusive, smallfile), the file's FCM, opens, the client slot and the calls it served; pin a session to an implementation or unpin it",
		Run: func(s *Shell, args []string) error { return sessionsCmd(s, p, args) }})
}

func policyCmd(s *Shell, p Policies, args []string) error {
	switch {
	case len(args) == 1 && args[0] == "log":
		log, total := p.Registry.Log().List()
		if total == 0 {
			fmt.Fprintln(s.Out, "no decisions yet")
			return nil
		}
		for _, d := range log {
			fmt.Fprintln(s.Out, d)
		}
		if total > len(log) {
			fmt.Fprintf(s.Out, "(%d decisions in all; the oldest %d are gone)\n", total, total-len(log))
		}
		return nil
	case len(args) > 0:
		for _, a := range args {
			if err := p.Registry.Set(a); err != nil {
				return err
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	for _, pol := range p.Registry.Policies() {
		on := "off"
		if pol.On() {
			on = "on"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", pol.Name, on, pol.Doc)
		for _, q := range pol.Params() {
			fmt.Fprintf(w, "  %s.%s\t%s\t%s\n", pol.Name, q.Name, q, q.Doc)
		}
	}
	return w.Flush()
}

func sessionsCmd(s *Shell, p Policies, args []string) error {
	switch {
	case len(args) == 3 && args[1] == "pin":
		return p.Server.PinSession(args[0], args[2])
	case len(args) == 2 && args[1] == "unpin":
		return p.Server.PinSession(args[0], "")
	case len(args) != 0:
		return errUsage
	}
	w := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HANDLE\tSESSION\tPINNED\tFCM\tOPENS\tSLOT\tON THE CLIENT (read write seek stat)\tOBJECT")
	for _, in := range p.Server.Sessions() {
		pin := in.Pinned
		if pin == "" {
			pin = "-"
		}
		fcm := in.FCM
		if fcm == "" {
			fcm = "-"
		}
		hits := strings.Trim(fmt.Sprint(in.Hits), "[]")
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", in.Handle, in.Impl, pin, fcm, in.Opens, in.Slot, hits, in.Object)
	}
	return w.Flush()
}
