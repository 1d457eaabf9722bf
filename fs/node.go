package fs

import (
	"sync"
	"sync/atomic"
	"time"
)

// Timespec is a time as Linux's struct timespec: seconds and nanoseconds
// since the Unix epoch. As an argument of UtimensAt, Nsec may be UTIME_NOW
// or UTIME_OMIT.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// TimespecOf returns t as a Timespec.
func TimespecOf(t time.Time) Timespec {
	return Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// Time returns ts as a time.Time.
func (ts Timespec) Time() time.Time { return time.Unix(ts.Sec, ts.Nsec) }

func (ts Timespec) before(u Timespec) bool {
	return ts.Sec < u.Sec || ts.Sec == u.Sec && ts.Nsec < u.Nsec
}

// Stat is a node's status: every field of Linux's struct stat and statx
// that tmpfs fills.
type Stat struct {
	Dev     uint64 // st_dev: Options.Dev
	Ino     uint64
	Mode    uint32 // type bits (S_IFMT) and permission bits
	Nlink   uint64
	Uid     uint32
	Gid     uint32
	Rdev    uint64 // device nodes: the device number (Mkdev)
	Size    int64  // regular files: bytes; symbolic links: target length; directories: 20 per entry, "." and ".." included
	Blksize int64  // PageSize
	Blocks  int64  // 512-byte units held: regular files' resident pages
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
	Btime   Timespec // birth (statx's stx_btime)
}

// IsDir reports whether s describes a directory.
func (s *Stat) IsDir() bool { return s.Mode&S_IFMT == S_IFDIR }

// Node is an inode: a directory, regular file, symbolic link or device
// node. A *Node stays valid while it is held (see the package doc); the
// kernel keeps one for each process's working directory and gets one from
// each directory file (File.Node) for the *at operations. Holding a *Node
// does not keep its inode counted in Usage and Statfs once its last name
// is gone; an open File does.
type Node struct {
	fs   *FS
	ino  uint64
	kind uint32 // S_IFMT bits: immutable

	// Immutable after creation.
	target string // symbolic links
	rdev   uint64 // device nodes

	// Guarded by fs.ns.
	entries *dirTable // directories
	parent  *Node     // directories: the directory ".." names (the root's is itself)
	name    string    // directories: the name in parent
	dead    bool      // directories: removed

	mu       sync.RWMutex
	mode     uint32 // kind | permission bits
	nlink    uint32 // changed with fs.ns held for writing as well
	uid, gid uint32
	size     int64
	atime    Timespec
	mtime    Timespec
	ctime    Timespec
	btime    Timespec
	opens    int  // open Files
	released bool // nlink and opens reached 0: counted out, Data released
	data     Data // regular files

	// Read without n.mu, so that reads of one file from many CPUs write
	// no line they share (the FCM below may be replicated per CPU):
	// rsize mirrors a regular file's size (stored after the data it
	// covers, with n.mu held); atimeUntil is the wall second before which
	// a read needs no atime update by the relatime rule, or 0 to look
	// (any change of mtime or ctime sets it to 0).
	rsize      atomic.Int64
	atimeUntil atomic.Int64
	jdirty     atomic.Bool // changed since the Journal last wrote it (Clean)
	// changes counts changes of mtime or ctime (any change but a read's
	// atime): a client holding a copy of the attributes (fs/serve/client)
	// compares it with the count its copy was taken at.
	changes atomic.Uint64
}

// Changes returns the node's change count, which every change of its
// contents or attributes (but atime) moves.
func (n *Node) Changes() *atomic.Uint64 { return &n.changes }

// Ino returns the inode number.
func (n *Node) Ino() uint64 { return n.ino }

// Gone reports whether n's last name and last open are gone, its
// contents released: no path leads to it again.
func (n *Node) Gone() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.released
}

// Type returns the file type bits of the mode (S_IFMT).
func (n *Node) Type() uint32 { return n.kind }

// IsDir reports whether n is a directory.
func (n *Node) IsDir() bool { return n.kind == S_IFDIR }

// Data returns a regular file's Data (its FCM's handle, say), nil for
// anything else: for operators' tools, which inspect it; the file system
// alone reads and writes through it.
func (n *Node) Data() Data {
	if n.kind != S_IFREG {
		return nil
	}
	return n.data
}

// Stat returns n's status.
func (n *Node) Stat() Stat {
	var st Stat
	n.StatTo(&st)
	return st
}

// StatTo fills st as Stat returns it, in place: a stat on the hot path
// copies no Stat around.
func (n *Node) StatTo(st *Stat) {
	n.mu.RLock()
	n.statLocked(st)
	n.mu.RUnlock()
}

// statLocked fills st. n.mu must be held.
func (n *Node) statLocked(st *Stat) {
	st.Dev, st.Ino, st.Mode, st.Nlink = n.fs.dev, n.ino, n.mode, uint64(n.nlink)
	st.Uid, st.Gid, st.Rdev, st.Size = n.uid, n.gid, n.rdev, n.size
	st.Blksize, st.Blocks = PageSize, 0
	st.Atime, st.Mtime, st.Ctime, st.Btime = n.atime, n.mtime, n.ctime, n.btime
	if n.data != nil {
		st.Blocks = int64(n.data.Resident()) * (PageSize / 512)
	}
}

// touchAtime applies the relatime rule. n.mu must be held for writing.
func (n *Node) touchAtime(now Timespec) {
	if n.needsAtime(now) {
		n.atime = now
		n.fs.dirty(n)
	}
}

// needsAtime reports whether touchAtime would change atime. n.mu must be
// held.
func (n *Node) needsAtime(now Timespec) bool {
	return !n.mtime.before(n.atime) || !n.ctime.before(n.atime) || now.Sec-n.atime.Sec >= 24*60*60
}

// accessed updates atime after a read, taking n.mu for writing only when
// the relatime rule asks for it, and not at all while atimeUntil says no
// update can be due. n.mu must not be held.
func (n *Node) accessed() {
	now := n.fs.now()
	if now.Sec < n.atimeUntil.Load() {
		return
	}
	n.mu.RLock()
	need := n.needsAtime(now)
	if !need {
		n.settle(now)
	}
	n.mu.RUnlock()
	if need {
		n.mu.Lock()
		n.touchAtime(now)
		n.settle(now)
		n.mu.Unlock()
	}
}

// settle records until when no read needs an atime update: until atime
// is a day old, if no update is due now. n.mu must be held.
func (n *Node) settle(now Timespec) {
	if n.needsAtime(now) {
		n.atimeUntil.Store(0)
	} else {
		n.atimeUntil.Store(n.atime.Sec + 24*60*60)
	}
}

// modified sets mtime and ctime. n.mu must be held for writing.
func (n *Node) modified(now Timespec) {
	n.mtime, n.ctime = now, now
	n.atimeUntil.Store(0)
	n.changes.Add(1)
	n.fs.dirty(n)
}

// changed sets ctime. n.mu must be held for writing.
func (n *Node) changed(now Timespec) {
	n.ctime = now
	n.atimeUntil.Store(0)
	n.changes.Add(1)
	n.fs.dirty(n)
}

// unref is called with n.mu held for writing after nlink or opens dropped:
// if both are zero it marks n released and reports true; the caller then
// calls n.release after unlocking.
func (n *Node) unref() bool {
	if n.nlink == 0 && n.opens == 0 && !n.released {
		n.released = true
		return true
	}
	return false
}

// release returns n's resources once unref reported true.
func (n *Node) release() {
	if n.data != nil {
		n.data.Release()
	}
	n.fs.inodes.Add(-1)
	n.fs.counts[kindIndex(n.kind)].Add(-1)
	if j := n.fs.journal; j != nil {
		j.Gone(n.ino)
	}
	if f := n.fs.onGone.Load(); f != nil {
		(*f)(n)
	}
}
