package fcm

//go:generate go run k42/reconfig/cmd/genwrap -type FCM,Factory

import (
	"context"
	"sync/atomic"

	"k42/fs"
	"k42/mm/pagecache"
	"k42/reconfig"
)

// FCM is a file cache manager: the cache of one regular file's pages
// (K42's FCM, paper §4.1), an object in the system table called
// "fcm:PATH". The file system reads and writes the file's data only
// through it (it is the file's fs.Data, through Data), and the pager asks
// it for pages back. Every method's first parameter is the request's
// context (the mediator's mark of recursion).
//
// The file system calls WriteAt and Truncate with the file's lock held
// for writing (see fs.Data), so they never run beside each other; ReadAt
// takes no file lock and runs beside anything: an FCM copies each page
// under the lock that its writers hold too, and a read that faulted a
// page in from the store drops it if a truncation came meanwhile (the
// table's truncation count). GiveBack and Info come at any time.
type FCM interface {
	// ReadAt fills p from the file's pages at off (the caller bounds p
	// by the file's size); holes read as zeros.
	ReadAt(ctx context.Context, p []byte, off int64) (int, error)
	// WriteAt writes p at off; a page that did not exist is taken from
	// the file system's page limit (ENOSPC when spent).
	WriteAt(ctx context.Context, p []byte, off int64) (int, error)
	// Truncate drops the pages at and beyond size and zeroes the tail of
	// the last partial page.
	Truncate(ctx context.Context, size int64) error
	// Sync writes every dirty page back and flushes the store.
	Sync(ctx context.Context) error
	// WriteBack writes every dirty page back without flushing the store:
	// a sync of many files (Manager.SyncAll) flushes once, after all.
	WriteBack(ctx context.Context) error
	// SeekPage returns the first page in [page, end) that exists (data)
	// or does not (hole), or end.
	SeekPage(ctx context.Context, page, end int64, data bool) int64
	// GiveBack frees up to want pages at the pager's request.
	GiveBack(ctx context.Context, want int, lvl pagecache.Level) int
	// Info describes the FCM's state.
	Info(ctx context.Context) Info
	// Release drops every page and the stored copy: the file is gone.
	Release(ctx context.Context)
	// Prefetch brings page in from the store, with the pages read ahead
	// with it, if it is stored and not resident: the asynchronous half
	// of read-ahead, which the file calls in a request of its own when a
	// stream passes the middle of the last cluster (Env.Ahead).
	Prefetch(ctx context.Context, page int64)
}

// Factory makes the FCMs of new files: an object in the system table
// ("fcm/factory") whose family has one member per FCM implementation, so
// that swapping it (an upgrade) changes what new files get.
type Factory interface {
	// Make returns a new FCM over env, with no pages.
	Make(ctx context.Context, env *Env) (FCM, error)
	// Impl names the implementation it makes.
	Impl(ctx context.Context) string
}

// Env is what one file's FCM works with, shared by every implementation
// the FCM is swapped to (the canonical state carries it): the cache its
// pages come from, the file system's page limit, the backing store, the
// file's counters and its count of pages.
type Env struct {
	Cache   *pagecache.Cache
	Limit   *fs.PageLimit
	Backing pagecache.Backing
	Stats   *pagecache.Counters // this file's counters, kept across swaps
	// Pages is the number of distinct pages of the file (cached, stored
	// or both), each taken from Limit. fs.Data.Resident reads it without
	// a call (a stat is a hot path).
	Pages atomic.Int64
	// Ahead, if set, asks for page to be prefetched (FCM.Prefetch) in a
	// request of its own, without waiting; it drops the request if one
	// is in flight already. The manager sets it.
	Ahead func(page int64)
}

// count adds d to the file's counter k on cpu's row (the cache's totals
// sum the files').
func (e *Env) count(cpu int, k pagecache.Counter, d int64) { e.Stats.Add(cpu, k, d) }

// Info describes an FCM.
type Info struct {
	Impl     string
	Resident int   // pages in the cache
	Dirty    int   // of them, not yet written back
	Pages    int64 // distinct pages of the file
	Stored   int   // pages in the backing store
	Replicas []int // replicated: pages in each CPU's replica (0: none)
	Counts   pagecache.Counts
}

// Transfer protocols of the FCM family.
const (
	// ProtoCanonical is the family's canonical format: a Canonical
	// value, the pages by reference with their dirty bits.
	ProtoCanonical = reconfig.Canonical
	// ProtoTable hands the page table itself over (single, replicated
	// and sequential share it): no page is touched, no list is built.
	ProtoTable reconfig.Protocol = 1
)

// Canonical is the FCM family's canonical state: any implementation,
// from any package, can import it and export it.
type Canonical struct {
	Env   *Env
	Pages []CanonicalPage
}

// CanonicalPage is one cached page.
type CanonicalPage struct {
	Index int64
	Page  *pagecache.Page
	Dirty bool
}

// tableState is ProtoTable's state.
type tableState struct {
	env *Env
	t   *table
}

// desc describes one cached page.
type desc struct {
	page  *pagecache.Page
	dirty bool
	ref   bool   // used since the pager last looked (clock)
	stamp uint64 // when last used (sequential's MRU order)
	cpus  uint64 // replicated: the CPUs whose replicas hold the page
	// next, if not 0, marks the middle page of a read-ahead cluster: a
	// read that reaches it asks for the next cluster (Env.Ahead).
	next int64
}

// table is a file's page table, the structure single, replicated (as its
// master) and sequential share and hand over by reference.
type table struct {
	pages map[int64]*desc
	dirty int
	clock uint64 // use counter for stamps
	// truncs counts truncations. Reads run beside truncations (the file
	// system does not lock a file for its readers), so a read that faults
	// a page in from the store checks, once it holds the lock again, that
	// no truncation came in between: the page it read may be gone, its
	// store slot another file's.
	truncs uint64
	// reading lists the runs of pages being read from the store for a
	// read-ahead, so that a reader of one of them waits for that read
	// instead of reading the same pages again (a stream catching up
	// with its prefetch). Empty whenever no call is in the FCM, so a
	// swap never sees one.
	reading []pendingRun
}

// pendingRun is pages [lo, hi) on their way in; done is closed when they
// are in the table (or the read failed).
type pendingRun struct {
	lo, hi int64
	done   chan struct{}
}

func newTable() *table { return &table{pages: make(map[int64]*desc)} }

// The implementations' names, as the family provides them.
const (
	ImplSingle     = "single"
	ImplReplicated = "replicated"
	ImplSequential = "sequential"
)
