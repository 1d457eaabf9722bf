// Command sdet runs the SDET multi-user software-development benchmark
// (benchmarks/workloads/sdet): it sets up the shared system tree and the
// template in -dir, runs -scripts scripts at once (N-way SDET), prints a
// summary on stderr and, with -json, one JSON line a figure on stdout
// (measure's records: experiment "sdet", workload "sdet-<N>", or
// "sdet-<N>+streams-<M>" with -streams), then removes what it made. It
// runs unchanged as k42's program and as a process on Linux.
//
//	sdet [-dir DIR] [-scripts N] [-seed N] [-source-files N]
//	     [-system-files N] [-repeat K] [-streams M -stream-size BYTES
//	     -stream-dir DIR -stream-block BYTES] [-json]
//
// Figures: scripts_per_hour (the SDET figure, scripts/h), elapsed (s),
// subtasks_per_s and fs_ops_per_s (1/s); with -streams, also
// stream_mb_per_s (MB/s, all readers) and stream_passes, for the
// sequential readers of M files of -stream-size bytes that run beside
// the scripts, from before the first starts to after the last ends.
// Sizes take a K, M or G suffix (KiB, MiB, GiB).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"k42/benchmarks/measure"
	"k42/benchmarks/workloads/sdet"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type options struct {
	dir         string
	config      sdet.Config
	streams     int
	streamSize  byteSize
	streamDir   string // "" for dir/streams
	streamBlock byteSize
	json        bool
}

// workload is the records' workload name.
func (o options) workload() string {
	w := "sdet-" + strconv.Itoa(o.config.Scripts)
	if o.streams > 0 {
		w += "+streams-" + strconv.Itoa(o.streams)
	}
	return w
}

// byteSize is a flag's size in bytes, with an optional K, M or G suffix.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return errors.New("not a size in bytes (digits, and K, M or G after them)")
	}
	*b = byteSize(n * mult)
	return nil
}

// flagSet returns the command's flags, set into o.
func flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("sdet", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", "/tmp/sdet", "directory to set up and run in")
	fs.IntVar(&o.config.Scripts, "scripts", runtime.GOMAXPROCS(0), "scripts run at once (N-way SDET)")
	fs.Uint64Var(&o.config.Seed, "seed", 1, "random seed of the trees and the scripts")
	fs.IntVar(&o.config.SourceFiles, "source-files", sdet.DefaultSourceFiles, "files in the template source tree")
	fs.IntVar(&o.config.SystemFiles, "system-files", sdet.DefaultSystemFiles, "files in the shared system tree")
	fs.IntVar(&o.config.Repeat, "repeat", 1, "times each script runs the mix")
	fs.IntVar(&o.streams, "streams", 0, "sequential readers run beside the scripts, a file each")
	o.streamSize = 64 << 20
	fs.Var(&o.streamSize, "stream-size", "bytes of each streamed file")
	fs.StringVar(&o.streamDir, "stream-dir", "", "directory of the streamed files (default DIR/streams)")
	o.streamBlock = sdet.DefaultStreamBlock
	fs.Var(&o.streamBlock, "stream-block", "bytes a streaming read")
	fs.BoolVar(&o.json, "json", false, "print one JSON line a figure to stdout")
	return fs
}

func parseArgs(args []string) (options, error) {
	var o options
	fs := flagSet(&o)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.config.Repeat < 1 {
		return o, fmt.Errorf("-repeat %d: must be at least 1", o.config.Repeat)
	}
	if err := o.config.Validate(); err != nil {
		return o, err
	}
	if o.streams < 0 {
		return o, fmt.Errorf("-streams %d: must not be negative", o.streams)
	}
	if o.streams > 0 && o.streamSize < 1 {
		return o, errors.New("-stream-size: must be at least 1 byte")
	}
	if o.streamBlock < 1 || o.streamBlock > 1<<30 {
		return o, fmt.Errorf("-stream-block %d: must be 1 to 1G", o.streamBlock)
	}
	if o.dir == "" {
		return o, errors.New("-dir: must not be empty")
	}
	if o.streamDir == "" {
		o.streamDir = filepath.Join(o.dir, "streams")
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fs := flagSet(new(options))
		fs.SetOutput(os.Stderr)
		fmt.Fprintln(os.Stderr, "usage: sdet [flags]")
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

// fail prints err as one line, "sdet: " before it once, and exits.
func fail(err error, status int) {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	if !strings.HasPrefix(msg, "sdet: ") {
		msg = "sdet: " + msg
	}
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(status)
}

// run runs the benchmark as o says, the summary and progress to log, the
// JSON lines (with -json) to out.
func run(o options, out, log io.Writer) (err error) {
	c := o.config
	t0 := time.Now()
	env, err := sdet.Setup(o.dir, c)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := env.Close(); err == nil {
			err = cerr
		}
	}()
	fmt.Fprintf(log, "sdet: set up %d source and %d system files in %s (%v)\n",
		env.Config.SourceFiles, env.Config.SystemFiles, o.dir, time.Since(t0).Round(time.Millisecond))

	var streams *sdet.Streams
	if o.streams > 0 {
		madeDir := false
		if _, err := os.Stat(o.streamDir); errors.Is(err, fs.ErrNotExist) {
			madeDir = true
		}
		paths, err := sdet.MakeStreamFiles(o.streamDir, o.streams, int64(o.streamSize))
		defer func() {
			for _, p := range paths {
				os.Remove(p)
			}
			if madeDir {
				os.Remove(o.streamDir)
			}
		}()
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "sdet: %d stream files of %d bytes in %s\n", o.streams, o.streamSize, o.streamDir)
		streams = sdet.StartStreams(paths, int(o.streamBlock))
	}

	last := 0
	progress := func(done, total int) {
		if tenth := 10 * done / total; tenth > last {
			last = tenth
			fmt.Fprintf(log, "sdet: %d%% (%d/%d commands)\n", tenth*10, done, total)
		}
	}
	fmt.Fprintf(log, "sdet: %s: %d scripts of %d commands\n", o.workload(), c.Scripts, c.CommandsPerScript())
	r, runErr := sdet.Run(env, c, progress)
	var sr sdet.StreamReport
	if streams != nil {
		sr = streams.Stop()
	}
	if runErr != nil {
		return runErr
	}
	if sr.Err != nil {
		return sr.Err
	}
	fmt.Fprintf(log, "sdet: %v\n", r)
	if streams != nil {
		fmt.Fprintf(log, "sdet: streams: %d readers, %d passes, %d MiB in %v: %.1f MB/s\n",
			len(sr.Streams), sr.Passes, sr.Bytes>>20, sr.Elapsed.Round(time.Millisecond), sr.MBPerSecond())
	}
	if o.json {
		e := measure.NewEmitter(out, "sdet")
		for _, m := range r.Metrics() {
			e.Emit(o.workload(), m.Name, m.Value, m.Unit, r.Scripts)
		}
		if streams != nil {
			e.Emit(o.workload(), "stream_mb_per_s", sr.MBPerSecond(), "MB/s", len(sr.Streams))
			e.Emit(o.workload(), "stream_passes", float64(sr.Passes), "passes", len(sr.Streams))
		}
	}
	return nil
}
