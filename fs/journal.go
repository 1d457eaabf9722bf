package fs

import (
	"fmt"
	"sort"
	"strings"
)

// A Journal is what a persistent store (fs/diskfs) gives the file system
// to be told of every change it must make durable. The file system keeps
// the whole namespace and every inode in memory, as before; the Journal
// only records. Its methods must not call back into the file system,
// except Sync, which is called with no lock of the file system's held.
//
// Changes reach it in three kinds:
//   - names: Names, with FS.ns held for writing, so in the namespace's
//     order, once per operation with every name it changed (a rename's
//     two): a Journal that keeps each call whole never holds half of an
//     operation.
//   - attributes: Dirty, the first time a node changes after it was
//     last made Clean (creation included), with the node's lock or FS.ns
//     held. The Journal reads the node's state (Node.Stat, Node.Target)
//     when it writes it, after calling Node.Clean.
//   - deaths: Gone, when a node's last name and last open File are gone.
type Journal interface {
	// Names records that name a, and name b if b.Dir is not 0 (a
	// rename's other name), now refer to their inodes, or to nothing if
	// Ino is 0.
	Names(a, b ImageEntry)
	// Dirty records that n changed.
	Dirty(n *Node)
	// Gone records that inode ino is no more.
	Gone(ino uint64)
	// Sync makes durable, before it returns, n's attributes and every
	// name made or removed before it was called (fsync of a file, after
	// its Data's Sync, or of a directory).
	Sync(n *Node) error
}

// Clean marks n as written by the Journal: its next change calls
// Journal.Dirty again.
func (n *Node) Clean() { n.jdirty.Store(false) }

// Target returns a symbolic link's target ("" for anything else).
func (n *Node) Target() string { return n.target }

// dirty tells the journal that n changed, once until it is made clean.
func (fsys *FS) dirty(n *Node) {
	if fsys.journal != nil && !n.jdirty.Load() && n.jdirty.CompareAndSwap(false, true) {
		fsys.journal.Dirty(n)
	}
}

// names tells the journal of the names one operation changed: a, and b
// if b.Dir is not 0. fs.ns must be held for writing.
func (fsys *FS) names(a, b ImageEntry) {
	if fsys.journal != nil {
		fsys.journal.Names(a, b)
	}
}

// nameOf is name in dir as it now is: referring to n, or to nothing.
func nameOf(dir *Node, name string, n *Node) ImageEntry {
	e := ImageEntry{Dir: dir.ino, Name: name}
	if n != nil {
		e.Ino = n.ino
	}
	return e
}

// Image is a file system's state as a persistent store holds it, for
// NewFrom to start from: inodes and the names that refer to them. Link
// counts are not in it: they are the names'.
type Image struct {
	Root    uint64 // the root directory's inode
	Inodes  []ImageInode
	Entries []ImageEntry
}

// ImageInode is one inode of an Image.
type ImageInode struct {
	Ino                        uint64
	Mode                       uint32 // S_IFMT bits and permissions
	Uid, Gid                   uint32
	Size                       int64
	Atime, Mtime, Ctime, Btime Timespec
	Rdev                       uint64 // device nodes
	Target                     string // symbolic links
}

// ImageEntry is one name of an Image: Name in directory Dir is inode Ino
// (for Journal.Names, Ino 0: the name is gone).
type ImageEntry struct {
	Dir  uint64
	Name string
	Ino  uint64
}

// NewFrom returns a file system holding img (which must hold at least its
// root), and tells j (if not nil) of every change from then on. Regular files get their Data from
// opt.Data, called with each file's inode number and one of its paths,
// as for a file being created. img must be a tree: every directory but
// the root named exactly once, every inode reachable from the root,
// names only in directories; NewFrom refuses anything else, naming what
// is wrong (a store checks its image before, and repairs what a crash
// can leave).
func NewFrom(opt Options, img *Image, j Journal) (*FS, error) {
	fsys := New(opt)
	byIno := make(map[uint64]*ImageInode, len(img.Inodes))
	var maxIno uint64
	for i := range img.Inodes {
		in := &img.Inodes[i]
		if in.Ino == 0 || byIno[in.Ino] != nil {
			return nil, fmt.Errorf("fs: image: inode %d twice or zero", in.Ino)
		}
		switch in.Mode & S_IFMT {
		case S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK:
		default:
			return nil, fmt.Errorf("fs: image: inode %d has mode %#o, no file type", in.Ino, in.Mode)
		}
		byIno[in.Ino] = in
		maxIno = max(maxIno, in.Ino)
	}
	root := byIno[img.Root]
	if root == nil || root.Mode&S_IFMT != S_IFDIR {
		return nil, fmt.Errorf("fs: image: root inode %d is not a directory", img.Root)
	}
	if int64(len(img.Inodes)) > fsys.maxInodes {
		return nil, fmt.Errorf("fs: image: %d inodes, more than the %d allowed", len(img.Inodes), fsys.maxInodes)
	}
	children := make(map[uint64][]*ImageEntry)
	for i := range img.Entries {
		e := &img.Entries[i]
		d := byIno[e.Dir]
		if d == nil || d.Mode&S_IFMT != S_IFDIR {
			return nil, fmt.Errorf("fs: image: name %q in inode %d, not a directory", e.Name, e.Dir)
		}
		if byIno[e.Ino] == nil {
			return nil, fmt.Errorf("fs: image: name %q in directory %d refers to inode %d, which does not exist", e.Name, e.Dir, e.Ino)
		}
		if e.Name == "" || e.Name == "." || e.Name == ".." || len(e.Name) > nameMax || strings.ContainsAny(e.Name, "/\x00") {
			return nil, fmt.Errorf("fs: image: bad name %q in directory %d", e.Name, e.Dir)
		}
		children[e.Dir] = append(children[e.Dir], e)
	}
	nodes := map[uint64]*Node{img.Root: fsys.root}
	fsys.root.ino = img.Root
	fill(fsys.root, root)
	// Breadth first from the root, so that every directory gets its
	// parent before its children, and every file a path.
	queue := []*Node{fsys.root}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		kids := children[d.ino]
		sort.Slice(kids, func(a, b int) bool { return kids[a].Name < kids[b].Name })
		for _, e := range kids {
			if d.entries.lookup(e.Name) != nil {
				return nil, fmt.Errorf("fs: image: name %q twice in directory %d", e.Name, d.ino)
			}
			in := byIno[e.Ino]
			n := nodes[e.Ino]
			if n == nil {
				n = &Node{fs: fsys, ino: in.Ino, kind: in.Mode & S_IFMT, nlink: 0}
				fill(n, in)
				switch n.kind {
				case S_IFDIR:
					n.entries = newDirTable()
					n.parent, n.name = d, e.Name
					queue = append(queue, n)
				case S_IFREG:
					n.data = fsys.newData(n.ino, childPath(d, e.Name))
				}
				nodes[e.Ino] = n
				fsys.inodes.Add(1)
				fsys.counts[kindIndex(n.kind)].Add(1)
			} else if n.kind == S_IFDIR {
				return nil, fmt.Errorf("fs: image: directory %d has two names (%q in %d and another)", e.Ino, e.Name, d.ino)
			}
			d.entries.add(e.Name, n)
			d.size += direntSize
			if n.kind == S_IFDIR {
				n.nlink = 2
				d.nlink++
			} else {
				n.nlink++
			}
		}
	}
	if len(nodes) != len(img.Inodes) {
		for _, in := range img.Inodes {
			if nodes[in.Ino] == nil {
				return nil, fmt.Errorf("fs: image: inode %d is not reachable from the root (%d of %d are)", in.Ino, len(nodes), len(img.Inodes))
			}
		}
	}
	fsys.nextIno.Store(maxIno)
	fsys.journal = j
	return fsys, nil
}

// fill sets n's attributes from in.
func fill(n *Node, in *ImageInode) {
	n.mode = in.Mode
	n.uid, n.gid = in.Uid, in.Gid
	n.atime, n.mtime, n.ctime, n.btime = in.Atime, in.Mtime, in.Ctime, in.Btime
	n.rdev, n.target = in.Rdev, in.Target
	if n.kind == S_IFREG || n.kind == S_IFLNK {
		n.size = in.Size
		n.rsize.Store(in.Size)
	}
	if n.kind == S_IFDIR {
		n.size = 2 * direntSize
	}
}
