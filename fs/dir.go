package fs

import "sort"

// Directory streams. Every entry of a directory gets a cookie when its
// name is added: a number larger than every cookie the directory has given
// before. A stream's position is a cookie: it has returned the entries
// whose cookies are at most the position and will return, in cookie order,
// those above it that still exist. So an entry that exists for the whole of
// an iteration is returned exactly once, a removed entry is not returned
// after its removal, and an entry added during the iteration may or may
// not be (POSIX allows both). "." is at position 0 (its cookie is 1) and
// ".." at 1 (cookie 2), so they come first. Replacing a name by rename
// keeps its entry and cookie.

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

// after returns the live entries with cookies above pos, at most max of
// them (all if max <= 0).
func (t *dirTable) after(pos int64, max int) []*dirent {
	i := sort.Search(len(t.order), func(i int) bool { return t.order[i].cookie > pos })
	var out []*dirent
	for ; i < len(t.order) && (max <= 0 || len(out) < max); i++ {
		if e := t.order[i]; e.node != nil {
			out = append(out, e)
		}
	}
	return out
}
