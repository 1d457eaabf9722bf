package fcm

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"

	"k42/mm/pagecache"
	"k42/reconfig"
)

// Replicated is K42's FCMDefaultMultiRep: a master page table (the
// machinery Single is made of, under its lock) plus, per CPU, a replica
// made on that CPU's first access: a map from page index to the page's
// frame under a lock of the replica's own. A read that hits in its CPU's
// replica takes only that lock and writes only the replica's lines (its
// lock, the entry's use bit, the CPU's row of counters), so readers on
// different CPUs share no written cache line. A miss in the replica goes
// to the master, which records in the page's descriptor which CPUs hold
// it, and fills the replica. Every change (writes, truncation, eviction)
// goes through the master, which removes a page from exactly the replicas
// that hold it. Locks are taken master first, then a replica.
//
// Unlike K42's (whose giveBack answered PINNED), it takes part in paging:
// a page counts as used if the master's bit or any replica's bit says so.
//
// A replica entry's use bit is written by its own CPU on a hit (only when
// it was clear) and cleared by the pager; replicas and their entries are
// allocated by the CPU that uses them, so Go's per-P allocation puts them
// in that CPU's spans. The bitmask limits it to 64 CPUs (the kernel's
// limit); a larger machine would fold CPUs onto replicas.
type Replicated struct {
	paged
	reps []repSlot
}

// repSlot holds one CPU's replica pointer, alone on its line pair (it is
// written once, read on every access from that CPU).
type repSlot struct {
	p atomic.Pointer[replica]
	_ [120]byte
}

// replica is one CPU's copy of the page table's mappings.
type replica struct {
	mu    sync.Mutex
	pages map[int64]*rent
	_     [112]byte // its lock alone on its line pair
}

type rent struct {
	page *pagecache.Page
	ref  bool
}

var _ interface {
	FCM
	reconfig.Transferer
} = (*Replicated)(nil)

// NewReplicated returns an empty replicated FCM over env.
func NewReplicated(env *Env) *Replicated {
	r := new(Replicated)
	r.init(env, newTable())
	return r
}

func (r *Replicated) init(env *Env, t *table) {
	r.paged.init(env, t)
	r.reps = make([]repSlot, min(64, env.Cache.NumCPU()))
	r.dropped = r.unmap
	r.referenced = r.replicaUsed
	r.exclude = r.lockReplicas
}

// lockReplicas locks (or unlocks) the replicas holding page d, so that
// a write does not change the bytes a reader is copying. r.mu held.
func (r *Replicated) lockReplicas(d *desc, lock bool) {
	for m := d.cpus; m != 0; m &= m - 1 {
		rp := r.reps[bits.TrailingZeros64(m)].p.Load()
		if lock {
			rp.mu.Lock()
		} else {
			rp.mu.Unlock()
		}
	}
}

// replica returns cpu's replica and its bit, making it on first use.
func (r *Replicated) replica(cpu int) (*replica, int) {
	i := cpu % len(r.reps)
	if rp := r.reps[i].p.Load(); rp != nil {
		return rp, i
	}
	rp := &replica{pages: make(map[int64]*rent)}
	if !r.reps[i].p.CompareAndSwap(nil, rp) {
		rp = r.reps[i].p.Load()
	}
	return rp, i
}

// unmap removes page idx from the replicas holding it. r.mu held.
func (r *Replicated) unmap(idx int64, d *desc) {
	for m := d.cpus; m != 0; m &= m - 1 {
		rp := r.reps[bits.TrailingZeros64(m)].p.Load()
		rp.mu.Lock()
		delete(rp.pages, idx)
		rp.mu.Unlock()
	}
	d.cpus = 0
}

// replicaUsed tests and clears the replicas' use bits of page idx. r.mu
// held.
func (r *Replicated) replicaUsed(idx int64, d *desc) bool {
	used := false
	for m := d.cpus; m != 0; m &= m - 1 {
		rp := r.reps[bits.TrailingZeros64(m)].p.Load()
		rp.mu.Lock()
		if e := rp.pages[idx]; e != nil && e.ref {
			e.ref = false
			used = true
		}
		rp.mu.Unlock()
	}
	return used
}

// ReadAt implements FCM: the CPU's replica first.
func (r *Replicated) ReadAt(_ context.Context, p []byte, off int64) (int, error) {
	cpu := r.env.Cache.CPU()
	rp, bit := r.replica(cpu)
	n, hits := 0, int64(0)
	for n < len(p) {
		idx, in := (off+int64(n))/pageSize, int((off+int64(n))%pageSize)
		chunk := min(len(p)-n, pageSize-in)
		rp.mu.Lock()
		e := rp.pages[idx]
		if e == nil {
			rp.mu.Unlock()
			break
		}
		copy(p[n:n+chunk], e.page[in:])
		if !e.ref {
			e.ref = true
		}
		rp.mu.Unlock()
		n += chunk
		hits++
	}
	r.env.count(cpu, pagecache.Hits, hits)
	r.env.count(cpu, pagecache.BytesRead, int64(n))
	if n == len(p) {
		return n, nil
	}
	// The rest through the master, filling the replica.
	m, err := r.readAt(p[n:], off+int64(n), cpu, func(idx int64, d *desc) {
		if d.cpus&(1<<bit) != 0 {
			return
		}
		d.cpus |= 1 << bit
		rp.mu.Lock()
		rp.pages[idx] = &rent{page: d.page, ref: true}
		rp.mu.Unlock()
	})
	return n + m, err
}

// WriteAt implements FCM: through the master (the frames are shared, so
// every replica sees the data).
func (r *Replicated) WriteAt(_ context.Context, p []byte, off int64) (int, error) {
	return r.writeAt(p, off, r.env.Cache.CPU())
}

// Truncate implements FCM.
func (r *Replicated) Truncate(_ context.Context, size int64) error {
	return r.truncate(size, r.env.Cache.CPU())
}

// Sync implements FCM.
func (r *Replicated) Sync(context.Context) error { return r.sync(r.env.Cache.CPU()) }

// SeekPage implements FCM.
func (r *Replicated) SeekPage(_ context.Context, page, end int64, data bool) int64 {
	return r.seekPage(page, end, data)
}

// GiveBack implements FCM: the clock over the master, with the
// replicas' use bits.
func (r *Replicated) GiveBack(_ context.Context, want int, _ pagecache.Level) int {
	return r.giveBackClock(r.env.Cache.CPU(), want)
}

// Info implements FCM, with each CPU's replica size.
func (r *Replicated) Info(context.Context) Info {
	in := r.info(ImplReplicated)
	in.Replicas = make([]int, len(r.reps))
	for i := range r.reps {
		if rp := r.reps[i].p.Load(); rp != nil {
			rp.mu.Lock()
			in.Replicas[i] = len(rp.pages)
			rp.mu.Unlock()
		}
	}
	return in
}

// Release implements FCM.
func (r *Replicated) Release(context.Context) { r.release() }

// Protocols implements reconfig.Transferer.
func (r *Replicated) Protocols() (export, import_ reconfig.ProtocolSet) {
	ps := reconfig.Protocols(ProtoCanonical, ProtoTable)
	return ps, ps
}

// Export implements reconfig.Transferer: the master is the state; the
// replicas are rebuilt on demand by the next FCM, if it has any.
func (r *Replicated) Export(p reconfig.Protocol) (any, error) { return r.exportState(p) }

// Import implements reconfig.Transferer.
func (r *Replicated) Import(p reconfig.Protocol, st any) error {
	if err := r.importState(p, st); err != nil {
		return err
	}
	r.init(r.env, r.t)
	return nil
}

// Prefetch implements FCM: into the master table (replicas copy from it
// on their next miss).
func (r *Replicated) Prefetch(_ context.Context, page int64) { r.prefetch(r.env.Cache.CPU(), page) }

// WriteBack implements FCM.
func (r *Replicated) WriteBack(context.Context) error { return r.writeDirty(r.env.Cache.CPU()) }
