// Package diskfs owns k42's file system on a disk: mounting a disk
// formatted by fs/ondisk (replaying its log, checking and repairing what a
// crash can leave), the journal that makes the in-memory file system's
// changes durable (an fs.Journal), and the page maps of the files' data
// (a pagecache.Log over a pagecache.Store in the disk's data blocks), so
// that the FCMs of mm/fcm hold the file system's pages as they hold any
// file's.
//
// # Design
//
// The namespace and every inode are kept in memory by fs (the metadata
// cache is the whole metadata: a checkpoint is read whole at mount). The
// disk holds a checkpoint of all of it and a log of commits since; both
// are runs of ondisk records, each stating part of the metadata
// absolutely, so a replay over any state reaches the same end.
//
//   - Names (fs.Journal.Names, each operation's in one call) and deaths
//     (Gone) are queued as records in the order the namespace made them; a page written back to a
//     block it did not have before is queued as a map record after its
//     data is written (pagecache.Log.Placed); a truncation as an unmap
//     record (Dropped), whose blocks are not reused until the record is
//     durable. Changed inodes are remembered (Dirty) and their attributes
//     read when a commit is made.
//   - A commit takes the queue whole, so a rename's two names are in one
//     commit (they entered the queue together); flushes
//     the disk if data was written since the last flush (data before the
//     metadata that names it: ordered mode); writes the records as one
//     checksummed chunk at the log's head; and flushes. A commit is
//     durable whole or not at all: a chunk whose blocks did not all land
//     fails its checksum, and replay stops there.
//   - fsync and fdatasync of a file write its dirty pages back (the FCM),
//     then commit: its data, size and names are on the disk when they
//     return; fsync of a directory commits. A background write-back and
//     commit runs every Options.Interval (5 s by default), as ext4's
//     does: what a program wrote without fsync is on the disk at most
//     that long after (a program that exits sooner without fsync may lose
//     it, as a Linux machine that loses power does).
//   - When the log is full, a checkpoint writes the whole metadata into
//     the checkpoint half not in use, flushes, writes the other header
//     slot naming it and the log's next sequence number, flushes, and
//     starts the log again from its first block.
//
// Mount reads the newest valid header's checkpoint, replays the commits
// that follow it in sequence, then checks the result: a name whose inode
// is gone, a directory with two names, a data block outside the disk or
// named twice are problems it reports and repairs; an inode no name
// reaches (a file unlinked while open, a crash before its name was
// committed) is an orphan it frees with its blocks, as a crash leaves.
// Then it writes a checkpoint, so that every boot starts from one.
//
// Execution context: ordinary Go, in the kernel's file-system server
// goroutines and pager, and on the host (the runner formats images with
// Format; k42fsck checks them; the crash-replay tests mount images).
package diskfs

import (
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k42/fs"
	"k42/fs/ondisk"
	"k42/mm/blockdev"
	"k42/mm/pagecache"
)

// RootIno is the root directory's inode number.
const RootIno = 1

// Options tunes a mounted volume.
type Options struct {
	// Interval is how often changes are committed when nothing asks
	// sooner (0: 5 s; negative: never, only fsync, sync and Close).
	Interval time.Duration
	// WriteBack, if set, is called before each background commit to
	// write dirty file pages back (the FCMs' write-back), so that a
	// file's data reaches the disk with its size, as ext4's periodic
	// write-back and commit make it.
	WriteBack func() error
}

// Volume is a mounted file system on a disk.
type Volume struct {
	dev   blockdev.Device
	sb    *ondisk.Superblock
	per   int64 // device blocks per file-system block
	store *pagecache.Store
	opt   Options

	// Report is what the mount found and repaired.
	Report Report

	mu      sync.Mutex // the queue
	pending []ondisk.Record
	drops   []int64             // blocks to free once pending is durable
	dirty   map[uint64]*fs.Node // changed since last written
	err     error               // a commit that failed: the disk is behind memory

	commitMu sync.Mutex // one commit or checkpoint at a time; the fields below
	m        *model     // the durable state (as of the last commit)
	head     int64      // the log's next free block (from the log's start)
	seq      uint64     // the next commit's sequence number
	hdr      ondisk.Header
	commits  int64
	replayed int // commits replayed at mount
	ckpts    int64

	restoring atomic.Bool // FS is building the file system from the model

	stop chan struct{}
	done chan struct{}
}

// Report is what a mount or a check found.
type Report struct {
	Checkpoint  uint64 // the sequence number of the checkpoint read (0: none, a new file system)
	Replayed    int    // commits replayed from the log
	Inodes      int
	Dirs        int
	Files       int
	Pages       int64 // data blocks in use
	Orphans     int   // inodes no name reached, freed
	OrphanPages int64 // their blocks, freed
	Problems    []string
}

func (r Report) String() string {
	s := fmt.Sprintf("checkpoint %d, %d commits replayed: %d inodes (%d directories, %d files), %d data blocks in use",
		r.Checkpoint, r.Replayed, r.Inodes, r.Dirs, r.Files, r.Pages)
	if r.Orphans > 0 {
		s += fmt.Sprintf("; freed %d orphaned inodes and their %d blocks", r.Orphans, r.OrphanPages)
	}
	for _, p := range r.Problems {
		s += "; repaired: " + p
	}
	return s
}

// Format makes an empty file system on dev (ondisk.Format, with a new
// random UUID), created at now: its root directory's time stamps.
func Format(dev blockdev.Device, now time.Time) (*ondisk.Superblock, error) {
	var uuid [16]byte
	rand.Read(uuid[:])
	return ondisk.Format(dev, uuid, now.UnixNano())
}

// FormatImage makes the disk image at path (a host file: the runner's,
// the Linux peer's, k42fsck's) an empty file system, created now.
func FormatImage(path string) (*ondisk.Superblock, error) {
	dev, err := blockdev.OpenFile(path, false)
	if err != nil {
		return nil, err
	}
	sb, err := Format(dev, time.Now())
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	return sb, err
}

// ErrFull is the error of a commit whose checkpoint does not fit its half.
var ErrFull = errors.New("diskfs: the metadata does not fit a checkpoint")

// Mount mounts the file system on dev: it identifies it (refusing with
// ondisk's errors a disk that is not a k42 file system), reads its
// checkpoint, replays its log, checks and repairs the result and writes
// a checkpoint. The volume's Store is then ready for the page cache; FS
// makes the file system.
func Mount(dev blockdev.Device, opt Options) (*Volume, error) {
	v, err := load(dev)
	if err != nil {
		return nil, err
	}
	if opt.Interval == 0 {
		opt.Interval = 5 * time.Second
	}
	v.opt = opt
	if v.Report, err = v.checked(); err != nil {
		return nil, err
	}
	var used []int64
	for _, in := range v.m.inodes {
		for _, b := range in.maps {
			used = append(used, b)
		}
	}
	data := blockdev.Part{Dev: dev, Start: int64(v.sb.DataStart) * v.per, Count: v.dataBlocks() * v.per}
	if v.store, err = pagecache.NewLoggedStore(data, v, used); err != nil {
		return nil, fmt.Errorf("diskfs: %w", err)
	}
	if err := v.checkpoint(); err != nil {
		return nil, err
	}
	return v, nil
}

// Check reads the file system on dev as Mount would, without writing:
// what a mount would find and repair.
func Check(dev blockdev.Device) (Report, error) {
	v, err := load(dev)
	if err != nil {
		return Report{}, err
	}
	return v.checked()
}

// checked checks and repairs the loaded metadata (model.check) and says
// where it came from.
func (v *Volume) checked() (Report, error) {
	r, err := v.m.check(v.dataBlocks())
	r.Checkpoint, r.Replayed = v.hdr.Seq, v.replayed
	return r, err
}

// Superblock returns the volume's superblock.
func (v *Volume) Superblock() *ondisk.Superblock { return v.sb }

// Store returns the store of the files' pages (for the page cache).
func (v *Volume) Store() *pagecache.Store { return v.store }

// Backing returns file ino's page map in the store: the one the disk
// holds for a file that exists, an empty one for a new file (for the
// FCM manager's Options.Backing).
func (v *Volume) Backing(ino uint64) pagecache.Backing {
	// The model is read only while FS builds the file system from it,
	// before any commit can change it; a file created after has no pages
	// yet.
	var maps map[int64]int64
	if v.restoring.Load() {
		if in := v.m.inodes[ino]; in != nil && len(in.maps) > 0 {
			maps = make(map[int64]int64, len(in.maps))
			for p, b := range in.maps {
				maps[p] = b
			}
		}
	}
	return v.store.OpenFile(ino, maps)
}

// FS makes the file system from the mounted metadata (opt.Data must make
// Data over Backing: an FCM manager's DataFactory) and starts the
// background commit.
func (v *Volume) FS(opt fs.Options) (*fs.FS, error) {
	if opt.MaxInodes == 0 || opt.MaxInodes > int64(v.sb.Inodes) {
		opt.MaxInodes = int64(v.sb.Inodes)
	}
	v.restoring.Store(true)
	fsys, err := fs.NewFrom(opt, v.m.image(), v)
	v.restoring.Store(false)
	if err != nil {
		return nil, fmt.Errorf("diskfs: %w", err)
	}
	v.stop, v.done = make(chan struct{}), make(chan struct{})
	go v.background()
	return fsys, nil
}

func (v *Volume) background() {
	defer close(v.done)
	if v.opt.Interval < 0 {
		<-v.stop
		return
	}
	t := time.NewTicker(v.opt.Interval)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			if v.opt.WriteBack != nil {
				v.opt.WriteBack() // a failed write-back leaves pages dirty: they go with the next
			}
			v.Commit() // an error stays in v.err for the next fsync
		}
	}
}

// Close commits what is queued and stops the background commit; the
// file system must not be used after.
func (v *Volume) Close() error {
	if v.stop != nil {
		close(v.stop)
		<-v.done
		v.stop = nil
	}
	return v.Commit()
}

// Stats are the volume's counts.
type Stats struct {
	Commits, Checkpoints int64
	LogBlocks, LogUsed   int64
	CheckpointBlocks     int64
}

// Stats returns the volume's counts.
func (v *Volume) Stats() Stats {
	v.commitMu.Lock()
	defer v.commitMu.Unlock()
	return Stats{Commits: v.commits, Checkpoints: v.ckpts, LogBlocks: v.logLen(), LogUsed: v.head, CheckpointBlocks: int64(v.hdr.Blocks)}
}

func (v *Volume) dataBlocks() int64 { return int64(v.sb.Blocks - v.sb.DataStart) }
func (v *Volume) logStart() int64   { return int64(v.sb.JournalStart) + 2 }
func (v *Volume) logLen() int64     { return int64(v.sb.JournalLen) - 2 }

// read reads n file-system blocks from block b.
func (v *Volume) read(b, n int64) ([]byte, error) {
	p := make([]byte, n*ondisk.BlockSize)
	if err := v.dev.ReadBlocks(b*v.per, p); err != nil {
		return nil, fmt.Errorf("diskfs: reading blocks %d..%d: %w", b, b+n-1, err)
	}
	return p, nil
}

// load identifies dev and reads its checkpoint and log into a model.
func load(dev blockdev.Device) (*Volume, error) {
	sb, err := ondisk.Identify(dev)
	if err != nil {
		return nil, err
	}
	v := &Volume{dev: dev, sb: sb, per: int64(ondisk.BlockSize / dev.BlockSize()), m: newModel(), dirty: map[uint64]*fs.Node{}, seq: 1}
	hb, err := v.read(int64(sb.JournalStart), 2)
	if err != nil {
		return nil, err
	}
	h0, ok0 := ondisk.DecodeHeader(hb[:ondisk.BlockSize])
	h1, ok1 := ondisk.DecodeHeader(hb[ondisk.BlockSize:])
	switch {
	case ok0 && (!ok1 || h0.Seq > h1.Seq):
		v.hdr = h0
	case ok1:
		v.hdr = h1
	}
	if v.hdr.Seq > 0 {
		half := int64(sb.CkptLen / 2)
		if v.hdr.Half > 1 || int64(v.hdr.Blocks) > half || v.hdr.Blocks == 0 {
			return nil, fmt.Errorf("%w: checkpoint header %d names %d blocks of half %d (a half has %d)", ondisk.ErrCorrupt, v.hdr.Seq, v.hdr.Blocks, v.hdr.Half, half)
		}
		b, err := v.read(int64(sb.CkptStart)+int64(v.hdr.Half)*half, int64(v.hdr.Blocks))
		if err != nil {
			return nil, err
		}
		payload, err := ondisk.OpenChunk(b, ondisk.MagicCkpt, v.hdr.Seq)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint %d: %v", ondisk.ErrCorrupt, v.hdr.Seq, err)
		}
		if err := v.m.applyAll(payload); err != nil {
			return nil, fmt.Errorf("%w: checkpoint %d: %v", ondisk.ErrCorrupt, v.hdr.Seq, err)
		}
		v.seq = v.hdr.Next
	}
	// The log: commits in sequence from its first block, until one is
	// missing or torn.
	for v.head < v.logLen() {
		first, err := v.read(v.logStart()+v.head, 1)
		if err != nil {
			return nil, err
		}
		n := int64(ondisk.ChunkBlocks(first, ondisk.MagicCommit, v.seq))
		if n == 0 || v.head+n > v.logLen() {
			break
		}
		b, err := v.read(v.logStart()+v.head, n)
		if err != nil {
			return nil, err
		}
		payload, err := ondisk.OpenChunk(b, ondisk.MagicCommit, v.seq)
		if err != nil {
			break // torn: the crash came while it was written
		}
		if err := v.m.applyAll(payload); err != nil {
			return nil, fmt.Errorf("%w: commit %d: %v", ondisk.ErrCorrupt, v.seq, err)
		}
		v.head += n
		v.seq++
		v.replayed++
	}
	if len(v.m.inodes) == 0 {
		// Nothing checkpointed or committed: the empty file system
		// Format made, whose root dates from the format.
		t := fs.TimespecOf(time.Unix(0, sb.Created))
		v.m.inodes[RootIno] = &minode{have: true, attr: fs.ImageInode{Ino: RootIno, Mode: fs.S_IFDIR | 0o755,
			Atime: t, Mtime: t, Ctime: t, Btime: t}}
		v.m.dirs[RootIno] = map[string]uint64{}
	}
	return v, nil
}

// The fs.Journal and pagecache.Log: queue.

var (
	_ fs.Journal    = (*Volume)(nil)
	_ pagecache.Log = (*Volume)(nil)
)

// Names implements fs.Journal: both names in the queue at once, so that
// a commit has both or neither.
func (v *Volume) Names(a, b fs.ImageEntry) {
	v.mu.Lock()
	v.pending = append(v.pending, ondisk.Record{Kind: ondisk.RecEntry, Ino: a.Dir, Name: a.Name, Child: a.Ino})
	if b.Dir != 0 {
		v.pending = append(v.pending, ondisk.Record{Kind: ondisk.RecEntry, Ino: b.Dir, Name: b.Name, Child: b.Ino})
	}
	v.mu.Unlock()
}

// Dirty implements fs.Journal.
func (v *Volume) Dirty(n *fs.Node) {
	v.mu.Lock()
	v.dirty[n.Ino()] = n
	v.mu.Unlock()
}

// Gone implements fs.Journal.
func (v *Volume) Gone(ino uint64) {
	v.mu.Lock()
	delete(v.dirty, ino)
	v.pending = append(v.pending, ondisk.Record{Kind: ondisk.RecFree, Ino: ino})
	v.mu.Unlock()
}

// Sync implements fs.Journal: a commit.
func (v *Volume) Sync(*fs.Node) error { return v.Commit() }

// Placed implements pagecache.Log.
func (v *Volume) Placed(ino uint64, idx, slot, n int64) {
	v.mu.Lock()
	v.pending = append(v.pending, ondisk.Record{Kind: ondisk.RecMap, Ino: ino, Page: idx, Block: slot, Count: n})
	v.mu.Unlock()
}

// Dropped implements pagecache.Log.
func (v *Volume) Dropped(ino uint64, from int64, slots []int64) {
	v.mu.Lock()
	v.pending = append(v.pending, ondisk.Record{Kind: ondisk.RecUnmap, Ino: ino, Page: from})
	v.drops = append(v.drops, slots...)
	v.mu.Unlock()
}

// Commit makes every change queued so far durable (see the package doc).
// A commit that fails leaves the disk as it was before it and the error
// for every later one: memory is ahead of the disk, and says so.
func (v *Volume) Commit() error {
	v.commitMu.Lock()
	defer v.commitMu.Unlock()
	var recs []ondisk.Record
	var drops []int64
	var nodes []*fs.Node
	v.mu.Lock()
	recs, drops, v.pending, v.drops = v.pending, v.drops, nil, nil
	for _, ino := range slices.Sorted(maps.Keys(v.dirty)) {
		nodes = append(nodes, v.dirty[ino])
	}
	clear(v.dirty)
	v.mu.Unlock()
	if err := v.failed(); err != nil {
		return err
	}
	for _, n := range nodes {
		n.Clean()
		st := n.Stat()
		recs = append(recs, ondisk.Record{Kind: ondisk.RecInode, Ino: st.Ino, Inode: fs.ImageInode{Ino: st.Ino, Mode: st.Mode,
			Uid: st.Uid, Gid: st.Gid, Size: st.Size, Atime: st.Atime, Mtime: st.Mtime, Ctime: st.Ctime, Btime: st.Btime,
			Rdev: st.Rdev, Target: n.Target()}})
	}
	if len(recs) == 0 {
		return nil
	}
	err := v.commit(recs)
	if err != nil {
		v.mu.Lock()
		if v.err == nil {
			v.err = err
		}
		v.mu.Unlock()
		return err
	}
	v.store.Free(drops)
	return nil
}

func (v *Volume) failed() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

// commit writes recs as the log's next commit, or a checkpoint if the log
// has no room. v.commitMu must be held.
func (v *Volume) commit(recs []ondisk.Record) error {
	var payload []byte
	for i := range recs {
		payload = recs[i].Append(payload)
	}
	chunk := ondisk.SealChunk(ondisk.MagicCommit, v.seq, payload)
	n := int64(len(chunk) / ondisk.BlockSize)
	if v.head+n > v.logLen() {
		for i := range recs {
			v.m.apply(&recs[i])
		}
		return v.checkpoint()
	}
	if v.store.Unflushed() {
		if err := v.store.Flush(); err != nil {
			return fmt.Errorf("diskfs: flushing data before commit %d: %w", v.seq, err)
		}
	}
	if err := v.dev.WriteBlocks((v.logStart()+v.head)*v.per, chunk); err != nil {
		return fmt.Errorf("diskfs: writing commit %d: %w", v.seq, err)
	}
	if err := v.dev.Flush(); err != nil {
		return fmt.Errorf("diskfs: flushing commit %d: %w", v.seq, err)
	}
	for i := range recs {
		v.m.apply(&recs[i])
	}
	v.head += n
	v.seq++
	v.commits++
	return nil
}

// checkpoint writes the model as a checkpoint and starts the log again.
// v.commitMu must be held (or the volume not yet shared).
func (v *Volume) checkpoint() error {
	payload := v.m.encode()
	h := ondisk.Header{Seq: v.hdr.Seq + 1, Next: v.seq}
	if v.hdr.Seq > 0 {
		h.Half = 1 - v.hdr.Half
	}
	chunk := ondisk.SealChunk(ondisk.MagicCkpt, h.Seq, payload)
	n := int64(len(chunk) / ondisk.BlockSize)
	half := int64(v.sb.CkptLen / 2)
	if n > half {
		return fmt.Errorf("%w: %d blocks, a half has %d (%w)", ErrFull, n, half, syscall.ENOSPC)
	}
	h.Blocks = uint32(n)
	if v.store.Unflushed() {
		if err := v.store.Flush(); err != nil {
			return fmt.Errorf("diskfs: flushing data before checkpoint %d: %w", h.Seq, err)
		}
	}
	if err := v.dev.WriteBlocks((int64(v.sb.CkptStart)+int64(h.Half)*half)*v.per, chunk); err != nil {
		return fmt.Errorf("diskfs: writing checkpoint %d: %w", h.Seq, err)
	}
	if err := v.dev.Flush(); err != nil {
		return fmt.Errorf("diskfs: flushing checkpoint %d: %w", h.Seq, err)
	}
	if err := v.dev.WriteBlocks((int64(v.sb.JournalStart)+int64(h.Seq%2))*v.per, h.Encode()); err != nil {
		return fmt.Errorf("diskfs: writing checkpoint header %d: %w", h.Seq, err)
	}
	if err := v.dev.Flush(); err != nil {
		return fmt.Errorf("diskfs: flushing checkpoint header %d: %w", h.Seq, err)
	}
	v.hdr, v.head = h, 0
	v.ckpts++
	return nil
}
