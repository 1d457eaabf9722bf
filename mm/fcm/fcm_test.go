package fcm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/mm/blockdev"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

var impls = []string{ImplSingle, ImplReplicated, ImplSequential}

type rig struct {
	fsys  *fs.FS
	m     *Manager
	cache *pagecache.Cache
	store *pagecache.Store
	tab   *reconfig.Table
}

// newRig is a file system whose files' data lives in FCMs made by impl,
// over a cache of budget pages and a memory store of slots pages.
func newRig(t testing.TB, impl string, budget, slots int64) *rig {
	t.Helper()
	dev, err := blockdev.NewMemory(pagecache.PageSize, slots)
	require.NoError(t, err)
	return newRigOn(t, impl, budget, dev)
}

// newRigOn is newRig over the block device dev (whose requests a test
// counts).
func newRigOn(t testing.TB, impl string, budget int64, dev blockdev.Device) *rig {
	t.Helper()
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	tab := reconfig.NewTable(d)
	m, limit, err := NewOn(tab, budget*pagecache.PageSize, dev, impl, nil)
	require.NoError(t, err)
	t.Cleanup(m.Cache().Close)
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	return &rig{fsys: fsys, m: m, cache: m.Cache(), store: m.Store(), tab: tab}
}

// newDisk is a memory device of 4096 pages whose requests a test counts.
func newDisk(t testing.TB) *blockdev.Memory {
	t.Helper()
	dev, err := blockdev.NewMemory(pagecache.PageSize, 4096)
	require.NoError(t, err)
	return dev
}

func (r *rig) create(t testing.TB, path string, data []byte) {
	t.Helper()
	f, err := r.fsys.OpenAt(nil, path, syscall.O_CREAT|syscall.O_TRUNC|syscall.O_WRONLY, 0o644)
	require.NoError(t, err)
	n, err := f.Write(data)
	require.NoError(t, err)
	require.Equal(t, len(data), n)
	require.NoError(t, f.Close())
}

func (r *rig) read(t testing.TB, path string) []byte {
	t.Helper()
	f, err := r.fsys.OpenAt(nil, path, syscall.O_RDONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

func (r *rig) file(t testing.TB, path string) *File {
	t.Helper()
	o, err := r.tab.Object(NamePrefix + path)
	require.NoError(t, err)
	for _, f := range r.m.Files() {
		if f.Entry() == o {
			return f
		}
	}
	t.Fatalf("no file for %s", path)
	return nil
}

func pattern(seed uint64, n int) []byte {
	b := make([]byte, n)
	for i, r := 0, rand.New(rand.NewPCG(seed, 1)); i < n; i++ {
		b[i] = byte(r.Uint32() >> 7)
	}
	return b
}

// TestFileSemantics: each implementation under the file system keeps
// POSIX's file behaviour: holes read as zeros, truncation both ways,
// SEEK_DATA and SEEK_HOLE, unlink of an open file.
func TestFileSemantics(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			r := newRig(t, impl, 64, 1024)
			f, err := r.fsys.OpenAt(nil, "/f", syscall.O_CREAT|syscall.O_RDWR, 0o644)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("head"), 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("tail"), 10*pagecache.PageSize+5)
			require.NoError(t, err)
			buf := make([]byte, 10*pagecache.PageSize+9)
			n, err := f.ReadAt(buf, 0)
			require.NoError(t, err)
			require.Equal(t, len(buf), n)
			assert.Equal(t, []byte("head"), buf[:4])
			assert.Equal(t, make([]byte, 10*pagecache.PageSize+1), buf[4:10*pagecache.PageSize+5], "the hole reads as zeros")
			assert.Equal(t, []byte("tail"), buf[10*pagecache.PageSize+5:])
			st, err := f.Stat()
			require.NoError(t, err)
			assert.EqualValues(t, 2*pagecache.PageSize/512, st.Blocks, "two pages exist")

			off, err := f.Seek(pagecache.PageSize, 3) // SEEK_DATA
			require.NoError(t, err)
			assert.EqualValues(t, 10*pagecache.PageSize, off)
			off, err = f.Seek(0, 4) // SEEK_HOLE
			require.NoError(t, err)
			assert.EqualValues(t, pagecache.PageSize, off)

			require.NoError(t, f.Truncate(2))
			require.NoError(t, f.Truncate(pagecache.PageSize+100))
			n, err = f.ReadAt(buf[:pagecache.PageSize+100], 0)
			require.NoError(t, err)
			assert.Equal(t, []byte("he"), buf[:2])
			assert.Equal(t, make([]byte, pagecache.PageSize+98), buf[2:n], "the truncated tail is zero after extension")
			r.fsys.UnlinkAt(nil, "/f", 0)
			n, err = f.ReadAt(buf[:2], 0)
			require.NoError(t, err)
			assert.Equal(t, []byte("he"), buf[:n], "an unlinked open file keeps its data")
			require.NoError(t, f.Close())
			assert.Zero(t, r.store.InUse(), "released: no slot held")
			assert.Eventually(t, func() bool { return len(r.m.Files()) == 0 && r.cache.Used() == 0 }, time.Second, time.Millisecond)
			_, err = r.tab.Object(NamePrefix + "/f")
			assert.ErrorIs(t, err, reconfig.ErrNotFound)
		})
	}
}

// TestEvictionUnderBudget: files larger than the cache are written and
// read back intact; dirty pages survive eviction; the counters add up.
func TestEvictionUnderBudget(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			r := newRig(t, impl, 32, 4096)
			const files, size = 4, 100 * pagecache.PageSize // 400 pages through a 32-page cache
			for i := range files {
				r.create(t, fmt.Sprintf("/f%d", i), pattern(uint64(i), size))
				assert.LessOrEqual(t, r.cache.Used(), r.cache.Budget())
			}
			for i := range files {
				got := r.read(t, fmt.Sprintf("/f%d", i))
				require.Equal(t, crc32.ChecksumIEEE(pattern(uint64(i), size)), crc32.ChecksumIEEE(got), "file %d", i)
			}
			st := r.cache.Stats()
			c := st.Counts
			assert.NotZero(t, c[pagecache.Evictions])
			assert.NotZero(t, c[pagecache.WriteBacks], "dirty pages were written back before eviction")
			assert.Equal(t, c[pagecache.WriteBacks]*pagecache.PageSize, c[pagecache.BytesOut])
			assert.EqualValues(t, files*size, c[pagecache.BytesWritten])
			assert.EqualValues(t, files*size, c[pagecache.BytesRead])
			assert.NotZero(t, c[pagecache.BytesIn], "pages came back from the store")
			var sum pagecache.Counts
			resident := 0
			for _, f := range r.m.Files() {
				in := f.Info()
				assert.Equal(t, impl, in.Impl)
				assert.EqualValues(t, size/pagecache.PageSize, in.Pages)
				resident += in.Resident
				for k := range sum {
					sum[k] += in.Counts[k]
				}
			}
			assert.Equal(t, c, sum, "the files' counters add up to the cache's")
			assert.EqualValues(t, resident, r.cache.Used(), "every page in use belongs to a file")
			require.NoError(t, r.fsys.UnlinkAt(nil, "/f0", 0))
			assert.Equal(t, c, r.cache.Stats().Counts, "a deleted file's counts stay in the totals")
		})
	}
}

// TestSequentialKeepsTheStreamSmall: a stream over a file larger than the
// cache holds only the pages it is in under the sequential FCM, while the
// single FCM fills the cache.
func TestSequentialKeepsTheStreamSmall(t *testing.T) {
	resident := map[string]int{}
	for _, impl := range []string{ImplSingle, ImplSequential} {
		r := newRig(t, impl, 256, 4096)
		r.create(t, "/big", pattern(1, 512*pagecache.PageSize))
		big := r.file(t, "/big")
		r.m.dom.Do(func() { big.ref.Get().GiveBack(t.Context(), 1<<20, pagecache.Critical) })
		require.Zero(t, big.Info().Resident, "a cold cache")
		f, err := r.fsys.OpenAt(nil, "/big", syscall.O_RDONLY, 0)
		require.NoError(t, err)
		buf := make([]byte, 16*pagecache.PageSize)
		most := 0
		for {
			_, err := f.Read(buf)
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			most = max(most, r.file(t, "/big").Info().Resident)
		}
		require.NoError(t, f.Close())
		resident[impl] = most
	}
	assert.LessOrEqual(t, resident[ImplSequential], 32+readAhead, "sequential: the pages of one read, one behind, and those read ahead")
	assert.Greater(t, resident[ImplSingle], 128, "single keeps what it read")
}

// TestReplicasFollowTheMaster: readers on many CPUs fill their replicas;
// a write, a truncation and eviction reach every replica.
func TestReplicasFollowTheMaster(t *testing.T) {
	r := newRig(t, ImplReplicated, 512, 4096)
	data := pattern(7, 64*pagecache.PageSize)
	r.create(t, "/shared", data)
	readAll := func(want []byte) {
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := r.read(t, "/shared")
				assert.Equal(t, crc32.ChecksumIEEE(want), crc32.ChecksumIEEE(got))
			}()
		}
		wg.Wait()
	}
	readAll(data)
	f := r.file(t, "/shared")
	in := f.Info()
	// (On the host a goroutine's "CPU" is a hash of its stack address,
	// which moves as stacks grow: each replica maps the pages read from
	// its slot.)
	replicas, mapped := 0, 0
	for _, n := range in.Replicas {
		if n > 0 {
			replicas++
			mapped += n
			assert.LessOrEqual(t, n, 64)
		}
	}
	assert.Greater(t, replicas, 1, "readers on several CPUs")
	assert.GreaterOrEqual(t, mapped, 64, "every page is in some replica")

	copy(data[5000:], "changed")
	w, err := r.fsys.OpenAt(nil, "/shared", syscall.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = w.WriteAt([]byte("changed"), 5000)
	require.NoError(t, err)
	readAll(data)
	require.NoError(t, w.Truncate(10*pagecache.PageSize))
	require.NoError(t, w.Close())
	readAll(data[:10*pagecache.PageSize])
	for _, n := range f.Info().Replicas {
		assert.LessOrEqual(t, n, 10, "truncated pages left every replica")
	}
	r.m.dom.Do(func() { f.ref.Get().GiveBack(t.Context(), 1000, pagecache.Critical) })
	in = f.Info()
	assert.Zero(t, in.Resident)
	for _, n := range in.Replicas {
		assert.Zero(t, n, "evicted pages left every replica")
	}
	readAll(data[:10*pagecache.PageSize])
}

// canonicalOnly is a family member from elsewhere: it speaks only the
// canonical format.
type canonicalOnly struct{ *Single }

func (c canonicalOnly) Protocols() (export, import_ reconfig.ProtocolSet) {
	ps := reconfig.Protocols(ProtoCanonical)
	return ps, ps
}

// failingImport refuses every state.
type failingImport struct{ *Single }

func (failingImport) Import(reconfig.Protocol, any) error { return errors.New("refused") }

// TestTransferProtocols: every pair of implementations moves the pages
// (dirty ones still dirty) by the page table; a member that speaks only
// canonical gets them in canonical; a failing import leaves the old FCM
// serving every call.
func TestTransferProtocols(t *testing.T) {
	for _, from := range impls {
		for _, to := range impls {
			t.Run(from+"-"+to, func(t *testing.T) {
				r := newRig(t, from, 64, 1024)
				data := pattern(3, 10*pagecache.PageSize+17)
				r.create(t, "/f", data)
				f := r.file(t, "/f")
				before := f.Info()
				rep, err := f.Entry().SwapTo(to, reconfig.SwapOptions{})
				require.NoError(t, err)
				assert.True(t, rep.Transferred)
				assert.Equal(t, ProtoTable, rep.Protocol)
				after := f.Info()
				assert.Equal(t, to, after.Impl)
				assert.Equal(t, before.Dirty, after.Dirty, "dirty pages stay dirty")
				assert.Equal(t, before.Resident, after.Resident, "no page was copied or dropped")
				assert.Equal(t, data, r.read(t, "/f"))
			})
		}
	}
	r := newRig(t, ImplReplicated, 64, 1024)
	data := pattern(4, 5*pagecache.PageSize)
	r.create(t, "/f", data)
	f := r.file(t, "/f")
	rep, err := f.Entry().Swap(canonicalOnly{new(Single)}, reconfig.SwapOptions{})
	require.NoError(t, err)
	assert.Equal(t, ProtoCanonical, rep.Protocol)
	assert.Equal(t, data, r.read(t, "/f"))
	assert.Equal(t, 5, f.Info().Dirty)
	_, err = f.Entry().SwapTo(ImplSequential, reconfig.SwapOptions{})
	require.NoError(t, err, "and back from canonical")
	assert.Equal(t, data, r.read(t, "/f"))

	_, err = f.Entry().Swap(failingImport{new(Single)}, reconfig.SwapOptions{})
	require.ErrorIs(t, err, reconfig.ErrTransfer)
	assert.Equal(t, ImplSequential, f.Info().Impl, "the old FCM stays")
	assert.Equal(t, data, r.read(t, "/f"), "and serves every call")
	r.create(t, "/f", data[:100])
	assert.Equal(t, data[:100], r.read(t, "/f"))
}

// TestUpgradeAndPins: upgrading the factory swaps every FCM not pinned
// elsewhere and makes new files use the new implementation.
func TestUpgradeAndPins(t *testing.T) {
	r := newRig(t, ImplSingle, 256, 4096)
	for i := range 20 {
		r.create(t, fmt.Sprintf("/f%d", i), pattern(uint64(i), 3000))
	}
	require.NoError(t, r.file(t, "/f3").Pin(ImplSequential))
	assert.Equal(t, ImplSequential, r.file(t, "/f3").Info().Impl)
	require.ErrorIs(t, r.file(t, "/f4").Pin("lru"), reconfig.ErrNoImplementation)
	rep, err := r.m.Upgrade(ImplReplicated)
	require.NoError(t, err)
	assert.Equal(t, 19, rep.Swapped)
	assert.Equal(t, 1, rep.Pinned)
	assert.Empty(t, rep.Failed)
	assert.Contains(t, rep.String(), "single -> replicated: 19 swapped")
	for i := range 20 {
		want := ImplReplicated
		if i == 3 {
			want = ImplSequential
		}
		assert.Equal(t, want, r.file(t, fmt.Sprintf("/f%d", i)).Info().Impl)
		assert.Equal(t, pattern(uint64(i), 3000), r.read(t, fmt.Sprintf("/f%d", i)))
	}
	r.create(t, "/new", []byte("x"))
	assert.Equal(t, ImplReplicated, r.file(t, "/new").Info().Impl)
	_, err = r.m.Upgrade("lru")
	require.ErrorIs(t, err, reconfig.ErrNoImplementation)
	assert.Equal(t, ImplReplicated, r.m.FactoryImpl(), "a bad upgrade changes nothing")
	assert.Empty(t, r.m.Factory().Member(), "the factories share a type: Member cannot tell them apart")
}

// TestNamesFollowRenames: an FCM's name in the table follows its file.
func TestNamesFollowRenames(t *testing.T) {
	r := newRig(t, ImplSingle, 64, 1024)
	r.create(t, "/a", []byte("a"))
	require.NoError(t, r.fsys.RenameAt(nil, "/a", nil, "/b", 0))
	_, err := r.tab.Object(NamePrefix + "/b")
	require.NoError(t, err)
	r.create(t, "/a", []byte("new a"))
	require.NoError(t, r.fsys.RenameAt(nil, "/b", nil, "/a", 0)) // replaces the new /a
	assert.Equal(t, []byte("a"), r.read(t, "/a"))
	_, err = r.tab.Object(NamePrefix + "/a")
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return len(r.m.Files()) == 1 }, time.Second, time.Millisecond, "the replaced file's FCM is gone")
}

// TestENOSPCFromTheLimit: the file system's page limit still bounds the
// data, with the FCMs under it.
func TestENOSPCFromTheLimit(t *testing.T) {
	r := newRig(t, ImplSingle, 64, 32)
	f, err := r.fsys.OpenAt(nil, "/f", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	require.NoError(t, err)
	n, err := f.Write(make([]byte, 40*pagecache.PageSize))
	require.ErrorIs(t, err, syscall.ENOSPC)
	assert.Equal(t, 32*pagecache.PageSize, n)
	require.NoError(t, f.Truncate(0))
	_, err = f.Write(bytes.Repeat([]byte{1}, 32*pagecache.PageSize))
	require.NoError(t, err, "truncation gave the pages back")
	require.NoError(t, f.Close())
}

// TestReadsBesideTruncation: the file system's readers take no lock of
// the file's, so reads run beside truncations and writes of the same
// file. While one goroutine truncates a file and writes it again (bytes
// 'a') and another rewrites a second file (bytes 'b', reusing the store
// slots the first one frees), over a cache too small to hold either,
// readers of the first file must only ever see 'a' or zeros: never a
// page another file's, read from a slot freed and reused meanwhile.
func TestReadsBesideTruncation(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			r := newRig(t, impl, 24, 512)
			const pages = 40
			fill := func(c byte) []byte { return bytes.Repeat([]byte{c}, pages*pagecache.PageSize) }
			r.create(t, "/a", fill('a'))
			r.create(t, "/b", fill('b'))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			writer := func(name string, c byte) {
				defer wg.Done()
				f, err := r.fsys.OpenAt(nil, name, syscall.O_RDWR, 0)
				if err != nil {
					errs <- err
					return
				}
				defer f.Close()
				data := fill(c)
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := f.Truncate(0); err != nil {
						errs <- err
						return
					}
					if _, err := f.WriteAt(data, 0); err != nil {
						errs <- err
						return
					}
				}
			}
			wg.Add(2)
			go writer("/a", 'a')
			go writer("/b", 'b')
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f, err := r.fsys.OpenAt(nil, "/a", syscall.O_RDONLY, 0)
					if err != nil {
						errs <- err
						return
					}
					defer f.Close()
					buf := make([]byte, 8*pagecache.PageSize)
					for {
						select {
						case <-stop:
							return
						default:
						}
						off := int64(0)
						for off < pages*pagecache.PageSize {
							n, _ := f.ReadAt(buf, off)
							for i, c := range buf[:n] {
								if c != 'a' && c != 0 {
									errs <- fmt.Errorf("/a at %d holds %q", off+int64(i), c)
									return
								}
							}
							if n == 0 {
								break
							}
							off += int64(n)
						}
					}
				}()
			}
			time.Sleep(700 * time.Millisecond)
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			assert.NotZero(t, r.cache.Stats().Counts[pagecache.BytesIn], "reads came from the store")
		})
	}
}

// TestDropEmptiesTheCache: Cache.Drop writes dirty pages back and frees
// every page of every FCM; the files read back whole, as misses.
func TestDropEmptiesTheCache(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			r := newRig(t, impl, 256, 4096)
			want := map[string][]byte{}
			for i := range 4 {
				p := fmt.Sprintf("/d%d", i)
				want[p] = pattern(uint64(i), 20*pagecache.PageSize+100)
				r.create(t, p, want[p])
			}
			require.NotZero(t, r.cache.Used())
			freed := r.cache.Drop()
			assert.Zero(t, r.cache.Used(), "nothing resident after a drop")
			assert.GreaterOrEqual(t, freed, 4*21)
			in := r.cache.Stats().Counts[pagecache.BytesIn]
			for p, b := range want {
				assert.Equal(t, b, r.read(t, p), p)
			}
			assert.GreaterOrEqual(t, r.cache.Stats().Counts[pagecache.BytesIn]-in, int64(4*21*pagecache.PageSize), "every page came from the store")
		})
	}
}

// TestReadAheadClustersAColdRead: write-back goes out in clusters of
// consecutive pages, and a sequential read of a cold file whose pages
// were stored side by side costs one device request per cluster of
// 1+readAhead pages, not one per page, under every FCM; a cache under
// pressure reads page by page.
func TestReadAheadClustersAColdRead(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			dev := newDisk(t)
			r := newRigOn(t, impl, 8192, dev)
			m := r.m
			const pages = 2 * (1 + readAhead)
			data := pattern(3, pages*pagecache.PageSize)
			r.create(t, "/seq", data)
			writes := dev.Stats().Writes
			m.Cache().Drop()
			assert.LessOrEqual(t, dev.Stats().Writes-writes, int64(pages/writeCluster+1), "written back in clusters")
			before := dev.Stats().Reads
			assert.Equal(t, data, r.read(t, "/seq"))
			reads := dev.Stats().Reads - before
			assert.LessOrEqual(t, reads, int64(pages/(1+readAhead)+1), "one request per cluster")
			if impl != ImplSequential { // which gives back the pages behind the reader
				assert.Equal(t, int64(pages), m.Cache().Used(), "every page read ahead is in the table")
			}
		})
	}
}

// TestReadAheadRunsAhead: a stream that passes the middle of a cluster
// read ahead has the next cluster come in while it reads on, through the
// FCM's Prefetch in a request of its own; a swap meanwhile is safe.
func TestReadAheadRunsAhead(t *testing.T) {
	for _, impl := range []string{ImplSingle, ImplSequential} {
		t.Run(impl, func(t *testing.T) {
			dev := newDisk(t)
			r := newRigOn(t, impl, 8192, dev)
			m := r.m
			const cluster = 1 + readAhead
			data := pattern(5, 3*cluster*pagecache.PageSize)
			r.create(t, "/s", data)
			m.Cache().Drop()
			f, err := r.fsys.OpenAt(nil, "/s", syscall.O_RDONLY, 0)
			require.NoError(t, err)
			defer f.Close()
			buf := make([]byte, (cluster/2+2)*pagecache.PageSize)
			_, err = f.ReadAt(buf, 0)
			require.NoError(t, err)
			assert.Equal(t, data[:len(buf)], buf)
			file := r.file(t, "/s")
			require.Eventually(t, func() bool {
				return m.Cache().Used() >= 2*cluster
			}, 5*time.Second, time.Millisecond, "the next cluster came in unasked")
			_, err = file.Entry().NullSwap(reconfig.SwapOptions{})
			require.NoError(t, err)
			reads := dev.Stats().Reads
			rest := make([]byte, cluster*pagecache.PageSize)
			_, err = f.ReadAt(rest, int64(cluster*pagecache.PageSize))
			require.NoError(t, err)
			assert.Equal(t, data[cluster*pagecache.PageSize:2*cluster*pagecache.PageSize], rest)
			assert.LessOrEqual(t, dev.Stats().Reads-reads, int64(1), "the second cluster was already there (at most the third's prefetch read)")
		})
	}
}

// TestSyncAllFlushesOnce: the console's sync writes every file back and
// flushes the store once, not once a file.
func TestSyncAllFlushesOnce(t *testing.T) {
	dev := newDisk(t)
	r := newRigOn(t, ImplSingle, 1024, dev)
	m := r.m
	for i := range 5 {
		r.create(t, fmt.Sprintf("/s%d", i), pattern(uint64(i), 3*pagecache.PageSize))
	}
	flushes, writes := dev.Stats().Flushes, dev.Stats().Writes
	n, err := m.SyncAll()
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, int64(1), dev.Stats().Flushes-flushes, "one flush for all")
	assert.Equal(t, int64(5), dev.Stats().Writes-writes, "each file's pages in one request")
	for _, f := range m.Files() {
		assert.Zero(t, f.Info().Dirty, f.Name())
	}
}

// TestManagersOwnCallsSurviveADestroyedEntry: a call the manager makes on
// its own (a report, a write-back of every file, a prefetch) may find the
// file's entry destroyed under it by the file's last close; it reports
// the file gone instead of crashing.
func TestManagersOwnCallsSurviveADestroyedEntry(t *testing.T) {
	r := newRig(t, ImplSingle, 16, 64)
	r.create(t, "/f", []byte("data"))
	files := r.m.Files()
	require.Len(t, files, 1)
	f := files[0]
	f.Entry().DestroySoon() // as Release does, the moment after SyncAll looked
	assert.False(t, f.own(func(c FCM) { c.Info(context.Background()) }))
	assert.Equal(t, Info{}, f.Info())
	_, err := r.m.SyncAll()
	require.NoError(t, err)
}
