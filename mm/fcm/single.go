package fcm

import (
	"context"

	"k42/mm/pagecache"
	"k42/reconfig"
)

// Single is K42's FCMDefault: one page table under one lock. It uses the
// least memory; every access, from any CPU, takes the one lock. The pager
// gets pages back by the clock algorithm.
type Single struct{ paged }

var _ interface {
	FCM
	reconfig.Transferer
} = (*Single)(nil)

// NewSingle returns an empty single FCM over env.
func NewSingle(env *Env) *Single {
	s := new(Single)
	s.init(env, newTable())
	return s
}

// ReadAt implements FCM.
func (s *Single) ReadAt(_ context.Context, p []byte, off int64) (int, error) {
	return s.readAt(p, off, s.env.Cache.CPU(), nil)
}

// WriteAt implements FCM.
func (s *Single) WriteAt(_ context.Context, p []byte, off int64) (int, error) {
	return s.writeAt(p, off, s.env.Cache.CPU())
}

// Truncate implements FCM.
func (s *Single) Truncate(_ context.Context, size int64) error {
	return s.truncate(size, s.env.Cache.CPU())
}

// Sync implements FCM.
func (s *Single) Sync(context.Context) error { return s.sync(s.env.Cache.CPU()) }

// SeekPage implements FCM.
func (s *Single) SeekPage(_ context.Context, page, end int64, data bool) int64 {
	return s.seekPage(page, end, data)
}

// GiveBack implements FCM.
func (s *Single) GiveBack(_ context.Context, want int, _ pagecache.Level) int {
	return s.giveBackClock(s.env.Cache.CPU(), want)
}

// Info implements FCM.
func (s *Single) Info(context.Context) Info { return s.info(ImplSingle) }

// Release implements FCM.
func (s *Single) Release(context.Context) { s.release() }

// Protocols implements reconfig.Transferer.
func (s *Single) Protocols() (export, import_ reconfig.ProtocolSet) {
	ps := reconfig.Protocols(ProtoCanonical, ProtoTable)
	return ps, ps
}

// Export implements reconfig.Transferer.
func (s *Single) Export(p reconfig.Protocol) (any, error) { return s.exportState(p) }

// Import implements reconfig.Transferer.
func (s *Single) Import(p reconfig.Protocol, st any) error { return s.importState(p, st) }

// Prefetch implements FCM.
func (s *Single) Prefetch(_ context.Context, page int64) { s.prefetch(s.env.Cache.CPU(), page) }

// WriteBack implements FCM.
func (s *Single) WriteBack(context.Context) error { return s.writeDirty(s.env.Cache.CPU()) }
