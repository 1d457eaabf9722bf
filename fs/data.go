package fs

import (
	"sync"
	"sync/atomic"
	"syscall"
)

// PageSize is the size of a page of file data, and the block size Stat and
// Statfs report.
const PageSize = 4096

// Data holds one regular file's contents in pages of PageSize bytes. The
// file system keeps the file's size; Data keeps only pages. Reads of pages
// never written (holes) return zeros.
//
// The file system reads and writes file contents only through Data, and
// never beyond the file's size except to extend it. It calls WriteAt and
// Truncate with the file's lock held for writing, so they are never
// concurrent with each other; ReadAt takes no lock of the file's and may
// run beside any of them (and beside other ReadAts): a Data must order
// each page's bytes against writers itself, and a read beside a
// truncation must never return a page the truncation dropped as
// anything but zeros (see mm/fcm's fault). Resident may be called at any
// time.
type Data interface {
	// ReadAt fills p from the pages at off; the caller bounds p by the
	// file's size. It returns len(p) unless it fails.
	ReadAt(p []byte, off int64) (int, error)
	// WriteAt writes p at off, taking pages from the file system's
	// PageLimit as it needs them. If the limit is reached it returns the
	// number of bytes it did write, from the start of p, and ENOSPC.
	WriteAt(p []byte, off int64) (int, error)
	// Truncate drops whole pages at and beyond size and zeroes the tail of
	// the last partial page, so that a later extension reads zeros.
	Truncate(size int64) error
	// Sync makes the contents durable, if anything below is durable.
	Sync() error
	// Resident reports the number of pages held.
	Resident() int
	// Release drops every page: the file is gone for good.
	Release()
}

// DataFactory makes the Data of a new regular file with inode number ino,
// about to be created at path (absolute; for naming the Data, since a
// file's names change).
type DataFactory func(ino uint64, path string) Data

// Renamer is implemented by a Data that wants to know its file's name:
// a rename of the file calls Renamed with the new absolute path, after the
// rename and after any file it replaced was released (two renames of one
// file at once may tell it in either order).
type Renamer interface {
	Renamed(path string)
}

// PageSeeker is implemented by a Data that can tell the pages it holds from
// holes; Seek uses it for SEEK_DATA and SEEK_HOLE. Without it a file is all
// data up to its size.
type PageSeeker interface {
	// SeekPage returns the first page index in [page, end) that is held
	// (data true) or not held (data false), or end if there is none.
	SeekPage(page, end int64, data bool) int64
}

// PageLimit counts the pages held by the Data of one file system against a
// maximum. It is safe for concurrent use.
type PageLimit struct {
	max  int64
	used atomic.Int64
}

// NewPageLimit returns a PageLimit of max pages.
func NewPageLimit(max int64) *PageLimit { return &PageLimit{max: max} }

// Take takes one page, reporting false if the limit is reached.
func (l *PageLimit) Take() bool {
	for {
		u := l.used.Load()
		if u >= l.max {
			return false
		}
		if l.used.CompareAndSwap(u, u+1) {
			return true
		}
	}
}

// Reserve takes n pages whatever the limit: pages a file already holds
// when a file system is mounted from a store.
func (l *PageLimit) Reserve(n int64) { l.used.Add(n) }

// Return gives back n pages.
func (l *PageLimit) Return(n int) {
	if l.used.Add(-int64(n)) < 0 {
		panic("fs: PageLimit: more pages returned than taken")
	}
}

// Used reports the pages taken.
func (l *PageLimit) Used() int64 { return l.used.Load() }

// Max reports the limit.
func (l *PageLimit) Max() int64 { return l.max }

type page = [PageSize]byte

// PageStore is the default Data: a file's pages in memory, in a map from
// page index to page, under a lock. Pages come from a PageLimit.
type PageStore struct {
	limit *PageLimit
	mu    sync.RWMutex
	pages map[int64]*page
	held  atomic.Int64 // len(pages), for Resident without the lock (a stat reads it)
}

var _ interface {
	Data
	PageSeeker
} = (*PageStore)(nil)

// NewPageStore returns an empty PageStore taking its pages from limit.
func NewPageStore(limit *PageLimit) *PageStore {
	return &PageStore{limit: limit}
}

// ReadAt implements Data.
func (s *PageStore) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for n < len(p) {
		idx, in := (off+int64(n))/PageSize, int((off+int64(n))%PageSize)
		chunk := min(len(p)-n, PageSize-in)
		if pg := s.pages[idx]; pg != nil {
			copy(p[n:n+chunk], pg[in:])
		} else {
			clear(p[n : n+chunk])
		}
		n += chunk
	}
	return n, nil
}

// WriteAt implements Data.
func (s *PageStore) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(p) {
		idx, in := (off+int64(n))/PageSize, int((off+int64(n))%PageSize)
		chunk := min(len(p)-n, PageSize-in)
		pg := s.pages[idx]
		if pg == nil {
			if !s.limit.Take() {
				return n, syscall.ENOSPC
			}
			pg = new(page)
			if s.pages == nil {
				s.pages = make(map[int64]*page)
			}
			s.pages[idx] = pg
			s.held.Add(1)
		}
		copy(pg[in:], p[n:n+chunk])
		n += chunk
	}
	return n, nil
}

// Truncate implements Data.
func (s *PageStore) Truncate(size int64) error {
	if size < 0 {
		return syscall.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := (size + PageSize - 1) / PageSize
	dropped := 0
	for idx := range s.pages {
		if idx >= keep {
			delete(s.pages, idx)
			dropped++
		}
	}
	s.limit.Return(dropped)
	s.held.Add(int64(-dropped))
	if in := size % PageSize; in != 0 {
		if pg := s.pages[size/PageSize]; pg != nil {
			clear(pg[in:])
		}
	}
	return nil
}

// Sync implements Data: memory is all there is.
func (s *PageStore) Sync() error { return nil }

// Resident implements Data.
func (s *PageStore) Resident() int { return int(s.held.Load()) }

// Release implements Data.
func (s *PageStore) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit.Return(len(s.pages))
	s.pages = nil
	s.held.Store(0)
}

// SeekPage implements PageSeeker.
func (s *PageStore) SeekPage(page, end int64, data bool) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !data {
		for ; page < end; page++ {
			if s.pages[page] == nil {
				return page
			}
		}
		return end
	}
	// The first held page at or after page: scan whichever is smaller, the
	// range or the map.
	if end-page <= int64(len(s.pages)) {
		for ; page < end; page++ {
			if s.pages[page] != nil {
				return page
			}
		}
		return end
	}
	best := end
	for idx := range s.pages {
		if idx >= page && idx < best {
			best = idx
		}
	}
	return best
}
