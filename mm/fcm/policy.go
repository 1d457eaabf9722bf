package fcm

import (
	"fmt"
	"sync"

	"k42/fs"
	"k42/reconfig"
	"k42/reconfig/adapt"
)

// The sequential policy (paper §6.3: "a file being accessed sequentially
// is switched to an FCM that discards pages behind the reader"). It is a
// wrapper on each file's FCM entry that watches the page requests (ReadAt
// and WriteAt) and, through the policy worker, swaps the FCM to
// sequential after more than `after` sequential pages and back to the
// implementation it had after more than `back` non-sequential requests.
//
// It does so only for a file of at least `min_pages` pages (by default
// an eighth of the page cache's budget, at least 20): the sequential FCM
// is there so that one stream cannot fill the cache, and a file under an
// eighth of it cannot, while a whole-file reader of a small file it reads
// again (a dictionary, a header, a source file under a build) would miss
// on every read if the FCM gave its pages back behind it (Figure 7's SDET
// at 0 streams ran at 0.43x the default when every file past 20
// sequential pages went sequential, its 50-page dictionary among them).
// The size is the FCM's count of the file's distinct pages (Env.Pages),
// one atomic load; a file being written sequentially qualifies once it
// has grown past it. The run's threshold stays K42's 20 pages, so that
// a stream is caught before it has filled much of the cache.
//
// Counting: a request covers the pages from off/PageSize to
// (off+len-1)/PageSize. It is sequential if its first page is the last
// page of the request before it or the one after (a stream reading a page
// in pieces goes on in the same page). A run of sequential requests counts
// the distinct pages it has covered, the first request's included; a
// non-sequential request starts a new run with its own pages and, while
// the policy has the FCM sequential, counts one non-sequential request (a
// sequential request sets that count back to 0). So a reader of 20 whole
// pages in order leaves the FCM alone and the 21st page swaps it; 10
// random requests after that keep it, the 11th swaps it back.
//
// A monitor that finds its file's state taken by another CPU's call skips
// the request: calls at once from several CPUs are not one stream, and the
// monitor must not make the requests of a replicated FCM share a lock.

// PolicySequential is the policy's name.
const PolicySequential = "sequential"

// SetPolicies registers the sequential policy in r and watches every
// file made from now on (and every live one).
func (m *Manager) SetPolicies(r *adapt.Registry) {
	p := r.Register(PolicySequential, "a file's FCM goes to sequential after a run of more than `after` sequential pages if the file has at least `min_pages` pages, back after more than `back` non-sequential requests",
		adapt.ParamSpec{Name: "after", Doc: "sequential pages in a run that make the FCM sequential", Default: 20},
		adapt.ParamSpec{Name: "min_pages", Doc: "pages a file must have for its FCM to be made sequential (default: an eighth of the page cache, at least 20)", Default: SequentialMinPages(m.cache.Budget())},
		adapt.ParamSpec{Name: "back", Doc: "non-sequential requests that send it back", Default: 10})
	m.mu.Lock()
	m.seq = p
	files := make([]*File, 0, len(m.files))
	for f := range m.files {
		files = append(files, f)
	}
	m.mu.Unlock()
	for _, f := range files {
		f.watch(p)
	}
}

// SequentialMinPages is the sequential policy's default `min_pages` for a
// page cache of budget pages: an eighth of it, at least 20 pages.
func SequentialMinPages(budget int64) int64 { return max(20, budget/8) }

// seqMonitor is the policy's wrapper on one file's FCM.
type seqMonitor struct {
	f *File
	p *adapt.Policy

	mu     sync.Mutex
	last   int64  // last page of the previous request; -2: none
	run    int64  // pages of the current sequential run
	nonseq int64  // non-sequential requests since the FCM went sequential
	was    string // the implementation the policy swapped from; "": it has not
	queued bool   // a decision is with the worker
}

// watch attaches the sequential policy's monitor to f's FCM entry.
func (f *File) watch(p *adapt.Policy) {
	if p == nil {
		return
	}
	w := &seqMonitor{f: f, p: p, last: -2}
	if _, err := f.entry.Attach(w, "ReadAt", "WriteAt"); err == nil {
		f.seq = w
	}
}

// PreCall implements reconfig.Wrapper.
func (w *seqMonitor) PreCall(c *reconfig.Call) {
	c.SkipPost()
	if !w.p.On() {
		return
	}
	pp, ok1 := c.Arg(1).(*[]byte)
	op, ok2 := c.Arg(2).(*int64)
	if !ok1 || !ok2 || len(*pp) == 0 || *op < 0 {
		return
	}
	first := *op / fs.PageSize
	last := (*op + int64(len(*pp)) - 1) / fs.PageSize
	if !w.mu.TryLock() {
		return
	}
	defer w.mu.Unlock()
	w.observe(first, last)
}

// observe counts one request of pages first to last. w.mu is held.
func (w *seqMonitor) observe(first, last int64) {
	switch {
	case first == w.last || first == w.last+1:
		w.run += last - w.last // the pages it adds to the run
		w.nonseq = 0
	default:
		w.run = last - first + 1
		if w.was != "" {
			w.nonseq++
		}
	}
	w.last = last
	if w.queued {
		return
	}
	after, back := w.p.Param("after").Get(), w.p.Param("back").Get()
	if w.was != "" && w.run > after && w.run%64 == 0 && w.f.Impl() != ImplSequential {
		// The policy made the FCM sequential and someone else has swapped
		// it since (a factory upgrade, a pin): the policy no longer has it
		// sequential, and this long run decides afresh. (Looked at once in
		// 64 pages of a run: the implementation's name is behind the
		// entry's lock.)
		w.was, w.nonseq = "", 0
	}
	switch {
	case w.was == "" && w.run > after && w.f.env.Pages.Load() >= w.p.Param("min_pages").Get():
		w.queued = true
		reason := fmt.Sprintf("%d sequential pages", w.run)
		w.p.Decide(w.f.Name(), reason, func() (string, string, error) {
			from, err := w.f.SwapTo(ImplSequential)
			w.mu.Lock()
			w.queued = false
			if err == nil && from != ImplSequential {
				w.was, w.nonseq = from, 0
			}
			w.mu.Unlock()
			return from, ImplSequential, err
		})
	case w.was != "" && w.nonseq > back:
		w.queued = true
		to := w.was
		reason := fmt.Sprintf("%d non-sequential requests", w.nonseq)
		w.p.Decide(w.f.Name(), reason, func() (string, string, error) {
			from, err := w.f.SwapTo(to)
			w.mu.Lock()
			w.queued = false
			if err == nil {
				w.was, w.run = "", 0
			}
			w.mu.Unlock()
			return from, to, err
		})
	}
}

// PostCall implements reconfig.Wrapper.
func (w *seqMonitor) PostCall(*reconfig.Call) {}
