package fs

import (
	"math"
	"sort"
)

// Directory streams. Every entry of a directory gets a cookie when its
// name is added: a number larger than every cookie the directory has given
// before. A stream returns ".", "..", then the entries newest first, as
// Linux's tmpfs does (its dentries are listed newest first): its position
// after an entry is that entry's cookie, and it will return, in
// descending cookie order, the entries below it that still exist. So an
// entry that exists for the whole of an iteration is returned exactly
// once, a removed entry is not returned after its removal, and an entry
// added during the iteration is not (POSIX allows both; Linux's tmpfs
// does the same). "." is at position 0 (its cookie is 1) and ".." at 1
// (cookie 2); after them the stream starts from the newest. A name that
// rename gives an entry (a new name, or one it replaces) is added anew,
// newest, as Linux moves a renamed dentry to the front; an exchange keeps
// both entries where they are.

const (
	cookieDot    = 1
	cookieDotDot = 2
	firstCookie  = 3
)

// DirEntry is one entry of a directory stream.
type DirEntry struct {
	Name string
	Ino  uint64
	Type uint32 // file type bits (S_IFMT) of the node
	// Off is the stream position just after this entry: Seek to it to
	// continue after the entry (linux_dirent64's d_off).
	Off int64
}

// DirentType returns Linux's d_type for the entry (DT_REG, DT_DIR, ...).
func (e DirEntry) DirentType() uint8 { return uint8(e.Type >> 12) }

type dirent struct {
	name   string
	node   *Node // nil once removed
	cookie int64
}

// dirTable is a directory's entries by name and in cookie order. Guarded
// by FS.ns.
type dirTable struct {
	byName map[string]*dirent
	order  []*dirent // ascending cookies; removed entries stay until compaction
	dead   int       // removed entries in order
	next   int64
}

func newDirTable() *dirTable {
	return &dirTable{byName: make(map[string]*dirent), next: firstCookie}
}

func (t *dirTable) len() int { return len(t.byName) }

func (t *dirTable) lookup(name string) *Node {
	if e := t.byName[name]; e != nil {
		return e.node
	}
	return nil
}

func (t *dirTable) entry(name string) *dirent { return t.byName[name] }

func (t *dirTable) add(name string, n *Node) {
	e := &dirent{name: name, node: n, cookie: t.next}
	t.next++
	t.byName[name] = e
	t.order = append(t.order, e)
}

func (t *dirTable) remove(name string) {
	e := t.byName[name]
	delete(t.byName, name)
	e.node = nil
	t.dead++
	if t.dead > 16 && t.dead > len(t.order)/2 {
		live := t.order[:0]
		for _, e := range t.order {
			if e.node != nil {
				live = append(live, e)
			}
		}
		clear(t.order[len(live):])
		t.order = live
		t.dead = 0
	}
}

// from returns the live entries a stream at position pos returns next,
// newest first: those with cookies below pos (all of them when pos is at
// or before ".."'s), at most max of them (all if max <= 0).
func (t *dirTable) from(pos int64, max int) []*dirent {
	if pos <= cookieDotDot {
		pos = math.MaxInt64
	}
	i := sort.Search(len(t.order), func(i int) bool { return t.order[i].cookie >= pos }) - 1
	var out []*dirent
	for ; i >= 0 && (max <= 0 || len(out) < max); i-- {
		if e := t.order[i]; e.node != nil {
			out = append(out, e)
		}
	}
	return out
}
