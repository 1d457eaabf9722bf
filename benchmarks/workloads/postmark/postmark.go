// Package postmark owns the PostMark file-system workload (Jeffrey
// Katcher, "PostMark: A New File System Benchmark", NetApp TR3022;
// version 1.5): a pool of small files of random sizes, spread over
// subdirectories, is created; a run of transactions then each read or
// append to one file and create or delete one; finally every file is
// deleted. Each phase is timed apart, and the Report gives the rates
// PostMark prints.
//
// It is ordinary Go, standard library only (os, io, math/rand/v2), and
// runs in a benchmark program on k42 (as its program) or on Linux (as a
// process) unchanged; benchmarks/postmark is its command.
package postmark

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one PostMark configuration. All sizes are in bytes.
type Config struct {
	Files        int // files created in the initial pool
	Transactions int // transactions run on the pool
	MinSize      int // least size of a new file
	MaxSize      int // greatest size of a new file, and of a file appended to
	ReadBlock    int // bytes asked of each read call
	WriteBlock   int // bytes given to each write call
	// ReadBias is the chance, in tenths, that a transaction's first half
	// is a read rather than an append: 0 to 10, 5 for even.
	ReadBias int
	// CreateBias is the chance, in tenths, that a transaction's second
	// half is a create rather than a delete: 0 to 10, 5 for even.
	CreateBias int
	// Subdirs is how many subdirectories the files are spread over, each
	// file into a random one; 0 puts every file in the top directory.
	Subdirs int
	// Seed fixes the run: the same Seed and Config give the same
	// operations, file names and sizes.
	Seed uint64
}

// Validate reports the first field of c that PostMark cannot run with.
func (c Config) Validate() error {
	switch {
	case c.Files < 0:
		return fmt.Errorf("postmark: Files %d < 0", c.Files)
	case c.Transactions < 0:
		return fmt.Errorf("postmark: Transactions %d < 0", c.Transactions)
	case c.MinSize < 1:
		return fmt.Errorf("postmark: MinSize %d < 1", c.MinSize)
	case c.MinSize > c.MaxSize:
		return fmt.Errorf("postmark: MinSize %d > MaxSize %d", c.MinSize, c.MaxSize)
	case c.ReadBlock < 1:
		return fmt.Errorf("postmark: ReadBlock %d < 1", c.ReadBlock)
	case c.WriteBlock < 1:
		return fmt.Errorf("postmark: WriteBlock %d < 1", c.WriteBlock)
	case c.ReadBias < 0 || c.ReadBias > 10:
		return fmt.Errorf("postmark: ReadBias %d outside 0-10", c.ReadBias)
	case c.CreateBias < 0 || c.CreateBias > 10:
		return fmt.Errorf("postmark: CreateBias %d outside 0-10", c.CreateBias)
	case c.Subdirs < 0:
		return fmt.Errorf("postmark: Subdirs %d < 0", c.Subdirs)
	}
	return nil
}

// Scale returns c with Files and Transactions multiplied by f (each at
// least 1), for quick runs.
func (c Config) Scale(f float64) Config {
	scale := func(n int) int { return max(1, int(float64(n)*f+0.5)) }
	c.Files, c.Transactions = scale(c.Files), scale(c.Transactions)
	return c
}

var presets = map[string]Config{
	// The paper's Figure 6: 1,000 files of 128 B to 8 KiB.
	"1k": {Files: 1000, Transactions: 10000, MinSize: 128, MaxSize: 8 << 10,
		ReadBlock: 512, WriteBlock: 512, ReadBias: 5, CreateBias: 5, Subdirs: 10, Seed: 42},
	// The paper's Figure 5: 10,000 files of 512 B to 16 KiB.
	"10k": {Files: 10000, Transactions: 50000, MinSize: 512, MaxSize: 16 << 10,
		ReadBlock: 512, WriteBlock: 512, ReadBias: 5, CreateBias: 5, Subdirs: 10, Seed: 42},
}

// Presets returns the names Preset knows, smallest first.
func Presets() []string { return []string{"1k", "10k"} }

// Preset returns the named configuration: "1k" (the paper's Figure 6)
// or "10k" (its Figure 5), both over 10 subdirectories with Seed 42.
func Preset(name string) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("postmark: unknown preset %q (presets: %s)", name, strings.Join(Presets(), ", "))
	}
	return c, nil
}

// OpError is a failed file operation: what was done (create, write,
// open, read, append, close, delete, mkdir, rmdir), on which path, and
// why.
type OpError struct {
	Op   string
	Path string
	Err  error
}

func (e *OpError) Error() string {
	err := e.Err
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == e.Path {
		err = pe.Err // the path once is enough
	}
	return "postmark: " + e.Op + " " + e.Path + ": " + err.Error()
}

func (e *OpError) Unwrap() error { return e.Err }

// errStopped ends an instance of RunN when another has failed.
var errStopped = errors.New("postmark: stopped")

// Phases, as named to the progress function.
const (
	PhaseCreate       = "create"
	PhaseTransactions = "transactions"
	PhaseDelete       = "delete"
)

// file is one file of the pool: where it is and the size it must have.
type file struct {
	path string
	size int64
}

// instance is one running PostMark.
type instance struct {
	c        Config
	dir      string
	rng      *rand.Rand
	text     []byte // the source of every byte written
	rbuf     []byte // ReadBlock bytes, reused by every read
	subdirs  []string
	pool     []file
	seq      int // files named so far
	name     []byte
	r        Report
	progress func(phase string, done, total int)
	stop     *atomic.Bool
}

// Run runs PostMark once with c in dir, which must exist (and should be
// empty: the files and subdirectories made are removed at the end, what
// was there before is left). progress, if not nil, is called at each
// phase's start and then every 1% of it (at most about 100 times a
// phase) with the phase's name (PhaseCreate, PhaseTransactions,
// PhaseDelete), the files or transactions done and their total.
//
// A failed file operation, or a read whose length is not the size the
// file was given, ends the run with an *OpError; Run then removes what
// it can of what it made.
func Run(dir string, c Config, progress func(phase string, done, total int)) (Report, error) {
	return run(dir, c, progress, nil)
}

func run(dir string, c Config, progress func(string, int, int), stop *atomic.Bool) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{Config: c}, err
	}
	in := &instance{
		c:        c,
		dir:      dir,
		rng:      rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)),
		rbuf:     make([]byte, c.ReadBlock),
		progress: progress,
		stop:     stop,
	}
	in.r = Report{Config: c, Dir: dir, Instances: 1}
	in.text = in.randomText(max(c.MaxSize, c.WriteBlock))
	err := in.run()
	if err != nil {
		in.cleanup()
	}
	return in.r, err
}

// randomText returns n bytes of random letters, spaces and newlines.
func (in *instance) randomText(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ      \n"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[in.rng.IntN(len(alphabet))]
	}
	return b
}

func (in *instance) run() error {
	start := time.Now()
	defer func() { in.r.Elapsed = time.Since(start) }()

	// Phase 1: the subdirectories and the pool.
	c := in.c
	in.report(PhaseCreate, 0, c.Files)
	for i := range c.Subdirs {
		p := filepath.Join(in.dir, "s"+strconv.Itoa(i))
		if err := os.Mkdir(p, 0o755); err != nil {
			return &OpError{"mkdir", p, err}
		}
		in.subdirs = append(in.subdirs, p)
	}
	in.pool = make([]file, 0, c.Files)
	for i := range c.Files {
		if err := in.stopped(); err != nil {
			return err
		}
		if err := in.create(); err != nil {
			return err
		}
		in.report(PhaseCreate, i+1, c.Files)
	}
	t1 := time.Now()
	in.r.CreateElapsed = t1.Sub(start)

	// Phase 2: the transactions.
	in.report(PhaseTransactions, 0, c.Transactions)
	for i := range c.Transactions {
		if err := in.stopped(); err != nil {
			return err
		}
		if err := in.transaction(); err != nil {
			return err
		}
		in.r.Transactions++
		in.report(PhaseTransactions, i+1, c.Transactions)
	}
	t2 := time.Now()
	in.r.TransactionElapsed = t2.Sub(t1)

	// Phase 3: every file left, then the subdirectories.
	n := len(in.pool)
	in.report(PhaseDelete, 0, n)
	for i := 0; len(in.pool) > 0; i++ {
		if err := in.stopped(); err != nil {
			return err
		}
		if err := in.delete(len(in.pool) - 1); err != nil {
			return err
		}
		in.report(PhaseDelete, i+1, n)
	}
	for len(in.subdirs) > 0 {
		p := in.subdirs[len(in.subdirs)-1]
		if err := os.Remove(p); err != nil {
			return &OpError{"rmdir", p, err}
		}
		in.subdirs = in.subdirs[:len(in.subdirs)-1]
	}
	in.r.DeleteElapsed = time.Since(t2)
	return nil
}

// report calls the progress function at done 0 and at every 1% of total.
func (in *instance) report(phase string, done, total int) {
	if in.progress == nil {
		return
	}
	step := max(1, (total+99)/100)
	if done == 0 || done == total || done%step == 0 {
		in.progress(phase, done, total)
	}
}

func (in *instance) stopped() error {
	if in.stop != nil && in.stop.Load() {
		return errStopped
	}
	return nil
}

// transaction is one PostMark transaction: a read or an append of a
// random file of the pool, then a create or the delete of a random file.
// A half that needs a file when the pool is empty is skipped.
func (in *instance) transaction() error {
	if in.rng.IntN(10) < in.c.ReadBias {
		if len(in.pool) > 0 {
			if err := in.read(in.rng.IntN(len(in.pool))); err != nil {
				return err
			}
		}
	} else if len(in.pool) > 0 {
		if err := in.append(in.rng.IntN(len(in.pool))); err != nil {
			return err
		}
	}
	if in.rng.IntN(10) < in.c.CreateBias {
		if err := in.create(); err != nil {
			return err
		}
		in.r.CreatedInTransactions++
	} else if len(in.pool) > 0 {
		if err := in.delete(in.rng.IntN(len(in.pool))); err != nil {
			return err
		}
		in.r.DeletedInTransactions++
	}
	return nil
}

// size returns a random size in [MinSize, MaxSize].
func (in *instance) size() int {
	return in.c.MinSize + in.rng.IntN(in.c.MaxSize-in.c.MinSize+1)
}

// create makes a new file of random size in a random subdirectory, named
// by its number and random letters, and adds it to the pool.
func (in *instance) create() error {
	dir := in.dir
	if len(in.subdirs) > 0 {
		dir = in.subdirs[in.rng.IntN(len(in.subdirs))]
	}
	in.seq++
	name := strconv.AppendInt(in.name[:0], int64(in.seq), 10)
	for range 4 + in.rng.IntN(8) {
		name = append(name, byte('a'+in.rng.IntN(26)))
	}
	in.name = name
	p := dir + string(filepath.Separator) + string(name)
	size := in.size()
	// PostMark opens for reading and writing to create (MODE_CREATE) and
	// to append (MODE_APPEND), and read-only to read.
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return &OpError{"create", p, err}
	}
	in.pool = append(in.pool, file{p, 0})
	in.r.Created++
	err = in.write(f, p, "write", size)
	in.pool[len(in.pool)-1].size = int64(size)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = &OpError{"close", p, cerr}
	}
	return err
}

// write writes n bytes of the text to f in WriteBlock calls.
func (in *instance) write(f *os.File, path, op string, n int) error {
	for off := 0; off < n; {
		k := min(in.c.WriteBlock, n-off)
		w, err := f.Write(in.text[off : off+k])
		in.r.BytesWritten += int64(w)
		if err != nil {
			return &OpError{op, path, err}
		}
		off += k
	}
	return nil
}

// read reads all of pool file i in ReadBlock calls and checks its length.
func (in *instance) read(i int) error {
	p := in.pool[i].path
	f, err := os.OpenFile(p, os.O_RDONLY, 0)
	if err != nil {
		return &OpError{"open", p, err}
	}
	var got int64
	for {
		n, err := f.Read(in.rbuf)
		got += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			in.r.BytesRead += got
			return &OpError{"read", p, err}
		}
	}
	in.r.BytesRead += got
	in.r.Reads++
	if err := f.Close(); err != nil {
		return &OpError{"close", p, err}
	}
	if want := in.pool[i].size; got != want {
		return &OpError{"read", p, fmt.Errorf("read %d bytes, expected %d", got, want)}
	}
	return nil
}

// append appends to pool file i, as PostMark's append_file does: a
// random amount from 1 byte up to what brings the file to MaxSize, and
// nothing (not counted) when the file is MaxSize already, so that no file
// outgrows the high bound.
func (in *instance) append(i int) error {
	p := in.pool[i].path
	room := int64(in.c.MaxSize) - in.pool[i].size
	if room <= 0 {
		return nil
	}
	n := 1 + in.rng.IntN(int(room))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return &OpError{"open", p, err}
	}
	before := in.r.BytesWritten
	err = in.write(f, p, "append", n)
	in.pool[i].size += in.r.BytesWritten - before
	in.r.Appends++
	if cerr := f.Close(); err == nil && cerr != nil {
		err = &OpError{"close", p, cerr}
	}
	return err
}

// delete removes pool file i and takes it out of the pool (the last
// file takes its place).
func (in *instance) delete(i int) error {
	p := in.pool[i].path
	if err := os.Remove(p); err != nil {
		return &OpError{"delete", p, err}
	}
	last := len(in.pool) - 1
	in.pool[i] = in.pool[last]
	in.pool = in.pool[:last]
	in.r.Deleted++
	return nil
}

// cleanup removes, as far as it can, what a failed run made.
func (in *instance) cleanup() {
	for _, f := range in.pool {
		os.Remove(f.path)
	}
	in.pool = nil
	for _, p := range in.subdirs {
		os.Remove(p)
	}
	in.subdirs = nil
}

// RunN runs n instances of PostMark with c at once, one a goroutine,
// instance i in dir/pm<i> (made at the start, removed at the end) with
// Seed c.Seed+i. It returns their sum, and each instance's Report: the
// sum's counts and bytes are the instances' totals, its times the
// greatest of theirs (so its TPS is all transactions over the slowest
// transaction phase). progress, if not nil, is called (one call at a
// time) with the phase's files or transactions done and their total,
// summed over the instances that have begun it, whenever that passes
// another 1% (and when every instance has finished the phase).
//
// The first instance to fail stops the others; RunN returns its error.
func RunN(dir string, c Config, n int, progress func(phase string, done, total int)) (Report, []Report, error) {
	if err := c.Validate(); err != nil {
		return Report{Config: c}, nil, err
	}
	if n < 1 {
		return Report{Config: c}, nil, fmt.Errorf("postmark: %d instances < 1", n)
	}
	var agg *aggregator
	if progress != nil {
		agg = &aggregator{n: n, fn: progress, phases: map[string]*phaseSum{}}
	}
	var stop atomic.Bool
	reports := make([]Report, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		sub := filepath.Join(dir, "pm"+strconv.Itoa(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			errs[i] = &OpError{"mkdir", sub, err}
			stop.Store(true)
			break
		}
		ci := c
		ci.Seed = c.Seed + uint64(i)
		var p func(string, int, int)
		if agg != nil {
			p = func(phase string, done, total int) { agg.update(i, phase, done, total) }
		}
		wg.Go(func() {
			r, err := run(sub, ci, p, &stop)
			if err != nil {
				stop.Store(true)
			}
			if rerr := os.Remove(sub); err == nil && rerr != nil {
				err = &OpError{"rmdir", sub, rerr}
			}
			reports[i], errs[i] = r, err
		})
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, errStopped)) {
			first = err
		}
	}
	if first != nil {
		return Report{Config: c}, nil, first
	}
	s := Sum(reports)
	s.Dir = dir
	return s, reports, nil
}

// aggregator sums the instances' progress of RunN.
type aggregator struct {
	mu     sync.Mutex
	n      int
	fn     func(phase string, done, total int)
	phases map[string]*phaseSum
}

type phaseSum struct {
	done, total []int // each instance's; total -1 until it begins
	pct         int   // the last percent passed on
	finished    bool
}

func (a *aggregator) update(i int, phase string, done, total int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ps := a.phases[phase]
	if ps == nil {
		ps = &phaseSum{done: make([]int, a.n), total: make([]int, a.n), pct: -1}
		for j := range ps.total {
			ps.total[j] = -1
		}
		a.phases[phase] = ps
	}
	ps.done[i], ps.total[i] = done, total
	sumDone, sumTotal, begun := 0, 0, 0
	for j := range ps.total {
		if ps.total[j] >= 0 {
			sumDone += ps.done[j]
			sumTotal += ps.total[j]
			begun++
		}
	}
	if begun == a.n && sumDone == sumTotal {
		if !ps.finished {
			ps.finished = true
			a.fn(phase, sumDone, sumTotal)
		}
		return
	}
	pct := 0
	if sumTotal > 0 {
		pct = 100 * sumDone / sumTotal
	}
	if pct > ps.pct {
		ps.pct = pct
		a.fn(phase, sumDone, sumTotal)
	}
}
