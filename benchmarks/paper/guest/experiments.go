package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"k42/benchmarks/measure"
	"k42/benchmarks/workloads/postmark"
	"k42/benchmarks/workloads/sdet"
)

// The workloads' sizes. The full ones are the paper's (Postmark's two
// presets; SDET's default model); -quick scales them down so that
// make bench-quick runs every experiment in a few minutes.
func (b *bench) postmarkConfig(preset string) (postmark.Config, error) {
	c, err := postmark.Preset(preset)
	if err != nil {
		return c, err
	}
	if b.o.quick || b.warming {
		switch preset {
		case "1k":
			c = c.Scale(0.2) // 200 files, 2,000 transactions
		case "10k":
			c = c.Scale(0.05) // 500 files, 2,500 transactions
		}
	}
	return c, nil
}

func (b *bench) sdetConfig(scripts int) sdet.Config {
	c := sdet.Config{Scripts: scripts, Seed: 42}
	if b.o.quick {
		c.SourceFiles = 80
		c.SystemFiles = 60
	}
	return c
}

// postmark runs one Postmark under configuration cfg and emits what
// PostMark reports.
func (b *bench) postmark(cfg, preset string) error {
	c, err := b.postmarkConfig(preset)
	if err != nil {
		return err
	}
	name, err := b.configure(cfg)
	if err != nil {
		return err
	}
	workload := "postmark-" + preset
	dir, err := os.MkdirTemp(b.o.dir, "postmark-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	prog := b.progress(workload, name)
	phases := map[string]int{"create": 0, "transactions": 1, "delete": 2}
	before, _ := readPagecache()
	t0 := time.Now()
	r, err := postmark.Run(dir, c, func(phase string, done, total int) {
		prog(phases[phase]*total+done, 3*total)
	})
	if err != nil {
		return fmt.Errorf("%s under %s: %w", workload, name, err)
	}
	return b.emitRun(name, workload, r.Metrics(), r.Transactions, before, t0, nil)
}

// emitRun writes one run's figures: the workload's metrics (of n
// operations), then on k42 the page cache's misses and evictions since
// before, then extra (a swapper's, a stream's), then how many swaps each
// adaptive policy decided since t0, when the run began.
func (b *bench) emitRun(name, workload string, metrics []measure.Metric, n int, before pagecacheCounters, t0 time.Time, extra []figure) error {
	after, onK42 := readPagecache()
	for _, m := range metrics {
		b.emit(name, workload, m.Name, m.Value, m.Unit, n)
	}
	if onK42 {
		b.emit(name, workload, "pagecache_misses", float64(after.misses-before.misses), "pages", 1)
		b.emit(name, workload, "pagecache_evictions", float64(after.evictions-before.evictions), "pages", 1)
	}
	for _, f := range extra {
		b.emit(name, workload, f.metric, f.value, f.unit, f.n)
	}
	if b.ctl == nil {
		return nil
	}
	swaps, err := b.ctl.policySwaps(t0)
	if err != nil {
		return err
	}
	for _, p := range []string{"sessions", "sharing", "sequential"} {
		b.emit(name, workload, "policy_swaps/"+p, float64(swaps[p]), "swaps", swaps[p])
	}
	return nil
}

// sdetEnv is the SDET trees of one boot, made once and shared by every
// configuration's runs.
type sdetEnv struct {
	env  *sdet.Env
	conf sdet.Config
}

func (b *bench) setupSDET(scripts int) (*sdetEnv, error) {
	c := b.sdetConfig(scripts)
	root := filepath.Join(b.o.dir, "sdet")
	fmt.Fprintf(b.log, "%s: SDET: making the source and system trees in %s\n", b.o.exp, root)
	env, err := sdet.Setup(root, c)
	if err != nil {
		return nil, err
	}
	return &sdetEnv{env, c}, nil
}

// sdet runs an n-way SDET (n scripts, the runtime limited to n CPUs)
// under configuration cfg and emits scripts per hour; workload names it.
// During the run, during (when not nil) runs alongside and its figures
// are emitted with the run's.
func (b *bench) sdet(e *sdetEnv, cfg, workload string, n int, during func() func() ([]figure, error)) error {
	s, ok := settings[cfg]
	if !ok && b.ctl != nil {
		return fmt.Errorf("no configuration %q", cfg)
	}
	if !ok {
		s = setting{name: cfg}
	}
	return b.sdetWith(e, s, workload, n, during)
}

// sdetWith is sdet under setting s.
func (b *bench) sdetWith(e *sdetEnv, s setting, workload string, n int, during func() func() ([]figure, error)) error {
	name, err := b.configureAs(s)
	if err != nil {
		return err
	}
	c := e.conf
	c.Scripts = n
	old := runtime.GOMAXPROCS(min(n, runtime.NumCPU()))
	defer runtime.GOMAXPROCS(old)
	before, _ := readPagecache()
	t0 := time.Now()
	var stop func() ([]figure, error)
	if during != nil {
		stop = during()
	}
	r, err := sdet.Run(e.env, c, b.progress(workload, name))
	var extra []figure
	if stop != nil {
		var serr error
		extra, serr = stop()
		if err == nil {
			err = serr
		}
	}
	if err != nil {
		return fmt.Errorf("%s under %s: %w", workload, name, err)
	}
	return b.emitRun(name, workload, r.Metrics(), r.Scripts, before, t0, extra)
}

// figure is one more figure of a run (a swapper's, a stream's).
type figure struct {
	metric string
	value  float64
	unit   string
	n      int
}

func sdetName(n int) string { return "sdet-" + strconv.Itoa(n) }

// fig5: single against replicated FCMs (and the adaptive policy) under
// Postmark's second preset and 1-, 2- and 4-way SDET.
func (b *bench) fig5() error {
	e, err := b.setupSDET(4)
	if err != nil {
		return err
	}
	defer e.env.Close()
	return b.roundsWarm(func(cfg string) error {
		if err := b.postmark(cfg, "10k"); err != nil {
			return err
		}
		for _, n := range []int{1, 2, 4} {
			if err := b.sdet(e, cfg, sdetName(n), n, nil); err != nil {
				return err
			}
		}
		return nil
	}, b.warmUp(e))
}

// warmUp is the warm-up run of the experiments with Postmark and SDET: a
// small Postmark (the -quick size of its second preset) and one script.
func (b *bench) warmUp(e *sdetEnv) func(cfg string) error {
	return func(cfg string) error {
		if err := b.postmark(cfg, "10k"); err != nil {
			return err
		}
		return b.sdet(e, cfg, sdetName(1), 1, nil)
	}
}

// fig6: Postmark's first preset under the default (shared sessions),
// exclusive sessions, the small-file cache and adaptive.
func (b *bench) fig6() error {
	return b.rounds(func(cfg string) error { return b.postmark(cfg, "1k") })
}

// linux: the workloads set beside Linux: both Postmark presets and 1-,
// 2- and 4-way SDET, k42 adaptive (on Linux, the kernel as it is).
func (b *bench) linux() error {
	e, err := b.setupSDET(4)
	if err != nil {
		return err
	}
	defer e.env.Close()
	return b.roundsWarm(func(cfg string) error {
		for _, p := range []string{"1k", "10k"} {
			if err := b.postmark(cfg, p); err != nil {
				return err
			}
		}
		for _, n := range []int{1, 2, 4} {
			if err := b.sdet(e, cfg, sdetName(n), n, nil); err != nil {
				return err
			}
		}
		return nil
	}, b.warmUp(e))
}

// fig7: 1-way SDET while 0, 1, 2, 4 and 8 streaming readers read files
// larger than the page cache, once each pass, with the default FCM and
// with the adaptive sequential replacement; the page cache's misses too.
// The readers start before SDET and read the cache's budget first, as
// fast as they can, so that SDET meets the cache in its steady state
// (full of stream pages with the default FCM); then they read at a fixed
// pace (-stream-rate, as media players do) while SDET runs its mix
// several times (Repeat), so that a run lasts long enough for the readers
// to matter. The pace puts the same load on the disk, which SDET's files
// share with the streams, under both FCMs. Unpaced (-stream-rate 0), the
// sequential FCM's readers, which never wait for the pager, read about 19
// times as much as the default's and SDET's misses queued behind them
// (SDET-1 at 4 streams about 0.1x the default, with fewer misses; one
// unrecorded run), which measured the disk's queue, not the page cache
// the figure is about.
func (b *bench) fig7() error {
	e, err := b.setupSDET(1)
	if err != nil {
		return err
	}
	defer e.env.Close()
	e.conf.Repeat = 3
	if b.o.quick {
		e.conf.Repeat = 2
	}
	most := 0
	for _, n := range b.o.streams {
		most = max(most, n)
	}
	size, budget := b.streamSize()
	var paths []string
	if most > 0 {
		fmt.Fprintf(b.log, "fig7: writing %d stream files of %d MiB in %s\n", most, size>>20, b.o.streamDir)
		t0 := time.Now()
		if paths, err = sdet.MakeStreamFiles(filepath.Join(b.o.streamDir, "streams"), most, size); err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Join(b.o.streamDir, "streams"))
		syscall.Sync()
		fmt.Fprintf(b.log, "fig7: stream files written and synced in %.1f s\n", time.Since(t0).Seconds())
	}
	run := func(cfg string, n int) error {
		// The run before's writes go to the disk first, so that no run
		// waits for another's write-back.
		syscall.Sync()
		workload := sdetName(1) + "+streams-" + strconv.Itoa(n)
		// Every run starts from the same cache: emptied, then SDET's
		// working set in it as it is after SDET has run alone (a pass not
		// recorded), so that what a run's streams do to the cache is the
		// run's own and not the run's before (the default FCM's streams
		// leave the cache full of their pages, and the pager, asking every
		// FCM in turn, takes SDET's pages too as long as they are there).
		if b.ctl != nil {
			if _, err := b.ctl.do("pagecache drop"); err != nil {
				return err
			}
		}
		warming := b.warming
		b.warming = true
		err := b.sdet(e, cfg, workload, 1, nil)
		b.warming = warming
		if err != nil {
			return err
		}
		var during func() func() ([]figure, error)
		if n > 0 {
			during = func() func() ([]figure, error) {
				s := sdet.StartStreams(paths[:n], 64<<10)
				t0 := time.Now()
				for s.Snapshot().Bytes < budget && time.Since(t0) < 60*time.Second {
					time.Sleep(50 * time.Millisecond)
				}
				s.Pace(b.o.streamRate)
				warm := s.Snapshot().Bytes
				return func() ([]figure, error) {
					r := s.Stop()
					return []figure{{"stream_bytes", float64(r.Bytes - warm), "B", n}, {"stream_passes", float64(r.Passes), "passes", n}}, r.Err
				}
			}
		}
		return b.sdet(e, cfg, workload, 1, during)
	}
	return b.roundsWarm(func(cfg string) error {
		for _, n := range b.o.streams {
			if err := run(cfg, n); err != nil {
				return err
			}
		}
		return nil
	}, func(cfg string) error { return run(cfg, 0) })
}

// streamSize is each streamed file's size, larger than the page cache's
// budget (read from /proc/k42/pagecache on k42) by half, and the budget
// in bytes; 64 MiB and 32 MiB where it is not known.
func (b *bench) streamSize() (size, budget int64) {
	budget = 32 << 20
	if raw, err := os.ReadFile("/proc/k42/pagecache"); err == nil {
		if pages, ok := counter(string(raw), "budget"); ok {
			budget = pages * 4096
		}
	}
	return budget * 3 / 2, budget
}
