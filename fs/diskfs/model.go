package diskfs

import (
	"fmt"
	"maps"
	"slices"

	"k42/fs"
	"k42/fs/ondisk"
)

// model is the file system's metadata as the disk holds it: what a
// checkpoint and the commits after it say.
type model struct {
	inodes map[uint64]*minode
	dirs   map[uint64]map[string]uint64 // directory -> name -> inode
}

type minode struct {
	have bool // an inode record was seen (a map record alone makes a stub)
	attr fs.ImageInode
	maps map[int64]int64 // page -> data block
}

func newModel() *model {
	return &model{inodes: map[uint64]*minode{}, dirs: map[uint64]map[string]uint64{}}
}

func (m *model) inode(ino uint64) *minode {
	in := m.inodes[ino]
	if in == nil {
		in = &minode{}
		m.inodes[ino] = in
	}
	return in
}

// apply applies one record.
func (m *model) apply(r *ondisk.Record) {
	switch r.Kind {
	case ondisk.RecInode:
		in := m.inode(r.Ino)
		in.have, in.attr = true, r.Inode
		if in.attr.Mode&fs.S_IFMT == fs.S_IFDIR && m.dirs[r.Ino] == nil {
			m.dirs[r.Ino] = map[string]uint64{}
		}
	case ondisk.RecEntry:
		d := m.dirs[r.Ino]
		if r.Child == 0 {
			delete(d, r.Name)
			return
		}
		if d == nil {
			d = map[string]uint64{}
			m.dirs[r.Ino] = d
		}
		d[r.Name] = r.Child
	case ondisk.RecMap:
		in := m.inode(r.Ino)
		if in.maps == nil {
			in.maps = map[int64]int64{}
		}
		for i := int64(0); i < r.Count; i++ {
			in.maps[r.Page+i] = r.Block + i
		}
	case ondisk.RecUnmap:
		if in := m.inodes[r.Ino]; in != nil {
			for p := range in.maps {
				if p >= r.Page {
					delete(in.maps, p)
				}
			}
		}
	case ondisk.RecFree:
		delete(m.inodes, r.Ino)
		delete(m.dirs, r.Ino)
	}
}

// applyAll decodes and applies a payload of records.
func (m *model) applyAll(b []byte) error {
	var r ondisk.Record
	for len(b) > 0 {
		var err error
		if b, err = ondisk.Decode(b, &r); err != nil {
			return err
		}
		m.apply(&r)
	}
	return nil
}

// encode returns the model as a checkpoint's records: each inode, its
// pages as runs of consecutive blocks, then each directory's names.
func (m *model) encode() []byte {
	var b []byte
	inos := slices.Sorted(maps.Keys(m.inodes))
	for _, ino := range inos {
		in := m.inodes[ino]
		r := ondisk.Record{Kind: ondisk.RecInode, Ino: ino, Inode: in.attr}
		b = r.Append(b)
		pages := slices.Sorted(maps.Keys(in.maps))
		for i := 0; i < len(pages); {
			j := i + 1
			for j < len(pages) && pages[j] == pages[i]+int64(j-i) && in.maps[pages[j]] == in.maps[pages[i]]+int64(j-i) && j-i < 1<<30 {
				j++
			}
			r := ondisk.Record{Kind: ondisk.RecMap, Ino: ino, Page: pages[i], Block: in.maps[pages[i]], Count: int64(j - i)}
			b = r.Append(b)
			i = j
		}
	}
	for _, dir := range inos {
		names := m.dirs[dir]
		for _, name := range slices.Sorted(maps.Keys(names)) {
			r := ondisk.Record{Kind: ondisk.RecEntry, Ino: dir, Name: name, Child: names[name]}
			b = r.Append(b)
		}
	}
	return b
}

// image returns the model as fs's Image.
func (m *model) image() *fs.Image {
	img := &fs.Image{Root: RootIno}
	for _, in := range m.inodes {
		img.Inodes = append(img.Inodes, in.attr)
	}
	for dir, names := range m.dirs {
		for name, ino := range names {
			img.Entries = append(img.Entries, fs.ImageEntry{Dir: dir, Name: name, Ino: ino})
		}
	}
	return img
}

// check finds what is wrong with the model after a replay, repairs it and
// reports; it fails only if there is nothing to mount (no root).
func (m *model) check(dataBlocks int64) (Report, error) {
	var r Report
	root := m.inodes[RootIno]
	if root == nil || !root.have || root.attr.Mode&fs.S_IFMT != fs.S_IFDIR {
		return r, fmt.Errorf("%w: the root directory (inode %d) is missing", ondisk.ErrCorrupt, RootIno)
	}
	problem := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	// Names of inodes that are not there, or in what is not a directory.
	for dir, names := range m.dirs {
		d := m.inodes[dir]
		if d == nil || !d.have || d.attr.Mode&fs.S_IFMT != fs.S_IFDIR {
			if len(names) > 0 {
				problem("%d names in inode %d, which is not a directory, removed", len(names), dir)
			}
			delete(m.dirs, dir)
			continue
		}
		for name, ino := range names {
			if in := m.inodes[ino]; in == nil || !in.have {
				problem("name %q in directory %d referred to inode %d, which does not exist: removed", name, dir, ino)
				delete(names, name)
			}
		}
	}
	// Reachable from the root, each directory by one name.
	seen := map[uint64]bool{RootIno: true}
	queue := []uint64{RootIno}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		names := m.dirs[dir]
		for _, name := range slices.Sorted(maps.Keys(names)) {
			ino := names[name]
			isDir := m.inodes[ino].attr.Mode&fs.S_IFMT == fs.S_IFDIR
			if isDir && (seen[ino] || ino == RootIno) {
				problem("directory %d had a second name %q in %d: removed", ino, name, dir)
				delete(names, name)
				continue
			}
			if !seen[ino] {
				seen[ino] = true
				if isDir {
					queue = append(queue, ino)
				}
			}
		}
	}
	// Orphans: freed with their blocks.
	for ino, in := range m.inodes {
		if !seen[ino] {
			r.Orphans++
			r.OrphanPages += int64(len(in.maps))
			delete(m.inodes, ino)
			delete(m.dirs, ino)
		}
	}
	// Data blocks: inside the disk, one owner each; pages of regular
	// files only.
	owner := map[int64]uint64{}
	for _, ino := range slices.Sorted(maps.Keys(m.inodes)) {
		in := m.inodes[ino]
		if in.attr.Mode&fs.S_IFMT != fs.S_IFREG && len(in.maps) > 0 {
			problem("inode %d is not a regular file but had %d data blocks: freed", ino, len(in.maps))
			in.maps = nil
		}
		for p, b := range in.maps {
			switch {
			case b < 0 || b >= dataBlocks || p < 0:
				problem("page %d of inode %d was in block %d, outside the %d data blocks: dropped", p, ino, b, dataBlocks)
				delete(in.maps, p)
			case owner[b] != 0:
				problem("block %d was page %d of inode %d and of inode %d too: dropped from %d", b, p, ino, owner[b], ino)
				delete(in.maps, p)
			default:
				owner[b] = ino
			}
		}
		r.Inodes++
		r.Pages += int64(len(in.maps))
		switch in.attr.Mode & fs.S_IFMT {
		case fs.S_IFDIR:
			r.Dirs++
		case fs.S_IFREG:
			r.Files++
		}
	}
	return r, nil
}
