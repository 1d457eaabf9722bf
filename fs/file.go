package fs

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// File is an open file description (what open(2) makes and file
// descriptors refer to): the node, the access mode and status flags, the
// offset, and a directory stream's position. Its methods are safe for
// concurrent use; read and write with the offset are serialised per File,
// as Linux serialises them.
//
// Reads return io.EOF at end of file, as os.File's do, and a short count
// comes with the error that stopped it (io.Writer's contract): a system
// call returns the count if it is not zero, else -Errno(err).
type File struct {
	node  *Node
	dev   Device // character devices
	name  string // the path it was opened by, for errors
	flags atomic.Int32

	// closed is set with node.mu held for writing; the contents are
	// touched only with node.mu held and closed unset, or, by reads,
	// counted in readers and closed unset.
	closed  atomic.Bool
	readers atomic.Int32 // reads in progress (readAt), which Close waits for

	mu  sync.Mutex // orders offset users
	off int64      // file offset; a directory's stream position
}

// Node returns the File's node (for the *at operations, fchdir).
func (f *File) Node() *Node { return f.node }

// Device returns the Device serving a character device's open file (its
// session, for an Opener), or nil.
func (f *File) Device() Device { return f.dev }

// Name returns the path the File was opened by.
func (f *File) Name() string { return f.name }

// Closed reports whether the File has been closed.
func (f *File) Closed() bool { return f.closed.Load() }

// Flags returns the access mode and status flags, as F_GETFL.
func (f *File) Flags() int { return int(f.flags.Load()) }

// SetFlags changes the status flags F_SETFL may change (O_APPEND,
// O_NONBLOCK, O_NOATIME) to those in flags, leaving the others. An O_PATH
// File's cannot be changed (EBADF).
func (f *File) SetFlags(flags int) error {
	if err := f.usable("fcntl"); err != nil {
		return err
	}
	for {
		old := f.flags.Load()
		nw := old&^setflMask | int32(flags)&setflMask
		if f.flags.CompareAndSwap(old, nw) {
			return nil
		}
	}
}

func (f *File) err(op string, errno syscall.Errno) error {
	return &Error{Op: op, Path: f.name, Errno: errno}
}

func (f *File) isPath() bool { return f.flags.Load()&O_PATH != 0 }

func (f *File) readable() bool {
	fl := f.flags.Load()
	return fl&O_PATH == 0 && (fl&syscall.O_ACCMODE == syscall.O_RDONLY || fl&syscall.O_ACCMODE == syscall.O_RDWR)
}

func (f *File) writable() bool {
	fl := f.flags.Load()
	return fl&O_PATH == 0 && (fl&syscall.O_ACCMODE == syscall.O_WRONLY || fl&syscall.O_ACCMODE == syscall.O_RDWR)
}

// usable reports EBADF for a closed or O_PATH File.
func (f *File) usable(op string) error {
	if f.closed.Load() || f.isPath() {
		return f.err(op, syscall.EBADF)
	}
	return nil
}

// Read reads from the offset, as read(2). A directory gives EISDIR.
func (f *File) Read(p []byte) (int, error) {
	const op = "read"
	if f.closed.Load() || !f.readable() {
		return 0, f.err(op, syscall.EBADF)
	}
	switch f.node.kind {
	case S_IFDIR:
		return 0, f.err(op, syscall.EISDIR)
	case S_IFCHR:
		if d, ok := f.dev.(Positioned); ok {
			f.mu.Lock()
			defer f.mu.Unlock()
			n, err := f.devReadAt(op, d, p, f.off)
			f.off += int64(n)
			return n, err
		}
		return f.devRead(op, p)
	case S_IFIFO:
		return 0, f.err(op, syscall.EINVAL) // the kernel's pipe carries the data
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.readAt(op, p, f.off)
	f.off += int64(n)
	return n, err
}

// ReadAt reads at off without using the offset, as pread(2); a short count
// comes with io.EOF.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	const op = "pread64"
	if off < 0 {
		return 0, f.err(op, syscall.EINVAL)
	}
	if f.closed.Load() || !f.readable() {
		return 0, f.err(op, syscall.EBADF)
	}
	switch f.node.kind {
	case S_IFDIR:
		return 0, f.err(op, syscall.EISDIR)
	case S_IFCHR:
		if d, ok := f.dev.(Positioned); ok {
			return f.devReadAt(op, d, p, off)
		}
		return f.devRead(op, p)
	case S_IFIFO:
		return 0, f.err(op, syscall.ESPIPE)
	}
	n, err := f.readAt(op, p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (f *File) devReadAt(op string, d Positioned, p []byte, off int64) (int, error) {
	n, err := d.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = wrap(op, f.name, err)
	}
	return n, err
}

func (f *File) devWriteAt(op string, d Positioned, p []byte, off int64) (int, error) {
	n, err := d.WriteAt(p, off)
	return n, wrap(op, f.name, err)
}

func (f *File) devRead(op string, p []byte) (int, error) {
	n, err := f.dev.Read(p)
	if err != nil && err != io.EOF {
		err = wrap(op, f.name, err)
	}
	return n, err
}

// readAt reads a regular file at off: io.EOF if off is at or past the end.
//
// It takes no lock of the node's: the size is read from its mirror and
// the Data orders its pages against writers itself (page by page, as
// Linux's page cache does), so reads of one file from many CPUs write no
// line they share. The File's count of readers keeps its node's Data
// from being released under a read (Close waits for it).
func (f *File) readAt(op string, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f.readers.Add(1)
	defer f.readers.Add(-1)
	if f.closed.Load() {
		return 0, f.err(op, syscall.EBADF)
	}
	nd := f.node
	size := nd.rsize.Load()
	if off >= size {
		f.accessed()
		return 0, io.EOF
	}
	if rest := size - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := nd.data.ReadAt(p, off)
	f.accessed()
	if err != nil {
		return n, wrap(op, f.name, err)
	}
	return n, nil
}

func (f *File) accessed() {
	if f.flags.Load()&syscall.O_NOATIME == 0 {
		f.node.accessed()
	}
}

// Write writes at the offset (at the end of file with O_APPEND), as
// write(2).
func (f *File) Write(p []byte) (int, error) {
	const op = "write"
	if f.closed.Load() || !f.writable() {
		return 0, f.err(op, syscall.EBADF)
	}
	switch f.node.kind {
	case S_IFCHR:
		if d, ok := f.dev.(Positioned); ok {
			f.mu.Lock()
			defer f.mu.Unlock()
			n, err := f.devWriteAt(op, d, p, f.off)
			f.off += int64(n)
			return n, err
		}
		return f.devWrite(op, p)
	case S_IFIFO:
		return 0, f.err(op, syscall.EINVAL) // the kernel's pipe carries the data
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, end, err := f.writeAt(op, p, f.off)
	if n > 0 {
		f.off = end
	}
	return n, err
}

// WriteAt writes at off without using the offset, as pwrite(2); with
// O_APPEND it writes at the end of file, as Linux does.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	const op = "pwrite64"
	if off < 0 {
		return 0, f.err(op, syscall.EINVAL)
	}
	if f.closed.Load() || !f.writable() {
		return 0, f.err(op, syscall.EBADF)
	}
	switch f.node.kind {
	case S_IFCHR:
		if d, ok := f.dev.(Positioned); ok {
			return f.devWriteAt(op, d, p, off)
		}
		return f.devWrite(op, p)
	case S_IFIFO:
		return 0, f.err(op, syscall.ESPIPE)
	}
	n, _, err := f.writeAt(op, p, off)
	return n, err
}

func (f *File) devWrite(op string, p []byte) (int, error) {
	n, err := f.dev.Write(p)
	return n, wrap(op, f.name, err)
}

// writeAt writes a regular file at off, or at its end with O_APPEND; it
// returns the count and the offset after the bytes written.
func (f *File) writeAt(op string, p []byte, off int64) (int, int64, error) {
	n, end, sync, err := f.writeLocked(op, p, off)
	if sync {
		// O_SYNC, O_DSYNC: the size too, with no lock held.
		if jerr := f.node.journalSync(); jerr != nil {
			err = wrap(op, f.name, jerr)
		}
	}
	return n, end, err
}

// writeLocked is writeAt under the node's lock; it reports whether the
// journal is still to be synced (O_SYNC and O_DSYNC).
func (f *File) writeLocked(op string, p []byte, off int64) (int, int64, bool, error) {
	nd := f.node
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if f.closed.Load() {
		return 0, off, false, f.err(op, syscall.EBADF)
	}
	fl := f.flags.Load()
	if fl&syscall.O_APPEND != 0 {
		off = nd.size
	}
	if len(p) == 0 {
		return 0, off, false, nil
	}
	max := nd.fs.maxSize
	if off >= max {
		return 0, off, false, f.err(op, syscall.EFBIG)
	}
	short := false
	if rest := max - off; int64(len(p)) > rest {
		p, short = p[:rest], true
	}
	n, err := nd.data.WriteAt(p, off)
	if n > 0 {
		if end := off + int64(n); end > nd.size {
			nd.size = end
			nd.rsize.Store(end) // after the data: a reader that sees it sees them
		}
		nd.modified(nd.fs.now())
	}
	sync := false
	if err == nil && fl&(syscall.O_SYNC|syscall.O_DSYNC) != 0 {
		err = nd.data.Sync()
		sync = err == nil
	}
	if err == nil && short {
		err = syscall.EFBIG
	}
	return n, off + int64(n), sync, wrap(op, f.name, err)
}

// Seek sets the offset, as lseek(2): whence is io.SeekStart, io.SeekCurrent
// or io.SeekEnd, or for regular files SEEK_DATA (3) and SEEK_HOLE (4),
// which find pages held and holes if the file's Data is a PageSeeker.
// A directory's offset is its stream position: SEEK_SET to 0 rewinds, to
// a DirEntry.Off continues after that entry; SEEK_END is EINVAL there.
// Seek on a device file always returns 0.
func (f *File) Seek(off int64, whence int) (int64, error) {
	const op = "lseek"
	if err := f.usable(op); err != nil {
		return 0, err
	}
	if whence < io.SeekStart || whence > seekHole {
		return 0, f.err(op, syscall.EINVAL)
	}
	nd := f.node
	switch nd.kind {
	case S_IFCHR:
		d, ok := f.dev.(Positioned)
		if !ok {
			return 0, nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		switch whence {
		case io.SeekCurrent:
			off += f.off
		case io.SeekEnd:
			off += d.Size()
		case io.SeekStart:
		default:
			return 0, f.err(op, syscall.EINVAL)
		}
		if off < 0 {
			return 0, f.err(op, syscall.EINVAL)
		}
		f.off = off
		return off, nil
	case S_IFIFO:
		return 0, f.err(op, syscall.ESPIPE)
	case S_IFDIR:
		f.mu.Lock()
		defer f.mu.Unlock()
		switch whence {
		case io.SeekCurrent:
			off += f.off
			fallthrough
		case io.SeekStart:
			if off >= 0 {
				f.off = off
				return off, nil
			}
		}
		return 0, f.err(op, syscall.EINVAL)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	nd.mu.RLock()
	pos, err := nd.seek(f.off, off, whence)
	nd.mu.RUnlock()
	if err != 0 {
		return 0, f.err(op, err)
	}
	f.off = pos
	return pos, nil
}

const (
	seekData = 3
	seekHole = 4
)

// seek computes a regular file's new offset. nd.mu must be held.
func (nd *Node) seek(cur, off int64, whence int) (int64, syscall.Errno) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = off
	case io.SeekCurrent:
		pos = cur + off
	case io.SeekEnd:
		pos = nd.size + off
	case seekData, seekHole:
		if off < 0 || off >= nd.size {
			return 0, syscall.ENXIO
		}
		pos = off
		if ps, ok := nd.data.(PageSeeker); ok {
			end := (nd.size + PageSize - 1) / PageSize
			pg := ps.SeekPage(off/PageSize, end, whence == seekData)
			if pg >= end {
				if whence == seekData {
					return 0, syscall.ENXIO
				}
				pos = nd.size
			} else {
				pos = max(off, pg*PageSize)
			}
		} else if whence == seekHole {
			pos = nd.size
		}
	default:
		return 0, syscall.EINVAL
	}
	if pos < 0 || pos > nd.fs.maxSize {
		return 0, syscall.EINVAL
	}
	return pos, 0
}

// ReadDir reads the directory stream from its position, as getdents64(2):
// at most n entries if n > 0 (io.EOF when there are none left), else all
// that are left. "." and ".." come first. A removed directory gives
// ENOENT, a non-directory ENOTDIR.
func (f *File) ReadDir(n int) ([]DirEntry, error) {
	const op = "getdents64"
	if err := f.usable(op); err != nil {
		return nil, err
	}
	nd := f.node
	if nd.kind != S_IFDIR {
		return nil, f.err(op, syscall.ENOTDIR)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fsys := nd.fs
	fsys.ns.RLock()
	if nd.dead {
		fsys.ns.RUnlock()
		return nil, f.err(op, syscall.ENOENT)
	}
	var out []DirEntry
	room := func() bool { return n <= 0 || len(out) < n }
	if f.off < cookieDot && room() {
		out = append(out, DirEntry{Name: ".", Ino: nd.ino, Type: S_IFDIR, Off: cookieDot})
	}
	if f.off < cookieDotDot && room() {
		out = append(out, DirEntry{Name: "..", Ino: nd.parent.ino, Type: S_IFDIR, Off: cookieDotDot})
	}
	if room() {
		for _, e := range nd.entries.from(f.off, n-len(out)) {
			out = append(out, DirEntry{Name: e.name, Ino: e.node.ino, Type: e.node.kind, Off: e.cookie})
		}
	}
	fsys.ns.RUnlock()
	if len(out) > 0 {
		f.off = out[len(out)-1].Off
	}
	f.accessed()
	if len(out) == 0 && n > 0 {
		return nil, io.EOF
	}
	return out, nil
}

// Stat returns the status of the File's node, as fstat(2). It works on
// O_PATH Files too.
func (f *File) Stat() (Stat, error) {
	var st Stat
	err := f.StatTo(&st)
	return st, err
}

// StatTo fills st as Stat returns it, in place.
func (f *File) StatTo(st *Stat) error {
	if f.closed.Load() {
		return f.err("fstat", syscall.EBADF)
	}
	f.node.StatTo(st)
	return nil
}

// Truncate sets the file's size, as ftruncate(2): the File must be a
// regular file open for writing (else EINVAL).
func (f *File) Truncate(size int64) error {
	const op = "ftruncate"
	if size < 0 {
		return f.err(op, syscall.EINVAL)
	}
	if err := f.usable(op); err != nil {
		return err
	}
	if f.node.kind != S_IFREG || !f.writable() {
		return f.err(op, syscall.EINVAL)
	}
	nd := f.node
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if f.closed.Load() {
		return f.err(op, syscall.EBADF)
	}
	return wrapErrno(op, f.name, nd.truncateLocked(size))
}

// Sync makes the file's contents durable, as fsync(2). On a device file
// it calls the Device's Sync method if it has one (else EINVAL, as for
// Linux's memory devices).
func (f *File) Sync() error {
	const op = "fsync"
	if err := f.usable(op); err != nil {
		return err
	}
	nd := f.node
	switch nd.kind {
	case S_IFDIR:
		return wrap(op, f.name, nd.journalSync())
	case S_IFCHR:
		if s, ok := f.dev.(interface{ Sync() error }); ok {
			return wrap(op, f.name, s.Sync())
		}
		return f.err(op, syscall.EINVAL)
	}
	nd.mu.RLock()
	if f.closed.Load() {
		nd.mu.RUnlock()
		return f.err(op, syscall.EBADF)
	}
	err := nd.data.Sync()
	nd.mu.RUnlock()
	if err == nil {
		err = nd.journalSync()
	}
	return wrap(op, f.name, err)
}

// journalSync makes n's attributes and the names made so far durable, if
// the file system has a Journal. No lock may be held.
func (n *Node) journalSync() error {
	if j := n.fs.journal; j != nil {
		return j.Sync(n)
	}
	return nil
}

// Chmod sets the permission bits, as fchmod(2).
func (f *File) Chmod(mode uint32) error {
	if err := f.usable("fchmod"); err != nil {
		return err
	}
	f.node.chmod(mode)
	return nil
}

// Chown sets owner and group, as fchown(2) (see FS.ChownAt).
func (f *File) Chown(uid, gid int) error {
	if err := f.usable("fchown"); err != nil {
		return err
	}
	f.node.chown(uid, gid)
	return nil
}

// Utimens sets access and modification times, as futimens(3) (see
// FS.UtimensAt).
func (f *File) Utimens(times *[2]Timespec) error {
	const op = "utimensat"
	if times != nil && times[0].Nsec == UTIME_OMIT && times[1].Nsec == UTIME_OMIT {
		return nil // Linux returns before it looks at the file
	}
	if err := f.usable(op); err != nil {
		return err
	}
	return wrapErrno(op, f.name, f.node.utimens(times))
}

// Close ends the File. The node's contents are released if it has no name
// left and this was its last File.
func (f *File) Close() error {
	nd := f.node
	nd.mu.Lock()
	if f.closed.Load() {
		nd.mu.Unlock()
		return f.err("close", syscall.EBADF)
	}
	f.closed.Store(true)
	nd.mu.Unlock()
	// Reads that saw the File open (they take no node lock) finish
	// before its node can be released: a reader counts itself, then looks
	// at closed; this stored closed, now looks at the count.
	for f.readers.Load() != 0 {
		runtime.Gosched()
	}
	nd.mu.Lock()
	nd.opens--
	release := nd.unref()
	nd.mu.Unlock()
	if release {
		nd.release()
	}
	if c, ok := f.dev.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// truncate sets a regular file's size (truncate(2), ftruncate(2)).
func (n *Node) truncate(size int64) syscall.Errno {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.truncateLocked(size)
}

// truncateLocked sets a regular file's size; mtime and ctime change if the
// size does. n.mu must be held for writing.
func (n *Node) truncateLocked(size int64) syscall.Errno {
	if size > n.fs.maxSize {
		return syscall.EFBIG
	}
	if size == n.size || n.released {
		return 0 // a released file is gone: nothing can see its size
	}
	if size < n.size {
		if err := n.data.Truncate(size); err != nil {
			return Errno(err)
		}
	}
	n.size = size
	n.rsize.Store(size)
	n.modified(n.fs.now())
	return 0
}

func (n *Node) chmod(mode uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mode = n.kind | mode&permBits
	n.changed(n.fs.now())
}

func (n *Node) chown(uid, gid int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if uid >= 0 {
		n.uid = uint32(uid)
	}
	if gid >= 0 {
		n.gid = uint32(gid)
	}
	if n.kind != S_IFDIR {
		n.mode &^= S_ISUID
		if n.mode&0o010 != 0 {
			n.mode &^= S_ISGID
		}
	}
	n.changed(n.fs.now())
}

func validNsec(ns int64) bool {
	return ns >= 0 && ns < 1e9 || ns == UTIME_NOW || ns == UTIME_OMIT
}

func (n *Node) utimens(times *[2]Timespec) syscall.Errno {
	if times != nil && (!validNsec(times[0].Nsec) || !validNsec(times[1].Nsec)) {
		return syscall.EINVAL
	}
	now := n.fs.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	set := func(t *Timespec, v Timespec) {
		switch v.Nsec {
		case UTIME_NOW:
			*t = now
		case UTIME_OMIT:
		default:
			*t = v
		}
	}
	if times == nil {
		n.atime, n.mtime = now, now
	} else {
		set(&n.atime, times[0])
		set(&n.mtime, times[1])
	}
	n.changed(now)
	return 0
}
