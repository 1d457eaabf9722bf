package fs

import (
	"bytes"
	"io"
	"syscall"
	"testing"
)

func devFS(t *testing.T) (*FS, *int) {
	fills := new(int)
	fsys := New(Options{Devices: map[uint64]Device{
		DevNull: Null{}, DevZero: Zero{}, DevFull: Full{},
		DevURandom: URandom{Fill: func(p []byte) {
			*fills++
			for i := range p {
				p[i] = byte(i + 1)
			}
		}},
	}})
	must(t, "mkdir", fsys.MkdirAt(nil, "/dev", 0o755))
	for name, rdev := range map[string]uint64{"null": DevNull, "zero": DevZero, "full": DevFull, "urandom": DevURandom, "none": Mkdev(10, 250)} {
		must(t, "mknod", fsys.MknodAt(nil, "/dev/"+name, S_IFCHR|0o666, rdev))
	}
	return fsys, fills
}

func TestDevices(t *testing.T) {
	fsys, fills := devFS(t)
	open := func(name string) *File {
		return mustOpen(t, fsys, nil, "/dev/"+name, syscall.O_RDWR|syscall.O_TRUNC, 0)
	}
	buf := []byte("dirty")

	null := open("null")
	if n, err := null.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("null read: %d %v", n, err)
	}
	if n, err := null.Write([]byte("abc")); n != 3 || err != nil {
		t.Errorf("null write: %d %v", n, err)
	}
	if n, err := null.ReadAt(buf, 100); n != 0 || err != io.EOF {
		t.Errorf("null pread: %d %v", n, err)
	}
	if pos, err := null.Seek(100, io.SeekStart); pos != 0 || err != nil {
		t.Errorf("null seek: %d %v", pos, err)
	}
	wantErrno(t, "ftruncate null", null.Truncate(0), syscall.EINVAL)
	wantErrno(t, "fsync null", null.Sync(), syscall.EINVAL)
	null.Close()

	zero := open("zero")
	if n, err := zero.Read(buf); n != len(buf) || err != nil || !bytes.Equal(buf, make([]byte, len(buf))) {
		t.Errorf("zero read: %d %v %q", n, err, buf)
	}
	if n, err := zero.WriteAt([]byte("abc"), 7); n != 3 || err != nil {
		t.Errorf("zero pwrite: %d %v", n, err)
	}
	zero.Close()

	full := open("full")
	copy(buf, "dirty")
	if n, err := full.Read(buf); n != len(buf) || err != nil || buf[0] != 0 {
		t.Errorf("full read: %d %v", n, err)
	}
	_, err := full.Write([]byte("abc"))
	wantErrno(t, "full write", err, syscall.ENOSPC)
	_, err = full.Write(nil)
	wantErrno(t, "full empty write", err, syscall.ENOSPC)
	full.Close()

	ur := open("urandom")
	if n, err := ur.Read(buf); n != len(buf) || err != nil || buf[4] != 5 || *fills != 1 {
		t.Errorf("urandom read: %d %v %v fills %d", n, err, buf, *fills)
	}
	if n, err := ur.Write([]byte("seed")); n != 4 || err != nil {
		t.Errorf("urandom write: %d %v", n, err)
	}
	ur.Close()

	_, err = fsys.OpenAt(nil, "/dev/none", syscall.O_RDWR, 0)
	wantErrno(t, "open unregistered device", err, syscall.ENXIO)
	must(t, "mknod", fsys.MknodAt(nil, "/blk", S_IFBLK|0o600, Mkdev(8, 0)))
	must(t, "mknod", fsys.MknodAt(nil, "/fifo", S_IFIFO|0o600, 0))
	must(t, "mknod", fsys.MknodAt(nil, "/sock", S_IFSOCK|0o600, 0))
	for _, p := range []string{"/blk", "/sock"} {
		_, err := fsys.OpenAt(nil, p, syscall.O_RDONLY, 0)
		wantErrno(t, "open "+p, err, syscall.ENXIO)
	}
	// A FIFO opens (its data is the kernel's pipe's) and its File refuses
	// the file system's data calls.
	ff, err := fsys.OpenAt(nil, "/fifo", syscall.O_RDWR|syscall.O_TRUNC, 0)
	must(t, "open fifo", err)
	_, err = ff.Read(buf)
	wantErrno(t, "read fifo", err, syscall.EINVAL)
	_, err = ff.Write(buf)
	wantErrno(t, "write fifo", err, syscall.EINVAL)
	_, err = ff.ReadAt(buf, 0)
	wantErrno(t, "pread fifo", err, syscall.ESPIPE)
	_, err = ff.WriteAt(buf, 0)
	wantErrno(t, "pwrite fifo", err, syscall.ESPIPE)
	_, err = ff.Seek(0, 0)
	wantErrno(t, "seek fifo", err, syscall.ESPIPE)
	if st, err := ff.Stat(); err != nil || st.Mode != S_IFIFO|0o600 {
		t.Errorf("fstat fifo: %+v %v", st, err)
	}
	ff.Close()
	for _, p := range []string{"/blk", "/fifo", "/sock"} {
		f, err := fsys.OpenAt(nil, p, O_PATH, 0)
		must(t, "O_PATH open "+p, err)
		f.Close()
	}
	wantErrno(t, "truncate device", fsys.TruncateAt(nil, "/dev/zero", 0), syscall.EINVAL)
	if st := mustStat(t, fsys, "/dev/zero", 0); st.Mode != S_IFCHR|0o666 || st.Rdev != DevZero || st.Size != 0 {
		t.Errorf("stat zero: %+v", st)
	}
	if st := mustStat(t, fsys, "/fifo", 0); st.Rdev != 0 || st.Mode != S_IFIFO|0o600 {
		t.Errorf("stat fifo: %+v", st)
	}
}

func TestMknodTypes(t *testing.T) {
	fsys, _ := newTestFS(t)
	must(t, "mknod type 0", fsys.MknodAt(nil, "/r", 0o640, Mkdev(1, 3)))
	if st := mustStat(t, fsys, "/r", 0); st.Mode != S_IFREG|0o640 || st.Rdev != 0 {
		t.Errorf("mknod type 0: mode %o rdev %d", st.Mode, st.Rdev)
	}
	wantErrno(t, "mknod dir", fsys.MknodAt(nil, "/d", S_IFDIR|0o755, 0), syscall.EPERM)
	wantErrno(t, "mknod bad type", fsys.MknodAt(nil, "/d", 0o170000|0o755, 0), syscall.EINVAL)
	wantErrno(t, "mknod link type", fsys.MknodAt(nil, "/d", S_IFLNK|0o755, 0), syscall.EINVAL)
	// The type is checked before the path.
	wantErrno(t, "mknod dir over existing", fsys.MknodAt(nil, "/r", S_IFDIR, 0), syscall.EPERM)
}

func TestMkdev(t *testing.T) {
	for _, tc := range []struct {
		major, minor uint32
		dev          uint64
	}{
		{1, 3, 0x103},
		{8, 17, 0x811},
		{259, 0x12345, 0x12310300 | 0x45},
		{0xffffffff, 0xffffffff, 0xffffffff_ffffffff},
		{0x1000, 0x100, 0x00001000_00100000},
	} {
		if got := Mkdev(tc.major, tc.minor); got != tc.dev {
			t.Errorf("Mkdev(%d, %d) = %#x, want %#x", tc.major, tc.minor, got, tc.dev)
		}
		if Major(tc.dev) != tc.major || Minor(tc.dev) != tc.minor {
			t.Errorf("Major/Minor(%#x) = %d, %d", tc.dev, Major(tc.dev), Minor(tc.dev))
		}
	}
}
