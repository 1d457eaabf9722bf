package fs

import (
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxInodes   = 1 << 16
	DefaultMaxPages    = 1 << 16 // 256 MiB
	DefaultMaxFileSize = 1 << 40
)

// TmpfsMagic is Statfs.Type: Linux's TMPFS_MAGIC.
const TmpfsMagic = 0x01021994

// Options configure a file system. The zero value is a usable
// configuration.
type Options struct {
	Clock       func() time.Time  // the source of every time stamp; time.Now if nil
	Dev         uint64            // st_dev of every node
	MaxInodes   int64             // inodes that may exist at once; DefaultMaxInodes if 0
	Pages       *PageLimit        // the pages file contents may hold; NewPageLimit(DefaultMaxPages) if nil
	Data        DataFactory       // makes each regular file's Data; PageStores taking from Pages if nil
	MaxFileSize int64             // the largest size of a file; DefaultMaxFileSize if 0
	Devices     map[uint64]Device // character devices by device number (Mkdev), copied by New
}

// FS is a file system. Its methods are safe for concurrent use.
//
// The path operations take the directory a relative path starts from (a
// process's working directory, a directory file's node; nil means the
// root) and a path, and follow Linux's *at system calls: their flags are
// Linux's, and so are their errors.
type FS struct {
	ns   sync.RWMutex // the namespace: see the package doc
	root *Node

	clock     func() time.Time
	dev       uint64
	maxInodes int64
	maxSize   int64
	pages     *PageLimit
	newData   DataFactory
	devices   map[uint64]Device

	journal Journal                     // nil unless a persistent store made the FS (NewFrom)
	onGone  atomic.Pointer[func(*Node)] // OnGone's

	inodes  atomic.Int64
	nextIno atomic.Uint64
	counts  [4]atomic.Int64 // by kindIndex
}

// New returns an empty file system: a root directory, mode 0755, owned by
// root.
func New(opt Options) *FS {
	fsys := &FS{
		clock:     opt.Clock,
		dev:       opt.Dev,
		maxInodes: opt.MaxInodes,
		maxSize:   opt.MaxFileSize,
		pages:     opt.Pages,
		newData:   opt.Data,
		devices:   make(map[uint64]Device, len(opt.Devices)),
	}
	if fsys.clock == nil {
		fsys.clock = time.Now
	}
	if fsys.maxInodes <= 0 {
		fsys.maxInodes = DefaultMaxInodes
	}
	if fsys.maxSize <= 0 {
		fsys.maxSize = DefaultMaxFileSize
	}
	if fsys.pages == nil {
		fsys.pages = NewPageLimit(DefaultMaxPages)
	}
	if fsys.newData == nil {
		pages := fsys.pages
		fsys.newData = func(uint64, string) Data { return NewPageStore(pages) }
	}
	for rdev, d := range opt.Devices {
		fsys.devices[rdev] = d
	}
	root, err := fsys.newNode(S_IFDIR, 0o755, "/")
	if err != 0 {
		panic("fs: no inode for the root")
	}
	root.parent = root
	fsys.root = root
	return fsys
}

// Root returns the root directory.
func (fsys *FS) Root() *Node { return fsys.root }

func (fsys *FS) now() Timespec { return TimespecOf(fsys.clock()) }

// Now returns the file system's clock, as it stamps times.
func (fsys *FS) Now() Timespec { return fsys.now() }

func (fsys *FS) start(dir *Node) *Node {
	if dir == nil {
		return fsys.root
	}
	return dir
}

func kindIndex(kind uint32) int {
	switch kind {
	case S_IFREG:
		return 0
	case S_IFDIR:
		return 1
	case S_IFLNK:
		return 2
	}
	return 3
}

// newNode makes an inode with no name yet; path is the one it is about
// to get, for the Data of a regular file.
func (fsys *FS) newNode(kind, perm uint32, path string) (*Node, syscall.Errno) {
	if fsys.inodes.Add(1) > fsys.maxInodes {
		fsys.inodes.Add(-1)
		return nil, syscall.ENOSPC
	}
	now := fsys.now()
	n := &Node{
		fs:    fsys,
		ino:   fsys.nextIno.Add(1),
		kind:  kind,
		mode:  kind | perm&permBits,
		nlink: 1,
		atime: now, mtime: now, ctime: now, btime: now,
	}
	switch kind {
	case S_IFDIR:
		n.entries = newDirTable()
		n.nlink = 2
		n.size = 2 * direntSize
	case S_IFREG:
		n.data = fsys.newData(n.ino, path)
	}
	fsys.counts[kindIndex(kind)].Add(1)
	fsys.dirty(n)
	return n, 0
}

// create makes a node and names it name in par (resolved by newName).
// fs.ns must be held for writing.
func (fsys *FS) create(par *Node, name string, kind, perm uint32, fill func(*Node)) (*Node, syscall.Errno) {
	var path string
	if kind == S_IFREG {
		path = childPath(par, name)
	}
	n, err := fsys.newNode(kind, perm, path)
	if err != 0 {
		return nil, err
	}
	if fill != nil {
		fill(n)
	}
	par.mu.RLock()
	if par.mode&S_ISGID != 0 {
		n.gid = par.gid
		if kind == S_IFDIR {
			n.mode |= S_ISGID
		}
	}
	par.mu.RUnlock()
	fsys.addEntry(par, name, n, n.btime)
	return n, 0
}

// childPath is the absolute path of name in directory par. fs.ns must be
// held.
func childPath(par *Node, name string) string {
	size := len(name) + 1
	for d := par; d.parent != d; d = d.parent {
		size += 1 + len(d.name)
	}
	b := make([]byte, size)
	i := size - len(name)
	copy(b[i:], name)
	i--
	b[i] = '/'
	for d := par; d.parent != d; d = d.parent {
		i -= len(d.name)
		copy(b[i:], d.name)
		i--
		b[i] = '/'
	}
	return string(b)
}

// renamed adds to moves that n, if its Data is a Renamer, is now called
// name in par. fs.ns must be held.
func renamed(moves []move, n *Node, par *Node, name string) []move {
	if n == nil || n.kind != S_IFREG {
		return moves
	}
	if _, ok := n.data.(Renamer); !ok {
		return moves
	}
	return append(moves, move{n, childPath(par, name)})
}

// addEntry names n name in par. fs.ns must be held for writing.
func (fsys *FS) addEntry(par *Node, name string, n *Node, now Timespec) {
	par.entries.add(name, n)
	fsys.names(nameOf(par, name, n), ImageEntry{})
	if n.kind == S_IFDIR {
		n.parent, n.name = par, name
	}
	par.mu.Lock()
	par.size += direntSize
	if n.kind == S_IFDIR {
		par.nlink++
	}
	par.modified(now)
	par.mu.Unlock()
}

// removeEntry removes name, which names n, from par and drops n's link
// (both of a directory's). fs.ns must be held for writing. It reports
// whether n is to be released.
func (fsys *FS) removeEntry(par *Node, name string, n *Node, now Timespec) bool {
	par.entries.remove(name)
	fsys.names(nameOf(par, name, nil), ImageEntry{})
	par.mu.Lock()
	par.size -= direntSize
	if n.kind == S_IFDIR {
		par.nlink--
	}
	par.modified(now)
	par.mu.Unlock()
	return fsys.dropLink(n, now)
}

// dropLink drops n's link from a name that is gone (for a directory, its
// name and its "."). fs.ns must be held for writing. It reports whether n
// is to be released.
func (fsys *FS) dropLink(n *Node, now Timespec) bool {
	if n.kind == S_IFDIR {
		n.dead = true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.kind == S_IFDIR {
		n.nlink = 0
	} else {
		n.nlink--
	}
	n.changed(now)
	return n.unref()
}

// OnGone has f called with every node whose last name and last open go
// from now on, once its contents are released, outside the file system's
// locks (a server forgets what it kept of the file). nil: none.
func (fsys *FS) OnGone(f func(*Node)) {
	if f == nil {
		fsys.onGone.Store(nil)
		return
	}
	fsys.onGone.Store(&f)
}

// OpenAt opens path as open(2) does, with Linux's flags: the access mode
// (O_RDONLY, O_WRONLY, O_RDWR) is enforced on the File, O_CREAT makes a
// regular file of the final mode given (umask applied by the caller),
// O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW and O_PATH act as on Linux, and
// O_APPEND, O_NONBLOCK, O_NOATIME, O_SYNC and O_DSYNC are kept in the
// File's flags. O_CLOEXEC is accepted and not kept: it belongs to the
// caller's descriptor. O_TMPFILE is not supported (EOPNOTSUPP). Character
// devices open if a Device is registered for them (else ENXIO); a FIFO
// opens, but its data is not the file system's: the kernel connects the
// opener to the FIFO's pipe (fs/serve), and the File only names the node
// (Read and Write give EINVAL, positioned calls ESPIPE); block devices and
// sockets cannot be opened (ENXIO).
func (fsys *FS) OpenAt(dir *Node, path string, flags int, mode uint32) (*File, error) {
	const op = "openat"
	if flags&O_TMPFILE != 0 {
		return nil, pathErr(op, path, syscall.EOPNOTSUPP)
	}
	if flags&O_PATH != 0 {
		flags &= O_PATH | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	}
	if flags&syscall.O_CREAT != 0 && flags&syscall.O_DIRECTORY != 0 {
		return nil, pathErr(op, path, syscall.EINVAL)
	}
	if err := checkPath(path, false); err != 0 {
		return nil, pathErr(op, path, err)
	}
	// Opening an existing file needs the namespace only for reading, with
	// O_CREAT too: only if the file must be made is the resolution done
	// again with it held for writing.
	fsys.ns.RLock()
	f, err := fsys.openLocked(dir, path, flags, mode, false)
	fsys.ns.RUnlock()
	if err == errMustCreate {
		fsys.ns.Lock()
		f, err = fsys.openLocked(dir, path, flags, mode, true)
		fsys.ns.Unlock()
	}
	if err != 0 {
		return nil, pathErr(op, path, err)
	}
	return f, nil
}

// errMustCreate is openCreate's report that it would make a file but was
// not allowed to. It is never returned to callers.
const errMustCreate = syscall.Errno(1 << 20)

// openLocked does OpenAt with fs.ns held, for writing if mayCreate.
func (fsys *FS) openLocked(dir *Node, path string, flags int, mode uint32, mayCreate bool) (*File, syscall.Errno) {
	w := fsys.walker()
	var (
		n       *Node
		created bool
		err     syscall.Errno
	)
	if flags&syscall.O_CREAT != 0 {
		n, created, err = w.openCreate(fsys.start(dir), path, flags, mode, mayCreate)
	} else {
		n, err = w.resolve(fsys.start(dir), path, flags&syscall.O_NOFOLLOW == 0)
		if err == 0 && flags&syscall.O_DIRECTORY != 0 && n.kind != S_IFDIR {
			err = syscall.ENOTDIR
		}
	}
	if err != 0 {
		return nil, err
	}
	return fsys.open(n, path, flags, created)
}

// openCreate finds or makes the node of an open with O_CREAT (Linux's
// open_last_lookups): a final symbolic link is followed, unless O_EXCL or
// O_NOFOLLOW, and what it names is made if missing (if mayCreate, which
// needs fs.ns held for writing; else it returns errMustCreate).
func (w *walker) openCreate(dir *Node, path string, flags int, mode uint32, mayCreate bool) (*Node, bool, syscall.Errno) {
	excl := flags&syscall.O_EXCL != 0
	nofollow := excl || flags&syscall.O_NOFOLLOW != 0
	var n *Node
	for {
		par, last, kind, slash, err := w.parent(dir, path)
		if err != 0 {
			return nil, false, err
		}
		switch kind {
		case lastRoot:
			n = w.fs.root
		case lastDot:
			n = par
		case lastDotDot:
			n = par.parent
		}
		if n == nil {
			if slash {
				return nil, false, syscall.EISDIR
			}
			if n, err = lookupName(par, last); err != 0 {
				return nil, false, err
			}
			if n == nil {
				if !mayCreate {
					return nil, false, errMustCreate
				}
				n, err = w.fs.create(par, last, S_IFREG, mode, nil)
				return n, err == 0, err
			}
			if n.kind == S_IFLNK && !nofollow {
				if w.links++; w.links > maxSymlink {
					return nil, false, syscall.ELOOP
				}
				dir, path, n = par, n.target, nil
				continue
			}
		}
		if excl {
			return nil, false, syscall.EEXIST
		}
		if n.kind == S_IFDIR {
			return nil, false, syscall.EISDIR
		}
		if protectedSticky(par, n) {
			return nil, false, syscall.EACCES
		}
		return n, false, 0
	}
}

// protectedSticky is Linux's may_create_in_sticky with the
// fs.protected_regular and fs.protected_fifos sysctls at the kernel's
// defaults (off): O_CREAT may not open an existing node other than a
// regular file or FIFO in a world-writable sticky directory unless the
// caller (root) or the directory's owner owns it. Even root is refused.
func protectedSticky(dir, n *Node) bool {
	if n.kind == S_IFREG || n.kind == S_IFIFO {
		return false
	}
	dir.mu.RLock()
	dmode, duid := dir.mode, dir.uid
	dir.mu.RUnlock()
	if dmode&S_ISVTX == 0 || dmode&0o002 == 0 {
		return false
	}
	n.mu.RLock()
	uid := n.uid
	n.mu.RUnlock()
	return uid != duid && uid != 0
}

// open makes a File of n (Linux's may_open and do_dentry_open).
func (fsys *FS) open(n *Node, name string, flags int, created bool) (*File, syscall.Errno) {
	f := &File{node: n, name: name}
	f.flags.Store(int32(flags &^ openOnly))
	trunc := false
	if flags&O_PATH == 0 {
		acc := flags & syscall.O_ACCMODE
		switch n.kind {
		case S_IFLNK:
			return nil, syscall.ELOOP
		case S_IFDIR:
			if acc != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
				return nil, syscall.EISDIR
			}
		case S_IFCHR:
			if f.dev = fsys.devices[n.rdev]; f.dev == nil {
				return nil, syscall.ENXIO
			}
			if o, ok := f.dev.(Opener); ok {
				f.dev = o.Open()
			}
		case S_IFREG:
			trunc = flags&syscall.O_TRUNC != 0 && !created
		case S_IFIFO:
		default:
			return nil, syscall.ENXIO
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if trunc {
		if err := n.truncateLocked(0); err != 0 {
			return nil, err
		}
		n.modified(fsys.now()) // even if it was empty: POSIX asks for it
	}
	n.opens++
	return f, 0
}

// MkdirAt makes a directory, as mkdirat(2): mode's permission and sticky
// bits are kept, and the set-group-ID bit comes from the parent.
func (fsys *FS) MkdirAt(dir *Node, path string, mode uint32) error {
	const op = "mkdirat"
	if err := checkPath(path, false); err != 0 {
		return pathErr(op, path, err)
	}
	fsys.ns.Lock()
	defer fsys.ns.Unlock()
	w := fsys.walker()
	par, name, err := w.newName(fsys.start(dir), path, true)
	if err == 0 {
		_, err = fsys.create(par, name, S_IFDIR, mode&(0o777|S_ISVTX), nil)
	}
	return wrapErrno(op, path, err)
}

// MknodAt makes a node of the type in mode's S_IFMT bits, as mknodat(2):
// a regular file (also for type 0), a character or block device of
// device number rdev, a FIFO or a socket.
func (fsys *FS) MknodAt(dir *Node, path string, mode uint32, rdev uint64) error {
	const op = "mknodat"
	kind := mode & S_IFMT
	switch kind {
	case 0:
		kind = S_IFREG
	case S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK:
	case S_IFDIR:
		return pathErr(op, path, syscall.EPERM)
	default:
		return pathErr(op, path, syscall.EINVAL)
	}
	if kind != S_IFCHR && kind != S_IFBLK {
		rdev = 0
	}
	if err := checkPath(path, false); err != 0 {
		return pathErr(op, path, err)
	}
	fsys.ns.Lock()
	defer fsys.ns.Unlock()
	w := fsys.walker()
	par, name, err := w.newName(fsys.start(dir), path, false)
	if err == 0 {
		_, err = fsys.create(par, name, kind, mode, func(n *Node) { n.rdev = rdev })
	}
	return wrapErrno(op, path, err)
}

// SymlinkAt makes a symbolic link at path holding target, as symlinkat(2).
func (fsys *FS) SymlinkAt(target string, dir *Node, path string) error {
	const op = "symlinkat"
	if err := checkPath(target, false); err != 0 {
		return &Error{Op: op, Path: path, Path2: target, Errno: err}
	}
	if err := checkPath(path, false); err != 0 {
		return &Error{Op: op, Path: path, Path2: target, Errno: err}
	}
	fsys.ns.Lock()
	defer fsys.ns.Unlock()
	w := fsys.walker()
	par, name, err := w.newName(fsys.start(dir), path, false)
	if err == 0 {
		_, err = fsys.create(par, name, S_IFLNK, 0o777, func(n *Node) {
			n.target = target
			n.size = int64(len(target))
		})
	}
	if err != 0 {
		return &Error{Op: op, Path: path, Path2: target, Errno: err}
	}
	return nil
}

// LinkAt makes newpath another name of oldpath's node, as linkat(2):
// flags may have AT_SYMLINK_FOLLOW (follow a final symbolic link of
// oldpath) and AT_EMPTY_PATH (an empty oldpath names olddir itself).
// Directories cannot be linked (EPERM).
func (fsys *FS) LinkAt(olddir *Node, oldpath string, newdir *Node, newpath string, flags int) error {
	const op = "linkat"
	fail := func(err syscall.Errno) error {
		return &Error{Op: op, Path: oldpath, Path2: newpath, Errno: err}
	}
	if flags&^(AT_SYMLINK_FOLLOW|AT_EMPTY_PATH) != 0 {
		return fail(syscall.EINVAL)
	}
	// As on Linux, a bad newpath is found only after oldpath is resolved.
	if err := checkPath(oldpath, flags&AT_EMPTY_PATH != 0); err != 0 {
		return fail(err)
	}
	fsys.ns.Lock()
	defer fsys.ns.Unlock()
	w := fsys.walker()
	lflags := AT_SYMLINK_NOFOLLOW
	if flags&AT_SYMLINK_FOLLOW != 0 {
		lflags = 0
	}
	n, err := w.lookupAt(fsys.start(olddir), oldpath, lflags|flags&AT_EMPTY_PATH)
	if err != 0 {
		return fail(err)
	}
	if err := checkPath(newpath, false); err != 0 {
		return fail(err)
	}
	w = fsys.walker()
	par, name, err := w.newName(fsys.start(newdir), newpath, false)
	if err != 0 {
		return fail(err)
	}
	if n.kind == S_IFDIR {
		return fail(syscall.EPERM)
	}
	now := fsys.now()
	n.mu.Lock()
	if n.nlink == 0 {
		n.mu.Unlock()
		return fail(syscall.ENOENT)
	}
	n.nlink++
	n.changed(now)
	n.mu.Unlock()
	fsys.addEntry(par, name, n, now)
	return nil
}

// UnlinkAt removes a name, as unlinkat(2): with AT_REMOVEDIR, an empty
// directory's (rmdir); without, a name of anything but a directory. A
// regular file stays readable and writable through its open Files until
// the last is closed.
func (fsys *FS) UnlinkAt(dir *Node, path string, flags int) error {
	op := "unlinkat"
	if flags&AT_REMOVEDIR != 0 {
		op = "rmdir"
	}
	if flags&^AT_REMOVEDIR != 0 {
		return pathErr(op, path, syscall.EINVAL)
	}
	if err := checkPath(path, false); err != 0 {
		return pathErr(op, path, err)
	}
	fsys.ns.Lock()
	w := fsys.walker()
	par, last, kind, slash, err := w.parent(fsys.start(dir), path)
	var n *Node
	if err == 0 {
		n, err = fsys.checkUnlink(par, last, kind, slash, flags&AT_REMOVEDIR != 0)
	}
	release := false
	if err == 0 {
		release = fsys.removeEntry(par, last, n, fsys.now())
	}
	fsys.ns.Unlock()
	if release {
		n.release()
	}
	return wrapErrno(op, path, err)
}

func (fsys *FS) checkUnlink(par *Node, last string, kind lastKind, slash, rmdir bool) (*Node, syscall.Errno) {
	if !rmdir {
		if kind != lastNorm {
			return nil, syscall.EISDIR
		}
	} else {
		switch kind {
		case lastDot:
			return nil, syscall.EINVAL
		case lastDotDot:
			return nil, syscall.ENOTEMPTY
		case lastRoot:
			return nil, syscall.EBUSY
		}
	}
	n, err := lookupName(par, last)
	switch {
	case err != 0:
		return nil, err
	case n == nil:
		return nil, syscall.ENOENT
	case rmdir && n.kind != S_IFDIR:
		return nil, syscall.ENOTDIR
	case rmdir && n.entries.len() != 0:
		return nil, syscall.ENOTEMPTY
	case !rmdir && n.kind == S_IFDIR:
		return nil, syscall.EISDIR
	case !rmdir && slash:
		return nil, syscall.ENOTDIR
	}
	return n, 0
}

// RenameAt renames oldpath to newpath, as renameat2(2), atomically. flags
// may be RENAME_NOREPLACE (EEXIST if newpath exists) or RENAME_EXCHANGE
// (swap the two names, which must both exist); RENAME_WHITEOUT is not
// supported (EINVAL).
func (fsys *FS) RenameAt(olddir *Node, oldpath string, newdir *Node, newpath string, flags int) error {
	const op = "renameat2"
	fail := func(err syscall.Errno) error {
		return &Error{Op: op, Path: oldpath, Path2: newpath, Errno: err}
	}
	if flags&^(RENAME_NOREPLACE|RENAME_EXCHANGE) != 0 || flags == RENAME_NOREPLACE|RENAME_EXCHANGE {
		return fail(syscall.EINVAL)
	}
	if err := checkPath(oldpath, false); err != 0 {
		return fail(err)
	}
	fsys.ns.Lock()
	var released []*Node
	var moves []move
	err := fsys.rename(fsys.start(olddir), oldpath, fsys.start(newdir), newpath, flags, &released, &moves)
	fsys.ns.Unlock()
	for _, n := range released {
		n.release()
	}
	// After the release, so that a replaced file's Data has let go of
	// the name before the renamed file's takes it.
	for _, m := range moves {
		if r, ok := m.n.data.(Renamer); ok {
			r.Renamed(m.path)
		}
	}
	if err != 0 {
		return fail(err)
	}
	return nil
}

// move is a regular file's new name, for its Data's Renamer.
type move struct {
	n    *Node
	path string
}

// rename does RenameAt with fs.ns held for writing, in the order of
// Linux's do_renameat2 and vfs_rename, so errors are Linux's.
func (fsys *FS) rename(olddir *Node, oldpath string, newdir *Node, newpath string, flags int, released *[]*Node, moves *[]move) syscall.Errno {
	w := fsys.walker()
	oldpar, oldlast, oldkind, oldslash, err := w.parent(olddir, oldpath)
	if err != 0 {
		return err
	}
	// As on Linux, a bad newpath is found only after oldpath's parent.
	if err := checkPath(newpath, false); err != 0 {
		return err
	}
	w = fsys.walker()
	newpar, newlast, newkind, newslash, err := w.parent(newdir, newpath)
	if err != 0 {
		return err
	}
	exchange := flags&RENAME_EXCHANGE != 0
	if oldkind != lastNorm {
		return syscall.EBUSY
	}
	if newkind != lastNorm {
		if flags&RENAME_NOREPLACE != 0 {
			return syscall.EEXIST
		}
		return syscall.EBUSY
	}
	trap := trapOf(newpar, oldpar)
	src, err := lookupName(oldpar, oldlast)
	if err != 0 {
		return err
	}
	if src == nil {
		return syscall.ENOENT
	}
	dst, err := lookupName(newpar, newlast)
	if err != 0 {
		return err
	}
	if flags&RENAME_NOREPLACE != 0 && dst != nil {
		return syscall.EEXIST
	}
	if exchange {
		if dst == nil {
			return syscall.ENOENT
		}
		if dst.kind != S_IFDIR && newslash {
			return syscall.ENOTDIR
		}
	}
	if src.kind != S_IFDIR && (oldslash || !exchange && newslash) {
		return syscall.ENOTDIR
	}
	if src == trap {
		return syscall.EINVAL
	}
	if dst != nil && dst == trap {
		if exchange {
			return syscall.EINVAL
		}
		return syscall.ENOTEMPTY
	}
	if src == dst {
		return 0
	}
	isDir := src.kind == S_IFDIR
	switch {
	case dst == nil, exchange:
	case isDir && dst.kind != S_IFDIR:
		return syscall.ENOTDIR
	case !isDir && dst.kind == S_IFDIR:
		return syscall.EISDIR
	case isDir && dst.entries.len() != 0:
		return syscall.ENOTEMPTY
	}

	now := fsys.now()
	if exchange {
		oe, ne := oldpar.entries.entry(oldlast), newpar.entries.entry(newlast)
		oe.node, ne.node = dst, src
		fsys.names(nameOf(oldpar, oldlast, dst), nameOf(newpar, newlast, src))
		if src.kind == S_IFDIR {
			src.parent, src.name = newpar, newlast
		}
		if dst.kind == S_IFDIR {
			dst.parent, dst.name = oldpar, oldlast
		}
		if oldpar != newpar && isDir != (dst.kind == S_IFDIR) {
			from, to := oldpar, newpar // the directory moves from -> to
			if !isDir {
				from, to = newpar, oldpar
			}
			adjust(from, -1)
			adjust(to, +1)
		}
		for _, n := range []*Node{oldpar, newpar} {
			n.mu.Lock()
			n.modified(now)
			n.mu.Unlock()
		}
		for _, n := range []*Node{src, dst} {
			n.mu.Lock()
			n.changed(now)
			n.mu.Unlock()
		}
		*moves = renamed(*moves, src, newpar, newlast)
		*moves = renamed(*moves, dst, oldpar, oldlast)
		return 0
	}

	if dst != nil {
		// Replace: dst loses the name, which names src from here on (as a
		// new entry: see the directory streams in dir.go). fs.ns is held
		// for writing, so no one sees the name missing.
		newpar.entries.remove(newlast)
		if dst.kind == S_IFDIR {
			adjust(newpar, -1)
		}
		if fsys.dropLink(dst, now) {
			*released = append(*released, dst)
		}
	}
	oldpar.entries.remove(oldlast)
	newpar.entries.add(newlast, src)
	fsys.names(nameOf(oldpar, oldlast, nil), nameOf(newpar, newlast, src))
	if isDir {
		if oldpar != newpar {
			adjust(oldpar, -1)
			adjust(newpar, +1)
		}
		src.parent, src.name = newpar, newlast
	}
	oldpar.mu.Lock()
	oldpar.size -= direntSize
	oldpar.modified(now)
	oldpar.mu.Unlock()
	newpar.mu.Lock()
	if dst == nil {
		newpar.size += direntSize
	}
	newpar.modified(now)
	newpar.mu.Unlock()
	src.mu.Lock()
	src.changed(now)
	src.mu.Unlock()
	*moves = renamed(*moves, src, newpar, newlast)
	return 0
}

// adjust changes directory d's link count by delta (a subdirectory's ".."
// came or went). fs.ns must be held for writing.
func adjust(d *Node, delta int) {
	d.mu.Lock()
	d.nlink = uint32(int(d.nlink) + delta)
	d.mu.Unlock()
}

// trapOf is Linux's lock_rename: if one of the two directories is inside
// the other, the child of the outer one on the way to the inner one;
// otherwise nil. A rename must not move that directory below itself.
func trapOf(p1, p2 *Node) *Node {
	if p1 == p2 {
		return nil
	}
	for c := p1; c != c.parent; c = c.parent {
		if c.parent == p2 {
			return c
		}
	}
	for c := p2; c != c.parent; c = c.parent {
		if c.parent == p1 {
			return c
		}
	}
	return nil
}

// ReadlinkAt returns the target of a symbolic link, as readlinkat(2). An
// empty path names dir itself (a File opened with O_PATH|O_NOFOLLOW),
// which must then be a symbolic link (else ENOENT).
func (fsys *FS) ReadlinkAt(dir *Node, path string) (string, error) {
	const op = "readlinkat"
	if err := checkPath(path, true); err != 0 {
		return "", pathErr(op, path, err)
	}
	fsys.ns.RLock()
	w := fsys.walker()
	n, err := w.lookupAt(fsys.start(dir), path, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)
	fsys.ns.RUnlock()
	if err == 0 && n.kind != S_IFLNK {
		err = syscall.EINVAL
		if path == "" {
			err = syscall.ENOENT
		}
	}
	if err != 0 {
		return "", pathErr(op, path, err)
	}
	n.accessed()
	return n.target, nil
}

// StatAt returns the status of path's node, as fstatat(2) and statx(2):
// flags may have AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_NO_AUTOMOUNT and
// the AT_STATX_SYNC_TYPE bits.
func (fsys *FS) StatAt(dir *Node, path string, flags int) (Stat, error) {
	const op = "statx"
	n, err := fsys.lookup(op, dir, path, flags, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH|AT_NO_AUTOMOUNT|AT_STATX_SYNC_TYPE)
	if err != nil {
		return Stat{}, err
	}
	return n.Stat(), nil
}

// Lookup returns path's node, as chdir(2) and the *at calls with a
// directory file resolve it: flags may have AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH.
func (fsys *FS) Lookup(dir *Node, path string, flags int) (*Node, error) {
	return fsys.lookup("lookup", dir, path, flags, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)
}

func (fsys *FS) lookup(op string, dir *Node, path string, flags, allowed int) (*Node, error) {
	if flags&^allowed != 0 {
		return nil, pathErr(op, path, syscall.EINVAL)
	}
	if err := checkPath(path, flags&AT_EMPTY_PATH != 0); err != 0 {
		return nil, pathErr(op, path, err)
	}
	fsys.ns.RLock()
	defer fsys.ns.RUnlock()
	w := fsys.walker()
	n, err := w.lookupAt(fsys.start(dir), path, flags)
	if err != 0 {
		return nil, pathErr(op, path, err)
	}
	return n, nil
}

// TruncateAt sets the size of the regular file at path, as truncate(2).
func (fsys *FS) TruncateAt(dir *Node, path string, size int64) error {
	const op = "truncate"
	if size < 0 {
		return pathErr(op, path, syscall.EINVAL)
	}
	n, err := fsys.lookup(op, dir, path, 0, 0)
	if err != nil {
		return err
	}
	switch n.kind {
	case S_IFDIR:
		return pathErr(op, path, syscall.EISDIR)
	case S_IFREG:
	default:
		return pathErr(op, path, syscall.EINVAL)
	}
	return wrapErrno(op, path, n.truncate(size))
}

// ChmodAt sets the permission bits of path's node, as fchmodat2(2): with
// AT_SYMLINK_NOFOLLOW a final symbolic link is not followed, and cannot be
// changed (EOPNOTSUPP).
func (fsys *FS) ChmodAt(dir *Node, path string, mode uint32, flags int) error {
	const op = "fchmodat"
	n, err := fsys.lookup(op, dir, path, flags, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	if n.kind == S_IFLNK {
		return pathErr(op, path, syscall.EOPNOTSUPP)
	}
	n.chmod(mode)
	return nil
}

// ChownAt sets the owner and group of path's node, as fchownat(2); a
// negative uid or gid leaves that one unchanged. Changing a non-directory
// clears its set-user-ID bit, and its set-group-ID bit if group execute is
// set, as Linux does even for root.
func (fsys *FS) ChownAt(dir *Node, path string, uid, gid, flags int) error {
	const op = "fchownat"
	n, err := fsys.lookup(op, dir, path, flags, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	n.chown(uid, gid)
	return nil
}

// UtimensAt sets the access and modification times of path's node, as
// utimensat(2): times nil means now for both; a Nsec of UTIME_NOW means
// now, UTIME_OMIT leaves that time alone. ctime becomes now.
func (fsys *FS) UtimensAt(dir *Node, path string, times *[2]Timespec, flags int) error {
	const op = "utimensat"
	if times != nil && times[0].Nsec == UTIME_OMIT && times[1].Nsec == UTIME_OMIT {
		return nil // Linux does not even look at the path
	}
	n, err := fsys.lookup(op, dir, path, flags, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	return wrapErrno(op, path, n.utimens(times))
}

// AccessAt checks access to path's node for root, as faccessat2(2): mode
// is F_OK or a mask of R_OK, W_OK and X_OK; flags may have AT_EACCESS
// (root's real and effective IDs are the same), AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH. Root may read and write anything; it may execute a
// non-directory only if some execute bit is set (else EACCES), and search
// any directory.
func (fsys *FS) AccessAt(dir *Node, path string, mode uint32, flags int) error {
	const op = "faccessat2"
	if mode&^7 != 0 {
		return pathErr(op, path, syscall.EINVAL)
	}
	n, err := fsys.lookup(op, dir, path, flags, AT_EACCESS|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	if mode&X_OK != 0 && !n.mayExec() {
		return pathErr(op, path, syscall.EACCES)
	}
	return nil
}

// mayExec reports whether root may execute (or search) n.
func (n *Node) mayExec() bool {
	if n.kind == S_IFDIR {
		return true
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.mode&0o111 != 0
}

// PathOf returns the absolute path of directory dir, as getcwd(2): ENOENT
// if it has been removed, ENOTDIR if it is not a directory.
func (fsys *FS) PathOf(dir *Node) (string, error) {
	const op = "getcwd"
	dir = fsys.start(dir)
	if dir.kind != S_IFDIR {
		return "", pathErr(op, "", syscall.ENOTDIR)
	}
	fsys.ns.RLock()
	defer fsys.ns.RUnlock()
	if dir == fsys.root {
		return "/", nil
	}
	var names []string
	size := 0
	for d := dir; d != fsys.root; d = d.parent {
		if d.dead {
			return "", pathErr(op, "", syscall.ENOENT)
		}
		names = append(names, d.name)
		size += 1 + len(d.name)
	}
	b := make([]byte, 0, size)
	for i := len(names) - 1; i >= 0; i-- {
		b = append(b, '/')
		b = append(b, names[i]...)
	}
	return string(b), nil
}

// ReadDirAt lists the directory at path, without "." and "..", sorted by
// name (for the console and tests; programs read directories with
// File.ReadDir).
func (fsys *FS) ReadDirAt(dir *Node, path string) ([]DirEntry, error) {
	f, err := fsys.OpenAt(dir, path, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(0)
	if err != nil {
		return nil, err
	}
	ents = ents[2:]
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
	return ents, nil
}

// Statfs is the file system's statfs(2) figures.
type Statfs struct {
	Type    int64  // TmpfsMagic
	Bsize   int64  // PageSize
	Frsize  int64  // PageSize
	Blocks  uint64 // the page limit
	Bfree   uint64 // pages not in use
	Bavail  uint64 // = Bfree
	Files   uint64 // the inode limit
	Ffree   uint64 // inodes not in use
	Namelen int64  // 255
}

// Statfs returns the figures of statfs(2).
func (fsys *FS) Statfs() Statfs {
	used, max := fsys.pages.Used(), fsys.pages.Max()
	free := max - used
	if free < 0 {
		free = 0
	}
	inodes := fsys.inodes.Load()
	return Statfs{
		Type:    TmpfsMagic,
		Bsize:   PageSize,
		Frsize:  PageSize,
		Blocks:  uint64(max),
		Bfree:   uint64(free),
		Bavail:  uint64(free),
		Files:   uint64(fsys.maxInodes),
		Ffree:   uint64(fsys.maxInodes - inodes),
		Namelen: nameMax,
	}
}

// Usage is what the file system holds, for df and the console.
type Usage struct {
	Regular, Dirs, Symlinks, Special int64 // inodes in use by type (Special: devices, FIFOs, sockets)
	Inodes, MaxInodes                int64
	Pages, MaxPages                  int64 // pages of file contents
}

// Usage returns the figures for df. Inodes are counted until they are
// released: an unlinked file still open is in use.
func (fsys *FS) Usage() Usage {
	return Usage{
		Regular:   fsys.counts[0].Load(),
		Dirs:      fsys.counts[1].Load(),
		Symlinks:  fsys.counts[2].Load(),
		Special:   fsys.counts[3].Load(),
		Inodes:    fsys.inodes.Load(),
		MaxInodes: fsys.maxInodes,
		Pages:     fsys.pages.Used(),
		MaxPages:  fsys.pages.Max(),
	}
}

func wrapErrno(op, path string, err syscall.Errno) error {
	if err == 0 {
		return nil
	}
	return &Error{Op: op, Path: path, Errno: err}
}
