package serve

//go:generate go run k42/reconfig/cmd/genwrap -type Namespace,FileServer,Session

import (
	"context"

	"k42/fs"
)

// Namespace is the file system's namespace as a component of the system
// table (the object "fs"): every operation on names goes through its
// translation-table entry, so it can be interposed on and swapped while
// it serves. A nil dir is the root.
type Namespace interface {
	OpenAt(ctx context.Context, dir *fs.Node, path string, flags int, mode uint32) (*fs.File, error)
	Lookup(ctx context.Context, dir *fs.Node, path string, flags int) (*fs.Node, error)
	StatAt(ctx context.Context, dir *fs.Node, path string, flags int) (fs.Stat, error)
	MkdirAt(ctx context.Context, dir *fs.Node, path string, mode uint32) error
	MknodAt(ctx context.Context, dir *fs.Node, path string, mode uint32, rdev uint64) error
	UnlinkAt(ctx context.Context, dir *fs.Node, path string, flags int) error
	RenameAt(ctx context.Context, olddir *fs.Node, oldpath string, newdir *fs.Node, newpath string, flags int) error
	LinkAt(ctx context.Context, olddir *fs.Node, oldpath string, newdir *fs.Node, newpath string, flags int) error
	SymlinkAt(ctx context.Context, target string, dir *fs.Node, path string) error
	ReadlinkAt(ctx context.Context, dir *fs.Node, path string) (string, error)
	TruncateAt(ctx context.Context, dir *fs.Node, path string, size int64) error
	ChmodAt(ctx context.Context, dir *fs.Node, path string, mode uint32, flags int) error
	ChownAt(ctx context.Context, dir *fs.Node, path string, uid, gid, flags int) error
	UtimensAt(ctx context.Context, dir *fs.Node, path string, times *[2]fs.Timespec, flags int) error
	AccessAt(ctx context.Context, dir *fs.Node, path string, mode uint32, flags int) error
	PathOf(ctx context.Context, dir *fs.Node) (string, error)
	Statfs(ctx context.Context) fs.Statfs
}

// FileServer is the server object of one open file (the object
// "file:PATH", alive while the file is open): the operations on its open
// file descriptions go through its entry.
type FileServer interface {
	Read(ctx context.Context, f *fs.File, p []byte) (int, error)
	Write(ctx context.Context, f *fs.File, p []byte) (int, error)
	ReadAt(ctx context.Context, f *fs.File, p []byte, off int64) (int, error)
	WriteAt(ctx context.Context, f *fs.File, p []byte, off int64) (int, error)
	Seek(ctx context.Context, f *fs.File, off int64, whence int) (int64, error)
	ReadDir(ctx context.Context, f *fs.File, n int) ([]fs.DirEntry, error)
	// Stat fills st (in place: a hot path).
	Stat(ctx context.Context, f *fs.File, st *fs.Stat) error
	Truncate(ctx context.Context, f *fs.File, size int64) error
	Sync(ctx context.Context, f *fs.File) error
	Chmod(ctx context.Context, f *fs.File, mode uint32) error
	Chown(ctx context.Context, f *fs.File, uid, gid int) error
	Utimens(ctx context.Context, f *fs.File, times *[2]fs.Timespec) error
	SetFlags(ctx context.Context, f *fs.File, flags int) error
}

// tree is the Namespace over an fs.FS.
type tree struct{ fsys *fs.FS }

func (t tree) OpenAt(_ context.Context, dir *fs.Node, path string, flags int, mode uint32) (*fs.File, error) {
	return t.fsys.OpenAt(dir, path, flags, mode)
}
func (t tree) Lookup(_ context.Context, dir *fs.Node, path string, flags int) (*fs.Node, error) {
	return t.fsys.Lookup(dir, path, flags)
}
func (t tree) StatAt(_ context.Context, dir *fs.Node, path string, flags int) (fs.Stat, error) {
	return t.fsys.StatAt(dir, path, flags)
}
func (t tree) MkdirAt(_ context.Context, dir *fs.Node, path string, mode uint32) error {
	return t.fsys.MkdirAt(dir, path, mode)
}
func (t tree) MknodAt(_ context.Context, dir *fs.Node, path string, mode uint32, rdev uint64) error {
	return t.fsys.MknodAt(dir, path, mode, rdev)
}
func (t tree) UnlinkAt(_ context.Context, dir *fs.Node, path string, flags int) error {
	return t.fsys.UnlinkAt(dir, path, flags)
}
func (t tree) RenameAt(_ context.Context, od *fs.Node, op string, nd *fs.Node, np string, flags int) error {
	return t.fsys.RenameAt(od, op, nd, np, flags)
}
func (t tree) LinkAt(_ context.Context, od *fs.Node, op string, nd *fs.Node, np string, flags int) error {
	return t.fsys.LinkAt(od, op, nd, np, flags)
}
func (t tree) SymlinkAt(_ context.Context, target string, dir *fs.Node, path string) error {
	return t.fsys.SymlinkAt(target, dir, path)
}
func (t tree) ReadlinkAt(_ context.Context, dir *fs.Node, path string) (string, error) {
	return t.fsys.ReadlinkAt(dir, path)
}
func (t tree) TruncateAt(_ context.Context, dir *fs.Node, path string, size int64) error {
	return t.fsys.TruncateAt(dir, path, size)
}
func (t tree) ChmodAt(_ context.Context, dir *fs.Node, path string, mode uint32, flags int) error {
	return t.fsys.ChmodAt(dir, path, mode, flags)
}
func (t tree) ChownAt(_ context.Context, dir *fs.Node, path string, uid, gid, flags int) error {
	return t.fsys.ChownAt(dir, path, uid, gid, flags)
}
func (t tree) UtimensAt(_ context.Context, dir *fs.Node, path string, times *[2]fs.Timespec, flags int) error {
	return t.fsys.UtimensAt(dir, path, times, flags)
}
func (t tree) AccessAt(_ context.Context, dir *fs.Node, path string, mode uint32, flags int) error {
	return t.fsys.AccessAt(dir, path, mode, flags)
}
func (t tree) PathOf(_ context.Context, dir *fs.Node) (string, error) { return t.fsys.PathOf(dir) }
func (t tree) Statfs(context.Context) fs.Statfs                       { return t.fsys.Statfs() }

// opened is the FileServer of an open file: it serves the calls on its
// open file descriptions through the file system's own.
type opened struct{}

func (opened) Read(_ context.Context, f *fs.File, p []byte) (int, error)  { return f.Read(p) }
func (opened) Write(_ context.Context, f *fs.File, p []byte) (int, error) { return f.Write(p) }
func (opened) ReadAt(_ context.Context, f *fs.File, p []byte, off int64) (int, error) {
	return f.ReadAt(p, off)
}
func (opened) WriteAt(_ context.Context, f *fs.File, p []byte, off int64) (int, error) {
	return f.WriteAt(p, off)
}
func (opened) Seek(_ context.Context, f *fs.File, off int64, whence int) (int64, error) {
	return f.Seek(off, whence)
}
func (opened) ReadDir(_ context.Context, f *fs.File, n int) ([]fs.DirEntry, error) {
	return f.ReadDir(n)
}
func (opened) Stat(_ context.Context, f *fs.File, st *fs.Stat) error    { return f.StatTo(st) }
func (opened) Truncate(_ context.Context, f *fs.File, size int64) error { return f.Truncate(size) }
func (opened) Sync(_ context.Context, f *fs.File) error                 { return f.Sync() }
func (opened) Chmod(_ context.Context, f *fs.File, mode uint32) error   { return f.Chmod(mode) }
func (opened) Chown(_ context.Context, f *fs.File, uid, gid int) error  { return f.Chown(uid, gid) }
func (opened) SetFlags(_ context.Context, f *fs.File, flags int) error  { return f.SetFlags(flags) }
func (opened) Utimens(_ context.Context, f *fs.File, t *[2]fs.Timespec) error {
	return f.Utimens(t)
}
