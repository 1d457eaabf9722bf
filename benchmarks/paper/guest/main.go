// Command guest runs the paper's experiments (§6: Figures 4 to 7, and the
// same workloads for the comparison with Linux) inside one boot: on k42
// as its program (bin/k42 -app ./benchmarks/paper/guest), on Linux as a
// process under the same QEMU (benchmarks/linux -app). It runs each
// experiment's configurations in turn, round after round, so that every
// ratio compares runs of one boot made close together; on k42 it selects
// each configuration through the control file /proc/k42/ctl (policies,
// the FCM factory) and reads the page cache's counters from
// /proc/k42/pagecache; on Linux every run is one configuration, named by
// -as. The host side is benchmarks/paper.
//
//	guest -exp fig4|fig5|fig6|fig7|linux [-quick] [-rounds N] [-dir DIR] [-store tmpfs|disk] [-configs A,B] [-streams 0,1,2,4,8] [-stream-dir DIR]
//
// Each figure is one JSON line in the results format, with the
// experiment, the configuration (default, exclusive, smallfile, single,
// replicated, sequential, adaptive; NAME-disk on k42's disk; on Linux
// linux-tmpfs or linux-ext4, by -store), the workload
// (postmark-1k, postmark-10k, sdet-4, sdet-1+streams-2), the metric, the
// value, the unit, and the round. Progress (experiment, workload,
// configuration, percentage) goes to standard error.
//
// Execution context: an ordinary Go program; standard library only
// beyond the workloads.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

type options struct {
	exp       string
	quick     bool
	rounds    int
	dir       string
	store     string   // tmpfs (k42's memory store, Linux's tmpfs) or disk (k42's file system on the disk, Linux's ext4)
	configs   []string // k42: the configurations to run, in turn
	streams   []int    // fig7: streaming readers
	streamDir string   // fig7: where the streamed files are
	// fig7: bytes per second each reader reads at once the cache is full
	// of its pages (0: as fast as it can)
	streamRate int64
}

// experiments are the experiments and their k42 configurations, in the
// order each round runs them.
var experiments = map[string][]string{
	"fig4":  {"default", "swaps-contended", "swaps-10ms", "swaps-1ms"},
	"fig5":  {"single", "replicated", "adaptive-fcm"},
	"fig6":  {"default", "exclusive", "smallfile", "smallfile-16k", "adaptive"},
	"fig7":  {"default", "sequential"},
	"linux": {"adaptive"},
}

// defaultStreamRate is a fig7 reader's pace: 256 KiB/s, a 2 Mbit/s
// media stream; 8 readers take half of fig7's 4 MiB/s disk.
const defaultStreamRate = 256 << 10

func parseArgs(args []string) (options, error) {
	fs := flag.NewFlagSet("guest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	fs.StringVar(&o.exp, "exp", "", "the experiment: fig4, fig5, fig6, fig7 or linux")
	fs.BoolVar(&o.quick, "quick", false, "the reduced workloads of make bench-quick")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds of every configuration (default 5 for fig5 and fig6, 3 for the others; -quick 1)")
	fs.StringVar(&o.dir, "dir", "/tmp", "the directory the workloads run in")
	fs.StringVar(&o.store, "store", "tmpfs", "what DIR is on, which names the configurations: tmpfs (k42's memory store; Linux: linux-tmpfs) or disk (k42's file system on the virtio disk, configurations NAME-disk; Linux's ext4 on it: linux-ext4)")
	configs := fs.String("configs", "", "k42: comma-separated configurations (default: the experiment's)")
	streams := fs.String("streams", "", "fig7: comma-separated numbers of streaming readers (default 0,1,2,4,8; -quick 0,2,4)")
	fs.StringVar(&o.streamDir, "stream-dir", "", "fig7: the directory of the streamed files (default DIR)")
	fs.Int64Var(&o.streamRate, "stream-rate", defaultStreamRate, "fig7: bytes per second each streaming reader reads at during SDET's run (0: as fast as it can)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	def, ok := experiments[o.exp]
	if !ok {
		return o, fmt.Errorf("-exp %q: want fig4, fig5, fig6, fig7 or linux", o.exp)
	}
	o.configs = def
	if *configs != "" {
		o.configs = strings.Split(*configs, ",")
		for _, c := range o.configs {
			if _, ok := settings[c]; !ok && !strings.HasPrefix(c, "swaps-") {
				return o, fmt.Errorf("-configs: no configuration %q", c)
			}
		}
	}
	if o.rounds == 0 {
		// Five rounds where the goal is a median of five (the adaptive
		// configuration against the fixed ones); three for the others.
		o.rounds = map[string]int{"fig4": 3, "fig5": 5, "fig6": 5, "fig7": 3, "linux": 3}[o.exp]
		if o.quick {
			o.rounds = 1
		}
	}
	if o.rounds < 1 {
		return o, errors.New("-rounds must be at least 1")
	}
	o.streams = []int{0, 1, 2, 4, 8}
	if o.quick {
		o.streams = []int{0, 2, 4}
	}
	if *streams != "" {
		o.streams = nil
		for _, w := range strings.Split(*streams, ",") {
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 {
				return o, fmt.Errorf("-streams: %q is not a number of readers", w)
			}
			o.streams = append(o.streams, n)
		}
	}
	if o.streamRate < 0 {
		return o, fmt.Errorf("-stream-rate %d: want bytes per second, 0 or more", o.streamRate)
	}
	if o.streamDir == "" {
		o.streamDir = o.dir
	}
	if o.store != "tmpfs" && o.store != "disk" {
		return o, fmt.Errorf("-store %q: want tmpfs or disk", o.store)
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "guest:", err)
		os.Exit(2)
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "guest:", err)
		os.Exit(1)
	}
}

// record is one figure in the results format (without the run's context,
// which the host adds).
type record struct {
	Experiment string  `json:"experiment"`
	Config     string  `json:"config"`
	Workload   string  `json:"workload"`
	Metric     string  `json:"metric"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	N          int     `json:"n,omitempty"`
	Round      int     `json:"round,omitempty"`
}

// bench is one boot's run: where the records go, the control file (nil
// on Linux), the options.
type bench struct {
	o     options
	ctl   *control
	enc   *json.Encoder
	log   io.Writer
	round int
	// warming: the warm-up run, whose figures are not written.
	warming bool
}

func run(o options, stdout, stderr io.Writer) error {
	ctl, onK42, err := openControl()
	if err != nil {
		return err
	}
	b := &bench{o: o, ctl: ctl, enc: json.NewEncoder(stdout), log: stderr}
	if !onK42 {
		// Linux: one configuration, the kernel's file system.
		b.o.configs = []string{map[string]string{"tmpfs": "linux-tmpfs", "disk": "linux-ext4"}[o.store]}
	}
	switch o.exp {
	case "fig4":
		return b.fig4()
	case "fig5":
		return b.fig5()
	case "fig6":
		return b.fig6()
	case "fig7":
		return b.fig7()
	case "linux":
		return b.linux()
	}
	return fmt.Errorf("no experiment %q", o.exp)
}

// emit writes one figure of configuration cfg.
func (b *bench) emit(cfg, workload, metric string, value float64, unit string, n int) {
	if b.warming {
		return
	}
	b.enc.Encode(record{b.o.exp, cfg, workload, metric, value, unit, n, b.round})
}

// configure selects configuration name (on k42) and returns the name the
// results give it.
func (b *bench) configure(name string) (string, error) {
	if b.ctl == nil {
		return name, nil
	}
	s, ok := settings[name]
	if !ok {
		return "", fmt.Errorf("no configuration %q", name)
	}
	return b.configureAs(s)
}

// configureAs selects setting s (on k42) and returns the name the
// results give it.
func (b *bench) configureAs(s setting) (string, error) {
	if b.ctl == nil {
		return s.name, nil
	}
	named := s.name
	if b.o.store == "disk" && b.o.exp == "linux" {
		named += "-disk" // beside linux-ext4; fig7 is on the disk throughout
	}
	return named, b.ctl.apply(s)
}

// progress returns a progress reporter for one run, printing a line on
// each tenth of the way.
func (b *bench) progress(workload, cfg string) func(done, total int) {
	last := -1
	return func(done, total int) {
		if total <= 0 {
			return
		}
		pct := 100 * done / total
		if pct/10 != last/10 || done == total {
			last = pct
			fmt.Fprintf(b.log, "%s: %s %s round %d/%d: %d%%\n", b.o.exp, workload, cfg, b.round, b.o.rounds, pct)
		}
	}
}

// rounds runs each configuration's run once a round, in turn, after a
// warm-up run of the first configuration whose figures are dropped: the
// first run of a boot is slower than the rest (the Go heap grows to its
// working size, the file-system servers start their threads, the first
// touches of memory fault its pages in), and it would count against
// whichever configuration came first.
func (b *bench) rounds(each func(cfg string) error) error { return b.roundsWarm(each, each) }

// roundsWarm is rounds with a warm-up run of its own.
func (b *bench) roundsWarm(each, warm func(cfg string) error) error {
	b.round, b.warming = 0, true
	fmt.Fprintf(b.log, "%s: warm-up run (%s, not recorded)\n", b.o.exp, b.o.configs[0])
	err := warm(b.o.configs[0])
	b.warming = false
	if err != nil {
		return err
	}
	for r := 1; r <= b.o.rounds; r++ {
		b.round = r
		for _, c := range b.o.configs {
			if err := each(c); err != nil {
				return err
			}
		}
	}
	return nil
}
