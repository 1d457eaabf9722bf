package pagecache

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"k42/mm/blockdev"
)

// Backing is where one file's pages live when they are not in the cache
// (K42's file representative): a page read from it is a miss served by a
// copy, a page written to it is a write-back. A file system on a disk
// gives its own; FileStore is the one over a Store.
type Backing interface {
	// ReadPage fills p with page idx and reports whether the page was
	// ever stored; if not, p is untouched (the page is a hole).
	ReadPage(idx int64, p *Page) (bool, error)
	// WritePage stores p as page idx.
	WritePage(idx int64, p *Page) error
	// Stored reports whether page idx is stored.
	Stored(idx int64) bool
	// NextStored returns the first stored page in [from, end), or end.
	NextStored(from, end int64) int64
	// Truncate drops the stored pages at and beyond pages and returns
	// their indexes.
	Truncate(pages int64) []int64
	// Flush makes every page stored so far durable.
	Flush() error
	// Release drops every stored page: the file is gone.
	Release()
	// Pages is the number of pages stored.
	Pages() int
}

// Clustered is a Backing that reads several consecutive pages of a file in
// one device request when they are stored side by side (read-ahead).
type Clustered interface {
	// Cluster returns how many pages from idx on, at most max, are
	// stored in consecutive places (0 if idx is not stored).
	Cluster(idx int64, max int) int
	// ReadPages fills pages with pages idx, idx+1, ...: a cluster that
	// Cluster reported (if it is no longer one, page by page).
	ReadPages(idx int64, pages []*Page) error
	// WritePages stores pages as pages idx, idx+1, ...: in one device
	// request when their places are (or can be made) consecutive, else
	// page by page.
	WritePages(idx int64, pages []*Page) error
}

// ErrStoreFull is the error of a write-back to a store with no free slot.
var ErrStoreFull = errors.New("pagecache: the backing store is full")

// Store is a backing store of page-sized slots on a block device; each
// file's pages are in a FileStore of its own, which maps page indexes to
// slots. Slots are allocated on first write-back and freed on truncation
// and release.
type Store struct {
	dev      blockdev.Device
	perPage  int   // device blocks per page
	slots    int64 // capacity in pages
	log      Log   // nil: page maps are not kept (the store lasts one boot)
	mu       sync.Mutex
	freeList []int64
	high     int64 // slots below this have been handed out at some time
	inUse    int64

	writes  atomic.Int64 // page writes completed
	flushed atomic.Int64 // writes covered by the last completed flush
}

// A Log is told of the changes to the page maps of a Store's files, so
// that a file system on the store can make them durable (fs/diskfs). Its
// calls for one file come in the order of that file's map changes (they
// are made with the map locked), and must not call the FileStore.
type Log interface {
	// Placed records that pages idx..idx+n-1 of file ino are now in slots
	// slot..slot+n-1, whose data has been written (not yet flushed).
	Placed(ino uint64, idx, slot, n int64)
	// Dropped records that file ino's pages at and beyond from are gone;
	// slots are the slots they held. The Log gives them back with
	// Store.Free once the drop is durable, so that no slot is reused
	// while a crash could still bring back the page it held.
	Dropped(ino uint64, from int64, slots []int64)
}

// NewLoggedStore returns a store over dev whose files' page maps are told
// to log, and whose slots in used are taken (the maps of the files a file
// system already holds, for OpenFile).
func NewLoggedStore(dev blockdev.Device, log Log, used []int64) (*Store, error) {
	s, err := NewStore(dev)
	if err != nil {
		return nil, err
	}
	s.log = log
	taken := make(map[int64]bool, len(used))
	for _, slot := range used {
		if slot < 0 || slot >= s.slots || taken[slot] {
			return nil, fmt.Errorf("pagecache: slot %d used twice or outside the store's %d", slot, s.slots)
		}
		taken[slot] = true
		s.high = max(s.high, slot+1)
	}
	for slot := s.high - 1; slot >= 0; slot-- {
		if !taken[slot] {
			s.freeList = append(s.freeList, slot)
		}
	}
	s.inUse = int64(len(used))
	return s, nil
}

// Free gives slots back (a Log's, once their drop is durable).
func (s *Store) Free(slots []int64) { s.release(slots...) }

// Unflushed reports whether a page write has completed since the last
// flush began: whether a flush is needed to make every page stored so far
// durable.
func (s *Store) Unflushed() bool { return s.writes.Load() != s.flushed.Load() }

func (s *Store) wrote() { s.writes.Add(1) }

// NewStore returns a store over dev, whose block size must divide
// PageSize.
func NewStore(dev blockdev.Device) (*Store, error) {
	bs := dev.BlockSize()
	if bs <= 0 || PageSize%bs != 0 {
		return nil, fmt.Errorf("pagecache: a device block of %d bytes does not divide a %d-byte page", bs, PageSize)
	}
	per := PageSize / bs
	return &Store{dev: dev, perPage: per, slots: dev.Blocks() / int64(per)}, nil
}

// Flush makes every page stored so far durable (the device's flush).
func (s *Store) Flush() error {
	w := s.writes.Load()
	if err := s.dev.Flush(); err != nil {
		return err
	}
	for {
		f := s.flushed.Load()
		if f >= w || s.flushed.CompareAndSwap(f, w) {
			return nil
		}
	}
}

// Slots is the capacity in pages.
func (s *Store) Slots() int64 { return s.slots }

// InUse is the number of slots holding pages.
func (s *Store) InUse() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inUse
}

// allocRun takes n consecutive never-used slots from the top, if there
// are n.
func (s *Store) allocRun(n int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots-s.high < n {
		return 0, fmt.Errorf("%w: no %d consecutive slots", ErrStoreFull, n)
	}
	base := s.high
	s.high += n
	s.inUse += n
	return base, nil
}

// alloc takes a free slot: want if it is the next never-used one (so that
// a file written back in order lies in order), else a freed one, else
// the next never-used one.
func (s *Store) alloc(want int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if want >= 0 && want == s.high && s.high < s.slots {
		s.high++
		s.inUse++
		return want, nil
	}
	if n := len(s.freeList); n > 0 {
		slot := s.freeList[n-1]
		s.freeList = s.freeList[:n-1]
		s.inUse++
		return slot, nil
	}
	if s.high >= s.slots {
		return 0, fmt.Errorf("%w: all %d pages in use", ErrStoreFull, s.slots)
	}
	s.high++
	s.inUse++
	return s.high - 1, nil
}

func (s *Store) release(slots ...int64) {
	// A device that can give the space of freed slots back does, before
	// the slots can be taken again: the memory store then holds what its
	// files hold, not every slot a workload that creates and deletes
	// files (Postmark) ever wrote. (Not under a log: a freed slot may
	// still be what the last checkpoint names until the next commit.)
	if d, ok := s.dev.(blockdev.Discarder); ok && s.log == nil {
		per := int64(s.perPage)
		for _, slot := range slots {
			d.Discard(slot*per, per)
		}
	}
	s.mu.Lock()
	s.freeList = append(s.freeList, slots...)
	s.inUse -= int64(len(slots))
	s.mu.Unlock()
}

// NewFile returns an empty FileStore in s.
func (s *Store) NewFile() *FileStore { return &FileStore{s: s} }

// OpenFile returns the FileStore of file ino (for the store's Log) whose
// pages are in slots (page index -> slot; the store's used slots at
// NewLoggedStore), or an empty one if slots is nil.
func (s *Store) OpenFile(ino uint64, slots map[int64]int64) *FileStore {
	return &FileStore{s: s, ino: ino, slots: slots}
}

// FileStore is one file's pages in a Store. It is safe for concurrent use.
type FileStore struct {
	s     *Store
	ino   uint64 // for the Log
	mu    sync.RWMutex
	slots map[int64]int64 // page index -> slot
}

// placed tells the log that pages idx.. are in slots slot.., written.
// f.mu must be held.
func (f *FileStore) placed(idx, slot, n int64) {
	if f.s.log != nil {
		f.s.log.Placed(f.ino, idx, slot, n)
	}
}

// at reports whether page idx is in slot. f.mu must be held.
func (f *FileStore) at(idx, slot int64) bool {
	s, ok := f.slots[idx]
	return ok && s == slot
}

// placedRun tells the log of pages idx..idx+n-1, written to slots
// first.., those still there: a truncation may have dropped some since
// they were placed, and logged that. f.mu must be held.
func (f *FileStore) placedRun(idx, first, n int64) {
	for i := int64(0); i < n; i++ {
		j := i
		for j < n && f.at(idx+j, first+j) {
			j++
		}
		if j > i {
			f.placed(idx+i, first+i, j-i)
			i = j
		}
	}
}

var _ Backing = (*FileStore)(nil)

// ReadPage implements Backing.
func (f *FileStore) ReadPage(idx int64, p *Page) (bool, error) {
	f.mu.RLock()
	slot, ok := f.slots[idx]
	f.mu.RUnlock()
	if !ok {
		return false, nil
	}
	if err := f.s.dev.ReadBlocks(slot*int64(f.s.perPage), p[:]); err != nil {
		return false, fmt.Errorf("pagecache: reading page %d: %w", idx, err)
	}
	return true, nil
}

var _ Clustered = (*FileStore)(nil)

// Cluster implements Clustered.
func (f *FileStore) Cluster(idx int64, max int) int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.clusterLocked(idx, max)
}

func (f *FileStore) clusterLocked(idx int64, max int) int {
	first, ok := f.slots[idx]
	if !ok {
		return 0
	}
	n := 1
	for n < max {
		s, ok := f.slots[idx+int64(n)]
		if !ok || s != first+int64(n) {
			break
		}
		n++
	}
	return n
}

// ReadPages implements Clustered: one request to the device (vectored
// into the pages when the device can, else through one buffer).
func (f *FileStore) ReadPages(idx int64, pages []*Page) error {
	f.mu.RLock()
	n := f.clusterLocked(idx, len(pages))
	first := f.slots[idx]
	f.mu.RUnlock()
	if n < len(pages) {
		for i, p := range pages {
			if _, err := f.ReadPage(idx+int64(i), p); err != nil {
				return err
			}
		}
		return nil
	}
	err := blockdev.ReadBlocksv(f.s.dev, first*int64(f.s.perPage), pageBufs(pages))
	if err != nil {
		return fmt.Errorf("pagecache: reading pages %d..%d: %w", idx, idx+int64(len(pages))-1, err)
	}
	return nil
}

// pageBufs is pages as the buffers of one vectored request.
func pageBufs(pages []*Page) [][]byte {
	bufs := make([][]byte, len(pages))
	for i, p := range pages {
		bufs[i] = p[:]
	}
	return bufs
}

// WritePages implements Clustered. Pages without a place get consecutive
// ones when the store has them free at its top (allocRun), so that a file
// written back in order is stored in order.
func (f *FileStore) WritePages(idx int64, pages []*Page) error {
	n := int64(len(pages))
	f.mu.Lock()
	first, ok := f.slots[idx]
	run, fresh := ok, false
	for i := int64(1); run && i < n; i++ {
		s, ok := f.slots[idx+i]
		run = ok && s == first+i
	}
	if !run {
		// None placed yet: a run of new places.
		none := true
		for i := int64(0); i < n && none; i++ {
			_, had := f.slots[idx+i]
			none = !had
		}
		if none {
			if base, err := f.s.allocRun(n); err == nil {
				if f.slots == nil {
					f.slots = make(map[int64]int64)
				}
				for i := int64(0); i < n; i++ {
					f.slots[idx+i] = base + i
				}
				first, run, fresh = base, true, true
			}
		}
	}
	f.mu.Unlock()
	if !run {
		for i, p := range pages {
			if err := f.WritePage(idx+int64(i), p); err != nil {
				return err
			}
		}
		return nil
	}
	err := blockdev.WriteBlocksv(f.s.dev, first*int64(f.s.perPage), pageBufs(pages))
	if fresh {
		f.mu.Lock()
		if err != nil {
			// The new places hold nothing: give back those still mapped
			// (a place left mapped would never be logged).
			var back []int64
			for i := int64(0); i < n; i++ {
				if f.at(idx+i, first+i) {
					delete(f.slots, idx+i)
					back = append(back, first+i)
				}
			}
			f.s.release(back...)
		} else if f.s.log != nil {
			f.placedRun(idx, first, n)
		}
		f.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("pagecache: writing pages %d..%d: %w", idx, idx+n-1, err)
	}
	f.s.wrote()
	return nil
}

// WritePage implements Backing.
func (f *FileStore) WritePage(idx int64, p *Page) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	slot, ok := f.slots[idx]
	if !ok {
		// Next to the page before it, if that place is free at the top.
		want := int64(-1)
		if prev, ok := f.slots[idx-1]; ok {
			want = prev + 1
		}
		var err error
		if slot, err = f.s.alloc(want); err != nil {
			return err
		}
		if f.slots == nil {
			f.slots = make(map[int64]int64)
		}
		f.slots[idx] = slot
	}
	if err := f.s.dev.WriteBlocks(slot*int64(f.s.perPage), p[:]); err != nil {
		if !ok {
			delete(f.slots, idx)
			f.s.release(slot)
		}
		return fmt.Errorf("pagecache: writing page %d: %w", idx, err)
	}
	f.s.wrote()
	if !ok {
		f.placed(idx, slot, 1)
	}
	return nil
}

// Stored implements Backing.
func (f *FileStore) Stored(idx int64) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	_, ok := f.slots[idx]
	return ok
}

// NextStored implements Backing.
func (f *FileStore) NextStored(from, end int64) int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if end-from <= int64(len(f.slots)) {
		for ; from < end; from++ {
			if _, ok := f.slots[from]; ok {
				return from
			}
		}
		return end
	}
	best := end
	for idx := range f.slots {
		if idx >= from && idx < best {
			best = idx
		}
	}
	return best
}

// Truncate implements Backing.
func (f *FileStore) Truncate(pages int64) []int64 {
	f.mu.Lock()
	var drop, idxs []int64
	for idx, slot := range f.slots {
		if idx >= pages {
			drop = append(drop, slot)
			idxs = append(idxs, idx)
			delete(f.slots, idx)
		}
	}
	if f.s.log != nil {
		if len(drop) > 0 {
			f.s.log.Dropped(f.ino, pages, drop)
		}
		f.mu.Unlock()
		return idxs
	}
	f.mu.Unlock()
	if len(drop) > 0 {
		f.s.release(drop...)
	}
	return idxs
}

// Flush implements Backing.
func (f *FileStore) Flush() error { return f.s.Flush() }

// Release implements Backing.
func (f *FileStore) Release() { f.Truncate(0) }

// Pages implements Backing.
func (f *FileStore) Pages() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.slots)
}
