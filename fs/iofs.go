package fs

import (
	"io"
	iofs "io/fs"
	"path"
	"syscall"
	"time"
)

// IOFS returns a read-only io/fs view of the tree under dir (nil: the
// root), so that io/fs's WalkDir, ReadFile, ReadDir, Stat and ReadLink
// work on it (the console lists and walks the tree this way). Names are
// io/fs's: unrooted, slash-separated, without "." or ".." elements; Open
// follows symbolic links, Lstat and ReadLink do not. Its errors are
// *io/fs.PathError wrapping the errno.
func (fsys *FS) IOFS(dir *Node) iofs.FS {
	return &ioView{fsys: fsys, dir: fsys.start(dir)}
}

type ioView struct {
	fsys *FS
	dir  *Node
}

var _ iofs.ReadLinkFS = (*ioView)(nil)

func ioErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &iofs.PathError{Op: op, Path: name, Err: Errno(err)}
}

func (v *ioView) Open(name string) (iofs.File, error) {
	if !iofs.ValidPath(name) {
		return nil, &iofs.PathError{Op: "open", Path: name, Err: iofs.ErrInvalid}
	}
	f, err := v.fsys.OpenAt(v.dir, name, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, ioErr("open", name, err)
	}
	return &ioFile{v: v, f: f, name: name}, nil
}

func (v *ioView) Lstat(name string) (iofs.FileInfo, error) {
	if !iofs.ValidPath(name) {
		return nil, &iofs.PathError{Op: "lstat", Path: name, Err: iofs.ErrInvalid}
	}
	st, err := v.fsys.StatAt(v.dir, name, AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return nil, ioErr("lstat", name, err)
	}
	return &fileInfo{name: path.Base(name), st: st}, nil
}

func (v *ioView) ReadLink(name string) (string, error) {
	if !iofs.ValidPath(name) {
		return "", &iofs.PathError{Op: "readlink", Path: name, Err: iofs.ErrInvalid}
	}
	t, err := v.fsys.ReadlinkAt(v.dir, name)
	return t, ioErr("readlink", name, err)
}

type ioFile struct {
	v    *ioView
	f    *File
	name string
}

func (f *ioFile) Stat() (iofs.FileInfo, error) {
	st, err := f.f.Stat()
	if err != nil {
		return nil, ioErr("stat", f.name, err)
	}
	return &fileInfo{name: path.Base(f.name), st: st}, nil
}

func (f *ioFile) Read(p []byte) (int, error) {
	n, err := f.f.Read(p)
	if err != nil && err != io.EOF {
		err = ioErr("read", f.name, err)
	}
	return n, err
}

func (f *ioFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = ioErr("read", f.name, err)
	}
	return n, err
}

func (f *ioFile) Seek(off int64, whence int) (int64, error) {
	pos, err := f.f.Seek(off, whence)
	return pos, ioErr("seek", f.name, err)
}

func (f *ioFile) Close() error { return ioErr("close", f.name, f.f.Close()) }

// ReadDir implements io/fs.ReadDirFile, without "." and "..".
func (f *ioFile) ReadDir(n int) ([]iofs.DirEntry, error) {
	var out []iofs.DirEntry
	for n <= 0 || len(out) < n {
		want := n - len(out)
		ents, err := f.f.ReadDir(want)
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				out = append(out, &dirEntry{v: f.v, dir: f.f.node, e: e})
			}
		}
		if err == io.EOF {
			if len(out) == 0 {
				return nil, err
			}
			return out, nil
		}
		if err != nil {
			return out, ioErr("readdir", f.name, err)
		}
		if n <= 0 {
			break
		}
	}
	return out, nil
}

type fileInfo struct {
	name string
	st   Stat
}

func (fi *fileInfo) Name() string        { return fi.name }
func (fi *fileInfo) Size() int64         { return fi.st.Size }
func (fi *fileInfo) Mode() iofs.FileMode { return FileMode(fi.st.Mode) }
func (fi *fileInfo) ModTime() time.Time  { return fi.st.Mtime.Time() }
func (fi *fileInfo) IsDir() bool         { return fi.st.IsDir() }
func (fi *fileInfo) Sys() any            { return &fi.st }

type dirEntry struct {
	v   *ioView
	dir *Node
	e   DirEntry
}

func (d *dirEntry) Name() string        { return d.e.Name }
func (d *dirEntry) IsDir() bool         { return d.e.Type == S_IFDIR }
func (d *dirEntry) Type() iofs.FileMode { return FileMode(d.e.Type).Type() }
func (d *dirEntry) Info() (iofs.FileInfo, error) {
	st, err := d.v.fsys.StatAt(d.dir, d.e.Name, AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return nil, ioErr("lstat", d.e.Name, err)
	}
	return &fileInfo{name: d.e.Name, st: st}, nil
}
func (d *dirEntry) String() string { return iofs.FormatDirEntry(d) }

// FileMode converts a Linux mode (type and permission bits) to an
// io/fs.FileMode.
func FileMode(mode uint32) iofs.FileMode {
	m := iofs.FileMode(mode & 0o777)
	switch mode & S_IFMT {
	case S_IFDIR:
		m |= iofs.ModeDir
	case S_IFLNK:
		m |= iofs.ModeSymlink
	case S_IFCHR:
		m |= iofs.ModeDevice | iofs.ModeCharDevice
	case S_IFBLK:
		m |= iofs.ModeDevice
	case S_IFIFO:
		m |= iofs.ModeNamedPipe
	case S_IFSOCK:
		m |= iofs.ModeSocket
	}
	if mode&S_ISUID != 0 {
		m |= iofs.ModeSetuid
	}
	if mode&S_ISGID != 0 {
		m |= iofs.ModeSetgid
	}
	if mode&S_ISVTX != 0 {
		m |= iofs.ModeSticky
	}
	return m
}
