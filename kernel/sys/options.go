package sys

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Kernel options: the boot-argument words k42.NAME[=VALUE] other than
// k42.argv0 and k42.env.* (which the boot itself takes). Subsystems
// define the options they read, with DefineOption in a package
// initialiser; once every initialiser has run, CheckOptions refuses the
// boot if an option was given that nobody defined, so that a misspelt
// option is an error rather than silently ignored. This is ordinary Go,
// run after the runtime has started.

// OptionInfo documents one kernel option.
type OptionInfo struct {
	Name string // without the k42. prefix, e.g. "pagecache"
	Args string // the value's form, e.g. "SIZE"; "" for a flag
	Help string
}

var (
	optMu   sync.Mutex
	optDefs = map[string]OptionInfo{
		"argv0": {Name: "argv0", Args: "NAME", Help: "os.Args[0] of the program"},
		"env.":  {Name: "env.KEY", Args: "VALUE", Help: "adds KEY=VALUE to the program's environment"},
	}
)

// DefineOption makes k42.NAME a known option. A name ending in "." is
// a prefix: every option under it is known.
func DefineOption(o OptionInfo) {
	optMu.Lock()
	defer optMu.Unlock()
	optDefs[o.Name] = o
}

// Options lists the defined options, sorted by name.
func Options() []OptionInfo {
	optMu.Lock()
	defer optMu.Unlock()
	out := make([]OptionInfo, 0, len(optDefs))
	for _, o := range optDefs {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// optionsIn returns the kernel options among words, other than argv0 and
// env, each as "NAME" or "NAME=VALUE" without the k42. prefix, in order.
func optionsIn(words []string) []string {
	var out []string
	for _, w := range words {
		if isOption(w) {
			out = append(out, strings.TrimPrefix(w, "k42."))
		}
	}
	return out
}

// isOption reports whether w is a kernel option kept for the subsystems
// (kernel.IsOptionWord on the kernel; the same rule on the host).
var isOption = func(w string) bool {
	return strings.HasPrefix(w, "k42.") && !strings.HasPrefix(w, "k42.argv0=") && !strings.HasPrefix(w, "k42.env.")
}

// optionIn returns the value of option name among opts (the last one
// wins) and whether it was given.
func optionIn(opts []string, name string) (string, bool) {
	val, ok := "", false
	for _, o := range opts {
		n, v, _ := strings.Cut(o, "=")
		if n == name {
			val, ok = v, true
		}
	}
	return val, ok
}

// checkOptions reports the first of opts that no subsystem defined.
func checkOptions(opts []string) error {
	optMu.Lock()
	defer optMu.Unlock()
	for _, o := range opts {
		n, _, _ := strings.Cut(o, "=")
		if _, ok := optDefs[n]; ok {
			continue
		}
		known := false
		for def := range optDefs {
			if strings.HasSuffix(def, ".") && strings.HasPrefix(n, def) {
				known = true
			}
		}
		if !known {
			names := make([]string, 0, len(optDefs))
			for _, d := range optDefs {
				names = append(names, "k42."+d.Name)
			}
			sort.Strings(names)
			return fmt.Errorf("unknown kernel option k42.%s (the kernel knows %s)", o, strings.Join(names, ", "))
		}
	}
	return nil
}

// ParseSize reads an option's SIZE: a number of bytes with an optional
// K, M, G or T suffix (powers of 1024), or a percentage of total (for
// example 25%).
func ParseSize(v string, total int64) (int64, error) {
	orig := v
	if p, ok := strings.CutSuffix(v, "%"); ok {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || n == 0 || n > 100 {
			return 0, fmt.Errorf("%q: want a percentage from 1%% to 100%%", v)
		}
		return total * int64(n) / 100, nil
	}
	shift := 0
	if n := len(v); n > 0 {
		if i := strings.IndexByte("KMGT", v[n-1]&^0x20); i >= 0 {
			shift, v = 10*(i+1), v[:n-1]
		}
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil || n == 0 || n > 1<<(62-shift) {
		return 0, fmt.Errorf("%q: want a size such as 64M, 1G or 25%%", orig)
	}
	return int64(n) << shift, nil
}
