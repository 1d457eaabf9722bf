package serve

import (
	"k42/fs"
	"k42/kernel/linux"
)

// Conversions from the file system's types to Linux's layouts.

func linuxTime(t fs.Timespec) linux.Timespec { return linux.Timespec{Sec: t.Sec, Nsec: t.Nsec} }

// linuxStat fills d, the caller's struct stat, from st field by field
// (no struct stat is built and copied).
func linuxStat(d *linux.Stat, st *fs.Stat) {
	*d = linux.Stat{} // the padding too, as Linux
	d.Dev, d.Ino, d.Nlink, d.Mode, d.UID, d.GID = st.Dev, st.Ino, st.Nlink, st.Mode, st.Uid, st.Gid
	d.Rdev, d.Size, d.Blksize, d.Blocks = st.Rdev, st.Size, st.Blksize, st.Blocks
	d.Atime, d.Mtime, d.Ctime = linuxTime(st.Atime), linuxTime(st.Mtime), linuxTime(st.Ctime)
}

func statxTime(t fs.Timespec) linux.StatxTimestamp {
	return linux.StatxTimestamp{Sec: t.Sec, Nsec: uint32(t.Nsec)}
}

func linuxStatx(st fs.Stat) linux.Statx {
	return linux.Statx{
		Mask:    linux.STATX_BASIC_STATS | linux.STATX_BTIME,
		Blksize: uint32(st.Blksize), Nlink: uint32(st.Nlink), UID: st.Uid, GID: st.Gid, Mode: uint16(st.Mode),
		Ino: st.Ino, Size: uint64(st.Size), Blocks: uint64(st.Blocks),
		Atime: statxTime(st.Atime), Btime: statxTime(st.Btime), Ctime: statxTime(st.Ctime), Mtime: statxTime(st.Mtime),
		RdevMajor: fs.Major(st.Rdev), RdevMinor: fs.Minor(st.Rdev), DevMajor: fs.Major(st.Dev), DevMinor: fs.Minor(st.Dev),
	}
}

func linuxStatfs(s fs.Statfs) linux.Statfs {
	return linux.Statfs{Type: s.Type, Bsize: s.Bsize, Blocks: s.Blocks, Bfree: s.Bfree, Bavail: s.Bavail,
		Files: s.Files, Ffree: s.Ffree, Namelen: s.Namelen, Frsize: s.Frsize}
}
