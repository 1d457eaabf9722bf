package ktest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"k42/fs"
	"k42/fs/rootfs"
	"k42/kernel"
	"k42/kernel/objects"
	"k42/mm/fcm"
	"k42/mm/fcm/fcmstress"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/generation"
)

// The FCMs' integrity workload on the kernel's CPUs: once over a private
// file system with a page cache far smaller than the data (eviction,
// write-back and reload under swaps, with real per-CPU replicas), and
// once through the os package on /tmp, the real system-call path to the
// root file system's FCMs, swapped and upgraded in the system table while
// the program's files are in use.

func init() {
	Add(Test{Name: "TestFCMIntegrityUnderSwapsOnAllCPUs", Fn: testFCMPrivate, KernelOnly: true, Timeout: 2 * time.Minute},
		Test{Name: "TestFCMIntegrityThroughSystemCalls", Fn: testFCMSyscalls, KernelOnly: true, Timeout: 2 * time.Minute})
}

func stressConfig(dir string) fcmstress.Config {
	return fcmstress.Config{Dir: dir, Clients: 2 * kernel.NumCPUs(), Files: 6, MaxSize: 40000,
		Duration: 3 * time.Second, SwapEvery: 2 * time.Millisecond, UpgradeEvery: 25, Seed: 42}
}

func testFCMPrivate(t TB) {
	d, err := generation.New(objects.Platform(), objects.Generations)
	if err != nil {
		t.Fatalf("domain: %v", err)
	}
	m, limit, err := fcm.NewInMemory(reconfig.NewTable(d), 64*pagecache.PageSize, 256<<20, fcm.ImplSingle)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer m.Cache().Close()
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	res, err := fcmstress.Run(fcmstress.Of(fsys, m.Domain()), m, stressConfig("/"))
	if err != nil {
		t.Fatalf("%v (after %+v)", err, res)
	}
	st := m.Cache().Stats()
	if res.Swaps == 0 || res.Upgrades == 0 || st.Counts[pagecache.Evictions] == 0 {
		t.Fatalf("too little happened: %+v; cache %+v", res, st)
	}
	t.Logf("%d ops on %d CPUs, %d MiB checked, %d swaps (mean %v, max %v), %d upgrades (%d FCMs, max %v); %d evictions, %d write-backs",
		res.Ops, kernel.NumCPUs(), res.Bytes>>20, res.Swaps, res.MeanSwap, res.MaxSwap, res.Upgrades, res.UpgradeSwaps, res.MaxUpgrade,
		st.Counts[pagecache.Evictions], st.Counts[pagecache.WriteBacks])
	t.Logf("slowest: %v", res.Slowest)
}

func testFCMSyscalls(t TB) {
	m := rootfs.FCMs()
	if m == nil {
		t.Fatalf("no root file system: %v", rootfs.Err())
	}
	dir, err := os.MkdirTemp("", "fcmstress")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	was := m.FactoryImpl()
	defer m.Upgrade(was)
	res, err := fcmstress.Run(fcmstress.OS{}, m, stressConfig(dir))
	if err != nil {
		t.Fatalf("%v (after %+v)", err, res)
	}
	if res.Swaps == 0 || res.Upgrades == 0 {
		t.Fatalf("too little happened: %+v", res)
	}
	t.Logf("%d ops through the system calls, %d MiB checked, %d swaps (mean %v, max %v), %d upgrades (%d FCMs, max %v)",
		res.Ops, res.Bytes>>20, res.Swaps, res.MeanSwap, res.MaxSwap, res.Upgrades, res.UpgradeSwaps, res.MaxUpgrade)
	t.Logf("slowest: %v", res.Slowest)
}

func init() {
	Add(Test{Name: "TestProcK42ControlFile", Fn: testProcK42, KernelOnly: true})
}

// testProcK42: a program swaps a file's FCM and upgrades the factory
// through /proc/k42/ctl, with the os package only, while it reads the
// file; failures come back as errnos.
func testProcK42(t TB) {
	m := rootfs.FCMs()
	if m == nil {
		t.Fatalf("no root file system: %v", rootfs.Err())
	}
	was := m.FactoryImpl()
	defer m.Upgrade(was)
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	name := dir + "/data"
	want := fcmstress.Pattern(9, 100000)
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	ctl, err := os.OpenFile("/proc/k42/ctl", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer ctl.Close()
	command := func(c string) (string, error) {
		_, err := ctl.Write([]byte(c))
		b, rerr := io.ReadAll(ctl)
		if rerr != nil {
			t.Fatalf("reading the answer to %q: %v", c, rerr)
		}
		return string(b), err
	}
	for _, impl := range []string{"replicated", "sequential", "single"} {
		out, err := command("swap fcm:" + name + " " + impl)
		if err != nil || !strings.Contains(out, "state in protocol 1") {
			t.Fatalf("swap to %s: %v\n%s", impl, err, out)
		}
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after the swap to %s: %d bytes, %v", impl, len(got), err)
		}
		out, _ = command("fcm " + name)
		if !strings.Contains(out, "implementation "+impl+"\n") {
			t.Fatalf("fcm %s after the swap to %s:\n%s", name, impl, out)
		}
	}
	if out, err := command("upgrade fcm replicated"); err != nil || !strings.Contains(out, "0 failed") {
		t.Fatalf("upgrade: %v\n%s", err, out)
	}
	if _, err := command("swap fcm:" + name + " lru"); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("a bad implementation: %v, want EINVAL", err)
	}
	if _, err := command("show fcm:/no/such/file"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("a missing object: %v, want ENOENT", err)
	}
	b, err := os.ReadFile("/proc/k42/pagecache")
	if err != nil || !strings.Contains(string(b), "factory replicated\n") {
		t.Fatalf("/proc/k42/pagecache: %v\n%s", err, b)
	}
}
