package fs

import (
	"strings"
	"syscall"
)

// Path resolution, as Linux's namei does it: every component but the last
// is walked (following symbolic links, each of which must lead to a
// directory), and the operation decides what to do with the last one. All
// of it runs with FS.ns held (for reading or writing) by the caller.

// lastKind classifies a path's last component, like Linux's LAST_NORM,
// LAST_DOT, LAST_DOTDOT and LAST_ROOT.
type lastKind int

const (
	lastNorm   lastKind = iota // a name
	lastDot                    // "."
	lastDotDot                 // ".."
	lastRoot                   // the path is only slashes
)

func kindOf(comp string) lastKind {
	switch comp {
	case ".":
		return lastDot
	case "..":
		return lastDotDot
	}
	return lastNorm
}

// checkPath rejects paths no lookup may start with: too long, containing
// NUL, or empty (unless empty is allowed: AT_EMPTY_PATH).
func checkPath(path string, emptyOK bool) syscall.Errno {
	switch {
	case len(path) >= pathMax:
		return syscall.ENAMETOOLONG
	case path == "" && !emptyOK:
		return syscall.ENOENT
	case strings.IndexByte(path, 0) >= 0:
		return syscall.EINVAL
	}
	return 0
}

// walker resolves paths, counting the symbolic links it follows.
type walker struct {
	fs    *FS
	links int
}

func (fsys *FS) walker() walker { return walker{fs: fsys} }

// parent walks all of path (non-empty) but its last component, from dir.
// It returns the directory holding the last component, the component, its
// kind, and whether slashes follow it.
func (w *walker) parent(dir *Node, path string) (par *Node, last string, kind lastKind, slash bool, err syscall.Errno) {
	cur := dir
	if path[0] == '/' {
		cur = w.fs.root
	} else if cur.kind != S_IFDIR {
		return nil, "", 0, false, syscall.ENOTDIR
	}
	rest := path
	for {
		i := 0
		for i < len(rest) && rest[i] == '/' {
			i++
		}
		rest = rest[i:]
		if rest == "" {
			return cur, "", lastRoot, false, 0
		}
		comp, after := rest, ""
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			comp, after = rest[:j], rest[j:]
		}
		if strings.TrimLeft(after, "/") == "" {
			return cur, comp, kindOf(comp), after != "", 0
		}
		if cur, err = w.step(cur, comp); err != 0 {
			return nil, "", 0, false, err
		}
		rest = after
	}
}

// step moves from directory cur through component comp, which is not the
// last, following a symbolic link; the result must be a directory.
func (w *walker) step(cur *Node, comp string) (*Node, syscall.Errno) {
	switch comp {
	case ".":
		return cur, 0
	case "..":
		return cur.parent, 0
	}
	next, err := lookupName(cur, comp)
	if err != 0 {
		return nil, err
	}
	if next == nil {
		return nil, syscall.ENOENT
	}
	if next.kind == S_IFLNK {
		if next, err = w.follow(cur, next); err != 0 {
			return nil, err
		}
	}
	if next.kind != S_IFDIR {
		return nil, syscall.ENOTDIR
	}
	return next, 0
}

// follow resolves the target of link, which is in directory dir.
func (w *walker) follow(dir, link *Node) (*Node, syscall.Errno) {
	if w.links++; w.links > maxSymlink {
		return nil, syscall.ELOOP
	}
	return w.resolve(dir, link.target, true)
}

// resolve walks all of path from dir. A symbolic link as the last
// component is followed if follow is set or slashes follow it; with
// trailing slashes the result must be a directory.
func (w *walker) resolve(dir *Node, path string, follow bool) (*Node, syscall.Errno) {
	par, last, kind, slash, err := w.parent(dir, path)
	if err != 0 {
		return nil, err
	}
	var n *Node
	switch kind {
	case lastRoot:
		n = w.fs.root
	case lastDot:
		n = par
	case lastDotDot:
		n = par.parent
	default:
		if n, err = lookupName(par, last); err != 0 {
			return nil, err
		}
		if n == nil {
			return nil, syscall.ENOENT
		}
		if n.kind == S_IFLNK && (follow || slash) {
			if n, err = w.follow(par, n); err != 0 {
				return nil, err
			}
		}
	}
	if slash && n.kind != S_IFDIR {
		return nil, syscall.ENOTDIR
	}
	return n, 0
}

// lookupAt resolves a path argument of an *at operation: AT_EMPTY_PATH
// with an empty path names dir itself; AT_SYMLINK_NOFOLLOW leaves a final
// symbolic link unfollowed.
func (w *walker) lookupAt(dir *Node, path string, flags int) (*Node, syscall.Errno) {
	if path == "" && flags&AT_EMPTY_PATH != 0 {
		return dir, 0
	}
	return w.resolve(dir, path, flags&AT_SYMLINK_NOFOLLOW == 0)
}

// newName resolves path for an operation that makes a new name there
// (mkdir, mknod, symlink, link: Linux's filename_create): the parent
// directory and the name, which must not exist. A trailing slash is
// allowed only when the new node is a directory.
func (w *walker) newName(dir *Node, path string, isDir bool) (*Node, string, syscall.Errno) {
	par, last, kind, slash, err := w.parent(dir, path)
	if err != 0 {
		return nil, "", err
	}
	if kind != lastNorm {
		return nil, "", syscall.EEXIST
	}
	n, err := lookupName(par, last)
	switch {
	case err != 0:
		return nil, "", err
	case n != nil:
		return nil, "", syscall.EEXIST
	case slash && !isDir:
		return nil, "", syscall.ENOENT
	}
	return par, last, 0
}

// lookupName looks up a name (not "." or "..") in directory dir: nil if
// there is none. As on Linux, nothing can be looked up in a removed
// directory (ENOENT), and that is found before a name is too long.
func lookupName(dir *Node, name string) (*Node, syscall.Errno) {
	if dir.dead {
		return nil, syscall.ENOENT
	}
	if len(name) > nameMax {
		return nil, syscall.ENAMETOOLONG
	}
	return dir.entries.lookup(name), 0
}
