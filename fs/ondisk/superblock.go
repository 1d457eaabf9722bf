// Package ondisk owns the on-disk format of k42's file system: its
// superblock (what is written at block 0 of a disk formatted for k42:
// Format; how a disk is recognised as one: Identify; the clear refusal of
// anything else: a blank disk, another file system, random bytes, a
// truncated image, a corrupt or foreign superblock), and the records the
// file system's journal and checkpoints are made of (records.go).
//
// Layout (little-endian, 4 KiB blocks): block 0 is the superblock; then,
// in this order, the journal region, the checkpoint region and the data
// blocks. The superblock records each region's start and length, and a
// CRC-32C of itself; Identify checks that the regions follow one another
// without overlap and fit in the file system, and the file system in the
// disk. The superblock is written once, by Format.
//
//   - The journal region: its first two blocks are the checkpoint
//     headers (the valid one with the higher sequence number is current);
//     the rest is the log, a run of commits from its first block on.
//   - The checkpoint region: two halves, A and B. A checkpoint is the
//     whole of the file system's metadata as records, written into the
//     half the current header does not name; then the other header slot
//     is written to name it. Either header names a whole checkpoint.
//   - The data blocks: one 4 KiB page of a file each. Which are in use is
//     not stored: it is the set of blocks the inodes' page maps name,
//     rebuilt at mount (a block no map names is free).
//
// Limits: 4 KiB blocks only; at least 64 blocks (256 KiB); at most 2^40
// blocks (4 PiB); Superblock.Inodes inodes (one per 512 bytes of a
// checkpoint half); a checkpoint must fit its half.
//
// Execution context: ordinary Go (the kernel's file system, host
// commands and tests); nothing here keeps state.
package ondisk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"k42/mm/blockdev"
)

// BlockSize is the file system's block size.
const BlockSize = 4096

// Magic opens the superblock.
var Magic = [8]byte{'k', '4', '2', 'f', 's', 0, 0, 1}

// Version is the format this package writes and reads.
const Version = 2

// Limits of the format.
const (
	MinBlocks = 64
	MaxBlocks = 1 << 40
	ckptInode = 512 // bytes of a checkpoint half per inode allowed
)

// Superblock describes a formatted disk.
type Superblock struct {
	Version      uint32
	BlockSize    uint32
	Blocks       uint64 // the file system's size
	JournalStart uint64 // two checkpoint headers, then the log
	JournalLen   uint64
	CkptStart    uint64 // the two checkpoint halves
	CkptLen      uint64
	DataStart    uint64
	Inodes       uint64 // the most inodes the file system holds
	UUID         [16]byte
	Created      int64 // Unix nanoseconds
}

// Offsets of the fields in block 0 (the rest is zero up to the checksum).
const (
	offMagic   = 0
	offVersion = 8
	offBlkSize = 12
	offBlocks  = 16
	offJStart  = 24
	offJLen    = 32
	offCStart  = 40
	offCLen    = 48
	offDStart  = 72
	offInodes  = 80
	offUUID    = 88
	offCreated = 104
	offCRC     = BlockSize - 4
)

var le = binary.LittleEndian

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// words are the superblock's 64-bit fields with their offsets in block 0,
// for Encode and Identify alike.
func (s *Superblock) words() [7]struct {
	off int
	v   *uint64
} {
	return [7]struct {
		off int
		v   *uint64
	}{{offBlocks, &s.Blocks}, {offJStart, &s.JournalStart}, {offJLen, &s.JournalLen},
		{offCStart, &s.CkptStart}, {offCLen, &s.CkptLen},
		{offDStart, &s.DataStart}, {offInodes, &s.Inodes}}
}

// Encode returns the superblock as block 0.
func (s *Superblock) Encode() []byte {
	b := make([]byte, BlockSize)
	copy(b[offMagic:], Magic[:])
	le.PutUint32(b[offVersion:], s.Version)
	le.PutUint32(b[offBlkSize:], s.BlockSize)
	for _, f := range s.words() {
		le.PutUint64(b[f.off:], *f.v)
	}
	copy(b[offUUID:], s.UUID[:])
	le.PutUint64(b[offCreated:], uint64(s.Created))
	le.PutUint32(b[offCRC:], crc32.Checksum(b[:offCRC], castagnoli))
	return b
}

// Layout computes the regions of a file system of blocks blocks.
func Layout(blocks uint64, uuid [16]byte, created int64) (*Superblock, error) {
	if blocks < MinBlocks || blocks > MaxBlocks {
		return nil, fmt.Errorf("ondisk: %d blocks of %d bytes: a k42 file system has %d to %d", blocks, BlockSize, MinBlocks, uint64(MaxBlocks))
	}
	s := &Superblock{Version: Version, BlockSize: BlockSize, Blocks: blocks, UUID: uuid, Created: created}
	s.JournalStart = 1
	s.JournalLen = min(max(blocks/64, 16), 2048) // 1/64 of the disk, 64 KiB to 8 MiB
	half := max(blocks/64, 4)                    // each checkpoint half: 1/64 of the disk
	s.CkptStart = s.JournalStart + s.JournalLen
	s.CkptLen = 2 * half
	s.Inodes = min(half*BlockSize/ckptInode, 1<<32)
	s.DataStart = s.CkptStart + s.CkptLen
	if s.DataStart >= blocks {
		return nil, fmt.Errorf("ondisk: %d blocks leave no room for data after the metadata's %d", blocks, s.DataStart)
	}
	return s, nil
}

// Format writes a new, empty file system's superblock over dev (whole
// blocks of the device's size must make whole file-system blocks) and
// zeroes its checkpoint headers and the log's first block, and flushes. A disk with no valid
// checkpoint header is an empty file system (fs/diskfs makes its root).
func Format(dev blockdev.Device, uuid [16]byte, created int64) (*Superblock, error) {
	bs := dev.BlockSize()
	if bs <= 0 || BlockSize%bs != 0 {
		return nil, fmt.Errorf("ondisk: a device block of %d bytes does not divide %d", bs, BlockSize)
	}
	s, err := Layout(uint64(dev.Blocks())*uint64(bs)/BlockSize, uuid, created)
	if err != nil {
		return nil, err
	}
	per := int64(BlockSize / bs)
	// Both checkpoint headers and the log's first block: a disk formatted
	// again keeps nothing of its last life (its old commits start at the
	// log's first block, with the sequence numbers a new log has).
	if err := dev.WriteBlocks(int64(s.JournalStart)*per, make([]byte, 3*BlockSize)); err != nil {
		return nil, fmt.Errorf("ondisk: writing the checkpoint headers: %w", err)
	}
	if err := dev.WriteBlocks(0, s.Encode()); err != nil {
		return nil, fmt.Errorf("ondisk: writing the superblock: %w", err)
	}
	return s, dev.Flush()
}

// Errors Identify wraps: the kinds of disks that are not ours.
var (
	ErrBlank   = errors.New("the disk is blank")
	ErrForeign = errors.New("the disk holds another file system")
	ErrNotOurs = errors.New("not a k42 file system")
	ErrCorrupt = errors.New("the k42 superblock is corrupt")
	ErrTooBig  = errors.New("the file system is larger than the disk")
	ErrSmall   = errors.New("the disk is too small")
)

// foreign lists signatures of other formats: where they are and what
// they say.
var foreign = []struct {
	name string
	off  int
	sig  []byte
}{
	{"ext2/ext3/ext4", 1080, []byte{0x53, 0xef}},
	{"XFS", 0, []byte("XFSB")},
	{"Btrfs", 0x10040, []byte("_BHRfS_M")},
	{"LUKS", 0, []byte("LUKS\xba\xbe")},
	{"a Linux swap area", 4086, []byte("SWAPSPACE2")},
	{"ISO 9660", 0x8001, []byte("CD001")},
	{"FAT", 0x36, []byte("FAT")},
	{"FAT32", 0x52, []byte("FAT32")},
}

// Identify reads dev's superblock and returns it if dev holds a k42 file
// system; otherwise an error that says what dev holds instead, or what is
// wrong with its superblock.
func Identify(dev blockdev.Device) (*Superblock, error) {
	bs := dev.BlockSize()
	size := int64(bs) * dev.Blocks()
	if bs <= 0 || BlockSize%bs != 0 {
		return nil, fmt.Errorf("%w: device blocks of %d bytes do not divide %d", ErrNotOurs, bs, BlockSize)
	}
	if size < MinBlocks*BlockSize {
		return nil, fmt.Errorf("%w: %d bytes, a k42 file system needs at least %d", ErrSmall, size, MinBlocks*BlockSize)
	}
	head := make([]byte, min(size, 0x11000)) // block 0 and the other formats' signatures
	head = head[:int64(len(head))/int64(bs)*int64(bs)]
	if err := dev.ReadBlocks(0, head); err != nil {
		return nil, fmt.Errorf("ondisk: reading the superblock: %w", err)
	}
	b := head[:BlockSize]
	if !bytes.Equal(b[:len(Magic)], Magic[:]) {
		for _, f := range foreign {
			if f.off+len(f.sig) <= len(head) && bytes.Equal(head[f.off:f.off+len(f.sig)], f.sig) {
				return nil, fmt.Errorf("%w (%s)", ErrForeign, f.name)
			}
		}
		if allZero(head) {
			return nil, fmt.Errorf("%w: its first %d KiB are zeros (format it first)", ErrBlank, len(head)>>10)
		}
		return nil, fmt.Errorf("%w: block 0 starts %q, not the superblock's magic %q", ErrNotOurs, b[:len(Magic)], Magic[:])
	}
	if got, want := le.Uint32(b[offCRC:]), crc32.Checksum(b[:offCRC], castagnoli); got != want {
		return nil, fmt.Errorf("%w: its checksum is %08x, its bytes give %08x", ErrCorrupt, got, want)
	}
	s := &Superblock{Version: le.Uint32(b[offVersion:]), BlockSize: le.Uint32(b[offBlkSize:])}
	for _, f := range s.words() {
		*f.v = le.Uint64(b[f.off:])
	}
	copy(s.UUID[:], b[offUUID:])
	s.Created = int64(le.Uint64(b[offCreated:]))
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if have := uint64(size) / BlockSize; s.Blocks > have {
		return nil, fmt.Errorf("%w: it has %d blocks, the disk %d (a truncated image?)", ErrTooBig, s.Blocks, have)
	}
	return s, nil
}

// check validates a decoded superblock's fields and layout.
func (s *Superblock) check() error {
	switch {
	case s.Version != Version:
		return fmt.Errorf("format version %d (this kernel reads %d)", s.Version, Version)
	case s.BlockSize != BlockSize:
		return fmt.Errorf("block size %d (the format has %d)", s.BlockSize, BlockSize)
	case s.Blocks < MinBlocks || s.Blocks > MaxBlocks:
		return fmt.Errorf("%d blocks, outside %d..%d", s.Blocks, MinBlocks, uint64(MaxBlocks))
	}
	regions := []struct {
		name       string
		start, len uint64
	}{{"journal", s.JournalStart, s.JournalLen}, {"checkpoint region", s.CkptStart, s.CkptLen}}
	at := uint64(1)
	for _, r := range regions {
		if r.start != at || r.len == 0 || r.len > s.Blocks {
			return fmt.Errorf("the %s is at block %d, %d blocks long: it should start at %d and be non-empty", r.name, r.start, r.len, at)
		}
		at += r.len
	}
	if s.DataStart != at || s.DataStart >= s.Blocks {
		return fmt.Errorf("the data blocks start at %d: they should start at %d, inside the %d blocks", s.DataStart, at, s.Blocks)
	}
	if s.JournalLen < 4 {
		return fmt.Errorf("a %d-block journal has no room for a log", s.JournalLen)
	}
	if s.CkptLen%2 != 0 {
		return fmt.Errorf("a %d-block checkpoint region does not split in two halves", s.CkptLen)
	}
	if s.Inodes == 0 || s.Inodes > 1<<32 || s.Inodes*ckptInode > s.CkptLen/2*BlockSize {
		return fmt.Errorf("%d inodes do not fit a checkpoint half of %d blocks", s.Inodes, s.CkptLen/2)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
