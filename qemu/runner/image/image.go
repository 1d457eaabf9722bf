// Package image turns a Go-linked ppc64 ELF into an image that QEMU's
// pseries loader can boot.
//
// QEMU's pseries machine (with VOF or SLOF) loads the PT_LOAD segments of an
// ELF and then jumps to the lowest address it loaded, ignoring e_entry. A
// stock Go binary starts its text segment with the ELF and program headers,
// so that first byte is not code. Make rewrites the ELF so that the first
// loaded byte is a relative branch to the kernel's assembly entry point
// (boot.entry) and nothing else about the program changes: every segment
// keeps its addresses, sizes and contents, the header page in memory keeps
// its bytes except the first word.
//
// One more adjustment: QEMU places the initial RAM archive (-initrd) at
// the load address plus the sum of the segments' memory sizes, rounded
// up, as if the segments were contiguous. A Go binary's segments have
// gaps between them, so that address can fall inside the last segment's
// BSS and QEMU refuses to start ("ROM regions are overlapping"). Make
// therefore grows each segment but the last to reach the next one: the
// gaps become zeroed memory that nothing uses, the memory sizes add up to
// the image's span, and the archive lands above the image.
//
// And one patch: the kernel's RuntimeLayout (k42/kernel) gets the
// offsets of a few fields of the runtime's g, m and p, read from the
// ELF's DWARF, so that the trap layer can hand a caller's P to its
// file-system server (kernel/lend_ppc64.go) with the offsets of the
// runtime actually linked.
//
// This is a host-side package: it is used by the runner in qemu/ and by the
// command qemu/mkimage.
package image

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"

	"k42/kernel"
)

// EntrySymbol is the symbol of the kernel's first instruction.
const EntrySymbol = "k42/boot.entry"

// Info describes a finished image.
type Info struct {
	Entry     uint64 // address of the entry symbol
	FirstByte uint64 // lowest loaded address, where the branch was placed
	Segments  int    // PT_LOAD segments written
	Size      int64  // bytes in the image file
}

// Make reads the ELF at in, writes the bootable image to out and reports
// what it wrote.
func Make(in, out string) (Info, error) {
	src, err := os.ReadFile(in)
	if err != nil {
		return Info{}, err
	}
	img, info, err := Build(src)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", in, err)
	}
	if err := os.WriteFile(out, img, 0o644); err != nil {
		return Info{}, err
	}
	return info, nil
}

// Build converts ELF bytes into image bytes.
func Build(src []byte) ([]byte, Info, error) {
	f, err := elf.NewFile(bytes.NewReader(src))
	if err != nil {
		return nil, Info{}, err
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2MSB || f.Machine != elf.EM_PPC64 {
		return nil, Info{}, fmt.Errorf("not a big-endian 64-bit PowerPC ELF (class %v, data %v, machine %v)", f.Class, f.Data, f.Machine)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, Info{}, fmt.Errorf("no symbol table (was the binary stripped?): %w", err)
	}
	var entry uint64
	var layout *elf.Symbol
	for i, s := range syms {
		// Assembly functions carry their ABI in the symbol name.
		if s.Name == EntrySymbol || s.Name == EntrySymbol+".abi0" {
			entry = s.Value
		}
		if s.Name == kernel.RuntimeLayoutSymbol {
			layout = &syms[i]
		}
	}
	var layoutWords [kernel.RLWords]uint64
	if layout != nil {
		if layoutWords, err = runtimeLayout(f); err != nil {
			return nil, Info{}, err
		}
	}
	if entry == 0 {
		return nil, Info{}, fmt.Errorf("symbol %s not found: the program must import k42/boot", EntrySymbol)
	}

	var loads []*elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Memsz > 0 {
			loads = append(loads, p)
		}
	}
	if len(loads) == 0 {
		return nil, Info{}, errors.New("no PT_LOAD segments")
	}
	sort.Slice(loads, func(i, j int) bool { return loads[i].Vaddr < loads[j].Vaddr })
	first := loads[0]
	if first.Filesz < 4 {
		return nil, Info{}, errors.New("first segment has no file contents")
	}
	if entry < first.Vaddr || entry >= first.Vaddr+first.Filesz || first.Flags&elf.PF_X == 0 {
		return nil, Info{}, fmt.Errorf("entry %#x is not in the first, executable segment [%#x,%#x)", entry, first.Vaddr, first.Vaddr+first.Filesz)
	}
	off := int64(entry - first.Vaddr)
	if off >= 1<<25 {
		return nil, Info{}, fmt.Errorf("entry %#x is beyond a relative branch's reach from %#x", entry, first.Vaddr)
	}

	const (
		ehdrSize = 64
		phdrSize = 56
		align    = 0x10000
	)
	be := binary.BigEndian
	var out bytes.Buffer
	hdr := make([]byte, ehdrSize+phdrSize*len(loads))
	copy(hdr, []byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2MSB), byte(elf.EV_CURRENT)})
	be.PutUint16(hdr[16:], uint16(elf.ET_EXEC))
	be.PutUint16(hdr[18:], uint16(elf.EM_PPC64))
	be.PutUint32(hdr[20:], uint32(elf.EV_CURRENT))
	be.PutUint64(hdr[24:], entry)
	be.PutUint64(hdr[32:], ehdrSize) // e_phoff
	be.PutUint64(hdr[40:], 0)        // e_shoff: no sections
	be.PutUint32(hdr[48:], 1)        // e_flags: ELFv1 ABI, as the Go linker writes
	be.PutUint16(hdr[52:], ehdrSize)
	be.PutUint16(hdr[54:], phdrSize)
	be.PutUint16(hdr[56:], uint16(len(loads)))
	be.PutUint16(hdr[58:], 64) // e_shentsize
	out.Write(hdr)

	fileOff := int64(align)
	for i, p := range loads {
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return nil, Info{}, fmt.Errorf("segment %d: %w", i, err)
		}
		if i == 0 {
			// b entry: opcode 18, AA=0, LK=0, 24-bit word displacement.
			be.PutUint32(data, 0x48000000|uint32(off)&0x03fffffc)
		}
		if layout != nil && layout.Value >= p.Vaddr && layout.Value+8*kernel.RLWords <= p.Vaddr+p.Filesz {
			at := data[layout.Value-p.Vaddr:]
			if be.Uint64(at) != kernel.RuntimeLayoutMagic {
				return nil, Info{}, fmt.Errorf("%s at %#x does not start with its marker", kernel.RuntimeLayoutSymbol, layout.Value)
			}
			for w, v := range layoutWords {
				be.PutUint64(at[8*w:], v)
			}
			layout = nil // patched
		}
		// Keep file offset congruent to the address modulo the alignment.
		pa := int64(p.Align)
		if pa < 1 {
			pa = 1
		}
		for fileOff%pa != int64(p.Vaddr)%pa {
			fileOff++
		}
		ph := hdr[ehdrSize+phdrSize*i:]
		be.PutUint32(ph[0:], uint32(elf.PT_LOAD))
		be.PutUint32(ph[4:], uint32(p.Flags))
		be.PutUint64(ph[8:], uint64(fileOff))
		be.PutUint64(ph[16:], p.Vaddr)
		be.PutUint64(ph[24:], p.Vaddr)
		be.PutUint64(ph[32:], p.Filesz)
		memsz := p.Memsz
		if i+1 < len(loads) && loads[i+1].Vaddr > p.Vaddr+memsz {
			memsz = loads[i+1].Vaddr - p.Vaddr // fill the gap (see above)
		}
		be.PutUint64(ph[40:], memsz)
		be.PutUint64(ph[48:], p.Align)
		for int64(out.Len()) < fileOff {
			out.WriteByte(0)
		}
		out.Write(data)
		fileOff += int64(len(data))
	}
	if layout != nil {
		return nil, Info{}, fmt.Errorf("%s at %#x is not in any segment's file contents", kernel.RuntimeLayoutSymbol, layout.Value)
	}
	img := out.Bytes()
	copy(img, hdr) // program headers were filled in after the first write
	return img, Info{Entry: entry, FirstByte: first.Vaddr, Segments: len(loads), Size: int64(len(img))}, nil
}

// runtimeLayout reads, from f's DWARF, the words of the kernel's
// RuntimeLayout: the marker, 1 (filled), and the offsets of the fields
// kernel.RuntimeLayoutFields names.
func runtimeLayout(f *elf.File) ([kernel.RLWords]uint64, error) {
	var words [kernel.RLWords]uint64
	d, err := f.DWARF()
	if err != nil {
		return words, fmt.Errorf("%s needs the image's DWARF (was it built with -ldflags=-w?): %w", kernel.RuntimeLayoutSymbol, err)
	}
	structs := map[string]*dwarf.StructType{}
	for _, sf := range kernel.RuntimeLayoutFields {
		structs[sf[0]] = nil
	}
	found := 0
	r := d.Reader()
	for found < len(structs) {
		e, err := r.Next()
		if err != nil {
			return words, fmt.Errorf("reading DWARF: %w", err)
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if st, want := structs[name]; want && st == nil {
			t, err := d.Type(e.Offset)
			if err != nil {
				return words, fmt.Errorf("DWARF type %s: %w", name, err)
			}
			st, ok := t.(*dwarf.StructType)
			if !ok {
				return words, fmt.Errorf("DWARF type %s is not a struct", name)
			}
			structs[name] = st
			found++
		}
		r.SkipChildren()
	}
	words[kernel.RLMagic], words[kernel.RLFilled] = kernel.RuntimeLayoutMagic, 1
	for i, sf := range kernel.RuntimeLayoutFields {
		st := structs[sf[0]]
		if st == nil {
			return words, fmt.Errorf("no DWARF type %s (for its field %s)", sf[0], sf[1])
		}
		off := int64(-1)
		for _, fl := range st.Field {
			if fl.Name == sf[1] {
				off = fl.ByteOffset
			}
		}
		if off < 0 {
			return words, fmt.Errorf("the runtime's %s has no field %s: this Go release's runtime differs from what the kernel knows", sf[0], sf[1])
		}
		words[kernel.RLGM+i] = uint64(off)
	}
	return words, nil
}
