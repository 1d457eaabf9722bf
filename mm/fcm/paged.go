package fcm

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"syscall"

	"k42/mm/pagecache"
	"k42/reconfig"
)

const pageSize = pagecache.PageSize

// paged is the machinery single and sequential are made of, and the
// replicated FCM's master: one page table under one lock, pages faulted
// in from the backing store through the cache, written back on eviction
// and sync. The lock is never held while allocating a page (Alloc may
// wait for the pager, which takes this lock to ask for pages back).
type paged struct {
	env *Env
	mu  sync.Mutex
	t   *table

	// dropped, if set, is told (with mu held) of each page leaving the
	// table: the replicated FCM removes it from the replicas.
	dropped func(idx int64, d *desc)
	// referenced, if set, tests and clears whether a page was used
	// since the pager last looked, beyond d.ref (replicas' own bits).
	referenced func(idx int64, d *desc) bool
	// exclude, if set, is called (mu held) before a write changes page
	// d's bytes and after (lock false): the replicated FCM's readers copy
	// from a page under their replica's lock, not mu.
	exclude func(d *desc, lock bool)
}

// errRetry is fault's answer when a truncation came while it read: look
// the page up again.
var errRetry = errors.New("fcm: truncated meanwhile")

func (p *paged) init(env *Env, t *table) {
	p.env, p.t = env, t
}

// touch marks d used. mu held.
func (p *paged) touch(d *desc) {
	d.ref = true
	p.t.clock++
	d.stamp = p.t.clock
}

// fault brings page idx into the table: from the store, or (for a write)
// as a new zeroed page taken from the limit; whole says the caller will
// overwrite the whole page, so nothing need be read. It is called without
// mu and returns with mu held, and returns a nil desc (mu held) if a read
// found a hole.
func (p *paged) fault(cpu int, idx int64, write, whole bool, truncs uint64) (*desc, error) {
	env := p.env
	stored := env.Backing.Stored(idx)
	if !write && !stored {
		p.mu.Lock()
		if d := p.t.pages[idx]; d != nil {
			return d, nil
		}
		return nil, nil
	}
	pg, err := env.Cache.Alloc()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", syscall.ENOMEM, err)
	}
	taken := false
	var ahead []*pagecache.Page // pages idx+1, ... read with idx
	switch {
	case stored && !whole:
		if ahead, err = p.read(idx, pg, !write); err != nil {
			env.Cache.Free(pg)
			return nil, fmt.Errorf("%w (%v)", syscall.EIO, err)
		}
		env.count(cpu, pagecache.BytesIn, pageSize*int64(1+len(ahead)))
	case !stored:
		if !env.Limit.Take() {
			env.Cache.Free(pg)
			return nil, syscall.ENOSPC
		}
		taken = true
		clear(pg[:])
	}
	p.mu.Lock()
	if ahead != nil {
		p.arrived(idx) // entered below, or dropped: either way readers look again
	}
	if p.t.truncs != truncs {
		// A truncation came while the page was read (only reads run
		// beside truncations): what was read may be stale.
		env.Cache.Free(pg)
		for _, q := range ahead {
			env.Cache.Free(q)
		}
		if taken {
			env.Limit.Return(1)
		}
		return nil, errRetry
	}
	for i, q := range ahead {
		if j := idx + 1 + int64(i); p.t.pages[j] == nil {
			d := &desc{page: q}
			if i == len(ahead)/2 && len(ahead) >= minAsync {
				d.next = idx + 1 + int64(len(ahead)) // the page after the cluster
			}
			p.t.pages[j] = d
		} else {
			env.Cache.Free(q) // faulted in meanwhile: its copy may be newer
		}
	}
	if d := p.t.pages[idx]; d != nil {
		// Another reader faulted it in meanwhile.
		env.Cache.Free(pg)
		if taken {
			env.Limit.Return(1)
		}
		return d, nil
	}
	if taken {
		env.Pages.Add(1)
	}
	d := &desc{page: pg}
	p.t.pages[idx] = d
	return d, nil
}

// readAhead bounds the pages a read miss brings in beyond its own.
const readAhead = 255

// minAsync is the smallest cluster whose middle page asks for the next
// one: a stream reads on while the next cluster comes in (the
// asynchronous half of read-ahead; a short cluster is the end of a file
// or a cache under pressure).
const minAsync = 16

// pending returns the done channel of the run being read that holds idx,
// or nil. mu held.
func (p *paged) pending(idx int64) chan struct{} {
	for _, r := range p.t.reading {
		if idx >= r.lo && idx < r.hi {
			return r.done
		}
	}
	return nil
}

// arrived ends the run being read from lo: its readers look again. mu
// held.
func (p *paged) arrived(lo int64) {
	for i, r := range p.t.reading {
		if r.lo == lo {
			close(r.done)
			p.t.reading = append(p.t.reading[:i], p.t.reading[i+1:]...)
			return
		}
	}
}

// prefetch is Prefetch over the table: page idx faulted in, if stored
// and not resident, with what read brings in with it.
func (p *paged) prefetch(cpu int, idx int64) {
	if !p.env.Backing.Stored(idx) {
		return
	}
	if _, _, err := p.page(cpu, idx, false, false); err == nil {
		p.mu.Unlock()
	}
}

// read fills pg with stored page idx. When ahead allows, the miss follows
// the page before it (a stream: the first page, or one whose predecessor
// is resident), the cache is not under pressure (HIGH) and the backing
// store keeps the pages after idx next to it, they come in the same
// request: a read-ahead that makes
// a sequential read of a cold file cost one device request per
// 1+readAhead pages instead of one per page. The pages read ahead are
// returned, for the caller to enter where the table has none. mu is not
// held.
func (p *paged) read(idx int64, pg *pagecache.Page, ahead bool) ([]*pagecache.Page, error) {
	env := p.env
	c, ok := env.Backing.(pagecache.Clustered)
	n := 1
	if ok && ahead && env.Cache.Level() == pagecache.High {
		p.mu.Lock()
		if idx == 0 || p.t.pages[idx-1] != nil { // after the page before: a stream
			// At most a quarter of the free pages: what is read ahead
			// is not in the table until the read ends, so the pager
			// cannot take it back meanwhile. (The store's lock nests
			// inside mu, as for write-back.)
			free := int(env.Cache.Budget() - env.Cache.Used())
			n = c.Cluster(idx, min(1+readAhead, 1+free/4))
		}
		for k := 1; k < n; k++ {
			if p.t.pages[idx+int64(k)] != nil || p.pending(idx+int64(k)) != nil {
				n = k // the run ends at the first page resident or on its way
				break
			}
		}
		if n > 1 {
			p.t.reading = append(p.t.reading, pendingRun{lo: idx, hi: idx + int64(n), done: make(chan struct{})})
		}
		p.mu.Unlock()
	}
	if n <= 1 {
		_, err := env.Backing.ReadPage(idx, pg)
		return nil, err
	}
	pages := make([]*pagecache.Page, 1, n)
	pages[0] = pg
	for len(pages) < n && env.Cache.Level() == pagecache.High {
		q, err := env.Cache.Alloc()
		if err != nil {
			break
		}
		pages = append(pages, q)
	}
	if err := c.ReadPages(idx, pages); err != nil {
		for _, q := range pages[1:] {
			env.Cache.Free(q)
		}
		p.mu.Lock()
		p.arrived(idx)
		p.mu.Unlock()
		return nil, err
	}
	return pages[1:], nil
}

// readAt is ReadAt over the table; filled, if set, is called (mu held)
// for each page found or faulted in, before it is copied.
func (p *paged) readAt(buf []byte, off int64, cpu int, filled func(idx int64, d *desc)) (int, error) {
	return p.access(buf, off, cpu, false, filled)
}

// writeAt is WriteAt over the table.
func (p *paged) writeAt(buf []byte, off int64, cpu int) (int, error) {
	return p.access(buf, off, cpu, true, nil)
}

// access reads buf from the pages at off, or writes it to them, page by
// page (each under mu), counting hits, misses and the bytes moved.
func (p *paged) access(buf []byte, off int64, cpu int, write bool, filled func(idx int64, d *desc)) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	n := 0
	hits, misses := int64(0), int64(0)
	defer func() {
		p.env.count(cpu, pagecache.Hits, hits)
		p.env.count(cpu, pagecache.Misses, misses)
		if write {
			p.env.count(cpu, pagecache.BytesWritten, int64(n))
		} else {
			p.env.count(cpu, pagecache.BytesRead, int64(n))
		}
	}()
	for n < len(buf) {
		idx, in := (off+int64(n))/pageSize, int((off+int64(n))%pageSize)
		b := buf[n:min(len(buf), n+pageSize-in)]
		d, hit, err := p.page(cpu, idx, write, write && len(b) == pageSize)
		if err != nil {
			return n, err
		}
		if hit {
			hits++
			if d != nil && d.next != 0 && !write {
				if p.env.Ahead != nil {
					p.env.Ahead(d.next)
				}
				d.next = 0
			}
		} else {
			misses++
		}
		switch {
		case write:
			p.excluding(d, true)
			copy(d.page[in:], b)
			p.excluding(d, false)
			p.dirty(d)
			p.touch(d)
		case d == nil:
			clear(b) // a hole
		default:
			if filled != nil {
				filled(idx, d)
			}
			copy(b, d.page[in:])
			p.touch(d)
		}
		p.mu.Unlock()
		n += len(b)
	}
	return n, nil
}

// page returns page idx with mu held: found in the table (hit), or
// faulted in (see fault: write makes a missing page, whole says it will be
// overwritten whole); nil, with mu held, for a hole on a read. A read that
// a truncation overtook looks again. On error mu is not held.
func (p *paged) page(cpu int, idx int64, write, whole bool) (*desc, bool, error) {
	for {
		p.mu.Lock()
		if d := p.t.pages[idx]; d != nil {
			return d, true, nil
		}
		if ch := p.pending(idx); ch != nil {
			p.mu.Unlock()
			<-ch // being read ahead: wait for it, then look again
			continue
		}
		truncs := p.t.truncs
		p.mu.Unlock()
		d, err := p.fault(cpu, idx, write, whole, truncs)
		if err == errRetry {
			p.mu.Unlock() // (writes never meet a truncation: the file system orders them)
			continue
		}
		return d, false, err
	}
}

// excluding brackets a change of page d's bytes (see exclude). mu held.
func (p *paged) excluding(d *desc, lock bool) {
	if p.exclude != nil {
		p.exclude(d, lock)
	}
}

// dirty marks d dirty. mu held.
func (p *paged) dirty(d *desc) {
	if !d.dirty {
		d.dirty = true
		p.t.dirty++
	}
}

// truncate is Truncate over the table.
func (p *paged) truncate(size int64, cpu int) error {
	if size < 0 {
		return syscall.EINVAL
	}
	keep := (size + pageSize - 1) / pageSize
	// The table and the store are cut together, under mu, and the count
	// of truncations bumped: a read that saw the page stored before this
	// and reads it now finds the count changed once it holds mu again,
	// and a read that looks after finds it neither cached nor stored.
	p.mu.Lock()
	p.t.truncs++
	gone := make(map[int64]bool)
	for idx, d := range p.t.pages {
		if idx >= keep {
			p.drop(idx, d)
			gone[idx] = true
		}
	}
	for _, idx := range p.env.Backing.Truncate(keep) {
		gone[idx] = true
	}
	p.mu.Unlock()
	if len(gone) > 0 {
		p.env.Pages.Add(-int64(len(gone)))
		p.env.Limit.Return(len(gone))
	}
	in := int(size % pageSize)
	if in == 0 {
		return nil
	}
	// Zero the tail of the last page, so that an extension reads zeros.
	idx := size / pageSize
	d, _, err := p.page(cpu, idx, false, false)
	if err != nil {
		return err
	}
	if d != nil {
		p.excluding(d, true)
		clear(d.page[in:])
		p.excluding(d, false)
		p.dirty(d)
	}
	p.mu.Unlock()
	return nil
}

// drop removes page idx from the table and frees it, written back or not.
// mu held.
func (p *paged) drop(idx int64, d *desc) {
	if p.dropped != nil {
		p.dropped(idx, d)
	}
	if d.dirty {
		p.t.dirty--
	}
	delete(p.t.pages, idx)
	p.env.Cache.Free(d.page)
}

// writeBack writes d back if it is dirty. mu held.
func (p *paged) writeBack(cpu int, idx int64, d *desc) error {
	if !d.dirty {
		return nil
	}
	if err := p.env.Backing.WritePage(idx, d.page); err != nil {
		return err
	}
	d.dirty = false
	p.t.dirty--
	p.env.count(cpu, pagecache.WriteBacks, 1)
	p.env.count(cpu, pagecache.BytesOut, pageSize)
	return nil
}

// evict writes d back and drops it; it reports false if the write-back
// failed (the page stays). mu held.
func (p *paged) evict(cpu int, idx int64, d *desc) bool {
	if p.writeBack(cpu, idx, d) != nil {
		return false
	}
	p.drop(idx, d)
	p.env.count(cpu, pagecache.Evictions, 1)
	return true
}

// sync writes every dirty page back and flushes the store.
func (p *paged) sync(cpu int) error {
	if err := p.writeDirty(cpu); err != nil {
		return err
	}
	if err := p.env.Backing.Flush(); err != nil {
		return fmt.Errorf("%w (%v)", syscall.EIO, err)
	}
	return nil
}

// writeDirty writes every dirty page back, in file order, without
// flushing the store.
func (p *paged) writeDirty(cpu int) error {
	p.mu.Lock()
	dirty := make([]int64, 0, p.t.dirty)
	for idx, d := range p.t.pages {
		if d.dirty {
			dirty = append(dirty, idx)
		}
	}
	err := p.writeBackAll(cpu, inOrder(dirty))
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w (%v)", syscall.EIO, err)
	}
	return nil
}

// used tests and clears whether d was used since the pager last looked.
// mu held.
func (p *paged) used(idx int64, d *desc) bool {
	r := d.ref
	d.ref = false
	if p.referenced != nil && p.referenced(idx, d) {
		r = true
	}
	return r
}

// giveBackClock is the clock algorithm over the table (Go's map order is
// the hand, starting somewhere new each time): pages used since the last
// visit get a second chance; if that frees too few, a second sweep takes
// the rest.
func (p *paged) giveBackClock(cpu, want int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	freed := 0
	for pass := 0; pass < 2 && freed < want; pass++ {
		var victims []int64
		for idx, d := range p.t.pages {
			if freed+len(victims) >= want {
				break
			}
			if pass == 0 && p.used(idx, d) {
				continue
			}
			victims = append(victims, idx)
		}
		p.writeBackAll(cpu, inOrder(victims)) // a page that fails stays, dirty
		for _, idx := range victims {
			if p.evict(cpu, idx, p.t.pages[idx]) {
				freed++
			}
		}
	}
	return freed
}

// writeCluster bounds the pages written back in one request.
const writeCluster = 64

// writeBackAll writes back the dirty pages among idxs (sorted): each run
// of consecutive dirty pages in one request when the backing store is
// Clustered (up to writeCluster pages), else page by page. It returns
// the first error; the pages it could not write stay dirty. mu held.
func (p *paged) writeBackAll(cpu int, idxs []int64) error {
	c, clustered := p.env.Backing.(pagecache.Clustered)
	var first error
	for i := 0; i < len(idxs); {
		d := p.t.pages[idxs[i]]
		if d == nil || !d.dirty {
			i++
			continue
		}
		j := i + 1
		for clustered && j < len(idxs) && j-i < writeCluster && idxs[j] == idxs[j-1]+1 {
			if e := p.t.pages[idxs[j]]; e == nil || !e.dirty {
				break
			}
			j++
		}
		if j-i == 1 {
			if err := p.writeBack(cpu, idxs[i], d); err != nil && first == nil {
				first = err
			}
			i++
			continue
		}
		pages := make([]*pagecache.Page, j-i)
		for k := range pages {
			pages[k] = p.t.pages[idxs[i+k]].page
		}
		if err := c.WritePages(idxs[i], pages); err != nil {
			if first == nil {
				first = err
			}
		} else {
			for k := i; k < j; k++ {
				p.t.pages[idxs[k]].dirty = false
			}
			p.t.dirty -= j - i
			p.env.count(cpu, pagecache.WriteBacks, int64(j-i))
			p.env.count(cpu, pagecache.BytesOut, pageSize*int64(j-i))
		}
		i = j
	}
	return first
}

// inOrder sorts page indexes, so that the pages chosen for write-back
// reach the store in file order: a store that places a page after its
// neighbour's (pagecache.FileStore) then keeps a file's pages side by
// side, which read-ahead needs.
func inOrder(idxs []int64) []int64 {
	sort.Slice(idxs, func(i, j int) bool { return idxs[i] < idxs[j] })
	return idxs
}

// giveBackMRU gives back the most recently used pages first: for a
// stream, the pages it has just passed.
func (p *paged) giveBackMRU(cpu, want int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	type victim struct {
		idx   int64
		stamp uint64
	}
	vs := make([]victim, 0, len(p.t.pages))
	for idx, d := range p.t.pages {
		vs = append(vs, victim{idx, d.stamp})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].stamp > vs[j].stamp })
	victims := make([]int64, 0, min(want, len(vs)))
	for _, v := range vs[:min(want, len(vs))] {
		victims = append(victims, v.idx)
	}
	p.writeBackAll(cpu, inOrder(victims))
	freed := 0
	for _, idx := range victims {
		if p.evict(cpu, idx, p.t.pages[idx]) {
			freed++
		}
	}
	return freed
}

// seekPage is SeekPage over the table and the store.
func (p *paged) seekPage(page, end int64, data bool) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !data {
		for ; page < end; page++ {
			if p.t.pages[page] == nil && !p.env.Backing.Stored(page) {
				return page
			}
		}
		return end
	}
	best := p.env.Backing.NextStored(page, end)
	if best-page <= int64(len(p.t.pages)) {
		for i := page; i < best; i++ {
			if p.t.pages[i] != nil {
				return i
			}
		}
		return best
	}
	for idx := range p.t.pages {
		if idx >= page && idx < best {
			best = idx
		}
	}
	return best
}

// release drops every page and the stored copy.
func (p *paged) release() {
	p.mu.Lock()
	for idx, d := range p.t.pages {
		p.drop(idx, d)
	}
	p.mu.Unlock()
	p.env.Backing.Release()
	if n := p.env.Pages.Swap(0); n > 0 {
		p.env.Limit.Return(int(n))
	}
}

// info fills the table's part of an Info.
func (p *paged) info(impl string) Info {
	p.mu.Lock()
	in := Info{Impl: impl, Resident: len(p.t.pages), Dirty: p.t.dirty}
	p.mu.Unlock()
	in.Pages = p.env.Pages.Load()
	in.Stored = p.env.Backing.Pages()
	in.Counts = p.env.Stats.Snapshot()
	return in
}

// exportState exports the table in protocol pr. mu must not be held; no
// call is in the FCM (the transfer phase).
func (p *paged) exportState(pr reconfig.Protocol) (any, error) {
	switch pr {
	case ProtoTable:
		return &tableState{env: p.env, t: p.t}, nil
	case ProtoCanonical:
		c := &Canonical{Env: p.env, Pages: make([]CanonicalPage, 0, len(p.t.pages))}
		for idx, d := range p.t.pages {
			c.Pages = append(c.Pages, CanonicalPage{Index: idx, Page: d.page, Dirty: d.dirty})
		}
		return c, nil
	}
	return nil, fmt.Errorf("fcm: no export in protocol %d", pr)
}

// importState takes state exported in protocol pr; it changes nothing
// until it knows it will succeed.
func (p *paged) importState(pr reconfig.Protocol, st any) error {
	switch pr {
	case ProtoTable:
		ts, ok := st.(*tableState)
		if !ok || ts.env == nil || ts.t == nil {
			return fmt.Errorf("fcm: protocol %d state is %T", pr, st)
		}
		for _, d := range ts.t.pages {
			d.cpus = 0 // no replica of the new FCM holds a page yet
		}
		p.init(ts.env, ts.t)
		return nil
	case ProtoCanonical:
		c, ok := st.(*Canonical)
		if !ok || c.Env == nil {
			return fmt.Errorf("fcm: canonical state is %T", st)
		}
		t := newTable()
		for _, cp := range c.Pages {
			if cp.Page == nil {
				return fmt.Errorf("fcm: canonical state: page %d has no frame", cp.Index)
			}
			if _, dup := t.pages[cp.Index]; dup {
				return fmt.Errorf("fcm: canonical state: page %d twice", cp.Index)
			}
			t.pages[cp.Index] = &desc{page: cp.Page, dirty: cp.Dirty}
			if cp.Dirty {
				t.dirty++
			}
		}
		p.init(c.Env, t)
		return nil
	}
	return fmt.Errorf("fcm: no import in protocol %d", pr)
}
