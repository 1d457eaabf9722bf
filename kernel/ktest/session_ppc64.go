package ktest

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"k42/fs/rootfs"
	"k42/fs/serve"
)

// File sessions through the system calls on the kernel's CPUs: the
// trap layer's client slots, the second open's swap to shared, the
// policy's swap back, and the fast path racing recalls on every CPU.

func init() {
	Add(Test{Name: "TestSessionsThroughSystemCalls", Fn: testSessionsSyscalls, KernelOnly: true, Timeout: time.Minute},
		Test{Name: "TestSessionFastPathAgainstRecallsOnAllCPUs", Fn: testSessionRecallStress, KernelOnly: true, Timeout: 2 * time.Minute})
}

// sessionOf returns the implementation of the session of path's open
// description whose handle is not other (-1: any), and its handle.
func sessionOf(path string, other int32) (string, int32) {
	for _, in := range rootfs.Server().Sessions() {
		if in.Path == path && in.Handle != other {
			return in.Impl, in.Handle
		}
	}
	return "", -1
}

func testSessionsSyscalls(t TB) {
	if rootfs.Server() == nil {
		t.Fatalf("no root file system: %v", rootfs.Err())
	}
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	name := dir + "/f"
	a, err := os.Create(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer a.Close()
	if impl, _ := sessionOf(name, -1); impl != serve.SessionExclusive {
		t.Fatalf("a new file open once for writing has a %q session, want exclusive (it is about to grow)", impl)
	}
	if _, err := a.WriteString("hello"); err != nil {
		t.Fatalf("%v", err)
	}
	if st, err := os.Stat(name); err != nil || st.Size() != 5 {
		t.Fatalf("stat by path after a client-side write: %v, %v", st, err)
	}
	// The second open, from another thread.
	bc := make(chan *os.File)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Errorf("second open: %v", err)
		}
		bc <- b
	}()
	b := <-bc
	if b == nil {
		t.FailNow()
	}
	if impl, _ := sessionOf(name, -1); impl != serve.SessionShared {
		t.Fatalf("after a second open the first session is %q, want shared", impl)
	}
	got := make([]byte, 16)
	if n, _ := b.Read(got); string(got[:n]) != "hello" {
		t.Fatalf("the second open reads %q, want hello", got[:n])
	}
	if _, err := a.WriteString(" world"); err != nil {
		t.Fatalf("%v", err)
	}
	if n, _ := b.Read(got); string(got[:n]) != " world" {
		t.Fatalf("the second open reads %q after the first wrote, want \" world\"", got[:n])
	}
	if _, err := b.WriteAt([]byte("H"), 0); err != nil {
		t.Fatalf("%v", err)
	}
	if n, _ := a.ReadAt(got, 0); string(got[:n]) != "Hello world" {
		t.Fatalf("the first open reads %q, want \"Hello world\"", got[:n])
	}
	b.Close()
	rootfs.Policies().Worker().Wait()
	if impl, _ := sessionOf(name, -1); impl != serve.SessionSmallFile {
		t.Fatalf("alone again the session is %q, want smallfile", impl)
	}
	if _, err := a.WriteString("!"); err != nil {
		t.Fatalf("%v", err)
	}
	a.Close()
	if b, err := os.ReadFile(name); err != nil || string(b) != "Hello world!" {
		t.Fatalf("the file holds %q, %v", b, err)
	}
}

// testSessionRecallStress: one description written and read by a
// goroutine on every CPU (each its own 8-byte record, a new sequence
// number each time, read back at once) while another thread opens and
// closes the file again and again: every open recalls the client slot and
// swaps the session to shared, every close lets the policy swap it back.
// No record may be lost or read stale, and both paths must have served.
func testSessionRecallStress(t TB) {
	if rootfs.Server() == nil {
		t.Fatalf("no root file system: %v", rootfs.Err())
	}
	dir, err := os.MkdirTemp("", "recall")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	name := dir + "/f"
	workers := max(runtime.GOMAXPROCS(0), 4)
	f, err := os.Create(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 8*workers)); err != nil {
		t.Fatalf("%v", err)
	}
	stop := make(chan struct{})
	var recalls atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for {
			select {
			case <-stop:
				return
			default:
			}
			g, err := os.Open(name)
			if err != nil {
				t.Errorf("open: %v", err)
				return
			}
			g.Close()
			recalls.Add(1)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	const iters = 15000
	var done sync.WaitGroup
	for w := range workers {
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			off := int64(8 * w)
			rec, back := make([]byte, 8), make([]byte, 8)
			for i := uint64(1); i <= iters; i++ {
				binary.BigEndian.PutUint64(rec, i)
				if _, err := f.WriteAt(rec, off); err != nil {
					t.Errorf("worker %d: write: %v", w, err)
					return
				}
				if _, err := f.ReadAt(back, off); err != nil {
					t.Errorf("worker %d: read: %v", w, err)
					return
				}
				if !bytes.Equal(rec, back) {
					t.Errorf("worker %d wrote %d and read %d back", w, i, binary.BigEndian.Uint64(back))
					return
				}
			}
		}()
	}
	done.Wait()
	close(stop)
	wg.Wait()
	rootfs.Policies().Worker().Wait()
	var hits uint64
	for _, in := range rootfs.Server().Sessions() {
		if in.Path == name {
			hits += in.Hits[0] + in.Hits[1]
		}
	}
	f.Sync()
	all, err := os.ReadFile(name)
	if err != nil || len(all) != 8*workers {
		t.Fatalf("the file: %d bytes, %v", len(all), err)
	}
	for w := range workers {
		if v := binary.BigEndian.Uint64(all[8*w:]); v != iters {
			t.Fatalf("worker %d's record holds %d, want %d", w, v, iters)
		}
	}
	if recalls.Load() < 20 || hits == 0 {
		t.Fatalf("too little happened: %d recalls, %d calls served on the client", recalls.Load(), hits)
	}
	t.Logf("%d workers x %d writes and reads; %d opens recalled the session; %d calls served on the client", workers, iters, recalls.Load(), hits)
}
