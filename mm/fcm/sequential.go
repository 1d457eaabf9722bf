package fcm

import (
	"context"

	"k42/mm/pagecache"
	"k42/reconfig"
)

// Sequential is the FCM for streams, approximating MRU: while the file is
// read or written sequentially, the pages behind the current access are
// given back as soon as the access has passed them (a dirty one written
// back first), so one stream over a file larger than the cache holds only
// the pages it is in; and when the pager asks, the most recently used
// pages go first, which for a stream are the ones it will not come back
// to. An access that is not sequential ends the run and keeps its pages.
type Sequential struct {
	paged
	next int64 // the page a sequential access starts at (or next-1, a partial page again); mu
	run  int   // sequential accesses in a row; mu
}

var _ interface {
	FCM
	reconfig.Transferer
} = (*Sequential)(nil)

// NewSequential returns an empty sequential FCM over env.
func NewSequential(env *Env) *Sequential {
	s := new(Sequential)
	s.init(env, newTable())
	return s
}

// behind follows the stream after an access to [off, off+n): if it
// continues the run, the pages before the access's first page are given
// back.
func (s *Sequential) behind(cpu int, off int64, n int) {
	if n <= 0 {
		return
	}
	first, last := off/pageSize, (off+int64(n)-1)/pageSize
	s.mu.Lock()
	defer s.mu.Unlock()
	if first == s.next || first == s.next-1 {
		s.run++
	} else {
		s.run = 0
	}
	s.next = last + 1
	if s.run == 0 {
		return
	}
	if int64(len(s.t.pages)) <= last-first+1 {
		return // only the pages of this access
	}
	for idx, d := range s.t.pages {
		if idx < first {
			s.evict(cpu, idx, d)
		}
	}
}

// ReadAt implements FCM.
func (s *Sequential) ReadAt(_ context.Context, p []byte, off int64) (int, error) {
	cpu := s.env.Cache.CPU()
	n, err := s.readAt(p, off, cpu, nil)
	s.behind(cpu, off, n)
	return n, err
}

// WriteAt implements FCM.
func (s *Sequential) WriteAt(_ context.Context, p []byte, off int64) (int, error) {
	cpu := s.env.Cache.CPU()
	n, err := s.writeAt(p, off, cpu)
	s.behind(cpu, off, n)
	return n, err
}

// Truncate implements FCM.
func (s *Sequential) Truncate(_ context.Context, size int64) error {
	return s.truncate(size, s.env.Cache.CPU())
}

// Sync implements FCM.
func (s *Sequential) Sync(context.Context) error { return s.sync(s.env.Cache.CPU()) }

// SeekPage implements FCM.
func (s *Sequential) SeekPage(_ context.Context, page, end int64, data bool) int64 {
	return s.seekPage(page, end, data)
}

// GiveBack implements FCM: most recently used first.
func (s *Sequential) GiveBack(_ context.Context, want int, _ pagecache.Level) int {
	return s.giveBackMRU(s.env.Cache.CPU(), want)
}

// Info implements FCM.
func (s *Sequential) Info(context.Context) Info { return s.info(ImplSequential) }

// Release implements FCM.
func (s *Sequential) Release(context.Context) { s.release() }

// Protocols implements reconfig.Transferer.
func (s *Sequential) Protocols() (export, import_ reconfig.ProtocolSet) {
	ps := reconfig.Protocols(ProtoCanonical, ProtoTable)
	return ps, ps
}

// Export implements reconfig.Transferer.
func (s *Sequential) Export(p reconfig.Protocol) (any, error) { return s.exportState(p) }

// Import implements reconfig.Transferer.
func (s *Sequential) Import(p reconfig.Protocol, st any) error { return s.importState(p, st) }

// Prefetch implements FCM.
func (s *Sequential) Prefetch(_ context.Context, page int64) { s.prefetch(s.env.Cache.CPU(), page) }

// WriteBack implements FCM.
func (s *Sequential) WriteBack(context.Context) error { return s.writeDirty(s.env.Cache.CPU()) }
