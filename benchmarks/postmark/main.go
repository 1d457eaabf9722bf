// Command postmark runs the PostMark file-system benchmark
// (benchmarks/workloads/postmark) in a fresh directory under -dir and
// prints PostMark's summary to stderr; with -json, also one JSON line a
// figure to stdout (measure's records: experiment "postmark", workload
// "postmark-<preset>", or "postmark-custom" when the flags change the
// preset's configuration, with "-nway<N>" after it when -n is above 1).
// It runs unchanged as k42's program and as a process on Linux.
//
//	postmark [-preset 1k|10k] [-dir DIR] [-files N] [-transactions N]
//	         [-min B] [-max B] [-read-block B] [-write-block B]
//	         [-read-bias N] [-create-bias N] [-subdirs N] [-seed N]
//	         [-n WAYS] [-scale F] [-json]
//
// The flags of the configuration override the preset's fields (-scale
// multiplies the files and transactions last); -n runs that many
// instances at once, each in its own directory with its own seed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"k42/benchmarks/measure"
	"k42/benchmarks/workloads/postmark"
	"os"
	"strconv"
	"strings"
)

type options struct {
	preset   string
	dir      string
	config   postmark.Config
	workload string // the records' workload name
	n        int
	scale    float64
	json     bool
}

// flagSet returns the command's flags, set into o (the configuration's
// flags into cf, to be copied over the preset's fields they name).
func flagSet(o *options, cf *postmark.Config) *flag.FlagSet {
	fs := flag.NewFlagSet("postmark", flag.ContinueOnError)
	fs.StringVar(&o.preset, "preset", "1k", "configuration to start from: "+strings.Join(postmark.Presets(), " or "))
	fs.StringVar(&o.dir, "dir", "/tmp", "directory to run in (in a fresh subdirectory)")
	fs.IntVar(&cf.Files, "files", 0, "files in the initial pool")
	fs.IntVar(&cf.Transactions, "transactions", 0, "transactions")
	fs.IntVar(&cf.MinSize, "min", 0, "least file size, bytes")
	fs.IntVar(&cf.MaxSize, "max", 0, "greatest file size, bytes")
	fs.IntVar(&cf.ReadBlock, "read-block", 0, "bytes a read call")
	fs.IntVar(&cf.WriteBlock, "write-block", 0, "bytes a write call")
	fs.IntVar(&cf.ReadBias, "read-bias", 0, "chance in tenths of a read rather than an append (0-10)")
	fs.IntVar(&cf.CreateBias, "create-bias", 0, "chance in tenths of a create rather than a delete (0-10)")
	fs.IntVar(&cf.Subdirs, "subdirs", 0, "subdirectories the files are spread over")
	fs.Uint64Var(&cf.Seed, "seed", 0, "random seed")
	fs.IntVar(&o.n, "n", 1, "instances run at once")
	fs.Float64Var(&o.scale, "scale", 1, "multiply files and transactions by this")
	fs.BoolVar(&o.json, "json", false, "print one JSON line a figure to stdout")
	return fs
}

func parseArgs(args []string) (options, error) {
	var o options
	var cf postmark.Config
	fs := flagSet(&o, &cf)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c, err := postmark.Preset(o.preset)
	if err != nil {
		return o, err
	}
	preset := c
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "files":
			c.Files = cf.Files
		case "transactions":
			c.Transactions = cf.Transactions
		case "min":
			c.MinSize = cf.MinSize
		case "max":
			c.MaxSize = cf.MaxSize
		case "read-block":
			c.ReadBlock = cf.ReadBlock
		case "write-block":
			c.WriteBlock = cf.WriteBlock
		case "read-bias":
			c.ReadBias = cf.ReadBias
		case "create-bias":
			c.CreateBias = cf.CreateBias
		case "subdirs":
			c.Subdirs = cf.Subdirs
		case "seed":
			c.Seed = cf.Seed
		}
	})
	if !(o.scale > 0) {
		return o, fmt.Errorf("-scale %v: must be above 0", o.scale)
	}
	if o.scale != 1 {
		c = c.Scale(o.scale)
	}
	if err := c.Validate(); err != nil {
		return o, err
	}
	if o.n < 1 {
		return o, fmt.Errorf("-n %d: must be at least 1", o.n)
	}
	o.config = c
	o.workload = "postmark-" + o.preset
	if c != preset {
		o.workload = "postmark-custom"
	}
	if o.n > 1 {
		o.workload += "-nway" + strconv.Itoa(o.n)
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fs := flagSet(new(options), new(postmark.Config))
		fmt.Fprintln(os.Stderr, "usage: postmark [flags]")
		fs.PrintDefaults()
		os.Exit(0)
	}
	if err != nil {
		fail(err, 2)
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fail(err, 1)
	}
}

// fail prints err as one line, "postmark: " before it once, and exits.
func fail(err error, status int) {
	msg := err.Error()
	if !strings.HasPrefix(msg, "postmark: ") {
		msg = "postmark: " + msg
	}
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(status)
}

// run runs the benchmark as o says, the summary and progress to log, the
// JSON lines (with -json) to out.
func run(o options, out, log io.Writer) error {
	dir, err := os.MkdirTemp(o.dir, "postmark-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	last := map[string]int{}
	progress := func(phase string, done, total int) {
		tenth := 10
		if total > 0 {
			tenth = 10 * done / total
		}
		if l, ok := last[phase]; !ok || tenth > l {
			last[phase] = tenth
			fmt.Fprintf(log, "postmark: %s %d%% (%d/%d)\n", phase, tenth*10, done, total)
		}
	}
	fmt.Fprintf(log, "postmark: %s in %s\n", o.workload, dir)
	var r postmark.Report
	if o.n == 1 {
		r, err = postmark.Run(dir, o.config, progress)
	} else {
		r, _, err = postmark.RunN(dir, o.config, o.n, progress)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(log, r)
	if o.json {
		e := measure.NewEmitter(out, "postmark")
		for _, m := range r.Metrics() {
			e.Emit(o.workload, m.Name, m.Value, m.Unit, r.Transactions)
		}
	}
	return nil
}
