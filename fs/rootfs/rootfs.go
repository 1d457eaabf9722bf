//go:build ppc64

// Package rootfs owns the running kernel's root file system: it makes it
// when the image starts (an fs.FS whose files' data lives in FCMs over
// the page cache and a memory block store (mm/), with /dev's four devices,
// /tmp, /root, /proc/self/exe, and the host files the runner put in the
// initial RAM archive), registers its components in the system table and
// starts its servers (fs/serve), so that every program has files from
// the start of its main package. Importing k42/boot brings it in.
//
// Execution context: ordinary Go, in its package initialiser and after.
package rootfs

import (
	"crypto/rand"
	"fmt"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"k42/fs"
	"k42/fs/diskfs"
	"k42/fs/serve"
	"k42/kernel"
	"k42/kernel/dev/pseries"
	"k42/kernel/initrd"
	"k42/kernel/objects"
	"k42/kernel/shell"
	"k42/kernel/sys"
	"k42/mm/blockdev"
	"k42/mm/fcm"
	"k42/reconfig/adapt"
)

var (
	root     *fs.FS
	server   *serve.Server
	fcms     *fcm.Manager
	policies *adapt.Registry
	settle   atomic.Pointer[func()] // the server's SettleAll: client-side sessions' data back to the files
	err      error
)

// FCMs returns the manager of the root file system's file cache managers
// and its page cache (nil if the file system failed to start).
func FCMs() *fcm.Manager { return fcms }

// Policies returns the adaptive policies of the file system and its
// page cache (nil before the file system).
func Policies() *adapt.Registry { return policies }

// FS returns the root file system (nil if it failed to start; Err says
// why).
func FS() *fs.FS { return root }

// Server returns its server.
func Server() *serve.Server { return server }

// Disks is the console's view of the disks.
func Disks() shell.Disks { return shell.Disks{List: diskInfo, Sync: syncAll} }

// Err reports why the root file system could not start.
func Err() error { return err }

func init() {
	sys.DefineOption(sys.OptionInfo{Name: "cwd", Args: "DIR", Help: "the program's first working directory"})
	sys.DefineOption(sys.OptionInfo{Name: "pagecache", Args: "SIZE", Help: "the page cache's budget (default 25% of memory; 64M, 1G, 10%...)"})
	sys.DefineOption(sys.OptionInfo{Name: "memstore", Args: "SIZE", Help: "the memory block store behind the page cache, the file system's capacity (default 50% of memory, allocated as written)"})
	sys.DefineOption(sys.OptionInfo{Name: "store", Args: "disk|memory", Help: "where the root file system is: on the first disk (the default when one is attached: the runner's -disk), surviving reboots, or in memory"})
	sys.DefineOption(sys.OptionInfo{Name: "commit", Args: "DURATION", Help: "how often the disk's file system writes dirty pages back and commits (default 5s; fsync, fdatasync and sync do at once)"})
	sys.DefineOption(sys.OptionInfo{Name: "format", Args: "yes", Help: "format the first disk as an empty k42 file system before mounting it (its files are lost)"})
	sys.DefineOption(sys.OptionInfo{Name: "fcm", Args: "single|replicated|sequential", Help: "the FCM implementation new files get (default single)"})
	sys.DefineOption(sys.OptionInfo{Name: "smallfile", Args: "BYTES", Help: "files up to this size open alone get the small-file client cache (default 4096; 0: none; the same as k42.policy.sessions.smallfile)"})
	sys.DefineOption(sys.OptionInfo{Name: "policy.", Args: "NAME=on|off, NAME.PARAM=VALUE", Help: "the adaptive policies (sessions, sharing, sequential) and their parameters; the console's policy command lists them"})
	sys.DefineOption(sys.OptionInfo{Name: "serve.lend", Args: "on|off", Help: "lend a caller's P to the file-system server serving its call (default on; off shows the stall it removes)"})
	root, server, err = start()
	if err != nil {
		// A bad k42.cwd or k42.serve.lend, or a bad archive: the program
		// would run without the files it was given.
		sys.BootFailed("root file system: " + err.Error())
	}
}

// Defaults of the page cache's options, as fractions of memory.
const (
	defaultPageCachePercent = 25
	defaultMemStorePercent  = 50
)

// pageCache makes the page cache, its memory store and the FCM manager
// from the k42.pagecache, k42.memstore and k42.fcm options.
func pageCache() (*fcm.Manager, *fs.PageLimit, error) {
	mem := int64(kernel.MemBytes())
	size := func(opt string, pct int64) (int64, error) {
		v, ok := sys.Option(opt)
		if !ok {
			return mem * pct / 100, nil
		}
		n, err := sys.ParseSize(v, mem)
		if err != nil {
			return 0, fmt.Errorf("k42.%s=%w", opt, err)
		}
		return n, nil
	}
	budget, err := size("pagecache", defaultPageCachePercent)
	if err != nil {
		return nil, nil, err
	}
	capacity, err := size("memstore", defaultMemStorePercent)
	if err != nil {
		return nil, nil, err
	}
	impl, _ := sys.Option("fcm")
	where, _ := sys.Option("store")
	switch where {
	case "", "disk", "memory":
	default:
		return nil, nil, fmt.Errorf("k42.store=%s: want disk or memory", where)
	}
	if where != "memory" && len(disks) > 0 && disks[0].ReadOnly() {
		if where == "disk" {
			return nil, nil, fmt.Errorf("k42.store=disk: %s is read-only", disks[0].Name)
		}
		sys.Warn(disks[0].Name + " is read-only: the page cache's store stays in memory")
	} else if where != "memory" && len(disks) > 0 {
		storeDisk = disks[0]
		v, err := mountDisk(storeDisk)
		if err != nil {
			return nil, nil, err
		}
		volume = v
		m, limit, err := fcm.NewOnStore(objects.Table(), budget, v.Store(), v.Backing, impl, pseries.PageFrames)
		if err != nil {
			return nil, nil, fmt.Errorf("page cache on %s (k42.pagecache=%d, k42.fcm=%s): %w", storeDisk.Name, budget, impl, err)
		}
		return m, limit, nil
	}
	if where == "disk" {
		return nil, nil, fmt.Errorf("k42.store=disk: no disk is attached (the runner's -disk FILE attaches one)")
	}
	m, limit, err := fcm.NewInMemory(objects.Table(), budget, capacity, impl)
	if err != nil {
		return nil, nil, fmt.Errorf("page cache (k42.pagecache=%d, k42.memstore=%d, k42.fcm=%s): %w", budget, capacity, impl, err)
	}
	return m, limit, nil
}

// wallClock is the time from the timebase (time.Now would be a system
// call): the file system's time stamps.
func wallClock() time.Time { return time.Unix(0, kernel.WallNanos()) }

// The disks, opened before the page cache so that its store can be on
// the first; storeDisk is that one, if it is, and volume the file system
// on it.
var (
	disks     []*pseries.Disk
	storeDisk *pseries.Disk
	volume    *diskfs.Volume
)

// mountDisk mounts the file system on d (formatting it first with
// k42.format=yes) and reports what the mount found.
func mountDisk(d *pseries.Disk) (*diskfs.Volume, error) {
	switch v, _ := sys.Option("format"); v {
	case "":
	case "yes":
		if _, err := diskfs.Format(d, wallClock()); err != nil {
			return nil, fmt.Errorf("k42.format=yes: %s: %w", d.Name, err)
		}
		sys.Warn("formatted " + d.Name + " as an empty k42 file system")
	default:
		return nil, fmt.Errorf("k42.format=%s: want yes", v)
	}
	// The background write-back starts with the file system (Volume.FS),
	// after fcms is set.
	opt := diskfs.Options{WriteBack: func() error { _, err := fcms.SyncAll(); return err }}
	if c, ok := sys.Option("commit"); ok {
		iv, err := time.ParseDuration(c)
		if err != nil || iv <= 0 {
			return nil, fmt.Errorf("k42.commit=%s: want a duration such as 1s or 500ms", c)
		}
		opt.Interval = iv
	}
	v, err := diskfs.Mount(d, opt)
	if err != nil {
		return nil, fmt.Errorf("the root file system on %s: %w (the runner formats the images it creates; k42.format=yes formats this one, k42.store=memory leaves it alone)", d.Name, err)
	}
	sys.Warn("root file system on " + d.Name + ": " + v.Report.String())
	return v, nil
}

// openDisks opens every disk; one that fails is reported and left out.
func openDisks() {
	var errs []error
	disks, errs = pseries.Disks()
	for _, err := range errs {
		sys.Warn("disk left out: " + err.Error())
	}
	sys.SetDisks(diskInfo)
}

// diskInfo describes the disks for sys.ReadInfo and the console.
func diskInfo() []kernel.DiskInfo {
	out := make([]kernel.DiskInfo, 0, len(disks))
	for _, d := range disks {
		role := "raw"
		if d == storeDisk {
			role = "root file system"
		}
		st := d.Stats()
		out = append(out, kernel.DiskInfo{Name: d.Name, Model: d.Model(), ID: d.ID(), Bytes: d.Capacity(), BlockSize: d.BlockSize(),
			PCI: d.PCI, Interrupts: d.Interrupts, Role: role, ReadOnly: d.ReadOnly(),
			Reads: st.Reads, Writes: st.Writes, Flushes: st.Flushes, BytesRead: st.BytesRead, BytesWritten: st.BytesWritten})
	}
	return out
}

// syncAll is the console's sync: every file's dirty pages written back,
// every disk flushed.
func syncAll() (string, error) {
	if fcms == nil {
		return "", fmt.Errorf("no page cache")
	}
	if f := settle.Load(); f != nil {
		(*f)()
	}
	n, err := fcms.SyncAll()
	if err != nil {
		return "", err
	}
	if volume != nil {
		if err := volume.Commit(); err != nil {
			return "", err
		}
	}
	for _, d := range disks {
		if d == storeDisk {
			continue // SyncAll flushed the store
		}
		if err := d.Flush(); err != nil {
			return "", fmt.Errorf("%s: %w", d.Name, err)
		}
	}
	return fmt.Sprintf("synced %d files, flushed %d disks", n, len(disks)), nil
}

// devDisk is the device number of the i-th disk's file, as Linux numbers
// virtio disks (major 254, 16 minors each).
func devDisk(i int) uint64 { return fs.Mkdev(254, uint32(16*i)) }

func start() (*fs.FS, *serve.Server, error) {
	openDisks()
	m, limit, err := pageCache()
	if err != nil {
		return nil, nil, err
	}
	fcms = m
	policies = adapt.NewRegistry()
	policies.SetClock(wallClock)
	var fsys *fs.FS
	control := shell.NewControl(func(s *shell.Shell) {
		s.AddObjects(objects.Table())
		s.AddPageCache(shell.PageCache{FCMs: m, FS: fsys})
		s.AddDisks(Disks())
		s.AddPolicies(shell.Policies{Registry: policies, Server: server})
	})
	devs := map[uint64]fs.Device{
		devK42Ctl:       control,
		devK42Objects:   shell.ObjectsView(objects.Table()),
		devK42PageCache: shell.PageCacheView(m),
		fs.DevNull:      fs.Null{},
		fs.DevZero:      fs.Zero{},
		fs.DevFull:      fs.Full{},
		fs.DevURandom:   fs.URandom{Fill: func(b []byte) { rand.Read(b) }},
	}
	for i, d := range disks {
		devs[devDisk(i)] = blockdev.Bytes{Dev: d}
	}
	opt := fs.Options{
		Clock:   wallClock,
		Pages:   limit,
		Data:    m.DataFactory(),
		Devices: devs,
	}
	if volume != nil {
		if fsys, err = volume.FS(opt); err != nil {
			return nil, nil, err
		}
	} else {
		fsys = fs.New(opt)
	}

	if err := populate(fsys); err != nil {
		return nil, nil, err
	}
	for i, d := range disks {
		if err := again(fsys.MknodAt(nil, "/dev/"+d.Name, fs.S_IFCHR|0o660, devDisk(i))); err != nil {
			return nil, nil, err
		}
	}
	if a := kernel.InitrdBytes(); a != nil {
		if err := unpack(fsys, a); err != nil {
			return nil, nil, fmt.Errorf("the initial RAM archive: %w", err)
		}
	}
	srv, err := serve.New(serve.SysKernel{}, fsys, objects.Table())
	if err != nil {
		return nil, nil, err
	}
	// The policies watch from here on: the tree above was made outside any
	// request, which a swap would not wait for.
	m.SetPolicies(policies)
	srv.SetPolicies(policies)
	if err := policyOptions(policies); err != nil {
		return nil, nil, err
	}
	server = srv // for the control file's commands; start's caller sets it again
	if dir, ok := sys.Option("cwd"); ok {
		if err := srv.Chdir(dir); err != nil {
			return nil, nil, fmt.Errorf("k42.cwd=%s: %w", dir, err)
		}
	}
	switch v, _ := sys.Option("serve.lend"); v {
	case "", "on":
	case "off":
		sys.ServeLend(false)
	default:
		return nil, nil, fmt.Errorf("k42.serve.lend=%s: want on or off", v)
	}
	srv.OnSync(func() error { _, err := syncAll(); return err })
	settleAll := srv.SettleAll
	settle.Store(&settleAll)
	srv.Start(2)
	return fsys, srv, nil
}

// policyOptions applies the boot's policy options: k42.smallfile=BYTES
// and k42.policy.SETTING (see adapt.Registry.Set).
func policyOptions(r *adapt.Registry) error {
	if v, ok := sys.Option("smallfile"); ok {
		n, err := int64(0), error(nil)
		if v != "0" { // ParseSize takes no zero: 0 is "no small-file cache"
			n, err = sys.ParseSize(v, 1<<62)
		}
		if err != nil || n > 1<<20 {
			return fmt.Errorf("k42.smallfile=%s: want a size up to 1M (4096, 16K; 0 for none)", v)
		}
		if err := r.Set(fmt.Sprintf("sessions.smallfile=%d", n)); err != nil {
			return fmt.Errorf("k42.smallfile=%s: %w", v, err)
		}
	}
	for _, o := range sys.BootOptions() {
		if setting, ok := strings.CutPrefix(o, "policy."); ok {
			if err := r.Set(setting); err != nil {
				return fmt.Errorf("k42.%s: %w", o, err)
			}
		}
	}
	return nil
}

// The devices of /proc/k42, the system table as files (kernel/shell's
// control files), in Linux's range for local use.
var (
	devK42Ctl       = fs.Mkdev(242, 0)
	devK42Objects   = fs.Mkdev(242, 1)
	devK42PageCache = fs.Mkdev(242, 2)
)

// populate makes the tree every program finds.
func populate(fsys *fs.FS) error {
	for _, d := range []struct {
		path string
		mode uint32
	}{{"/dev", 0o755}, {"/tmp", 0o1777}, {"/root", 0o700}, {"/proc", 0o555}, {"/proc/self", 0o555},
		{"/bin", 0o755}, {"/sbin", 0o755}, {"/lib", 0o755}, {"/etc", 0o755}, {"/home", 0o755}, {"/mnt", 0o755},
		{"/usr", 0o755}, {"/usr/bin", 0o755}, {"/usr/lib", 0o755}, {"/usr/share", 0o755},
		{"/var", 0o755}, {"/var/tmp", 0o1777}, {"/run", 0o755}} {
		if err := again(fsys.MkdirAt(nil, d.path, d.mode)); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name string
		dev  uint64
	}{{"null", fs.DevNull}, {"zero", fs.DevZero}, {"full", fs.DevFull}, {"urandom", fs.DevURandom}, {"random", fs.DevURandom}} {
		if err := again(fsys.MknodAt(nil, "/dev/"+d.name, fs.S_IFCHR|0o666, d.dev)); err != nil {
			return err
		}
	}
	// /proc/self/exe names the program, as os.Executable expects; the
	// program's file is there, empty (its image is the kernel's).
	name := "k42"
	if len(os.Args) > 0 && os.Args[0] != "" {
		name = path.Base(os.Args[0])
	}
	exe := "/bin/" + name
	f, err := fsys.OpenAt(nil, exe, syscall.O_CREAT|syscall.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	f.Close()
	if err := relink(fsys, exe, "/proc/self/exe"); err != nil {
		return err
	}
	if err := procFiles(fsys); err != nil {
		return err
	}
	if err := again(fsys.MkdirAt(nil, "/proc/k42", 0o555)); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode uint32
		dev  uint64
	}{{"ctl", 0o600, devK42Ctl}, {"objects", 0o444, devK42Objects}, {"pagecache", 0o444, devK42PageCache}} {
		if err := again(fsys.MknodAt(nil, "/proc/k42/"+d.name, fs.S_IFCHR|d.mode, d.dev)); err != nil {
			return err
		}
	}
	for _, l := range []struct{ path, data string }{
		{"/etc/hostname", "k42\n"},
		{"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
		{"/etc/group", "root:x:0:\n"},
		{"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\tk42\n"},
		{"/etc/os-release", "NAME=k42\nID=k42\nPRETTY_NAME=\"k42 online-reconfiguration kernel\"\n"},
	} {
		if err := writeFile(fsys, l.path, 0o644, []byte(l.data)); err != nil {
			return err
		}
	}
	return nil
}

// procFiles writes the parts of /proc that do not change while the
// program runs, as files made at boot: the program's command line,
// environment and name, and the kernel's tunables and descriptions that
// Go's runtime and tests read. (The parts of Linux's /proc that change,
// /proc/self/fd and the like, are not there.)
func procFiles(fsys *fs.FS) error {
	var cmdline, environ strings.Builder
	for _, a := range os.Args {
		cmdline.WriteString(a)
		cmdline.WriteByte(0)
	}
	for _, e := range os.Environ() {
		environ.WriteString(e)
		environ.WriteByte(0)
	}
	comm := "k42"
	if len(os.Args) > 0 && os.Args[0] != "" {
		comm = path.Base(os.Args[0])
	}
	if len(comm) > 15 {
		comm = comm[:15]
	}
	info := sys.ReadInfo()
	var cpuinfo strings.Builder
	for i := 0; i < info.CPUs; i++ {
		fmt.Fprintf(&cpuinfo, "processor\t: %d\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: %d.000000MHz\nrevision\t: 2.2 (pvr 004e 1202)\n\n", i, info.TimebaseHz/1000000)
	}
	fmt.Fprintf(&cpuinfo, "timebase\t: %d\nplatform\t: pSeries\nmodel\t\t: IBM pSeries (emulated by qemu)\nmachine\t\t: CHRP IBM pSeries (emulated by qemu)\nMMU\t\t: Radix\n", info.TimebaseHz)
	for _, d := range []string{"/proc/sys", "/proc/sys/fs", "/proc/sys/kernel", "/proc/sys/net", "/proc/sys/net/core", "/proc/sys/vm"} {
		if err := again(fsys.MkdirAt(nil, d, 0o555)); err != nil {
			return err
		}
	}
	for _, l := range []struct{ path, data string }{
		{"/proc/self/cmdline", cmdline.String()},
		{"/proc/self/environ", environ.String()},
		{"/proc/self/comm", comm + "\n"},
		{"/proc/cpuinfo", cpuinfo.String()},
		{"/proc/version", "Linux version 6.1.0-k42 (k42) #1 SMP K42 online reconfiguration kernel\n"},
		{"/proc/filesystems", "nodev\ttmpfs\nnodev\tproc\n"},
		{"/proc/sys/fs/pipe-max-size", "65536\n"},
		{"/proc/sys/fs/file-max", "4096\n"},
		{"/proc/sys/fs/nr_open", "4096\n"},
		{"/proc/sys/kernel/ostype", "Linux\n"},
		{"/proc/sys/kernel/osrelease", "6.1.0-k42\n"},
		{"/proc/sys/kernel/hostname", "k42\n"},
		{"/proc/sys/kernel/pid_max", "1024\n"},
		{"/proc/sys/kernel/threads-max", "1024\n"},
		{"/proc/sys/net/core/somaxconn", "128\n"},
		{"/proc/sys/vm/overcommit_memory", "1\n"},
	} {
		if err := writeFile(fsys, l.path, 0o444, []byte(l.data)); err != nil {
			return err
		}
	}
	return nil
}

// again is err, unless it says the name exists: on a disk, the tree of
// an earlier boot is there.
func again(err error) error {
	if fs.Errno(err) == syscall.EEXIST {
		return nil
	}
	return err
}

// relink makes path a symbolic link to target, in place of what an
// earlier boot left there.
func relink(fsys *fs.FS, target, path string) error {
	if err := fsys.UnlinkAt(nil, path, 0); err != nil && fs.Errno(err) != syscall.ENOENT {
		return err
	}
	return fsys.SymlinkAt(target, nil, path)
}

func writeFile(fsys *fs.FS, p string, mode uint32, data []byte) error {
	f, err := fsys.OpenAt(nil, p, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// unpack copies the archive's files into the tree (the runner's -fs),
// making missing parent directories; the kernel's own members (.k42/)
// are skipped.
func unpack(fsys *fs.FS, a []byte) error {
	for off := 0; ; {
		e, next, st := initrd.Next(a, off)
		switch st {
		case initrd.End:
			return nil
		case initrd.Corrupt:
			return fmt.Errorf("corrupt at byte %d", off)
		}
		off = next
		name := strings.TrimPrefix(string(e.Name), "./")
		if name == "" || name == "." || strings.HasPrefix(name, strings.TrimSuffix(initrd.Reserved, "/")) {
			continue
		}
		p := "/" + strings.TrimPrefix(name, "/")
		if err := mkdirAll(fsys, path.Dir(p)); err != nil {
			return err
		}
		perm := e.Mode & 0o7777
		switch e.Mode & initrd.ModeType {
		case initrd.ModeDir:
			if err := fsys.MkdirAt(nil, p, perm); err != nil && fs.Errno(err) != syscall.EEXIST {
				return err
			}
		case initrd.ModeSymlink:
			if err := relink(fsys, string(e.Data), p); err != nil {
				return err
			}
		case initrd.ModeRegular:
			if err := writeFile(fsys, p, perm, e.Data); err != nil {
				return err
			}
		}
	}
}

func mkdirAll(fsys *fs.FS, p string) error {
	if p == "/" || p == "." {
		return nil
	}
	if st, err := fsys.StatAt(nil, p, 0); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s: not a directory", p)
		}
		return nil
	}
	if err := mkdirAll(fsys, path.Dir(p)); err != nil {
		return err
	}
	if err := fsys.MkdirAt(nil, p, 0o755); err != nil && fs.Errno(err) != syscall.EEXIST {
		return err
	}
	return nil
}
