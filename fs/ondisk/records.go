package ondisk

import (
	"errors"
	"fmt"
	"hash/crc32"

	"k42/fs"
)

// Record kinds. A commit of the log and a checkpoint are both a run of
// records; each record states part of the metadata absolutely (not as a
// change to what was there), so replaying one over a state that already
// has it changes nothing.
const (
	RecInode = 1 + iota // an inode's attributes (created if new)
	RecEntry            // a name in a directory refers to an inode, or (inode 0) to nothing
	RecMap              // pages of a file are in data blocks
	RecUnmap            // a file's pages at and beyond one are gone
	RecFree             // an inode is gone, and its pages
)

// Record is one record. Which fields count depends on Kind.
type Record struct {
	Kind  uint8
	Ino   uint64        // the inode (RecEntry: the directory)
	Inode fs.ImageInode // RecInode
	Name  string        // RecEntry
	Child uint64        // RecEntry: the inode named, 0 for none
	Page  int64         // RecMap: the first page; RecUnmap: the first page gone
	Block int64         // RecMap: the data block (counted from DataStart) of Page
	Count int64         // RecMap: pages Page.. in blocks Block..
}

// Append encodes r at the end of b.
func (r *Record) Append(b []byte) []byte {
	b = append(b, r.Kind)
	b = le.AppendUint64(b, r.Ino)
	switch r.Kind {
	case RecInode:
		in := &r.Inode
		b = le.AppendUint32(b, in.Mode)
		b = le.AppendUint32(b, in.Uid)
		b = le.AppendUint32(b, in.Gid)
		b = le.AppendUint64(b, uint64(in.Size))
		for _, t := range []fs.Timespec{in.Atime, in.Mtime, in.Ctime, in.Btime} {
			b = le.AppendUint64(b, uint64(t.Sec))
			b = le.AppendUint32(b, uint32(t.Nsec))
		}
		b = le.AppendUint64(b, in.Rdev)
		b = le.AppendUint16(b, uint16(len(in.Target)))
		b = append(b, in.Target...)
	case RecEntry:
		b = le.AppendUint64(b, r.Child)
		b = append(b, byte(len(r.Name)))
		b = append(b, r.Name...)
	case RecMap:
		b = le.AppendUint64(b, uint64(r.Page))
		b = le.AppendUint64(b, uint64(r.Block))
		b = le.AppendUint32(b, uint32(r.Count))
	case RecUnmap:
		b = le.AppendUint64(b, uint64(r.Page))
	}
	return b
}

// ErrRecord is the error of a record that does not decode.
var ErrRecord = errors.New("ondisk: bad record")

// Decode decodes the record at the start of b and returns the rest.
func Decode(b []byte, r *Record) ([]byte, error) {
	d := decoder{b: b}
	*r = Record{Kind: d.u8(), Ino: d.u64()}
	switch r.Kind {
	case RecInode:
		in := &r.Inode
		in.Ino = r.Ino
		in.Mode, in.Uid, in.Gid = d.u32(), d.u32(), d.u32()
		in.Size = int64(d.u64())
		for _, t := range []*fs.Timespec{&in.Atime, &in.Mtime, &in.Ctime, &in.Btime} {
			t.Sec, t.Nsec = int64(d.u64()), int64(d.u32())
		}
		in.Rdev = d.u64()
		in.Target = string(d.bytes(int(d.u16())))
	case RecEntry:
		r.Child = d.u64()
		r.Name = string(d.bytes(int(d.u8())))
	case RecMap:
		r.Page, r.Block, r.Count = int64(d.u64()), int64(d.u64()), int64(d.u32())
	case RecUnmap:
		r.Page = int64(d.u64())
	case RecFree:
	default:
		if d.err == nil {
			return nil, fmt.Errorf("%w: kind %d", ErrRecord, r.Kind)
		}
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: kind %d cut short", ErrRecord, r.Kind)
	}
	return d.b, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.err = ErrRecord
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
func (d *decoder) u8() uint8 {
	if v := d.bytes(1); v != nil {
		return v[0]
	}
	return 0
}
func (d *decoder) u16() uint16 {
	if v := d.bytes(2); v != nil {
		return le.Uint16(v)
	}
	return 0
}
func (d *decoder) u32() uint32 {
	if v := d.bytes(4); v != nil {
		return le.Uint32(v)
	}
	return 0
}
func (d *decoder) u64() uint64 {
	if v := d.bytes(8); v != nil {
		return le.Uint64(v)
	}
	return 0
}

// Chunk magics: a commit of the log, a checkpoint, a checkpoint header.
const (
	MagicCommit = 0x4b34324a // "K42J"
	MagicCkpt   = 0x4b343243 // "K42C"
	MagicHeader = 0x4b343248 // "K42H"
)

// chunkHead is the size of a chunk's header: magic, sequence number,
// payload length, CRC-32C of the rest.
const chunkHead = 4 + 8 + 4 + 4

// SealChunk returns payload as whole blocks opened by a header: magic,
// seq, the payload's length and a CRC-32C over all of it, so that a chunk
// any of whose blocks did not reach the disk is known for one that did
// not.
func SealChunk(magic uint32, seq uint64, payload []byte) []byte {
	n := (chunkHead + len(payload) + BlockSize - 1) / BlockSize * BlockSize
	b := make([]byte, n)
	le.PutUint32(b[0:], magic)
	le.PutUint64(b[4:], seq)
	le.PutUint32(b[12:], uint32(len(payload)))
	copy(b[chunkHead:], payload)
	crc := crc32.Update(crc32.Checksum(b[:16], castagnoli), castagnoli, payload)
	le.PutUint32(b[16:], crc)
	return b
}

// ChunkBlocks returns how many blocks the chunk whose first block is
// first takes, if first opens a chunk of magic and seq (0 if not).
func ChunkBlocks(first []byte, magic uint32, seq uint64) int {
	if len(first) < BlockSize || le.Uint32(first[0:]) != magic || le.Uint64(first[4:]) != seq {
		return 0
	}
	return (chunkHead + int(le.Uint32(first[12:])) + BlockSize - 1) / BlockSize
}

// OpenChunk returns the payload of the chunk in b (its whole blocks), or
// an error if it is not a whole chunk of magic and seq.
func OpenChunk(b []byte, magic uint32, seq uint64) ([]byte, error) {
	n := ChunkBlocks(b, magic, seq)
	if n == 0 {
		return nil, fmt.Errorf("ondisk: no chunk %08x #%d here", magic, seq)
	}
	if len(b) < n*BlockSize {
		return nil, fmt.Errorf("ondisk: chunk %08x #%d cut short", magic, seq)
	}
	payload := b[chunkHead : chunkHead+int(le.Uint32(b[12:]))]
	crc := crc32.Update(crc32.Checksum(b[:16], castagnoli), castagnoli, payload)
	if crc != le.Uint32(b[16:]) {
		return nil, fmt.Errorf("ondisk: chunk %08x #%d: checksum %08x, its bytes give %08x", magic, seq, le.Uint32(b[16:]), crc)
	}
	return payload, nil
}

// ChunkSeq is the sequence number a chunk's first block gives, and
// whether it opens a chunk of magic at all.
func ChunkSeq(first []byte, magic uint32) (uint64, bool) {
	if len(first) < chunkHead || le.Uint32(first[0:]) != magic {
		return 0, false
	}
	return le.Uint64(first[4:]), true
}

// Header is a checkpoint header: which half holds the checkpoint of
// sequence Seq, how many blocks it takes, and the sequence number of the
// first commit of the log after it.
type Header struct {
	Seq    uint64
	Half   uint32 // 0: A, 1: B
	Blocks uint32
	Next   uint64 // the log's first commit after this checkpoint
}

// Encode returns h as one block (a chunk of its own).
func (h *Header) Encode() []byte {
	p := le.AppendUint32(nil, h.Half)
	p = le.AppendUint32(p, h.Blocks)
	p = le.AppendUint64(p, h.Next)
	return SealChunk(MagicHeader, h.Seq, p)
}

// DecodeHeader decodes a header block; ok is false if it is not a whole
// one.
func DecodeHeader(b []byte) (h Header, ok bool) {
	seq, ok := ChunkSeq(b, MagicHeader)
	if !ok {
		return h, false
	}
	p, err := OpenChunk(b, MagicHeader, seq)
	if err != nil || len(p) != 16 {
		return h, false
	}
	return Header{Seq: seq, Half: le.Uint32(p), Blocks: le.Uint32(p[4:]), Next: le.Uint64(p[8:])}, true
}
