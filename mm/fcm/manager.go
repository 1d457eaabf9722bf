package fcm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k42/fs"
	"k42/mm/blockdev"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/adapt"
	"k42/reconfig/generation"
)

// FactoryName is the factory's name in the system table.
const FactoryName = "fcm/factory"

// NamePrefix begins every FCM's name in the system table.
const NamePrefix = "fcm:"

// The family's members, by name: for the console's "swap fcm:PATH IMPL"
// (an empty FCM, filled by the state transfer) and for the factory.
func init() {
	FCMInterface.Provide(ImplSingle, func() FCM { return new(Single) })
	FCMInterface.Provide(ImplReplicated, func() FCM { return new(Replicated) })
	FCMInterface.Provide(ImplSequential, func() FCM { return new(Sequential) })
	FactoryInterface.Provide(ImplSingle, func() Factory { return &factory{ImplSingle, func(e *Env) FCM { return NewSingle(e) }} })
	FactoryInterface.Provide(ImplReplicated, func() Factory {
		return &factory{ImplReplicated, func(e *Env) FCM { return NewReplicated(e) }}
	})
	FactoryInterface.Provide(ImplSequential, func() Factory {
		return &factory{ImplSequential, func(e *Env) FCM { return NewSequential(e) }}
	})
}

// factory is the Factory of one implementation. It has no state, so
// swapping factories moves nothing.
type factory struct {
	impl string
	make func(*Env) FCM
}

func (f *factory) Make(_ context.Context, env *Env) (FCM, error) { return f.make(env), nil }
func (f *factory) Impl(context.Context) string                   { return f.impl }

// Options configure a Manager.
type Options struct {
	Table *reconfig.Table
	Cache *pagecache.Cache
	Limit *fs.PageLimit
	// Backing makes a new file's backing store.
	Backing func(ino uint64) pagecache.Backing
	// Impl is the implementation the factory starts with (ImplSingle if
	// empty).
	Impl string
	// Store, if set, is the store Backing allocates in (for reports).
	Store *pagecache.Store
}

// Manager is the mechanism over a file system's FCMs (K42's COSMgr
// split, for this family): it owns the factory object, makes each new
// file's FCM through it and registers it in the system table and with
// the pager, knows every live FCM, and upgrades them all at once.
type Manager struct {
	tab     *reconfig.Table
	dom     *generation.Domain
	cache   *pagecache.Cache
	limit   *fs.PageLimit
	backing func(ino uint64) pagecache.Backing
	store   *pagecache.Store
	facE    *reconfig.Entry[Factory]
	fac     reconfig.Ref[Factory]

	mu    sync.Mutex
	files map[*File]struct{}
	seq   *adapt.Policy // the sequential policy, once SetPolicies registered it
	born  atomic.Uint64 // files made so far: each File's birth number
}

// NewManager registers the factory in the table and returns the manager.
func NewManager(opt Options) (*Manager, error) {
	switch {
	case opt.Table == nil || opt.Cache == nil || opt.Limit == nil || opt.Backing == nil:
		return nil, errors.New("fcm: a manager needs a table, a cache, a page limit and a backing store")
	}
	impl := opt.Impl
	if impl == "" {
		impl = ImplSingle
	}
	f, err := FactoryInterface.New(impl)
	if err != nil {
		return nil, err
	}
	e, err := reconfig.Create[Factory](opt.Table, FactoryName, FactoryInterface, f)
	if err != nil {
		return nil, err
	}
	return &Manager{tab: opt.Table, dom: opt.Table.Domain(), cache: opt.Cache, limit: opt.Limit,
		backing: opt.Backing, store: opt.Store, facE: e, fac: e.Ref(), files: make(map[*File]struct{})}, nil
}

// Cache returns the page cache.
func (m *Manager) Cache() *pagecache.Cache { return m.cache }

// Domain returns the generation domain whose requests the files' data
// calls must be made in (the table's).
func (m *Manager) Domain() *generation.Domain { return m.dom }

// Factory returns the factory's entry.
func (m *Manager) Factory() *reconfig.Entry[Factory] { return m.facE }

// FactoryImpl names the implementation new files get.
func (m *Manager) FactoryImpl() (impl string) {
	m.dom.Do(func() { impl = m.fac.Get().Impl(context.Background()) })
	return impl
}

// DataFactory is the file system's fs.DataFactory: each new regular file
// gets an FCM from the factory, behind a File.
func (m *Manager) DataFactory() fs.DataFactory {
	return func(ino uint64, path string) fs.Data { return m.newFile(ino, path) }
}

func (m *Manager) newFile(ino uint64, path string) *File {
	env := &Env{Cache: m.cache, Limit: m.limit, Backing: m.backing(ino), Stats: pagecache.NewCounters(m.cache.NumCPU())}
	if n := env.Backing.Pages(); n > 0 {
		// A file the store already holds (a file system on a disk,
		// mounted): its pages count from the start.
		env.Pages.Store(int64(n))
		m.limit.Reserve(int64(n))
	}
	var c FCM
	var err error
	m.dom.Do(func() { c, err = m.fac.Get().Make(context.Background(), env) })
	if err != nil || c == nil {
		c = NewSingle(env) // the factory failed: the file still gets an FCM
	}
	f := &File{m: m, ino: ino, env: env, born: m.born.Add(1)}
	name := NamePrefix + path
	if f.entry, err = reconfig.Create[FCM](m.tab, name, FCMInterface, c); err != nil {
		// The name is taken (a file created, renamed, and its old name
		// used again): the inode number makes it unique.
		f.entry, err = reconfig.Create[FCM](m.tab, name+"#"+strconv.FormatUint(ino, 10), FCMInterface, c)
		if err != nil {
			panic("fcm: " + err.Error())
		}
	}
	f.ref = f.entry.Ref()
	env.Ahead = f.prefetch
	f.reg = m.cache.Register(reclaimer{f}, env.Stats)
	m.mu.Lock()
	m.files[f] = struct{}{}
	seq := m.seq
	m.mu.Unlock()
	f.watch(seq)
	return f
}

// prefetch is the file's Env.Ahead: page prefetched by a goroutine of its
// own, in a request of its own, through the file's table entry (so that
// a swap of the FCM waits for it like any call); one at a time.
func (f *File) prefetch(page int64) {
	if f.released.Load() || !f.prefetching.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer f.prefetching.Store(false)
		f.own(func(c FCM) { c.Prefetch(context.Background(), page) })
	}()
}

// own runs fn on the file's FCM in a request of its own, for a call the
// manager makes on its own (a prefetch, a write-back of every file, a
// report) rather than for the file system: the file's last close may
// release it and destroy its entry under the call, which then finds the
// object gone (reconfig.ErrDestroyed). own reports whether fn ran on a
// live FCM.
func (f *File) own(fn func(FCM)) (live bool) {
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); !ok || !errors.Is(err, reconfig.ErrDestroyed) {
				panic(p)
			}
			live = false
		}
	}()
	f.m.dom.Do(func() { fn(f.ref.Get()) })
	return true
}

// live returns the live files' handles, in no order.
func (m *Manager) live() []*File {
	m.mu.Lock()
	defer m.mu.Unlock()
	fs := make([]*File, 0, len(m.files))
	for f := range m.files {
		fs = append(fs, f)
	}
	return fs
}

// Files returns the live files' handles, sorted by name.
func (m *Manager) Files() []*File {
	m.mu.Lock()
	fs := make([]*File, 0, len(m.files))
	for f := range m.files {
		fs = append(fs, f)
	}
	m.mu.Unlock()
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name() < fs[j].Name() })
	return fs
}

// File is one regular file's data as the file system sees it (its
// fs.Data): every call goes through the translation-table entry of the
// file's FCM, so the file system does not know which FCM a file has, and
// the FCM can be interposed on and swapped while the file is in use.
//
// The data calls (ReadAt, WriteAt, Truncate, Sync, SeekPage) must be made
// inside a request of the table's domain, as every call through an entry
// must: the file system's callers are its servers, each of whose calls is
// one (fs/serve), so a File does not start a request of its own on that
// path. Release and the operator's calls (Info, Pin) start their own.
type File struct {
	m           *Manager
	ino         uint64
	env         *Env
	entry       *reconfig.Entry[FCM]
	ref         reconfig.Ref[FCM]
	reg         *pagecache.Registration
	pin         atomic.Pointer[string]
	released    atomic.Bool
	prefetching atomic.Bool // a prefetch is in flight (File.prefetch)
	born        uint64      // its birth number (Manager.born), which Upgrade walks by
	seq         *seqMonitor // the sequential policy's monitor, if it watches
}

var _ interface {
	fs.Data
	fs.PageSeeker
	fs.Renamer
} = (*File)(nil)

// ReadAt implements fs.Data.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	return f.ref.Get().ReadAt(context.Background(), p, off)
}

// WriteAt implements fs.Data.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	return f.ref.Get().WriteAt(context.Background(), p, off)
}

// Truncate implements fs.Data.
func (f *File) Truncate(size int64) error {
	return f.ref.Get().Truncate(context.Background(), size)
}

// SyncAll writes every file's dirty pages back, each file in a request of
// its own, and then flushes the store once (the console's sync). It
// returns how many files it wrote back and the first error.
func (m *Manager) SyncAll() (int, error) {
	var first error
	n := 0
	for _, f := range m.Files() {
		var err error
		if !f.released.Load() { // released: its pages are gone with it
			f.own(func(c FCM) { err = c.WriteBack(context.Background()) })
		}
		if err != nil && first == nil && !f.released.Load() {
			first = fmt.Errorf("%s: %w", f.Name(), err)
		}
		n++
	}
	if m.store != nil {
		if err := m.store.Flush(); err != nil && first == nil {
			first = fmt.Errorf("fcm: flushing the store: %w", err)
		}
	}
	return n, first
}

// Sync implements fs.Data.
func (f *File) Sync() error {
	return f.ref.Get().Sync(context.Background())
}

// SeekPage implements fs.PageSeeker.
func (f *File) SeekPage(page, end int64, data bool) int64 {
	return f.ref.Get().SeekPage(context.Background(), page, end, data)
}

// Resident implements fs.Data: the file's pages, cached or stored (read
// from the shared Env without a call: a stat is a hot path).
func (f *File) Resident() int { return int(f.env.Pages.Load()) }

// Release implements fs.Data: the FCM drops everything and leaves the
// table and the pager.
func (f *File) Release() {
	if f.released.Swap(true) {
		return
	}
	f.reg.Unregister()
	f.m.dom.Do(func() { f.ref.Get().Release(context.Background()) })
	f.m.mu.Lock()
	delete(f.m.files, f)
	f.m.mu.Unlock()
	// Destroy would wait for a swap in progress, which may wait for the
	// request this runs in: DestroySoon does not, and frees the name now.
	f.entry.DestroySoon()
}

// Renamed implements fs.Renamer: the FCM's name follows the file's.
func (f *File) Renamed(path string) {
	name := NamePrefix + path
	if f.m.tab.Rename(f.entry.Name(), name) != nil {
		_ = f.m.tab.Rename(f.entry.Name(), name+"#"+strconv.FormatUint(f.ino, 10))
	}
}

// Impl names the file's FCM's implementation: the family member it is an
// instance of (from the entry, without a call), or, for an FCM from
// elsewhere, what it says it is.
func (f *File) Impl() string {
	if m := f.entry.Member(); m != "" {
		return m
	}
	return f.Info().Impl
}

// Released reports whether the file is gone (its FCM released).
func (f *File) Released() bool { return f.released.Load() }

// Name is the FCM's name in the system table.
func (f *File) Name() string { return f.entry.Name() }

// Entry is the FCM's translation-table entry.
func (f *File) Entry() *reconfig.Entry[FCM] { return f.entry }

// Info describes the file's FCM.
func (f *File) Info() (in Info) {
	f.own(func(c FCM) { in = c.Info(context.Background()) })
	return in
}

// Pinned names the implementation the file is pinned to, or "".
func (f *File) Pinned() string {
	if p := f.pin.Load(); p != nil {
		return *p
	}
	return ""
}

// Pin pins the file's FCM to impl (swapping it there now if it has
// another), so that upgrades leave it alone; Pin("") unpins it.
func (f *File) Pin(impl string) error {
	if impl == "" {
		f.pin.Store(nil)
		return nil
	}
	if _, err := FCMInterface.New(impl); err != nil {
		return err
	}
	f.pin.Store(&impl)
	if f.Impl() != impl {
		if _, err := f.entry.SwapTo(impl, reconfig.SwapOptions{}); err != nil {
			f.pin.Store(nil)
			return err
		}
	}
	return nil
}

// pinnedElsewhere says why a policy may not swap the file's FCM to impl:
// it is pinned to another implementation.
func (f *File) pinnedElsewhere(impl string) error {
	if p := f.Pinned(); p != "" && p != impl {
		return fmt.Errorf("%s: pinned to %s", f.Name(), p)
	}
	return nil
}

// SwapTo swaps the file's FCM to impl for a policy, unless it is pinned
// to another (then it stays, and SwapTo says so) or is impl already; it
// returns the implementation it had.
func (f *File) SwapTo(impl string) (from string, err error) {
	from = f.Impl()
	if err := f.pinnedElsewhere(impl); err != nil {
		return from, err
	}
	if from == impl {
		return from, nil
	}
	_, err = f.entry.SwapTo(impl, reconfig.SwapOptions{})
	return from, err
}

// ChangeTo returns the change of the file's FCM to impl for a coordinated
// swap (reconfig.SwapTogether), or nil if it is impl already; an error if
// it is pinned to another.
func (f *File) ChangeTo(impl string) (reconfig.Change, error) {
	if err := f.pinnedElsewhere(impl); err != nil {
		return nil, err
	}
	if f.Impl() == impl {
		return nil, nil
	}
	to, err := FCMInterface.New(impl)
	if err != nil {
		return nil, err
	}
	return f.entry.To(to), nil
}

// reclaimer is a file's place in the pager's rounds.
type reclaimer struct{ f *File }

func (r reclaimer) GiveBack(want int, lvl pagecache.Level) (n int, busy bool) {
	if r.f.released.Load() {
		return 0, false
	}
	// An FCM in a swap's block or transfer phase is passed over this
	// round: the swap would hold the pager's call, and it may be waiting
	// for a call that waits for a page, which waits for the pager (a
	// cycle only the swap's timeout would break). In the forward phase
	// calls go to the old FCM, so the pager asks it as usual.
	if p, swapping := r.f.entry.SwapStatus(); swapping && p.Phase != reconfig.PhaseForward {
		return 0, true
	}
	r.f.m.dom.Do(func() { n = r.f.ref.Get().GiveBack(context.Background(), want, lvl) })
	return n, false
}

// UpgradeReport says what a factory upgrade did.
type UpgradeReport struct {
	From, To string
	Swapped  int           // FCMs swapped to the new implementation
	Already  int           // FCMs that had it
	Pinned   int           // FCMs left alone, pinned to another
	Gone     int           // files released during the upgrade
	Failed   []Failure     // FCMs that could not be swapped (still serving, as they were)
	Took     time.Duration // the whole operation
	Factory  time.Duration // of which the factory's own swap
	// Of the FCMs' swaps: the longest forward phase (shared by the FCMs
	// swapped together) and the block and transfer phases summed.
	Forward, Block, Transfer time.Duration
	// Swaps is the time in reconfig.SwapAll, of which Make making the new
	// instances; the rest of Took (less Factory) is the manager's own
	// bookkeeping.
	Swaps, Make time.Duration
}

// Failure is one FCM an upgrade could not swap.
type Failure struct {
	Name string
	Err  error
}

func (r UpgradeReport) String() string {
	s := fmt.Sprintf("upgrade %s -> %s: %d swapped, %d already %s, %d pinned, %d gone, %d failed in %v (factory %v)",
		r.From, r.To, r.Swapped, r.Already, r.To, r.Pinned, r.Gone, len(r.Failed), r.Took, r.Factory)
	for _, f := range r.Failed {
		s += fmt.Sprintf("\n  %s: %v", f.Name, f.Err)
	}
	return s
}

// Upgrade swaps the factory to impl, so that new files get it, and swaps
// every live FCM not pinned to another implementation to a new instance of
// impl, while the files are in use: K42's factory, which the paper's §7.1
// leaves open. The FCMs are swapped together (reconfig.SwapAll: one
// forward phase for all). Files made while it runs are swapped too. An
// FCM that fails to swap keeps serving as it was and is reported.
func (m *Manager) Upgrade(impl string) (UpgradeReport, error) {
	start := time.Now()
	rep := UpgradeReport{To: impl}
	if _, err := FCMInterface.New(impl); err != nil {
		return rep, err
	}
	rep.From = m.FactoryImpl()
	if _, err := m.facE.SwapTo(impl, reconfig.SwapOptions{}); err != nil {
		return rep, fmt.Errorf("fcm: swapping the factory: %w", err)
	}
	rep.Factory = time.Since(start)
	for looked := uint64(0); ; {
		// The files not yet looked at, by their birth numbers: files
		// made during the upgrade come round again (the old factory may
		// have made them).
		var todo []*File
		next := looked
		for _, f := range m.live() {
			if f.born <= looked {
				continue
			}
			next = max(next, f.born)
			switch p := f.Pinned(); {
			case p != "" && p != impl:
				rep.Pinned++
			case f.released.Load():
				rep.Gone++
			case f.Impl() == impl:
				rep.Already++
			default:
				todo = append(todo, f)
			}
		}
		looked = next
		if len(todo) == 0 {
			break
		}
		// All of them in one operation: one forward phase for all.
		es := make([]*reconfig.Entry[FCM], len(todo))
		for i, f := range todo {
			es[i] = f.entry
		}
		clock := m.tab.Platform() // the timebase in the kernel: no system call
		t0 := clock.Now()
		out := reconfig.SwapAll(es, func(int, FCM) FCM {
			t := clock.Now()
			c, _ := FCMInterface.New(impl) // impl was checked above
			rep.Make += time.Duration(clock.Now() - t)
			return c
		}, reconfig.SwapOptions{})
		rep.Swaps += time.Duration(clock.Now() - t0)
		for i, o := range out {
			f := todo[i]
			rep.Forward = max(rep.Forward, o.Report.Forward)
			rep.Block += o.Report.Block
			rep.Transfer += o.Report.Transfer
			switch {
			case o.Err == nil:
				rep.Swapped++
			case f.released.Load() || errors.Is(o.Err, reconfig.ErrDestroyed):
				rep.Gone++
			default:
				rep.Failed = append(rep.Failed, Failure{Name: f.Name(), Err: o.Err})
			}
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// Describe is the file's FCM in the console's and /proc/k42's format: one
// "key value" line each.
func (f *File) Describe() string {
	in := f.Info()
	var b strings.Builder
	pin := f.Pinned()
	if pin == "" {
		pin = "-"
	}
	fmt.Fprintf(&b, "name %s\nimplementation %s\npinned %s\nresident %d\ndirty %d\npages %d\nstored %d\n",
		f.Name(), in.Impl, pin, in.Resident, in.Dirty, in.Pages, in.Stored)
	if in.Replicas != nil {
		b.WriteString("replicas")
		for _, n := range in.Replicas {
			fmt.Fprintf(&b, " %d", n)
		}
		b.WriteByte('\n')
	}
	b.WriteString(in.Counts.String())
	return b.String()
}

// NewInMemory makes the whole stack over memory: a page cache of budget
// bytes (its pager started), a memory block store of capacity bytes
// apart from it, the file system's page limit (the store's capacity) and
// the manager, whose factory starts with impl. Close the cache
// (m.Cache().Close) to stop the pager.
func NewInMemory(tab *reconfig.Table, budget, capacity int64, impl string) (*Manager, *fs.PageLimit, error) {
	dev, err := blockdev.NewMemory(pagecache.PageSize, capacity/pagecache.PageSize)
	if err != nil {
		return nil, nil, err
	}
	return NewOn(tab, budget, dev, impl, nil)
}

// NewOn makes the whole stack over the block device dev (a disk, or
// memory): the page cache (its pages from frames, if given: see
// pagecache.Options.Frames), the store on dev (its capacity is the file
// system's page limit) and the manager.
func NewOn(tab *reconfig.Table, budget int64, dev blockdev.Device, impl string, frames func(int) []pagecache.Page) (*Manager, *fs.PageLimit, error) {
	store, err := pagecache.NewStore(dev)
	if err != nil {
		return nil, nil, err
	}
	return NewOnStore(tab, budget, store, func(uint64) pagecache.Backing { return store.NewFile() }, impl, frames)
}

// NewOnStore returns a manager whose page cache holds budget bytes
// (frames as for NewOn) and whose files' pages are in store, each file's
// Backing made by backing (a file system on a disk gives the maps it
// holds: fs/diskfs), with a page limit of the store's capacity (a file
// whose Backing already holds pages takes them from it when made).
func NewOnStore(tab *reconfig.Table, budget int64, store *pagecache.Store, backing func(ino uint64) pagecache.Backing, impl string, frames func(int) []pagecache.Page) (*Manager, *fs.PageLimit, error) {
	cache, err := pagecache.New(pagecache.Options{Budget: budget, Platform: tab.Platform(), Frames: frames})
	if err != nil {
		return nil, nil, err
	}
	limit := fs.NewPageLimit(store.Slots())
	m, err := NewManager(Options{Table: tab, Cache: cache, Limit: limit, Impl: impl, Store: store, Backing: backing})
	if err != nil {
		cache.Close()
		return nil, nil, err
	}
	return m, limit, nil
}

// Store is the backing store, if the manager was told it.
func (m *Manager) Store() *pagecache.Store { return m.store }
