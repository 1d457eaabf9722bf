package pagecache

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k42/reconfig/percpu"
	"k42/reconfig/platform"
)

// PageSize is the size of a page of file data.
const PageSize = 4096

// Page is one page of file data.
type Page [PageSize]byte

// ErrNoMemory is the error of an allocation the pager could not make room
// for.
var ErrNoMemory = errors.New("pagecache: no page can be freed")

// Level is how much of the budget is free, the pager's cue.
type Level int

// The levels, from plenty to none. The pager works while the level is
// below High, harder the lower it is.
const (
	Critical Level = iota // at most 1/64 of the budget free
	Low                   // at most 1/16 free
	Mid                   // at most 1/8 free
	High                  // more than 1/8 free: the pager sleeps
)

func (l Level) String() string {
	switch l {
	case Critical:
		return "CRITICAL"
	case Low:
		return "LOW"
	case Mid:
		return "MID"
	case High:
		return "HIGH"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// quota is how many pages the pager asks one owner for at each level.
func (l Level) quota() int {
	switch l {
	case Critical:
		return 256
	case Low:
		return 64
	case Mid:
		return 16
	}
	return 0
}

// Counter names one of the cache's counters.
type Counter int

// The counters, kept per FCM and in total.
const (
	Hits         Counter = iota // page found in the cache
	Misses                      // page not in the cache: read from the store or zero-filled
	Evictions                   // page given back to the pool
	WriteBacks                  // dirty page written to the store
	BytesRead                   // bytes copied out of the cache to callers
	BytesWritten                // bytes copied into the cache from callers
	BytesIn                     // bytes read from the store
	BytesOut                    // bytes written to the store
	NumCounters
)

var counterNames = [NumCounters]string{"hits", "misses", "evictions", "writebacks",
	"bytes_read", "bytes_written", "bytes_in", "bytes_out"}

func (c Counter) String() string { return counterNames[c] }

// Counts is a snapshot of the counters.
type Counts [NumCounters]int64

func (c *Counts) add(d Counts) {
	for i := range c {
		c[i] += d[i]
	}
}

// Counters is a set of per-CPU counters.
type Counters struct {
	rows *percpu.Counters
}

// NewCounters returns zeroed counters for cpus CPUs.
func NewCounters(cpus int) *Counters {
	return &Counters{rows: percpu.New(cpus, int(NumCounters))}
}

// Add adds d to counter c on CPU cpu's row.
func (s *Counters) Add(cpu int, c Counter, d int64) {
	if uint(cpu) >= uint(s.rows.CPUs()) {
		cpu %= s.rows.CPUs()
	}
	s.rows.Add(cpu, int(c), d)
}

// Snapshot sums the rows.
func (s *Counters) Snapshot() Counts {
	var out Counts
	for i := range out {
		out[i] = s.rows.Sum(i)
	}
	return out
}

// Bytes is the memory the counters take.
func (s *Counters) Bytes() int { return s.rows.CPUs() * ((int(NumCounters)*8 + 127) / 128 * 128) }

// Reclaimer is an owner of pages that the pager can ask for them back.
type Reclaimer interface {
	// GiveBack frees up to want of the owner's pages (writing dirty ones
	// back first) at pressure level lvl and returns how many it freed;
	// busy says the owner could not be asked now (it is being
	// reconfigured) and may have pages to give later.
	GiveBack(want int, lvl Level) (freed int, busy bool)
}

// Options configure a Cache.
type Options struct {
	Budget   int64             // bytes of pages; at least 16 pages
	Platform platform.Platform // CPU numbers for the counters; platform.Current() if nil
	// Frames, if set, is where new pages come from: up to n pages of
	// memory the cache may keep for ever (the kernel gives memory that
	// devices reach by physical address, so that a disk moves pages
	// without a copy); fewer or none, and the rest come from the heap.
	// The cache asks for pages in chunks and never holds more than its
	// budget's worth.
	Frames func(n int) []Page
}

// framesChunk is how many pages the cache asks Frames for at once.
const framesChunk = 256

// Cache is the pool of file pages under a budget, its pager and its
// counters.
type Cache struct {
	budget int64 // pages
	plat   platform.Platform
	ncpu   int

	used atomic.Int64 // pages handed out and not freed

	freeMu sync.Mutex
	free   []*Page // freed pages kept for reuse, at most budget - used
	frames func(n int) []Page

	mu      sync.Mutex // guards what follows
	owners  []*Registration
	next    int          // the pager's round-robin cursor
	wake    *sync.Cond   // the pager waits on it
	room    *sync.Cond   // allocators wait on it
	kicked  atomic.Bool  // the pager has work (written under mu)
	waiters atomic.Int32 // allocators waiting (written under mu)
	failed  uint64       // rounds that freed nothing (allocators waiting then give up)
	rounds  uint64       // pager rounds run
	retired Counts       // the counts of owners gone (the totals keep them)
	closed  bool
	stopped chan struct{}
}

// New returns a cache and starts its pager; Close stops it.
func New(opt Options) (*Cache, error) {
	pages := opt.Budget / PageSize
	if pages < 16 {
		return nil, fmt.Errorf("pagecache: a budget of %d bytes is less than 16 pages", opt.Budget)
	}
	plat := opt.Platform
	if plat == nil {
		plat = platform.Current()
	}
	c := &Cache{budget: pages, plat: plat, ncpu: plat.NumCPU(), frames: opt.Frames, stopped: make(chan struct{})}
	c.wake = sync.NewCond(&c.mu)
	c.room = sync.NewCond(&c.mu)
	go c.pager()
	return c, nil
}

// Close stops the pager. Allocations waiting fail.
func (c *Cache) Close() {
	c.mu.Lock()
	c.closed = true
	c.wake.Broadcast()
	c.room.Broadcast()
	c.mu.Unlock()
	<-c.stopped
}

// Budget is the budget in pages.
func (c *Cache) Budget() int64 { return c.budget }

// Used is the number of pages in use.
func (c *Cache) Used() int64 { return c.used.Load() }

// CPU is the caller's CPU, for counting.
func (c *Cache) CPU() int { return c.plat.CPU() }

// NumCPU is the number of CPUs counters have rows for.
func (c *Cache) NumCPU() int { return c.ncpu }

// Level is the pressure level now.
func (c *Cache) Level() Level { return c.levelAt(c.used.Load()) }

func (c *Cache) levelAt(used int64) Level {
	free := c.budget - used
	switch {
	case free*64 <= c.budget:
		return Critical
	case free*16 <= c.budget:
		return Low
	case free*8 <= c.budget:
		return Mid
	}
	return High
}

// Alloc returns a page, its contents undefined. When the budget is spent
// it wakes the pager and waits for a page to be freed; it fails with
// ErrNoMemory if a round of the pager frees nothing.
func (c *Cache) Alloc() (*Page, error) {
	for {
		u := c.used.Load()
		if u < c.budget {
			if !c.used.CompareAndSwap(u, u+1) {
				continue
			}
			if c.levelAt(u+1) < High {
				c.kick()
			}
			return c.take(), nil
		}
		if err := c.waitRoom(); err != nil {
			return nil, err
		}
	}
}

func (c *Cache) take() *Page {
	c.freeMu.Lock()
	if n := len(c.free); n > 0 {
		p := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		c.freeMu.Unlock()
		return p
	}
	if c.frames != nil {
		// A chunk: this page and, on the free list, as many more as
		// keep used + free within the budget.
		n := min(framesChunk, int(c.budget-c.used.Load())-len(c.free)+1)
		if ps := c.frames(max(n, 1)); len(ps) > 0 {
			for i := 1; i < len(ps); i++ {
				c.free = append(c.free, &ps[i])
			}
			c.freeMu.Unlock()
			return &ps[0]
		}
	}
	c.freeMu.Unlock()
	return new(Page)
}

// Free gives a page back to the pool.
func (c *Cache) Free(p *Page) {
	// Kept for reuse: at most the budget's worth (used plus free never
	// exceeds it), the memory the budget reserves for the cache, as a
	// kernel keeps its page frames. Giving them back to the heap would
	// cost each new page an allocation, zeroing, and the collector's and
	// the frame allocator's work (a 64 MiB write ran at half the speed:
	// files-20261202T030515Z against files-20261202T030621Z).
	c.freeMu.Lock()
	c.free = append(c.free, p)
	c.freeMu.Unlock()
	if c.used.Add(-1) < 0 {
		panic("pagecache: more pages freed than allocated")
	}
	// A waiter counts itself, then looks at used, under mu; this drops
	// used, then looks at waiters: one of the two sees the other.
	if c.waiters.Load() > 0 {
		c.mu.Lock()
		c.room.Broadcast()
		c.mu.Unlock()
	}
}

// kick wakes the pager.
func (c *Cache) kick() {
	if c.kicked.Load() {
		return
	}
	c.mu.Lock()
	if !c.kicked.Load() {
		c.kicked.Store(true)
		c.wake.Signal()
	}
	c.mu.Unlock()
}

// waitRoom waits until a page may be free, or a pager round failed.
func (c *Cache) waitRoom() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	failed := c.failed
	c.waiters.Add(1)
	defer c.waiters.Add(-1)
	for c.used.Load() >= c.budget {
		if c.closed {
			return fmt.Errorf("%w: the cache is closed", ErrNoMemory)
		}
		if c.failed != failed {
			return fmt.Errorf("%w: all %d pages of the budget are in use and the pager freed none", ErrNoMemory, c.budget)
		}
		c.kicked.Store(true)
		c.wake.Signal()
		c.room.Wait()
	}
	return nil
}

// Registration is an owner's place in the pager's rounds.
type Registration struct {
	c      *Cache
	r      Reclaimer
	counts *Counters  // the owner's, summed into the cache's totals
	mu     sync.Mutex // held across a GiveBack, so Unregister waits for it
	dead   bool
	at     int // index in c.owners (c.mu), -1 once removed
}

// Register adds r to the pager's rounds, and counts (if not nil), the
// owner's counters, to the cache's totals: the totals are the owners'
// counters summed, so an owner counts once, on its own CPU's row.
func (c *Cache) Register(r Reclaimer, counts *Counters) *Registration {
	reg := &Registration{c: c, r: r, counts: counts}
	c.mu.Lock()
	reg.at = len(c.owners)
	c.owners = append(c.owners, reg)
	c.mu.Unlock()
	return reg
}

// Unregister removes the owner from the pager's rounds; once it returns,
// the pager will not call it again.
func (reg *Registration) Unregister() {
	reg.mu.Lock()
	reg.dead = true
	reg.mu.Unlock()
	c := reg.c
	c.mu.Lock()
	if i := reg.at; i >= 0 {
		last := len(c.owners) - 1
		c.owners[i] = c.owners[last]
		c.owners[i].at = i
		c.owners[last] = nil
		c.owners = c.owners[:last]
		reg.at = -1
		if reg.counts != nil {
			c.retired.add(reg.counts.Snapshot())
		}
	}
	c.mu.Unlock()
}

// Owners is the number of registered owners.
func (c *Cache) Owners() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.owners)
}

// Drop asks every owner to give back all its pages (dirty ones are
// written back first), as Linux's drop_caches does for clean pages: the
// next read of any file is a miss. It returns the pages freed. Owners
// busy being reconfigured keep theirs.
func (c *Cache) Drop() int {
	c.mu.Lock()
	owners := append([]*Registration(nil), c.owners...)
	c.mu.Unlock()
	freed := 0
	for _, reg := range owners {
		reg.mu.Lock()
		for !reg.dead {
			n, _ := reg.r.GiveBack(1<<30, Critical)
			freed += n
			if n == 0 {
				break
			}
		}
		reg.mu.Unlock()
	}
	return freed
}

// pager is the cache's replacement thread: asleep while the level is
// HIGH, otherwise visiting the owners round robin.
func (c *Cache) pager() {
	defer close(c.stopped)
	c.mu.Lock()
	for {
		for !c.kicked.Load() && !c.closed {
			c.wake.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		c.kicked.Store(false)
		c.mu.Unlock()
		freed, asked, busy := c.round()
		if busy && freed == 0 {
			time.Sleep(time.Millisecond) // let the reconfiguration finish
		}
		c.mu.Lock()
		c.rounds++
		// A round fails if it asked every owner (or there is none) and
		// got nothing, none of them busy; a round cut short because the
		// level was HIGH says nothing about whether pages can be freed.
		if freed == 0 && asked && !busy && c.used.Load() >= c.budget {
			c.failed++
		}
		if busy && freed == 0 {
			c.kicked.Store(true) // try again
		}
		c.room.Broadcast()
		if c.levelAt(c.used.Load()) < High && freed > 0 {
			c.kicked.Store(true) // more to do
		}
	}
}

// round asks owners for pages until the level is HIGH again or every
// owner has been asked once; it returns the pages freed, whether it asked
// every owner and whether any was busy.
func (c *Cache) round() (freed int, all, busy bool) {
	c.mu.Lock()
	n := len(c.owners)
	c.mu.Unlock()
	asked := 0
	for ; asked < n; asked++ {
		lvl := c.Level()
		if lvl == High {
			break
		}
		c.mu.Lock()
		if len(c.owners) == 0 {
			c.mu.Unlock()
			break
		}
		c.next %= len(c.owners)
		reg := c.owners[c.next]
		c.next++
		c.mu.Unlock()
		reg.mu.Lock()
		if !reg.dead {
			n, b := reg.r.GiveBack(lvl.quota(), lvl)
			freed += n
			busy = busy || b
		}
		reg.mu.Unlock()
	}
	return freed, asked >= n, busy
}

// Stats is a snapshot of the cache.
type Stats struct {
	BudgetPages, UsedPages, FreeListPages int64
	Level                                 Level
	Owners                                int
	PagerRounds, FailedRounds             uint64
	Counts                                Counts
}

// Stats reports the cache's state and its total counters (every owner's,
// present and gone).
func (c *Cache) Stats() Stats {
	c.freeMu.Lock()
	fl := int64(len(c.free))
	c.freeMu.Unlock()
	c.mu.Lock()
	s := Stats{BudgetPages: c.budget, UsedPages: c.used.Load(), FreeListPages: fl, Owners: len(c.owners),
		PagerRounds: c.rounds, FailedRounds: c.failed, Counts: c.retired}
	for _, o := range c.owners {
		if o.counts != nil {
			s.Counts.add(o.counts.Snapshot())
		}
	}
	c.mu.Unlock()
	s.Level = c.levelAt(s.UsedPages)
	return s
}

// String describes the cache in the console's and /proc/k42's format:
// one "key value" line each.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "budget %d pages (%d KiB)\nused %d pages\nfree_list %d pages\nlevel %s\nowners %d\npager_rounds %d\nfailed_rounds %d\n",
		s.BudgetPages, s.BudgetPages*PageSize/1024, s.UsedPages, s.FreeListPages, s.Level, s.Owners, s.PagerRounds, s.FailedRounds)
	b.WriteString(s.Counts.String())
	return b.String()
}

// String lists the counters, one "name value" line each.
func (c Counts) String() string {
	var b strings.Builder
	for k, v := range c {
		fmt.Fprintf(&b, "%s %d\n", Counter(k), v)
	}
	return b.String()
}
