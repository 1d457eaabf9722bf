package ktest

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"k42/fs"
	"k42/kernel"
	"k42/kernel/dev/pseries"
	"k42/kernel/objects"
	"k42/mm/blockdev"
	"k42/mm/fcm"
	"k42/mm/pagecache"
	"k42/reconfig"
	"k42/reconfig/generation"
)

// PCI and the virtio disk (issue 12).

func init() {
	Add(
		Test{Name: "TestPCIConfigSpaceMatchesDeviceTree", Fn: testPCIConfig, KernelOnly: true},
	)
}

// testPCIConfig reads every function the device tree lists through RTAS
// and checks its vendor and device against the tree's.
func testPCIConfig(t TB) {
	bridges := pseries.Bridges()
	if len(bridges) == 0 {
		t.Fatalf("no PCI host bridge in the device tree")
	}
	n := 0
	for _, b := range bridges {
		for _, d := range b.Devices() {
			h, err := b.Function(d.ConfigAddr).Header()
			if err != nil {
				t.Fatalf("bridge %#x function %#x: %v", b.BUID(), d.ConfigAddr, err)
			}
			if uint32(h.Vendor) != d.Vendor || uint32(h.Device) != d.Device {
				t.Fatalf("bridge %#x function %#x: config space says %04x:%04x, the device tree %04x:%04x", b.BUID(), d.ConfigAddr, h.Vendor, h.Device, d.Vendor, d.Device)
			}
			n++
		}
	}
	if n == 0 {
		t.Skipf("no PCI function attached (run with -disk)")
	}
}

func init() {
	Add(
		Test{Name: "TestDiskFilesLargerThanTheCache", Fn: testDiskLargerThanCache, KernelOnly: true, Timeout: 3 * time.Minute},
		Test{Name: "TestDiskRequestsInFlightFromAllCPUs", Fn: testDiskInFlight, KernelOnly: true, Timeout: 2 * time.Minute},
		Test{Name: "TestDiskFlushAfterWrites", Fn: testDiskFlush, KernelOnly: true},
		Test{Name: "TestDiskDeviceFile", Fn: testDiskDeviceFile, KernelOnly: true},
	)
}

// scratch is the last quarter of the first disk: the root file system's
// store fills the disk from its start, and the suite's files stay far
// below a quarter of it.
func scratch(t TB) (*pseries.Disk, blockdev.Part) {
	ds, errs := pseries.Disks()
	for _, err := range errs {
		t.Fatalf("%v", err)
	}
	if len(ds) == 0 {
		t.Skipf("no disk attached (run with -disk)")
	}
	d := ds[0]
	n := d.Blocks() / 4
	return d, blockdev.Part{Dev: d, Start: d.Blocks() - n, Count: n}
}

// testDiskLargerThanCache writes files four times the size of a private
// page cache over a part of the disk, and reads them back by checksum
// after the cache has evicted them: every byte went to the disk and
// came back from it.
func testDiskLargerThanCache(t TB) {
	d, part := scratch(t)
	dom, err := generation.New(objects.Platform(), objects.Generations)
	if err != nil {
		t.Fatalf("domain: %v", err)
	}
	const budget = 4 << 20
	m, limit, err := fcm.NewOn(reconfig.NewTable(dom), budget, part, fcm.ImplSingle, pseries.PageFrames)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer m.Cache().Close()
	fsys := fs.New(fs.Options{Pages: limit, Data: m.DataFactory()})
	before := d.Stats()
	const files, size = 4, 4 << 20
	sums := make([]uint32, files)
	m.Domain().Do(func() {
		for i := range files {
			f, err := fsys.OpenAt(nil, fmt.Sprintf("/big%d", i), syscall.O_CREAT|syscall.O_RDWR, 0o644)
			if err != nil {
				t.Fatalf("%v", err)
			}
			b := make([]byte, 256<<10)
			h := crc32.NewIEEE()
			for off := 0; off < size; off += len(b) {
				for j := range b {
					b[j] = byte(i*131 + off/len(b)*7 + j*13)
				}
				h.Write(b)
				if _, err := f.WriteAt(b, int64(off)); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			sums[i] = h.Sum32()
			if err := f.Sync(); err != nil {
				t.Fatalf("fsync: %v", err)
			}
			f.Close()
		}
	})
	m.Cache().Drop()
	m.Domain().Do(func() {
		for i := range files {
			f, err := fsys.OpenAt(nil, fmt.Sprintf("/big%d", i), syscall.O_RDONLY, 0)
			if err != nil {
				t.Fatalf("%v", err)
			}
			h := crc32.NewIEEE()
			if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
				t.Fatalf("read back: %v", err)
			}
			f.Close()
			if h.Sum32() != sums[i] {
				t.Fatalf("/big%d read back with checksum %08x, written %08x", i, h.Sum32(), sums[i])
			}
		}
	})
	after := d.Stats()
	st := m.Cache().Stats()
	moved := after.BytesWritten - before.BytesWritten
	back := after.BytesRead - before.BytesRead
	if moved < files*size || back < files*size-budget {
		t.Fatalf("the disk moved too little: %d bytes written, %d read, for %d bytes of files", moved, back, files*size)
	}
	t.Logf("%d MiB through a %d MiB cache: disk %d MiB written, %d MiB read, %d flushes; %d evictions, %d write-backs",
		files*size>>20, budget>>20, moved>>20, back>>20, after.Flushes-before.Flushes, st.Counts[pagecache.Evictions], st.Counts[pagecache.WriteBacks])
}

// testDiskInFlight runs writers and readers pinned to every CPU on blocks
// of their own, each checking what it reads against what it wrote.
func testDiskInFlight(t TB) {
	d, part := scratch(t)
	cpus := kernel.NumCPUs()
	workers := 2 * cpus
	const blocksEach, rounds = 256, 40
	bs := part.BlockSize()
	before := d.Stats()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			base := int64(w * blocksEach)
			want := make(map[int64]byte)
			buf := make([]byte, 8*bs)
			for r := range rounds {
				b := base + rng.Int64N(blocksEach-8)
				n := 1 + rng.IntN(8)
				if r%3 != 2 {
					v := byte(rng.Uint32())
					for i := range buf[:n*bs] {
						buf[i] = v
					}
					if err := part.WriteBlocks(b, buf[:n*bs]); err != nil {
						errs <- err
						return
					}
					for i := range n {
						want[b+int64(i)] = v
					}
					continue
				}
				if err := part.ReadBlocks(b, buf[:n*bs]); err != nil {
					errs <- err
					return
				}
				for i := range n {
					if v, ok := want[b+int64(i)]; ok {
						for _, x := range buf[i*bs : (i+1)*bs] {
							if x != v {
								errs <- fmt.Errorf("worker %d: block %d reads %#x, wrote %#x", w, b+int64(i), x, v)
								return
							}
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("%v", err)
	}
	after := d.Stats()
	if got := after.Reads + after.Writes - before.Reads - before.Writes; got < int64(workers*rounds) {
		t.Fatalf("%d requests, want %d", got, workers*rounds)
	}
	t.Logf("%d workers on %d CPUs: %d requests; at most %d in flight at once", workers, cpus,
		after.Reads+after.Writes-before.Reads-before.Writes, d.MaxInFlight())
	if d.MaxInFlight() < 2 {
		t.Fatalf("never more than %d request in flight", d.MaxInFlight())
	}
}

// testDiskFlush: a flush issued after writes returns after them and is
// counted by the device; the data reads back after it.
func testDiskFlush(t TB) {
	d, part := scratch(t)
	bs := part.BlockSize()
	before := d.Stats()
	data := bytes.Repeat([]byte{0x5a}, 64*bs)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := part.WriteBlocks(int64(i*64), data); err != nil {
				t.Errorf("write: %v", err)
			}
		}()
	}
	wg.Wait()
	if err := d.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	after := d.Stats()
	if after.Flushes-before.Flushes != 1 || after.Writes-before.Writes < 4 {
		t.Fatalf("flushes %d, writes %d: want 1 and at least 4", after.Flushes-before.Flushes, after.Writes-before.Writes)
	}
	got := make([]byte, len(data))
	for i := range 4 {
		if err := part.ReadBlocks(int64(i*64), got); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("blocks %d..: read back %v, equal %v", i*64, err, bytes.Equal(got, data))
		}
	}
}

// testDiskDeviceFile reads and writes /dev/vda with the os package at an
// offset in the scratch part, and finds its size at SEEK_END.
func testDiskDeviceFile(t TB) {
	d, part := scratch(t)
	f, err := os.OpenFile("/dev/"+d.Name, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end != d.Capacity() {
		t.Fatalf("SEEK_END: %d, %v; want %d", end, err, d.Capacity())
	}
	off := part.Start*int64(part.BlockSize()) + 100 // unaligned on purpose
	msg := []byte("k42 was here, across a block boundary of the disk........................................................................................................................................................................................................................................................................................................................................................................................................................................................................................")
	if _, err := f.WriteAt(msg, off); err != nil {
		t.Fatalf("pwrite: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := f.ReadAt(got, off); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("pread: %v; got %q", err, got[:20])
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync: %v", err)
	}
}

func init() {
	Add(Test{Name: "TestMmapSharedStaysReadOnly", Fn: testMmapSealed, KernelOnly: true})
}

// testMmapSealed: k42 maps a file MAP_SHARED as a read-only snapshot
// (fs/serve/mmap.go), so making it writable must fail (EACCES) rather
// than take writes that would never reach the file. (Linux, whose shared
// mappings write through, allows it on a descriptor open for writing.)
func testMmapSealed(t TB) {
	f, err := os.CreateTemp("", "sealed")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(make([]byte, 8192)); err != nil {
		t.Fatalf("%v", err)
	}
	r, err := syscall.Mmap(int(f.Fd()), 0, 8192, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap shared: %v", err)
	}
	defer syscall.Munmap(r)
	if err := syscall.Mprotect(r, syscall.PROT_READ|syscall.PROT_WRITE); err != syscall.EACCES {
		t.Fatalf("making a shared mapping of the file writable: %v, want EACCES (its writes would be lost)", err)
	}
	if err := syscall.Mprotect(r, syscall.PROT_NONE); err != nil {
		t.Fatalf("taking access away is still allowed: %v", err)
	}
}
