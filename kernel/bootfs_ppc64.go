package kernel

import (
	"k42/kernel/initrd"
	"k42/kernel/linux"
)

// The boot file server: files before the file system. The Go runtime
// runs every package's initialiser before the one that starts the
// file-system servers (fs/rootfs depends on packages such as time, whose
// test initialiser reads $GOROOT/lib/time/zoneinfo.zip), so a file call
// made that early has no server to go to. For those calls the trap layer
// serves the initial RAM archive itself, read-only: an open for reading
// of a regular file the archive holds (a path relative to k42.cwd, "."
// and ".." resolved) gets a boot desc, which read, pread64, lseek, fstat
// and close serve from the archive in place. Anything else is ENOENT, as
// before there is a file system. A boot desc stays valid after the
// servers start; the file system has its own copy of the same files.

// bootPath is the scratch buffer of bootOpen's path resolution; sched
// guards it.
var bootPath [linux.PATH_MAX]byte

// bootOpen serves an open (dirfd, path at addr, flags) made before any
// server registered. sched is held.
func bootOpen(dirfd int64, addr uint64, flags uint32) int64 {
	a := InitrdBytes()
	if a == nil || flags&linux.O_ACCMODE != linux.O_RDONLY || flags&(linux.O_CREAT|linux.O_TRUNC|linux.O_DIRECTORY|linux.O_PATH) != 0 {
		return -eNOENT
	}
	if dirfd != linux.AT_FDCWD {
		return -eNOENT // no directory can be open yet
	}
	var raw [linux.PATH_MAX]byte
	n, e := copyPath(&raw, addr)
	if e != 0 {
		return e
	}
	if n <= 0 {
		return -eNOENT
	}
	// The absolute path, in bootPath: the working directory (k42.cwd)
	// first if the path is relative.
	l := 0
	if raw[0] != '/' {
		cwd := bootOption("k42.cwd=")
		if len(cwd) == 0 || cwd[0] != '/' || len(cwd)+1+int(n) > len(bootPath) {
			return -eNOENT
		}
		l = copy(bootPath[:], cwd)
		bootPath[l] = '/'
		l++
	}
	if l+int(n) > len(bootPath) {
		return -int64(linux.ENAMETOOLONG)
	}
	l += copy(bootPath[l:], raw[:n])
	name := cleanPath(bootPath[:l])
	e2, off, ok := initrd.Lookup(a, name)
	if !ok || e2.Mode&initrd.ModeType != initrd.ModeRegular {
		return -eNOENT
	}
	fd, d := openDesc(descBoot, linux.O_RDONLY|flags&linux.O_NONBLOCK, flags&linux.O_CLOEXEC != 0)
	if fd < 0 {
		return fd
	}
	descs[d].index, descs[d].count = int32(off), 0
	return fd
}

// cleanPath resolves "//", "." and ".." in the absolute path p in place
// and returns it without its leading "/", as the archive names members.
func cleanPath(p []byte) []byte {
	w := 0 // p[:w] is the result so far, each component preceded by '/'
	for r := 0; r < len(p); {
		for r < len(p) && p[r] == '/' {
			r++
		}
		s := r
		for r < len(p) && p[r] != '/' {
			r++
		}
		c := p[s:r]
		switch {
		case len(c) == 0, len(c) == 1 && c[0] == '.':
		case len(c) == 2 && c[0] == '.' && c[1] == '.':
			for w > 0 && p[w-1] != '/' {
				w--
			}
			if w > 0 {
				w-- // the '/' before the dropped component
			}
		default:
			p[w] = '/'
			w++
			w += copy(p[w:], c)
		}
	}
	if w == 0 {
		return p[:0]
	}
	return p[1:w]
}

// bootOption returns the value of the boot word prefix... (a kernel
// option such as "k42.cwd="), or nil.
func bootOption(prefix string) []byte {
	words := BootArgBytes()
	var val []byte
	for s := 0; s < len(words); {
		e := s
		for e < len(words) && words[e] != 0 {
			e++
		}
		w := words[s:e]
		if len(w) >= len(prefix) && string(w[:len(prefix)]) == prefix {
			val = w[len(prefix):] // the last one wins, as for other options
		}
		s = e + 1
	}
	return val
}

// bootEntry is the archive member of boot desc x.
func bootEntry(x *desc) initrd.Entry {
	e, _, _ := initrd.Next(InitrdBytes(), int(x.index))
	return e
}

// bootRead reads up to n bytes at off (or at the desc's offset, which it
// advances, if off < 0) into buf. sched is held; buf is checked.
func bootRead(x *desc, buf, n uint64, off int64) int64 {
	data := bootEntry(x).Data
	pos := off
	if off < 0 {
		pos = int64(x.count)
	}
	if pos >= int64(len(data)) {
		return 0
	}
	k := copy(user(buf, int(min(n, uint64(len(data))-uint64(pos)))), data[pos:])
	if off < 0 {
		x.count += uint64(k)
	}
	return int64(k)
}

// bootSeek serves lseek of boot desc x.
func bootSeek(x *desc, off int64, whence int) int64 {
	size := int64(len(bootEntry(x).Data))
	switch whence {
	case 0:
	case 1:
		off += int64(x.count)
	case 2:
		off += size
	default:
		return -eINVAL
	}
	if off < 0 {
		return -eINVAL
	}
	x.count = uint64(off)
	return off
}

// bootStat describes boot desc x.
func bootStat(x *desc) statInfo {
	e := bootEntry(x)
	return statInfo{dev: 0xb, ino: uint64(x.index) + 1, mode: e.Mode, nlink: 1, blksize: 4096, size: int64(len(e.Data))}
}
