package main

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// fig4: null hot-swaps of FCMs during 4-way SDET (the paper's Figure 4
// and §6.2). Four configurations, in turn each round, all with the
// default settings underneath:
//
//   - default: no swaps, SDET's throughput alone;
//   - swaps-contended: null swaps, back to back, of the FCMs of the four
//     largest files of the shared system tree, which every script reads
//     (the dictionary first): the swaps that meet requests inside the
//     FCM (their report shows calls forwarded, blocked or in flight) are
//     the paper's swaps "at points of high contention";
//   - swaps-10ms, swaps-1ms: a null swap of a random system-tree FCM at
//     random points, one every 10 ms or 1 ms on average (the swapper
//     sleeps an exponentially distributed time between swaps; a swap that
//     takes longer than the interval makes the rate lower, which the
//     figures say).
//
// Every swap's time is the mediator's own report of it (SwapReport.Total,
// read back from the control file); each is one record (metric
// swap_time, µs), with the requests in flight when the swap blocked, so
// that the host computes the histogram, mean, standard deviation, least
// and greatest from the JSON. A swap whose report shows calls forwarded,
// blocked or in flight met contention (metric swap_contended: 1 or 0).
func (b *bench) fig4() error {
	if b.ctl == nil {
		return fmt.Errorf("fig4 swaps k42's FCMs: it runs on k42 only")
	}
	e, err := b.setupSDET(4)
	if err != nil {
		return err
	}
	defer e.env.Close()
	files, err := systemFiles(e.env.System)
	if err != nil {
		return err
	}
	return b.rounds(func(cfg string) error {
		var during func() func() ([]figure, error)
		switch cfg {
		case "default":
		case "swaps-contended":
			during = b.contendedSwapper(files[:min(4, len(files))])
		case "swaps-10ms":
			during = b.randomSwapper(files, 10*time.Millisecond)
		case "swaps-1ms":
			during = b.randomSwapper(files, time.Millisecond)
		default:
			return fmt.Errorf("fig4: no configuration %q", cfg)
		}
		// The settings underneath every configuration are the default's.
		return b.sdetAs(e, "default", cfg, sdetName(4), 4, during)
	})
}

// sdetAs runs sdet under the settings of base, naming the results cfg.
func (b *bench) sdetAs(e *sdetEnv, base, cfg, workload string, n int, during func() func() ([]figure, error)) error {
	s, ok := settings[base]
	if !ok {
		return fmt.Errorf("no configuration %q", base)
	}
	return b.sdetWith(e, setting{cfg, s.commands}, workload, n, during)
}

// systemFiles lists the regular files of the shared tree, largest first.
func systemFiles(dir string) ([]string, error) {
	type sized struct {
		path string
		size int64
	}
	var fs_ []sized
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fs_ = append(fs_, sized{p, info.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(fs_) == 0 {
		return nil, fmt.Errorf("no files in the shared tree %s", dir)
	}
	sort.Slice(fs_, func(i, j int) bool { return fs_[i].size > fs_[j].size })
	out := make([]string, len(fs_))
	for i, f := range fs_ {
		out[i] = f.path
	}
	return out, nil
}

// maxSwapRecords bounds the per-swap records of one run.
const maxSwapRecords = 2000

// swapLog gathers one run's swaps.
type swapLog struct {
	mu     sync.Mutex
	swaps  []swapReport
	failed int
	err    error
}

func (l *swapLog) figures(elapsed time.Duration) []figure {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []figure
	for i, s := range l.swaps {
		if i == maxSwapRecords {
			break
		}
		contended := 0.0
		if s.forwarded+s.blocked+s.inFlight > 0 {
			contended = 1
		}
		out = append(out,
			figure{"swap_time", float64(s.total.Nanoseconds()) / 1e3, "µs", 1},
			figure{"swap_contended", contended, "bool", 1},
			figure{"swap_in_flight", float64(s.inFlight + s.blocked), "requests", 1})
	}
	out = append(out,
		figure{"swaps", float64(len(l.swaps)), "swaps", len(l.swaps)},
		figure{"swaps_per_s", float64(len(l.swaps)) / elapsed.Seconds(), "1/s", len(l.swaps)},
		figure{"swaps_failed", float64(l.failed), "swaps", l.failed})
	return out
}

// swap null-swaps path's FCM and logs the report. A file that has no FCM
// at the moment (ENOENT) or a swap that did not happen (EBUSY) counts as
// failed; the swap's answer is one line.
func (b *bench) swap(l *swapLog, path string) {
	out, err := b.ctl.do("swap fcm:" + path)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed++
		return
	}
	r, err := parseSwapReport(out)
	if err != nil {
		if l.err == nil {
			l.err = err
		}
		return
	}
	l.swaps = append(l.swaps, r)
}

// randomSwapper returns a during-hook that null-swaps a random file's FCM
// every interval on average, at exponentially distributed points.
func (b *bench) randomSwapper(files []string, interval time.Duration) func() func() ([]figure, error) {
	return func() func() ([]figure, error) {
		l := &swapLog{}
		done := make(chan struct{})
		var wg sync.WaitGroup
		t0 := time.Now()
		rng := rand.New(rand.NewPCG(uint64(b.round), 4))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				wait := time.Duration(rng.ExpFloat64() * float64(interval))
				select {
				case <-done:
					return
				case <-time.After(wait):
				}
				b.swap(l, files[rng.IntN(len(files))])
			}
		}()
		return func() ([]figure, error) {
			close(done)
			wg.Wait()
			return l.figures(time.Since(t0)), l.err
		}
	}
}

// contendedSwapper returns a during-hook that null-swaps hot's FCMs (the
// shared tree's largest files, which every script reads) one after
// another, back to back, for the whole run: the swaps meet whatever
// requests are inside those FCMs at the moment. Each swap's own report
// says whether it met contention (calls forwarded, blocked or in flight);
// the histogram is of those that did. (A program polling an in-flight
// counter through the control file takes milliseconds a poll under TCG,
// longer than an FCM holds a request, so it would rarely see one.)
func (b *bench) contendedSwapper(hot []string) func() func() ([]figure, error) {
	return func() func() ([]figure, error) {
		l := &swapLog{}
		done := make(chan struct{})
		var wg sync.WaitGroup
		t0 := time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				b.swap(l, hot[i%len(hot)])
			}
		}()
		return func() ([]figure, error) {
			close(done)
			wg.Wait()
			return l.figures(time.Since(t0)), l.err
		}
	}
}
