// Package fcmbench is the FCMs' benchmark suite (the page-cache issue's
// figures): a cached-page lookup, CPUs reading one shared file, a create
// and delete loop, memory per FCM, null swaps of an FCM idle and under
// load, and a factory upgrade of many FCMs in use, each under the single
// and the replicated FCM where the comparison is the point. It is
// portable: the kernel's test image runs it on its CPUs (kernel/kbench,
// the boot argument bench) and the host can run it too. Each figure goes
// to an Emit function in the results format's terms.
//
// Execution context: ordinary Go goroutines; never in an image other
// than the test image.
package fcmbench

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k42/fs"
	"k42/mm/fcm"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// Emit records one figure.
type Emit func(workload, metric string, n int, value float64, unit string)

// Config sizes the suite.
type Config struct {
	Platform platform.Platform
	CPUs     int              // readers of the shared file
	Clock    func() time.Time // the file systems' clock (time.Now if nil; the kernel's reads the timebase)
	Short    bool
}

// rig is a private file system over FCMs.
type rig struct {
	tab  *reconfig.Table
	dom  *generation.Domain
	m    *fcm.Manager
	fsys *fs.FS
}

// newRig makes a rig on cfg's platform and clock whose factory makes impl,
// with a cache of budget bytes.
func newRig(cfg Config, impl string, budget int64) (*rig, error) {
	d, err := generation.New(cfg.Platform, 2)
	if err != nil {
		return nil, err
	}
	tab := reconfig.NewTable(d)
	m, limit, err := fcm.NewInMemory(tab, budget, 512<<20, impl)
	if err != nil {
		return nil, err
	}
	return &rig{tab: tab, dom: d, m: m, fsys: fs.New(fs.Options{Clock: cfg.Clock, Pages: limit, Data: m.DataFactory()})}, nil
}

func (r *rig) close() { r.m.Cache().Close() }

// load runs cpus goroutines, each calling op(g, i) for i = 0, 1, ... as a
// request of the rig's domain (as each system call served is one), until
// the returned stop is called; stop waits for them and returns the calls
// made and how many failed.
func (r *rig) load(cpus int, op func(g, i int) error) (stop func() (calls, errs int64)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var n, bad atomic.Int64
	for g := range cpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				var err error
				r.dom.Do(func() { err = op(g, i) })
				if err != nil {
					bad.Add(1)
				}
				n.Add(1)
			}
		}()
	}
	return func() (int64, int64) {
		close(done)
		wg.Wait()
		return n.Load(), bad.Load()
	}
}

func (r *rig) create(path string, size int) (*fcm.File, error) {
	f, err := r.fsys.OpenAt(nil, path, syscall.O_CREAT|syscall.O_TRUNC|syscall.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, size)); err != nil {
		return nil, err
	}
	d, _ := f.Node().Data().(*fcm.File)
	return d, nil
}

// Run runs the suite.
func Run(cfg Config, emit Emit) error {
	for _, b := range []func(Config, Emit) error{lookupHit, sharedRead, createDelete, memory, nullSwaps, upgrade} {
		if err := b(cfg, emit); err != nil {
			return err
		}
	}
	return nil
}

// lookupHit: one reader, a cached page, 64 bytes a read through the
// file's Data (a request, the table entry, the FCM).
func lookupHit(cfg Config, emit Emit) error {
	n := 200000
	if cfg.Short {
		n = 20000
	}
	for _, impl := range []string{fcm.ImplSingle, fcm.ImplReplicated} {
		r, err := newRig(cfg, impl, 16<<20)
		if err != nil {
			return err
		}
		f, err := r.create("/f", pagecache.PageSize)
		if err != nil {
			return err
		}
		buf := make([]byte, 64)
		f.ReadAt(buf, 0)
		t0 := time.Now()
		for i := range n {
			f.ReadAt(buf, int64(i%60)*64)
		}
		emit("fcm_lookup_hit/"+impl, "mean", n, float64(time.Since(t0).Nanoseconds())/float64(n), "ns")
		r.close()
	}
	return nil
}

// sharedRead: cfg.CPUs goroutines read one 1 MiB cached file, 4 KiB at a
// time, through its Data (the FCM's own figure) and through the file
// system's open file (what read(2) reaches); aggregate throughput, single
// and replicated, interleaved over rounds, and the ratio of each round.
func sharedRead(cfg Config, emit Emit) error {
	if err := sharedReadVia(cfg, emit, false); err != nil {
		return err
	}
	return sharedReadVia(cfg, emit, true)
}

func sharedReadVia(cfg Config, emit Emit, viaFS bool) error {
	const size = 1 << 20
	passes, rounds := 40, 5
	if cfg.Short {
		passes, rounds = 4, 2
	}
	var ratios []float64
	tput := map[string][]float64{}
	for range rounds {
		var mbs [2]float64
		for i, impl := range []string{fcm.ImplSingle, fcm.ImplReplicated} {
			r, err := newRig(cfg, impl, 16<<20)
			if err != nil {
				return err
			}
			f, err := r.create("/shared", size)
			if err != nil {
				return err
			}
			read := func() {
				var at interface {
					ReadAt([]byte, int64) (int, error)
				} = f
				if viaFS {
					// Through the file system, each reader with an
					// open file of its own, as processes have.
					ff, err := r.fsys.OpenAt(nil, "/shared", syscall.O_RDONLY, 0)
					if err != nil {
						return
					}
					defer ff.Close()
					at = ff
				}
				buf := make([]byte, pagecache.PageSize)
				for off := int64(0); off < size; off += pagecache.PageSize {
					at.ReadAt(buf, off)
				}
			}
			var wg sync.WaitGroup
			for range cfg.CPUs {
				wg.Add(1)
				go func() { defer wg.Done(); read() }() // warm: replicas made
			}
			wg.Wait()
			t0 := time.Now()
			for range cfg.CPUs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range passes {
						read()
					}
				}()
			}
			wg.Wait()
			mbs[i] = float64(cfg.CPUs*passes*size) / time.Since(t0).Seconds() / (1 << 20)
			tput[impl] = append(tput[impl], mbs[i])
			r.close()
		}
		ratios = append(ratios, mbs[1]/mbs[0])
	}
	w := fmt.Sprintf("fcm_shared_read_%dcpu", cfg.CPUs)
	if viaFS {
		w = fmt.Sprintf("fs_shared_read_%dcpu", cfg.CPUs)
	}
	for _, impl := range []string{fcm.ImplSingle, fcm.ImplReplicated} {
		emit(w+"/"+impl, "throughput_median", rounds, median(tput[impl]), "MiB/s")
	}
	emitRatios(emit, w+"/replicated_over_single", ratios)
	return nil
}

// createDelete: create, write 4 KiB, close, unlink, through the file
// system, each file's FCM made and destroyed; single and replicated
// interleaved over rounds.
func createDelete(cfg Config, emit Emit) error {
	n, rounds := 2000, 5
	if cfg.Short {
		n, rounds = 200, 2
	}
	var ratios []float64
	per := map[string][]float64{}
	page := make([]byte, pagecache.PageSize)
	for range rounds {
		var ns [2]float64
		for i, impl := range []string{fcm.ImplSingle, fcm.ImplReplicated} {
			r, err := newRig(cfg, impl, 16<<20)
			if err != nil {
				return err
			}
			t0 := time.Now()
			for j := range n {
				name := fmt.Sprintf("/f%d", j%16)
				f, err := r.fsys.OpenAt(nil, name, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_EXCL, 0o644)
				if err != nil {
					return err
				}
				f.Write(page)
				f.ReadAt(page[:512], 0)
				f.Close()
				if err := r.fsys.UnlinkAt(nil, name, 0); err != nil {
					return err
				}
			}
			ns[i] = float64(time.Since(t0).Nanoseconds()) / float64(n)
			per[impl] = append(per[impl], ns[i])
			r.close()
		}
		ratios = append(ratios, ns[1]/ns[0])
	}
	for _, impl := range []string{fcm.ImplSingle, fcm.ImplReplicated} {
		emit("fcm_create_delete/"+impl, "median", rounds, median(per[impl]), "ns")
	}
	emitRatios(emit, "fcm_create_delete/replicated_over_single", ratios)
	return nil
}

// pinnedCPU is a platform whose CPU is set by the caller, so that the
// memory figures can make exactly k replicas.
type pinnedCPU struct {
	platform.Platform
	cpu atomic.Int32
}

func (p *pinnedCPU) CPU() int { return int(p.cpu.Load()) }

// memory: heap bytes per FCM of a one-page file: single, and replicated
// with 1, 2 and 4 replicas.
func memory(cfg Config, emit Emit) error {
	const files = 500
	plat := &pinnedCPU{Platform: cfg.Platform}
	mcfg := cfg
	mcfg.Platform = plat
	for _, c := range []struct {
		impl     string
		replicas int
	}{{fcm.ImplSingle, 0}, {fcm.ImplReplicated, 1}, {fcm.ImplReplicated, 2}, {fcm.ImplReplicated, 4}} {
		if c.replicas > plat.NumCPU() {
			continue
		}
		r, err := newRig(mcfg, c.impl, 64<<20)
		if err != nil {
			return err
		}
		// The file system's own cost: the same files with no FCM work.
		before := heap()
		fs := make([]*fcm.File, files)
		for i := range fs {
			if fs[i], err = r.create(fmt.Sprintf("/m%d", i), pagecache.PageSize); err != nil {
				return err
			}
			for cpu := range c.replicas {
				plat.cpu.Store(int32(cpu))
				fs[i].ReadAt(make([]byte, 1), 0)
			}
			plat.cpu.Store(0)
		}
		after := heap()
		per := float64(after-before)/files - pagecache.PageSize // less the page itself
		name := "fcm_memory/" + c.impl
		if c.impl == fcm.ImplReplicated {
			name = fmt.Sprintf("%s_%dreplica", name, c.replicas)
		}
		emit(name, "bytes_per_file", files, per, "B")
		runtime.KeepAlive(fs)
		r.close()
	}
	return nil
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// swapStats summarises swap times and attributes each slow one (over
// 1 ms) to the phase it spent longest in: forward (waiting for every
// request that existed to end), block (for calls in the FCM), transfer.
func swapStats(emit Emit, workload string, reps []reconfig.SwapReport) {
	ts := make([]float64, len(reps))
	var slow [3]int
	for i, r := range reps {
		ts[i] = float64(r.Total.Nanoseconds())
		if r.Total > time.Millisecond {
			switch {
			case r.Forward >= r.Block && r.Forward >= r.Transfer:
				slow[0]++
			case r.Block >= r.Transfer:
				slow[1]++
			default:
				slow[2]++
			}
		}
	}
	sort.Float64s(ts)
	mean, sd := meanSD(ts)
	n := len(ts)
	emit(workload, "median", n, ts[n/2]/1e3, "us")
	emit(workload, "p99", n, ts[min(n-1, n*99/100)]/1e3, "us")
	emit(workload, "max", n, ts[n-1]/1e3, "us")
	emit(workload, "mean", n, mean/1e3, "us")
	emit(workload, "stddev", n, sd/1e3, "us")
	emit(workload, "p99_over_median", n, ts[min(n-1, n*99/100)]/ts[n/2], "x")
	emit(workload, "slow_waiting_forward", n, float64(slow[0]), "swaps")
	emit(workload, "slow_waiting_block", n, float64(slow[1]), "swaps")
	emit(workload, "slow_in_transfer", n, float64(slow[2]), "swaps")
}

// nullSwaps: null swaps of one FCM, idle and while cfg.CPUs goroutines
// read and write it.
func nullSwaps(cfg Config, emit Emit) error {
	n := 300
	if cfg.Short {
		n = 50
	}
	r, err := newRig(cfg, fcm.ImplSingle, 16<<20)
	if err != nil {
		return err
	}
	defer r.close()
	f, err := r.create("/s", 64*pagecache.PageSize)
	if err != nil {
		return err
	}
	run := func() ([]reconfig.SwapReport, error) {
		reps := make([]reconfig.SwapReport, 0, n)
		for range n {
			rep, err := f.Entry().NullSwap(reconfig.SwapOptions{})
			if err != nil {
				return nil, err
			}
			reps = append(reps, rep)
		}
		return reps, nil
	}
	idle, err := run()
	if err != nil {
		return err
	}
	swapStats(emit, "fcm_null_swap_idle", idle)
	stop := r.load(cfg.CPUs, func(g, i int) error {
		buf := make([]byte, 512)
		off := int64((i*7+g)%512) * 512
		if i%4 == 0 {
			_, err := f.WriteAt(buf, off)
			return err
		}
		_, err := f.ReadAt(buf, off)
		return err
	})
	loaded, err := run()
	calls, _ := stop()
	if err != nil {
		return err
	}
	swapStats(emit, "fcm_null_swap_loaded", loaded)
	emit("fcm_null_swap_loaded", "calls_during", n, float64(calls), "calls")
	return nil
}

// upgrade: a factory upgrade of files FCMs with nothing else running,
// then another while cfg.CPUs goroutines read and write random ones of
// them; each against the idle null swap's median.
func upgrade(cfg Config, emit Emit) error {
	files := 1000
	if cfg.Short {
		files = 100
	}
	r, err := newRig(cfg, fcm.ImplSingle, 64<<20)
	if err != nil {
		return err
	}
	defer r.close()
	all := make([]*fcm.File, files)
	for i := range all {
		if all[i], err = r.create(fmt.Sprintf("/u%d", i), 2*pagecache.PageSize); err != nil {
			return err
		}
	}
	var idle []reconfig.SwapReport
	for range 50 {
		rep, err := all[0].Entry().NullSwap(reconfig.SwapOptions{})
		if err != nil {
			return err
		}
		idle = append(idle, rep)
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].Total < idle[j].Total })
	idleMedian := idle[len(idle)/2].Total
	// First with no load: the mechanism's own cost (single to
	// sequential), then in use (sequential to replicated).
	rep, err := r.m.Upgrade(fcm.ImplSequential)
	if err != nil {
		return err
	}
	emitUpgrade(emit, "fcm_factory_upgrade_idle", files, rep, idleMedian)
	stop := r.load(cfg.CPUs, func(g, i int) error {
		buf := make([]byte, 512)
		f := all[(i*131+g*17)%files]
		if i%3 == 0 {
			_, err := f.WriteAt(buf, 100)
			return err
		}
		_, err := f.ReadAt(buf, 100)
		return err
	})
	rep, err = r.m.Upgrade(fcm.ImplReplicated)
	calls, errs := stop()
	if err != nil {
		return err
	}
	emitUpgrade(emit, "fcm_factory_upgrade", files, rep, idleMedian)
	emit("fcm_factory_upgrade", "swapped", files, float64(rep.Swapped), "FCMs")
	emit("fcm_factory_upgrade", "calls_during", files, float64(calls), "calls")
	emit("fcm_factory_upgrade", "call_errors", files, float64(errs), "calls")
	for _, f := range all {
		if f.Info().Impl != fcm.ImplReplicated {
			return fmt.Errorf("fcmbench: after the upgrade %s is %s", f.Name(), f.Info().Impl)
		}
	}
	return nil
}

// emitUpgrade emits an upgrade's time, failures and phases, and its time
// over an idle null swap's.
func emitUpgrade(emit Emit, workload string, files int, rep fcm.UpgradeReport, idleMedian time.Duration) {
	emit(workload, "took", files, float64(rep.Took.Microseconds()), "us")
	emit(workload, "failed", files, float64(len(rep.Failed)), "FCMs")
	emit(workload, "over_idle_null_swap", files, float64(rep.Took)/float64(idleMedian), "x")
	emit(workload, "forward", files, float64(rep.Forward.Microseconds()), "us")
	emit(workload, "block_sum", files, float64(rep.Block.Microseconds()), "us")
	emit(workload, "transfer_sum", files, float64(rep.Transfer.Microseconds()), "us")
	emit(workload, "swapall", files, float64(rep.Swaps.Microseconds()), "us")
	emit(workload, "make_sum", files, float64(rep.Make.Microseconds()), "us")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func emitRatios(emit Emit, workload string, rs []float64) {
	s := append([]float64(nil), rs...)
	sort.Float64s(s)
	emit(workload, "ratio_median", len(s), s[len(s)/2], "x")
	emit(workload, "ratio_min", len(s), s[0], "x")
	emit(workload, "ratio_max", len(s), s[len(s)-1], "x")
}

func meanSD(xs []float64) (float64, float64) {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(v / float64(len(xs)))
}
