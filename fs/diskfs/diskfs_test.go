package diskfs

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/fs/ondisk"
	"k42/mm/blockdev"
	"k42/mm/blockdev/blocklog"
	"k42/mm/fcm"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

var crashIters = flag.Int("crash.iters", 2, "crash images tried at each cut point of the crash-replay test (thousands: -crash.iters=1000)")

// clock is a deterministic clock for the file system's time stamps.
func clock() func() time.Time {
	var ms atomic.Int64
	return func() time.Time { return time.Unix(1_700_000_000, ms.Add(1)*int64(time.Millisecond)) }
}

// mounted is a file system on a disk with its page cache.
type mounted struct {
	v    *Volume
	fsys *fs.FS
	m    *fcm.Manager
}

// mount mounts dev with a page cache of budget pages.
func mount(t testing.TB, dev blockdev.Device, budget int64) (*mounted, error) {
	v, err := Mount(dev, Options{Interval: -1})
	if err != nil {
		return nil, err
	}
	d, err := generation.New(platform.Host(), 2)
	require.NoError(t, err)
	m, limit, err := fcm.NewOnStore(reconfig.NewTable(d), budget*pagecache.PageSize, v.Store(), v.Backing, "single", nil)
	require.NoError(t, err)
	fsys, err := v.FS(fs.Options{Pages: limit, Data: m.DataFactory(), Clock: clock()})
	if err != nil {
		m.Cache().Close()
		return nil, err
	}
	return &mounted{v: v, fsys: fsys, m: m}, nil
}

// close writes every file back and commits, as a clean shutdown does.
func (mt *mounted) close(t testing.TB) {
	_, err := mt.m.SyncAll()
	require.NoError(t, err)
	require.NoError(t, mt.v.Close())
	mt.m.Cache().Close()
}

func formatted(t testing.TB, bytes int64) *blockdev.Memory {
	d, err := blockdev.NewMemory(512, bytes/512)
	require.NoError(t, err)
	_, err = Format(d, time.Unix(1, 0))
	require.NoError(t, err)
	return d
}

func write(t testing.TB, fsys *fs.FS, p string, data []byte, flags int, sync bool) {
	t.Helper()
	f, err := fsys.OpenAt(nil, p, syscall.O_CREAT|syscall.O_WRONLY|flags, 0o644)
	require.NoError(t, err)
	_, err = f.Write(data)
	require.NoError(t, err)
	if sync {
		require.NoError(t, f.Sync())
	}
	require.NoError(t, f.Close())
}

func read(fsys *fs.FS, p string) ([]byte, error) {
	f, err := fsys.OpenAt(nil, p, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func syncDir(t testing.TB, fsys *fs.FS, p string) {
	t.Helper()
	f, err := fsys.OpenAt(nil, p, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

func pattern(seed, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestMountAgainFindsEverything: what one mount made (files larger than
// the page cache, directories, links, attributes) is there, whole, in the
// next, after a clean close.
func TestMountAgainFindsEverything(t *testing.T) {
	dev := formatted(t, 16<<20)
	mt, err := mount(t, dev, 16)
	require.NoError(t, err)
	f := mt.fsys
	require.NoError(t, f.MkdirAt(nil, "/a", 0o750))
	require.NoError(t, f.MkdirAt(nil, "/a/b", 0o755))
	big := pattern(1, 300<<10) // 75 pages through a 16-page cache
	write(t, f, "/a/b/big", big, 0, false)
	write(t, f, "/small", []byte("hello"), 0, true)
	require.NoError(t, f.LinkAt(nil, "/small", nil, "/a/hard", 0))
	require.NoError(t, f.SymlinkAt("/a/b/big", nil, "/sym"))
	require.NoError(t, f.ChmodAt(nil, "/small", 0o600, 0))
	require.NoError(t, f.TruncateAt(nil, "/a/b/big", 200<<10+5))
	st, err := f.StatAt(nil, "/a/b/big", 0)
	require.NoError(t, err)
	mt.close(t)

	mt2, err := mount(t, dev, 16)
	require.NoError(t, err)
	defer mt2.close(t)
	g := mt2.fsys
	got, err := read(g, "/a/b/big")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(big[:200<<10+5], got), "big file: %d bytes back", len(got))
	got, err = read(g, "/a/hard")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
	s, err := g.StatAt(nil, "/small", 0)
	require.NoError(t, err)
	assert.Equal(t, uint32(fs.S_IFREG|0o600), s.Mode)
	assert.Equal(t, uint64(2), s.Nlink)
	target, err := g.ReadlinkAt(nil, "/sym")
	require.NoError(t, err)
	assert.Equal(t, "/a/b/big", target)
	st2, err := g.StatAt(nil, "/a/b/big", 0)
	require.NoError(t, err)
	assert.Equal(t, st.Ino, st2.Ino)
	assert.Equal(t, st.Mtime, st2.Mtime)
	d, err := g.StatAt(nil, "/a", 0)
	require.NoError(t, err)
	assert.Equal(t, uint32(fs.S_IFDIR|0o750), d.Mode)
	assert.Equal(t, uint64(3), d.Nlink)
	// New files do not take the inode numbers or blocks of old ones.
	write(t, g, "/new", pattern(2, 64<<10), 0, true)
	s3, err := g.StatAt(nil, "/new", 0)
	require.NoError(t, err)
	assert.Greater(t, s3.Ino, st.Ino)
	got, err = read(g, "/a/b/big")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(big[:200<<10+5], got))
}

// TestLogFillsThenCheckpoints: many small commits go round the log many
// times (a checkpoint each time it is full) and the state survives.
func TestLogFillsThenCheckpoints(t *testing.T) {
	dev := formatted(t, 8<<20) // a 30-block log
	mt, err := mount(t, dev, 32)
	require.NoError(t, err)
	for i := range 200 {
		write(t, mt.fsys, fmt.Sprintf("/f%03d", i), []byte(fmt.Sprint(i)), 0, true)
		if i%3 == 0 {
			require.NoError(t, mt.fsys.UnlinkAt(nil, fmt.Sprintf("/f%03d", i), 0))
		}
	}
	st := mt.v.Stats()
	assert.Greater(t, st.Checkpoints, int64(5))
	mt.close(t)
	mt2, err := mount(t, dev, 32)
	require.NoError(t, err)
	defer mt2.close(t)
	for i := range 200 {
		got, err := read(mt2.fsys, fmt.Sprintf("/f%03d", i))
		if i%3 == 0 {
			assert.ErrorIs(t, err, syscall.ENOENT)
		} else {
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprint(i), string(got))
		}
	}
	assert.Empty(t, mt2.v.Report.Problems)
}

// TestBadImagesRefused: a table of disks that are not k42 file systems,
// or whose metadata is broken, each refused with an error naming what is
// wrong; never a panic.
func TestBadImagesRefused(t *testing.T) {
	good := func() *blockdev.Memory {
		d := formatted(t, 4<<20)
		mt, err := mount(t, d, 16)
		require.NoError(t, err)
		write(t, mt.fsys, "/x", []byte("x"), 0, true)
		mt.close(t)
		return d
	}
	sb := func(d *blockdev.Memory) *ondisk.Superblock {
		s, err := ondisk.Identify(d)
		require.NoError(t, err)
		return s
	}
	poke := func(d *blockdev.Memory, fsBlock uint64, off int, v byte) *blockdev.Memory {
		b := make([]byte, ondisk.BlockSize)
		require.NoError(t, d.ReadBlocks(int64(fsBlock)*8, b))
		b[off] ^= v
		require.NoError(t, d.WriteBlocks(int64(fsBlock)*8, b))
		return d
	}
	random, err := blockdev.NewMemory(512, 8192)
	require.NoError(t, err)
	require.NoError(t, random.WriteBlocks(0, pattern(9, 4<<20)))
	zero, err := blockdev.NewMemory(512, 8192)
	require.NoError(t, err)

	ckptBroken := good()
	s := sb(ckptBroken)
	// Both halves' first blocks: whichever the header names is torn.
	poke(ckptBroken, s.CkptStart, 100, 0xff)
	poke(ckptBroken, s.CkptStart+s.CkptLen/2, 100, 0xff)

	for _, c := range []struct {
		name string
		dev  blockdev.Device
		says string
	}{
		{"random bytes", random, "not a k42 file system"},
		{"zeros", zero, "blank"},
		{"superblock bit flipped", poke(good(), 0, 20, 1), "checksum"},
		{"checkpoint corrupt", ckptBroken, "checkpoint"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := mount(t, c.dev, 16)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.says)
			_, err = Check(c.dev)
			require.Error(t, err)
		})
	}
}

// A promise is what the workload was told is durable: from log entry
// from on (the flush of its fsync), until entry until (the start of the
// next operation on the same path; -1: for ever), path holds data (nil:
// does not exist). Between a rename's start and its promise, either of
// two states may be found (alt).
type promise struct {
	from, until int
	path        string
	data        []byte
	alt         *promise
}

// TestCrashReplay records every write and flush of a workload (creates,
// appends, overwrites, renames over files, truncates, fsyncs of files
// and directories, unlinks of open files, files larger than the page
// cache) and mounts the disk as a crash could leave it at every cut
// point, crash.iters times each (which writes after the last flush
// landed varies): every mount succeeds with nothing to repair but
// orphans, every file reads whole, and every fsynced promise holds.
func TestCrashReplay(t *testing.T) {
	base := formatted(t, 4<<20)
	l, err := blocklog.New(base)
	require.NoError(t, err)
	mt, err := mount(t, l, 16)
	require.NoError(t, err)
	f := mt.fsys
	var promises []*promise
	open := map[string]*promise{} // the latest promise of each path
	begin := func(p string) {
		if q := open[p]; q != nil {
			q.until = l.Len()
			delete(open, p)
		}
	}
	promised := func(p string, data []byte) *promise {
		q := &promise{from: l.Len() - 1, until: -1, path: p, data: data}
		promises = append(promises, q)
		open[p] = q
		return q
	}
	require.NoError(t, f.MkdirAt(nil, "/d", 0o755))
	syncDir(t, f, "/")
	contents := map[string][]byte{}
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 40 {
		p := fmt.Sprintf("/d/f%d", rng.IntN(8))
		switch op := rng.IntN(6); op {
		case 0, 1: // create or overwrite, fsync
			begin(p)
			data := pattern(i, 1+rng.IntN(20<<10))
			write(t, f, p, data, syscall.O_TRUNC, true)
			contents[p] = data
			syncDir(t, f, "/d")
			promised(p, data)
		case 2: // append, fsync
			begin(p)
			data := append(bytes.Clone(contents[p]), pattern(i, rng.IntN(9000))...)
			write(t, f, p, data[len(contents[p]):], syscall.O_APPEND, true)
			contents[p] = data
			syncDir(t, f, "/d")
			promised(p, data)
		case 3: // rename over another, fsync the directory
			q := fmt.Sprintf("/d/f%d", rng.IntN(8))
			if contents[p] == nil || p == q {
				continue
			}
			old, was := contents[p], contents[q]
			begin(p)
			begin(q)
			start := l.Len()
			require.NoError(t, f.RenameAt(nil, p, nil, q, 0))
			syncDir(t, f, "/d")
			contents[q], contents[p] = old, nil
			a := promised(q, old)
			promised(p, nil)
			// Before the directory's fsync: old names, or new, never
			// neither (the source's data was promised before).
			promises = append(promises, &promise{from: start, until: a.from, path: q, data: was, alt: &promise{path: q, data: old}})
		case 4: // truncate, fsync
			if contents[p] == nil {
				continue
			}
			begin(p)
			n := rng.IntN(len(contents[p]) + 1)
			fl, err := f.OpenAt(nil, p, syscall.O_WRONLY, 0)
			require.NoError(t, err)
			require.NoError(t, fl.Truncate(int64(n)))
			require.NoError(t, fl.Sync())
			require.NoError(t, fl.Close())
			contents[p] = contents[p][:n]
			promised(p, contents[p])
		case 5: // unlink while open; keep writing to it; close later
			if contents[p] == nil {
				continue
			}
			begin(p)
			fl, err := f.OpenAt(nil, p, syscall.O_WRONLY|syscall.O_APPEND, 0)
			require.NoError(t, err)
			require.NoError(t, f.UnlinkAt(nil, p, 0))
			syncDir(t, f, "/d")
			_, err = fl.Write(pattern(i, 12<<10))
			require.NoError(t, err)
			require.NoError(t, fl.Sync())
			contents[p] = nil
			promised(p, nil)
			require.NoError(t, fl.Close())
		}
	}
	mt.close(t)
	n := l.Len()
	t.Logf("%d writes and flushes recorded; %d promises", n, len(promises))

	orphans := 0
	for cut := -1; cut < n; cut++ {
		for it := 0; it < *crashIters; it++ {
			var r *rand.Rand
			if it > 0 {
				r = rand.New(rand.NewPCG(uint64(cut), uint64(it)))
			}
			dev, err := l.Device(l.Crash(cut, r))
			require.NoError(t, err)
			got, err := mount(t, dev, 16)
			if cut < 0 && err != nil {
				continue // before the first mount's checkpoint: an empty format
			}
			require.NoError(t, err, "cut %d", cut)
			assert.Empty(t, got.v.Report.Problems, "cut %d", cut)
			orphans += got.v.Report.Orphans
			// Everything there reads whole.
			walk(t, got.fsys, "/", cut)
			durable := l.Durable(cut)
			for _, q := range promises {
				// A promise holds from the moment its fsync returned,
				// whatever flushed or not.
				if cut < q.from || (q.until >= 0 && cut >= q.until) {
					continue
				}
				data, err := read(got.fsys, q.path)
				ok := func(q *promise) bool {
					if q.data == nil {
						return errors.Is(err, syscall.ENOENT)
					}
					return err == nil && bytes.Equal(data, q.data)
				}
				if !ok(q) && (q.alt == nil || !ok(q.alt)) {
					t.Fatalf("cut %d (durable to %d), try %d: %s: promised %d bytes from entry %d, found %d bytes (%v)",
						cut, durable, it, q.path, len(q.data), q.from, len(data), err)
				}
			}
			got.close(t)
		}
	}
	t.Logf("orphans freed across all cuts: %d", orphans)
}

func walk(t *testing.T, fsys *fs.FS, dir string, cut int) {
	ents, err := fsys.ReadDirAt(nil, dir)
	require.NoError(t, err, "cut %d", cut)
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
	for _, e := range ents {
		p := path.Join(dir, e.Name)
		st, err := fsys.StatAt(nil, p, fs.AT_SYMLINK_NOFOLLOW)
		require.NoError(t, err)
		switch st.Mode & fs.S_IFMT {
		case fs.S_IFDIR:
			walk(t, fsys, p, cut)
		case fs.S_IFREG:
			data, err := read(fsys, p)
			require.NoError(t, err, "cut %d: %s", cut, p)
			require.Equal(t, st.Size, int64(len(data)), "cut %d: %s", cut, p)
		}
	}
}

// TestFormatAgainForgetsEverything: a disk formatted again mounts empty,
// whatever its last life left in the log.
func TestFormatAgainForgetsEverything(t *testing.T) {
	dev := formatted(t, 8<<20)
	mt, err := mount(t, dev, 16)
	require.NoError(t, err)
	write(t, mt.fsys, "/old", []byte("old"), 0, true)
	mt.close(t)
	_, err = Format(dev, time.Unix(2, 0))
	require.NoError(t, err)
	mt, err = mount(t, dev, 16)
	require.NoError(t, err)
	defer mt.close(t)
	_, err = read(mt.fsys, "/old")
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Equal(t, 0, mt.v.Report.Replayed)
}

// TestCommitsBesideCreates: commits (fsync, the background's) run while
// other goroutines create, write and remove files: no deadlock between a
// commit's cut and a create's namespace lock, and everything fsynced is
// there after.
func TestCommitsBesideCreates(t *testing.T) {
	dev := formatted(t, 32<<20)
	mt, err := mount(t, dev, 64)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			require.NoError(t, mt.v.Commit())
		}
	}()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				p := fmt.Sprintf("/w%d-%d", w, i)
				write(t, mt.fsys, p, pattern(w*100+i, 5000), 0, i%5 == 0)
				if i%3 == 0 {
					require.NoError(t, mt.fsys.UnlinkAt(nil, p, 0))
				}
			}
		}()
	}
	wg.Wait()
	<-done
	mt.close(t)
	mt2, err := mount(t, dev, 64)
	require.NoError(t, err)
	defer mt2.close(t)
	assert.Empty(t, mt2.v.Report.Problems)
	for w := range 4 {
		for i := range 50 {
			got, err := read(mt2.fsys, fmt.Sprintf("/w%d-%d", w, i))
			if i%3 == 0 {
				assert.ErrorIs(t, err, syscall.ENOENT)
			} else {
				require.NoError(t, err)
				assert.True(t, bytes.Equal(pattern(w*100+i, 5000), got), "/w%d-%d: %d bytes back", w, i, len(got))
			}
		}
	}
}

// TestCheckANewFileSystem: a disk just formatted checks clean (an empty
// file system: its root, dated from the format) and mounts so.
func TestCheckANewFileSystem(t *testing.T) {
	dev := formatted(t, 8<<20)
	r, err := Check(dev)
	require.NoError(t, err)
	assert.Equal(t, Report{Inodes: 1, Dirs: 1}, r)
	mt, err := mount(t, dev, 16)
	require.NoError(t, err)
	defer mt.close(t)
	st, err := mt.fsys.StatAt(nil, "/", 0)
	require.NoError(t, err)
	assert.Equal(t, fs.TimespecOf(time.Unix(1, 0)), st.Mtime)
}

// TestRenameIsAtomicBesideCommits: a file renamed back and forth while
// commits run beside the renames (fsyncs of other files, the background
// commit) is, at every cut of the disk's history, under exactly one of
// its two names: no commit holds half of a rename.
func TestRenameIsAtomicBesideCommits(t *testing.T) {
	base := formatted(t, 8<<20)
	l, err := blocklog.New(base)
	require.NoError(t, err)
	mt, err := mount(t, l, 16)
	require.NoError(t, err)
	write(t, mt.fsys, "/a", []byte("the file"), 0, true)
	first := l.Len() - 1 // the fsync's flush: /a is there from here on
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 150 {
			require.NoError(t, mt.v.Commit())
		}
	}()
	names := [2]string{"/a", "/b"}
	for i := 0; ; i++ {
		select {
		case <-done:
			mt.close(t)
			n := l.Len()
			for cut := first; cut < n; cut += 3 {
				dev, err := l.Device(l.Crash(cut, nil))
				require.NoError(t, err)
				got, err := mount(t, dev, 16)
				require.NoError(t, err, "cut %d", cut)
				_, ea := got.fsys.StatAt(nil, "/a", 0)
				_, eb := got.fsys.StatAt(nil, "/b", 0)
				require.True(t, (ea == nil) != (eb == nil), "cut %d: /a: %v, /b: %v", cut, ea, eb)
				got.close(t)
			}
			return
		default:
		}
		require.NoError(t, mt.fsys.RenameAt(nil, names[i%2], nil, names[(i+1)%2], 0))
	}
}
