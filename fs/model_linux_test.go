package fs

// The model-based test: long seeded random sequences of operations run
// against an FS and, as the reference, against the host's own file system
// (Linux, in a t.TempDir), comparing every result, every byte read and
// every errno, and every so often the whole tree.
//
// Both sides see the same tree. The test's root is the directory
// /p/p/.../p/r (padDepth levels of p) on both: paths climbing out of it
// with ".." (or symbolic links holding "..") meet the same empty p
// directories on both sides instead of escaping the host's temporary
// directory, as long as they climb no more than padDepth levels, which the
// generator guarantees. Absolute paths and absolute symbolic-link targets
// are written as the FS sees them and prefixed with the temporary
// directory on the host.
//
// Compared only where Linux specifies them, since the host's file system
// need not be tmpfs: directory sizes, st_blocks, times, inode numbers
// (compared as a bijection within each tree snapshot), readdir order
// (compared as a set) and directory stream offsets are not compared.

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

var (
	modelOps   = flag.Int("fs.ops", 2500, "operations per seed in TestModel")
	modelSeeds = flag.Int("fs.seeds", 6, "seeds TestModel runs (1..N)")
	modelSeed  = flag.Uint64("fs.seed", 0, "run TestModel with only this seed")
	modelEvery = flag.Int("fs.every", 100, "TestModel compares whole trees every this many operations")
)

const (
	padDepth   = 140 // > 3 ".." per symlink target * 40 links + path climbs
	maxHandles = 10
)

func TestModel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the host reference must run as root to share root's permission rules")
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	seeds := []uint64{}
	if *modelSeed != 0 {
		seeds = append(seeds, *modelSeed)
	} else {
		for s := 1; s <= *modelSeeds; s++ {
			seeds = append(seeds, uint64(s))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			m := newModel(t, seed)
			defer m.close()
			for i := 0; i < *modelOps; i++ {
				m.step()
				if i%*modelEvery == *modelEvery-1 {
					m.compareTrees()
				}
			}
			m.compareTrees()
			t.Logf("%d operations, %d failed alike on both sides", *modelOps, m.failed)
		})
	}
}

type handle struct {
	f    *File
	fd   int
	desc string
}

type model struct {
	t         *testing.T
	rng       *rand.Rand
	fs        *FS
	fsRoot    *Node
	fsPrefix  string // the test root in the FS, absolute
	tmp       string // the host directory holding the FS's root
	hostRoot  int    // fd of the test root on the host
	handles   []*handle
	log       []string
	failed    int
	largefile int  // the O_LARGEFILE bit the host's F_GETFL adds
	seekHole  bool // the host file system reports holes by page, as tmpfs does
	exchange  bool // the host supports RENAME_EXCHANGE
	walking   bool // fatalf is walking the tree
}

func newModel(t *testing.T, seed uint64) *model {
	m := &model{
		t:   t,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		fs: New(Options{Devices: map[uint64]Device{
			DevNull: Null{}, DevZero: Zero{}, DevFull: Full{},
		}}),
		tmp: t.TempDir(),
	}
	m.fsPrefix = strings.Repeat("/p", padDepth) + "/r"
	if err := os.MkdirAll(m.tmp+m.fsPrefix, 0o755); err != nil {
		t.Fatal(err)
	}
	p := ""
	for _, c := range strings.Split(m.fsPrefix[1:], "/") {
		p += "/" + c
		must(t, "mkdir pad", m.fs.MkdirAt(nil, p, 0o755))
	}
	var err error
	if m.fsRoot, err = m.fs.Lookup(nil, m.fsPrefix, 0); err != nil {
		t.Fatal(err)
	}
	if m.hostRoot, err = unix.Open(m.tmp+m.fsPrefix, unix.O_RDONLY|unix.O_DIRECTORY, 0); err != nil {
		t.Fatal(err)
	}
	// What F_GETFL adds to the flags of an O_RDONLY open.
	if m.largefile, err = unix.FcntlInt(uintptr(m.hostRoot), unix.F_GETFL, 0); err != nil {
		t.Fatal(err)
	}
	m.largefile &^= unix.O_DIRECTORY
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(m.hostRoot, &sfs); err != nil {
		t.Fatal(err)
	}
	m.seekHole = sfs.Type == unix.EXT4_SUPER_MAGIC || sfs.Type == unix.TMPFS_MAGIC
	// Probe RENAME_EXCHANGE (overlayfs lacks it).
	must(t, "probe", os.WriteFile(m.tmp+m.fsPrefix+"/.x1", nil, 0o644))
	must(t, "probe", os.WriteFile(m.tmp+m.fsPrefix+"/.x2", nil, 0o644))
	m.exchange = unix.Renameat2(m.hostRoot, ".x1", m.hostRoot, ".x2", unix.RENAME_EXCHANGE) == nil
	os.Remove(m.tmp + m.fsPrefix + "/.x1")
	os.Remove(m.tmp + m.fsPrefix + "/.x2")
	return m
}

func (m *model) close() {
	for _, h := range m.handles {
		h.f.Close()
		unix.Close(h.fd)
	}
	unix.Close(m.hostRoot)
}

func (m *model) logf(format string, args ...any) {
	s := strings.ReplaceAll(fmt.Sprintf(format, args...), m.fsPrefix, "$ROOT")
	s = strings.ReplaceAll(s, strings.Repeat("n", 255), "n{255}")
	m.log = append(m.log, s)
	if len(m.log) > 60 {
		m.log = m.log[len(m.log)-40:]
	}
}

func (m *model) fatalf(format string, args ...any) {
	m.t.Helper()
	var tree []string
	if !m.walking {
		m.walking = true
		ft := map[string]treeNode{}
		m.walkFS(m.fsRoot, ".", ft)
		for p, n := range ft {
			tree = append(tree, fmt.Sprintf("%s %o %d", p, n.Stat.Type|n.Stat.Mode, n.Stat.Nlink))
		}
		sort.Strings(tree)
	}
	m.t.Fatalf("%s\nrecent operations (last is the failing one):\n  %s\nthe FS's tree:\n  %s",
		fmt.Sprintf(format, args...), strings.Join(m.log, "\n  "), strings.Join(tree, "\n  "))
}

// check compares one operation's results on both sides.
func (m *model) check(fsRes, hostRes any) {
	m.t.Helper()
	if !reflect.DeepEqual(fsRes, hostRes) {
		m.fatalf("results differ:\n  fs:   %+v\n  host: %+v", fsRes, hostRes)
	}
}

// checkErr compares errnos and counts failures.
func (m *model) checkErr(fsErr error, hostErr error) bool {
	m.t.Helper()
	fe, he := Errno(fsErr), hostErrno(hostErr)
	if fe != he {
		m.fatalf("errno differs: fs %v (%d) [%v], host %v (%d)", fe, int(fe), fsErr, he, int(he))
	}
	if fe != 0 {
		m.failed++
	}
	return fe == 0
}

func hostErrno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if en, ok := err.(unix.Errno); ok {
		return syscall.Errno(en)
	}
	panic(fmt.Sprintf("host error without errno: %v", err))
}

// Paths.

var modelNames = []string{"a", "b", "c", "d"}

func (m *model) prob(p float64) bool { return m.rng.Float64() < p }

// relPath makes a path of up to max components, each climbing at most
// one level.
func (m *model) relPath(max int) string {
	k := 1 + m.rng.IntN(max)
	parts := make([]string, k)
	for i := range parts {
		switch r := m.rng.IntN(40); {
		case r == 0:
			parts[i] = "."
		case r <= 2:
			parts[i] = ".."
		case r == 3:
			parts[i] = strings.Repeat("n", 255+m.rng.IntN(2)) // 255 fits, 256 does not
		default:
			parts[i] = modelNames[m.rng.IntN(len(modelNames))]
		}
	}
	sep := "/"
	if m.prob(0.05) {
		sep = "//"
	}
	p := strings.Join(parts, sep)
	if m.prob(0.08) {
		p += "/"
	}
	return p
}

// path returns a path argument as each side sees it.
func (m *model) path() (fsPath, hostPath string) {
	if m.prob(0.01) {
		return "", ""
	}
	p := m.relPath(3)
	if m.prob(0.1) {
		return m.fsPrefix + "/" + p, m.tmp + m.fsPrefix + "/" + p
	}
	return p, p
}

// target returns a symbolic link's target as each side stores it.
func (m *model) target() (string, string) {
	p := m.relPath(3)
	if m.prob(0.15) {
		return m.fsPrefix + "/" + p, m.tmp + m.fsPrefix + "/" + p
	}
	return p, p
}

// unmapHost turns a target or path read on the host into the FS's form.
func (m *model) unmapHost(s string) string {
	if strings.HasPrefix(s, m.tmp+"/") {
		return s[len(m.tmp):]
	}
	return s
}

// dir picks the directory a path starts from: mostly the test root,
// sometimes an open File (maybe not a directory).
func (m *model) dir() (*Node, int, string) {
	if len(m.handles) > 0 && m.prob(0.25) {
		h := m.handles[m.rng.IntN(len(m.handles))]
		return h.f.Node(), h.fd, h.desc
	}
	return m.fsRoot, m.hostRoot, "root"
}

func (m *model) handle() *handle {
	if len(m.handles) == 0 {
		return nil
	}
	return m.handles[m.rng.IntN(len(m.handles))]
}

func (m *model) data() []byte {
	var n int
	switch r := m.rng.IntN(10); {
	case r == 0:
		n = 0
	case r < 5:
		n = 1 + m.rng.IntN(100)
	default:
		n = 1 + m.rng.IntN(3*PageSize)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(m.rng.Uint32())
	}
	return b
}

func (m *model) offset() int64 {
	switch r := m.rng.IntN(20); {
	case r == 0:
		return -1 - m.rng.Int64N(10)
	case r < 8:
		return m.rng.Int64N(200)
	default:
		return m.rng.Int64N(6 * PageSize)
	}
}

func (m *model) mode() uint32 {
	mode := uint32(m.rng.IntN(0o1000))
	if m.prob(0.1) {
		mode |= uint32(m.rng.IntN(8)) << 9
	}
	return mode
}

func (m *model) owner() int {
	switch m.rng.IntN(4) {
	case 0:
		return -1
	case 1:
		return 1000
	}
	return 0
}

// Stat comparison.

type statView struct {
	Type, Mode   uint32
	Nlink        uint64
	Uid, Gid     uint32
	Size         int64 // regular files and devices only
	Rdev         uint64
	Major, Minor uint32
}

func fsStatView(st Stat) statView {
	v := statView{Type: st.Mode & S_IFMT, Mode: st.Mode &^ S_IFMT, Nlink: st.Nlink, Uid: st.Uid, Gid: st.Gid, Size: -1}
	if v.Type == S_IFREG || v.Type == S_IFCHR {
		v.Size = st.Size
	}
	if v.Type == S_IFCHR || v.Type == S_IFBLK {
		v.Major, v.Minor = Major(st.Rdev), Minor(st.Rdev)
	}
	return v
}

func hostStatView(st *unix.Stat_t) statView {
	v := statView{Type: st.Mode & S_IFMT, Mode: st.Mode &^ S_IFMT, Nlink: uint64(st.Nlink), Uid: st.Uid, Gid: st.Gid, Size: -1}
	if v.Type == S_IFREG || v.Type == S_IFCHR {
		v.Size = st.Size
	}
	if v.Type == S_IFCHR || v.Type == S_IFBLK {
		v.Major, v.Minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
	}
	return v
}

// Operations.

func (m *model) step() {
	type op struct {
		weight int
		run    func()
	}
	ops := []op{
		{12, m.opOpen}, {4, m.opClose}, {8, m.opRead}, {8, m.opWrite}, {5, m.opPread},
		{5, m.opPwrite}, {4, m.opSeek}, {3, m.opFtruncate}, {3, m.opFstat}, {1, m.opFchmod},
		{1, m.opFchown}, {1, m.opFsync}, {3, m.opReaddir}, {1, m.opFlags}, {1, m.opFutimens},
		{6, m.opMkdir}, {2, m.opMknod}, {5, m.opUnlink}, {4, m.opRmdir}, {7, m.opRename},
		{3, m.opLink}, {4, m.opSymlink}, {2, m.opReadlink}, {4, m.opStat}, {2, m.opChmod},
		{1, m.opChown}, {1, m.opUtimens}, {2, m.opAccess}, {2, m.opTruncate}, {1, m.opGetcwd},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	r := m.rng.IntN(total)
	for _, o := range ops {
		if r < o.weight {
			o.run()
			return
		}
		r -= o.weight
	}
}

func (m *model) opOpen() {
	if len(m.handles) >= maxHandles {
		m.closeHandle(m.rng.IntN(len(m.handles)))
	}
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	flags := []int{unix.O_RDONLY, unix.O_WRONLY, unix.O_RDWR}[m.rng.IntN(3)]
	for _, f := range []struct {
		flag int
		p    float64
	}{
		{unix.O_CREAT, 0.45}, {unix.O_EXCL, 0.12}, {unix.O_TRUNC, 0.12}, {unix.O_APPEND, 0.2},
		{unix.O_DIRECTORY, 0.12}, {unix.O_NOFOLLOW, 0.1}, {unix.O_PATH, 0.05},
		{unix.O_NONBLOCK, 0.1}, {unix.O_CLOEXEC, 0.3}, {unix.O_NOATIME, 0.05},
	} {
		if m.prob(f.p) {
			flags |= f.flag
		}
	}
	if m.prob(0.03) {
		flags = unix.O_RDONLY | unix.O_DIRECTORY // a directory handle to start paths from
	}
	mode := m.mode()
	m.logf("open(%s, %q, %#x, %o)", dd, fp, flags, mode)
	f, ferr := m.fs.OpenAt(dir, fp, flags, mode)
	fd, herr := unix.Openat(dfd, hp, flags, mode)
	if !m.checkErr(ferr, herr) {
		return
	}
	h := &handle{f: f, fd: fd, desc: fmt.Sprintf("h(%s %q %#x)", dd, fp, flags)}
	m.handles = append(m.handles, h)
	m.compareFstat(h)
}

func (m *model) closeHandle(i int) {
	h := m.handles[i]
	m.logf("close(%s)", h.desc)
	m.checkErr(h.f.Close(), unix.Close(h.fd))
	m.handles = slices.Delete(m.handles, i, i+1)
}

func (m *model) opClose() {
	if len(m.handles) > 0 {
		m.closeHandle(m.rng.IntN(len(m.handles)))
	}
}

func (m *model) compareFstat(h *handle) {
	fst, ferr := h.f.Stat()
	var hst unix.Stat_t
	herr := unix.Fstat(h.fd, &hst)
	if m.checkErr(ferr, herr) {
		m.check(fsStatView(fst), hostStatView(&hst))
	}
}

// ioResult is a read's or write's outcome as a system call reports it: a
// count, or an errno if the count is 0.
type ioResult struct {
	N     int
	Errno syscall.Errno
	Data  []byte
}

func fsIO(n int, err error, data []byte) ioResult {
	r := ioResult{N: n, Data: data}
	if n == 0 {
		r.Errno = Errno(err)
	}
	return r
}

func hostIO(n int, err error, data []byte) ioResult {
	if n < 0 {
		n = 0
	}
	return ioResult{N: n, Errno: hostErrno(err), Data: data}
}

func (m *model) readLen() int {
	if m.prob(0.05) {
		return 0
	}
	return 1 + m.rng.IntN(3*PageSize)
}

func (m *model) opRead() {
	h := m.handle()
	if h == nil {
		return
	}
	n := m.readLen()
	if m.isDirHandle(h) {
		// ext4 leaves a directory's offset at 2^63-1 after the last
		// entry, where read(2) fails with EINVAL before it can say EISDIR.
		h.f.Seek(0, io.SeekStart)
		unix.Seek(h.fd, 0, io.SeekStart)
	}
	m.logf("read(%s, %d)", h.desc, n)
	fb, hb := make([]byte, n), make([]byte, n)
	fn, ferr := h.f.Read(fb)
	hn, herr := unix.Read(h.fd, hb)
	m.check(fsIO(fn, ferr, fb[:max(fn, 0)]), hostIO(hn, herr, hb[:max(hn, 0)]))
}

func (m *model) opPread() {
	h := m.handle()
	if h == nil {
		return
	}
	n, off := m.readLen(), m.offset()
	m.logf("pread(%s, %d, %d)", h.desc, n, off)
	fb, hb := make([]byte, n), make([]byte, n)
	fn, ferr := h.f.ReadAt(fb, off)
	hn, herr := unix.Pread(h.fd, hb, off)
	m.check(fsIO(fn, ferr, fb[:max(fn, 0)]), hostIO(hn, herr, hb[:max(hn, 0)]))
}

func (m *model) opWrite() {
	h := m.handle()
	if h == nil {
		return
	}
	b := m.data()
	m.logf("write(%s, %d bytes)", h.desc, len(b))
	fn, ferr := h.f.Write(b)
	hn, herr := unix.Write(h.fd, b)
	m.check(fsIO(fn, ferr, nil), hostIO(hn, herr, nil))
}

func (m *model) opPwrite() {
	h := m.handle()
	if h == nil {
		return
	}
	b, off := m.data(), m.offset()
	m.logf("pwrite(%s, %d bytes, %d)", h.desc, len(b), off)
	fn, ferr := h.f.WriteAt(b, off)
	hn, herr := unix.Pwrite(h.fd, b, off)
	m.check(fsIO(fn, ferr, nil), hostIO(hn, herr, nil))
}

func (m *model) isDirHandle(h *handle) bool {
	st, err := h.f.Stat()
	return err == nil && st.IsDir()
}

func (m *model) opSeek() {
	h := m.handle()
	if h == nil {
		return
	}
	off, whence := m.offset(), m.rng.IntN(6)
	if whence >= 3 && !m.seekHole {
		whence = io.SeekEnd
	}
	if m.isDirHandle(h) {
		// Directory positions are the file system's own cookies: only
		// rewinding means the same on both sides.
		off, whence = 0, io.SeekStart
	}
	m.logf("lseek(%s, %d, %d)", h.desc, off, whence)
	fpos, ferr := h.f.Seek(off, whence)
	hpos, herr := unix.Seek(h.fd, off, whence)
	if m.checkErr(ferr, herr) {
		m.check(fpos, hpos)
	}
}

func (m *model) opFtruncate() {
	h := m.handle()
	if h == nil {
		return
	}
	size := m.offset()
	m.logf("ftruncate(%s, %d)", h.desc, size)
	m.checkErr(h.f.Truncate(size), unix.Ftruncate(h.fd, size))
}

func (m *model) opFstat() {
	if h := m.handle(); h != nil {
		m.logf("fstat(%s)", h.desc)
		m.compareFstat(h)
	}
}

func (m *model) opFchmod() {
	if h := m.handle(); h != nil {
		mode := m.mode()
		m.logf("fchmod(%s, %o)", h.desc, mode)
		m.checkErr(h.f.Chmod(mode), unix.Fchmod(h.fd, mode))
	}
}

func (m *model) opFchown() {
	if h := m.handle(); h != nil {
		uid, gid := m.owner(), m.owner()
		m.logf("fchown(%s, %d, %d)", h.desc, uid, gid)
		m.checkErr(h.f.Chown(uid, gid), unix.Fchown(h.fd, uid, gid))
	}
}

func (m *model) opFsync() {
	if h := m.handle(); h != nil {
		m.logf("fsync(%s)", h.desc)
		m.checkErr(h.f.Sync(), unix.Fsync(h.fd))
	}
}

func (m *model) opFutimens() {
	h := m.handle()
	if h == nil {
		return
	}
	times := m.times()
	m.logf("futimens(%s, %v)", h.desc, times)
	m.checkErr(h.f.Utimens(times), hostUtimensat(h.fd, nil, times, 0))
}

func (m *model) opFlags() {
	h := m.handle()
	if h == nil {
		return
	}
	if m.prob(0.5) {
		fl := 0
		if m.prob(0.5) {
			fl |= unix.O_APPEND
		}
		if m.prob(0.5) {
			fl |= unix.O_NONBLOCK
		}
		m.logf("F_SETFL(%s, %#x)", h.desc, fl)
		_, herr := unix.FcntlInt(uintptr(h.fd), unix.F_SETFL, fl)
		m.checkErr(h.f.SetFlags(fl), herr)
	}
	m.logf("F_GETFL(%s)", h.desc)
	hfl, herr := unix.FcntlInt(uintptr(h.fd), unix.F_GETFL, 0)
	if m.checkErr(nil, herr) {
		m.check(h.f.Flags(), hfl&^m.largefile)
	}
}

type dirView struct {
	Errno syscall.Errno
	Names []string // sorted, with types where the host knows them
}

func (m *model) opReaddir() {
	h := m.handle()
	if h == nil {
		return
	}
	m.logf("readdir(%s)", h.desc)
	fv, hv := m.fsReaddir(h.f), m.hostReaddir(h.fd)
	m.check(fv, hv)
}

func (m *model) fsReaddir(f *File) dirView {
	if _, err := f.Seek(0, io.SeekStart); err != nil && Errno(err) != syscall.ESPIPE {
		// Seek fails where getdents will too (EBADF on O_PATH); on a
		// regular file it succeeds and getdents gives ENOTDIR.
		return dirView{Errno: Errno(err)}
	}
	var v dirView
	for {
		ents, err := f.ReadDir(1 + m.rng.IntN(5))
		if err == io.EOF {
			break
		}
		if err != nil {
			return dirView{Errno: Errno(err)}
		}
		for _, e := range ents {
			v.Names = append(v.Names, e.Name+":"+strconv.Itoa(int(e.DirentType())))
		}
	}
	sort.Strings(v.Names)
	return v
}

func (m *model) hostReaddir(fd int) dirView {
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		return dirView{Errno: hostErrno(err)}
	}
	var v dirView
	buf := make([]byte, 1024)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return dirView{Errno: hostErrno(err)}
		}
		if n == 0 {
			break
		}
		for b := buf[:n]; len(b) > 0; {
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			typ := b[18]
			name := b[19:reclen]
			name = name[:bytes.IndexByte(name, 0)]
			v.Names = append(v.Names, string(name)+":"+strconv.Itoa(int(typ)))
			b = b[reclen:]
		}
	}
	sort.Strings(v.Names)
	return v
}

func (m *model) opMkdir() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	mode := m.mode()
	m.logf("mkdirat(%s, %q, %o)", dd, fp, mode)
	m.checkErr(m.fs.MkdirAt(dir, fp, mode), unix.Mkdirat(dfd, hp, mode))
}

func (m *model) opMknod() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	mode := m.mode() &^ 0o7000
	var rdev uint64
	switch m.rng.IntN(4) {
	case 0:
		mode |= S_IFREG
	case 1:
		mode |= S_IFCHR
		rdev = []uint64{DevNull, DevZero, DevFull}[m.rng.IntN(3)]
	case 2:
		mode |= S_IFDIR
	}
	m.logf("mknodat(%s, %q, %o, %d:%d)", dd, fp, mode, Major(rdev), Minor(rdev))
	m.checkErr(m.fs.MknodAt(dir, fp, mode, rdev), unix.Mknodat(dfd, hp, mode, int(unix.Mkdev(Major(rdev), Minor(rdev)))))
}

func (m *model) opUnlink() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	m.logf("unlinkat(%s, %q, 0)", dd, fp)
	m.checkErr(m.fs.UnlinkAt(dir, fp, 0), unix.Unlinkat(dfd, hp, 0))
}

func (m *model) opRmdir() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	m.logf("unlinkat(%s, %q, AT_REMOVEDIR)", dd, fp)
	m.checkErr(m.fs.UnlinkAt(dir, fp, AT_REMOVEDIR), unix.Unlinkat(dfd, hp, unix.AT_REMOVEDIR))
}

func (m *model) opRename() {
	od, ofd, odd := m.dir()
	nd, nfd, ndd := m.dir()
	fo, ho := m.path()
	fn, hn := m.path()
	flags := 0
	switch m.rng.IntN(6) {
	case 0:
		flags = RENAME_NOREPLACE
	case 1:
		if m.exchange {
			flags = RENAME_EXCHANGE
		}
	}
	m.logf("renameat2(%s, %q, %s, %q, %d)", odd, fo, ndd, fn, flags)
	m.checkErr(m.fs.RenameAt(od, fo, nd, fn, flags), unix.Renameat2(ofd, ho, nfd, hn, uint(flags)))
}

func (m *model) opLink() {
	od, ofd, odd := m.dir()
	nd, nfd, ndd := m.dir()
	fo, ho := m.path()
	fn, hn := m.path()
	flags := 0
	if m.prob(0.3) {
		flags = AT_SYMLINK_FOLLOW
	}
	m.logf("linkat(%s, %q, %s, %q, %#x)", odd, fo, ndd, fn, flags)
	m.checkErr(m.fs.LinkAt(od, fo, nd, fn, flags), unix.Linkat(ofd, ho, nfd, hn, flags))
}

func (m *model) opSymlink() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	ft, ht := m.target()
	m.logf("symlinkat(%q, %s, %q)", ft, dd, fp)
	m.checkErr(m.fs.SymlinkAt(ft, dir, fp), unix.Symlinkat(ht, dfd, hp))
}

func (m *model) opReadlink() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	m.logf("readlinkat(%s, %q)", dd, fp)
	ft, ferr := m.fs.ReadlinkAt(dir, fp)
	buf := make([]byte, 8192)
	n, herr := unix.Readlinkat(dfd, hp, buf)
	if m.checkErr(ferr, herr) {
		m.check(ft, m.unmapHost(string(buf[:n])))
	}
}

func (m *model) atFlags(allowEmpty bool) int {
	flags := 0
	if m.prob(0.4) {
		flags |= AT_SYMLINK_NOFOLLOW
	}
	if allowEmpty && m.prob(0.1) {
		flags |= AT_EMPTY_PATH
	}
	return flags
}

func (m *model) pathFor(flags int) (string, string) {
	if flags&AT_EMPTY_PATH != 0 && m.prob(0.7) {
		return "", ""
	}
	return m.path()
}

func (m *model) opStat() {
	dir, dfd, dd := m.dir()
	flags := m.atFlags(true)
	fp, hp := m.pathFor(flags)
	m.logf("fstatat(%s, %q, %#x)", dd, fp, flags)
	fst, ferr := m.fs.StatAt(dir, fp, flags)
	var hst unix.Stat_t
	herr := unix.Fstatat(dfd, hp, &hst, flags)
	if m.checkErr(ferr, herr) {
		m.check(fsStatView(fst), hostStatView(&hst))
	}
}

func (m *model) opChmod() {
	dir, dfd, dd := m.dir()
	flags := m.atFlags(true)
	fp, hp := m.pathFor(flags)
	mode := m.mode()
	m.logf("fchmodat2(%s, %q, %o, %#x)", dd, fp, mode, flags)
	m.checkErr(m.fs.ChmodAt(dir, fp, mode, flags), hostFchmodat2(dfd, hp, mode, flags))
}

func (m *model) opChown() {
	dir, dfd, dd := m.dir()
	flags := m.atFlags(true)
	fp, hp := m.pathFor(flags)
	uid, gid := m.owner(), m.owner()
	m.logf("fchownat(%s, %q, %d, %d, %#x)", dd, fp, uid, gid, flags)
	m.checkErr(m.fs.ChownAt(dir, fp, uid, gid, flags), unix.Fchownat(dfd, hp, uid, gid, flags))
}

func (m *model) times() *[2]Timespec {
	if m.prob(0.2) {
		return nil
	}
	var ts [2]Timespec
	for i := range ts {
		switch m.rng.IntN(6) {
		case 0:
			ts[i].Nsec = UTIME_NOW
		case 1:
			ts[i].Nsec = UTIME_OMIT
		case 2:
			ts[i].Nsec = 1_000_000_000 // invalid
		default:
			ts[i] = Timespec{Sec: m.rng.Int64N(1 << 33), Nsec: m.rng.Int64N(1e9)}
		}
	}
	return &ts
}

func (m *model) opUtimens() {
	dir, dfd, dd := m.dir()
	flags := m.atFlags(true)
	fp, hp := m.pathFor(flags)
	times := m.times()
	m.logf("utimensat(%s, %q, %v, %#x)", dd, fp, times, flags)
	p, err := unix.BytePtrFromString(hp)
	if err != nil {
		m.t.Fatal(err)
	}
	m.checkErr(m.fs.UtimensAt(dir, fp, times, flags), hostUtimensat(dfd, p, times, flags))
}

func (m *model) opAccess() {
	dir, dfd, dd := m.dir()
	flags := m.atFlags(true)
	if m.prob(0.2) {
		flags |= AT_EACCESS
	}
	fp, hp := m.pathFor(flags)
	mode := uint32(m.rng.IntN(8))
	if m.prob(0.03) {
		mode = 8
	}
	m.logf("faccessat2(%s, %q, %d, %#x)", dd, fp, mode, flags)
	m.checkErr(m.fs.AccessAt(dir, fp, mode, flags), unix.Faccessat2(dfd, hp, mode, flags))
}

func (m *model) opTruncate() {
	dir, dfd, dd := m.dir()
	fp, hp := m.path()
	if fp == "" {
		return // the host form below cannot say "empty path"
	}
	if !strings.HasPrefix(hp, "/") {
		hp = fmt.Sprintf("/proc/self/fd/%d/%s", dfd, hp)
	}
	size := m.offset()
	m.logf("truncate(%s, %q, %d)", dd, fp, size)
	m.checkErr(m.fs.TruncateAt(dir, fp, size), unix.Truncate(hp, size))
}

func (m *model) opGetcwd() {
	h := m.handle()
	if h == nil || !m.isDirHandle(h) {
		return
	}
	m.logf("getcwd(%s)", h.desc)
	fpath, ferr := m.fs.PathOf(h.f.Node())
	buf := make([]byte, 8192)
	n, herr := unix.Readlink(fmt.Sprintf("/proc/self/fd/%d", h.fd), buf)
	if herr != nil {
		m.t.Fatal(herr)
	}
	hpath := string(buf[:n])
	if strings.HasSuffix(hpath, " (deleted)") {
		herr = unix.ENOENT
	}
	if m.checkErr(ferr, herr) {
		m.check(fpath, m.unmapHost(hpath))
	}
}

func hostFchmodat2(dirfd int, path string, mode uint32, flags int) error {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return err
	}
	const sysFchmodat2 = 452
	_, _, en := unix.Syscall6(sysFchmodat2, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(mode), uintptr(flags), 0, 0)
	if en != 0 {
		return en
	}
	return nil
}

func hostUtimensat(dirfd int, path *byte, times *[2]Timespec, flags int) error {
	var ts *[2]unix.Timespec
	if times != nil {
		ts = &[2]unix.Timespec{
			{Sec: times[0].Sec, Nsec: times[0].Nsec},
			{Sec: times[1].Sec, Nsec: times[1].Nsec},
		}
	}
	_, _, en := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(dirfd), uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(ts)), uintptr(flags), 0, 0)
	if en != 0 {
		return en
	}
	return nil
}

// Whole-tree comparison.

type treeNode struct {
	Stat    statView
	Content []byte // regular files
	Target  string // symbolic links, in the FS's form
	ino     uint64
}

func (m *model) compareTrees() {
	m.logf("(compare trees)")
	ft, ht := map[string]treeNode{}, map[string]treeNode{}
	m.walkFS(m.fsRoot, ".", ft)
	m.walkHost(m.hostRoot, ".", ht)
	var fk, hk []string
	for k := range ft {
		fk = append(fk, k)
	}
	for k := range ht {
		hk = append(hk, k)
	}
	sort.Strings(fk)
	sort.Strings(hk)
	m.check(fk, hk)
	f2h, h2f := map[uint64]uint64{}, map[uint64]uint64{}
	for _, k := range fk {
		f, h := ft[k], ht[k]
		m.logf("(compare %s)", k)
		fi, hi := f.ino, h.ino
		f.ino, h.ino = 0, 0
		m.check(f, h)
		if x, ok := f2h[fi]; ok && x != hi {
			m.fatalf("%s: the FS's inode %d is two host inodes", k, fi)
		}
		if x, ok := h2f[hi]; ok && x != fi {
			m.fatalf("%s: the host's inode %d is two FS inodes", k, hi)
		}
		f2h[fi], h2f[hi] = hi, fi
	}
}

func (m *model) walkFS(dir *Node, path string, out map[string]treeNode) {
	ents, err := m.fs.ReadDirAt(dir, ".")
	if err != nil {
		m.fatalf("fs walk %s: %v", path, err)
	}
	for _, e := range ents {
		p := path + "/" + e.Name
		st, err := m.fs.StatAt(dir, e.Name, AT_SYMLINK_NOFOLLOW)
		if err != nil {
			m.fatalf("fs walk %s: %v", p, err)
		}
		tn := treeNode{Stat: fsStatView(st), ino: st.Ino}
		switch st.Mode & S_IFMT {
		case S_IFREG:
			f, err := m.fs.OpenAt(dir, e.Name, unix.O_RDONLY|unix.O_NOFOLLOW, 0)
			if err != nil {
				m.fatalf("fs walk %s: %v", p, err)
			}
			tn.Content = make([]byte, st.Size)
			if n, err := f.ReadAt(tn.Content, 0); n != len(tn.Content) {
				m.fatalf("fs walk %s: read %d of %d: %v", p, n, st.Size, err)
			}
			f.Close()
		case S_IFLNK:
			if tn.Target, err = m.fs.ReadlinkAt(dir, e.Name); err != nil {
				m.fatalf("fs walk %s: %v", p, err)
			}
		case S_IFDIR:
			sub, err := m.fs.Lookup(dir, e.Name, AT_SYMLINK_NOFOLLOW)
			if err != nil {
				m.fatalf("fs walk %s: %v", p, err)
			}
			m.walkFS(sub, p, out)
		}
		out[p] = tn
	}
}

func (m *model) walkHost(dfd int, path string, out map[string]treeNode) {
	v := m.hostReaddir(dfd)
	if v.Errno != 0 {
		m.fatalf("host walk %s: %v", path, v.Errno)
	}
	for _, nt := range v.Names {
		name := nt[:strings.LastIndexByte(nt, ':')]
		if name == "." || name == ".." {
			continue
		}
		p := path + "/" + name
		var st unix.Stat_t
		if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			m.fatalf("host walk %s: %v", p, err)
		}
		tn := treeNode{Stat: hostStatView(&st), ino: st.Ino}
		switch st.Mode & S_IFMT {
		case S_IFREG:
			fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW, 0)
			if err != nil {
				m.fatalf("host walk %s: %v", p, err)
			}
			tn.Content = make([]byte, st.Size)
			if n, err := unix.Pread(fd, tn.Content, 0); n != len(tn.Content) {
				m.fatalf("host walk %s: read %d of %d: %v", p, n, st.Size, err)
			}
			unix.Close(fd)
		case S_IFLNK:
			buf := make([]byte, 8192)
			n, err := unix.Readlinkat(dfd, name, buf)
			if err != nil {
				m.fatalf("host walk %s: %v", p, err)
			}
			tn.Target = m.unmapHost(string(buf[:n]))
		case S_IFDIR:
			sub, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
			if err != nil {
				m.fatalf("host walk %s: %v", p, err)
			}
			m.walkHost(sub, p, out)
			unix.Close(sub)
		}
		out[p] = tn
	}
}
