package serve

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"k42/fs"
	"k42/fs/serve/client"
	"k42/kernel"
	"k42/kernel/linux"
	"k42/mm/fcm"
	"k42/reconfig"
	"k42/reconfig/generation"
	"k42/reconfig/platform"
)

// trap plays the trap layer for the session tests: each call tries the
// client slot first, as the kernel's handlers do, and is forwarded to the
// server (serveOne) when the slot says so. Buffers are in memory outside
// the Go heap, as a caller's are to the server.
type trap struct {
	t     testing.TB
	s     *Server
	arena []byte
	mu    sync.Mutex
	next  int
	tid   int32
	fast  atomic.Int64 // calls the slot served
	fwd   atomic.Int64 // calls forwarded
	flags map[int32]uint32
}

// config is one of the sessions' configurations.
type config struct {
	name  string
	apply func(*Server)
}

var configs = []config{
	{"shared", func(s *Server) { s.sessions.SetOn(false) }},
	{"exclusive", func(s *Server) { s.policies.Set("sessions.smallfile=0") }},
	{"smallfile", func(s *Server) {}},
	{"adaptive", func(s *Server) { s.policies.Set("sharing.window=1s") }},
}

// newTrapServer returns a server over a file system whose files have FCMs
// (single to start with), and a trap in front of it.
func newTrapServer(t testing.TB, cfg config) (*Server, *trap) {
	t.Helper()
	d, err := generation.New(platform.Current(), 4)
	require.NoError(t, err)
	tab := reconfig.NewTable(d)
	m, limit, err := fcm.NewInMemory(tab, 8<<20, 64<<20, fcm.ImplSingle)
	require.NoError(t, err)
	s, err := New(noKernel{}, fs.New(fs.Options{Pages: limit, Data: m.DataFactory()}), tab)
	require.NoError(t, err)
	cfg.apply(s)
	for h := range int32(client.MaxSlots) {
		client.Clear(h) // slots a server of an earlier test left
	}
	arena, err := syscall.Mmap(-1, 0, 16<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { s.policies.Worker().Wait(); syscall.Munmap(arena) })
	return s, &trap{t: t, s: s, arena: arena, flags: map[int32]uint32{}}
}

// buf returns n bytes of the arena (a fresh piece each time, reused after
// 16 MiB).
func (tr *trap) buf(n int) []byte {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.next+n > len(tr.arena) {
		tr.next = 0
	}
	b := tr.arena[tr.next : tr.next+n : tr.next+n]
	tr.next += (n + 15) &^ 15
	return b
}

func addr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

func (tr *trap) serve(nr uint64, h int32, args ...uint64) (int64, int32) {
	rq := new(request)
	rq.Nr = nr
	rq.Handle = [2]int32{h, kernel.HandleNone}
	rq.TID = tr.tid
	copy(rq.Args[:], args)
	tr.fwd.Add(1)
	return tr.s.serveOne(rq)
}

// open opens path with flags (0o644 if it creates) and returns the handle.
func (tr *trap) open(path string, flags int) int32 {
	tr.t.Helper()
	rq := new(request)
	rq.Nr = linux.SYS_OPENAT
	rq.Handle = [2]int32{kernel.HandleCwd, kernel.HandleNone}
	rq.PathLen[0] = int32(copy(rq.Path[0][:], path))
	rq.Args = [6]uint64{^uint64(99), 0, uint64(flags), 0o644}
	rq.TID = tr.tid
	r, h := tr.s.serveOne(rq)
	require.Zero(tr.t, r, "open %s", path)
	return h
}

func (tr *trap) close(h int32) {
	tr.t.Helper()
	r, _ := tr.serve(kernel.NrRelease, h)
	require.Zero(tr.t, r, "close")
}

// fast runs op on h's slot as the trap layer does (Take, op, Give); ok
// false: forward the call.
func fast[T any](h int32, op func(*client.Slot) (T, bool)) (T, bool) {
	s := client.Take(h)
	if s == nil {
		var zero T
		return zero, false
	}
	r, ok := op(s)
	s.Give()
	return r, ok
}

func now() linux.Timespec { return linux.Timespec{Sec: time.Now().Unix()} }

func (tr *trap) write(h int32, p []byte) int64 {
	b := tr.buf(len(p))
	copy(b, p)
	if r, ok := fast(h, func(s *client.Slot) (int64, bool) { return s.Write(b, now()) }); ok {
		tr.fast.Add(1)
		return r
	}
	r, _ := tr.serve(linux.SYS_WRITE, h, 3, addr(b), uint64(len(b)))
	return r
}

func (tr *trap) pwrite(h int32, p []byte, off int64) int64 {
	b := tr.buf(len(p))
	copy(b, p)
	if r, ok := fast(h, func(s *client.Slot) (int64, bool) { return s.WriteAt(b, off, now()) }); ok {
		tr.fast.Add(1)
		return r
	}
	r, _ := tr.serve(linux.SYS_PWRITE64, h, 3, addr(b), uint64(len(b)), uint64(off))
	return r
}

func (tr *trap) read(h int32, n int) []byte {
	b := tr.buf(n)
	if r, ok := fast(h, func(s *client.Slot) (int64, bool) { return s.Read(b) }); ok {
		tr.fast.Add(1)
		return bytes.Clone(b[:r])
	}
	r, _ := tr.serve(linux.SYS_READ, h, 3, addr(b), uint64(n))
	require.GreaterOrEqual(tr.t, r, int64(0), "read")
	return bytes.Clone(b[:r])
}

func (tr *trap) pread(h int32, n int, off int64) []byte {
	b := tr.buf(n)
	if r, ok := fast(h, func(s *client.Slot) (int64, bool) { return s.ReadAt(b, off) }); ok {
		tr.fast.Add(1)
		return bytes.Clone(b[:r])
	}
	r, _ := tr.serve(linux.SYS_PREAD64, h, 3, addr(b), uint64(n), uint64(off))
	if r < 0 {
		tr.t.Errorf("pread: %d", r)
		return nil
	}
	return bytes.Clone(b[:r])
}

func (tr *trap) seek(h int32, off int64, whence int) int64 {
	if r, ok := fast(h, func(s *client.Slot) (int64, bool) { return s.Lseek(off, whence) }); ok {
		tr.fast.Add(1)
		return r
	}
	r, _ := tr.serve(linux.SYS_LSEEK, h, 3, uint64(off), uint64(whence))
	return r
}

func (tr *trap) fstat(h int32) linux.Stat {
	b := tr.buf(int(unsafe.Sizeof(linux.Stat{})))
	st := (*linux.Stat)(unsafe.Pointer(&b[0]))
	if _, ok := fast(h, func(s *client.Slot) (int, bool) { s.Stat(st); return 0, true }); ok {
		tr.fast.Add(1)
		return *st
	}
	r, _ := tr.serve(linux.SYS_FSTAT, h, 3, addr(b))
	require.Zero(tr.t, r, "fstat")
	return *st
}

func (tr *trap) truncate(h int32, size int64) {
	r, _ := tr.serve(linux.SYS_FTRUNCATE, h, 3, uint64(size))
	require.Zero(tr.t, r, "ftruncate")
}

// statPath is stat(2) by path.
func (tr *trap) statPath(path string) linux.Stat {
	tr.t.Helper()
	b := tr.buf(int(unsafe.Sizeof(linux.Stat{})))
	rq := new(request)
	rq.Nr = linux.SYS_NEWFSTATAT
	rq.Handle = [2]int32{kernel.HandleCwd, kernel.HandleNone}
	rq.PathLen[0] = int32(copy(rq.Path[0][:], path))
	rq.Args = [6]uint64{^uint64(99), 0, addr(b), 0}
	r, _ := tr.s.serveOne(rq)
	require.Zero(tr.t, r, "stat %s", path)
	return *(*linux.Stat)(unsafe.Pointer(&b[0]))
}

func (s *Server) implOf(h int32) string { return sessionImpl(s.handle(h).sessE.Component()) }

// TestSessionsSeeEachOthersWrites: in every configuration, a file written
// through one open is read through a second open, and the other way, with
// offsets and lengths kept across the swap to shared the second open
// makes; back to one open, the policy gives the session back.
func TestSessionsSeeEachOthersWrites(t *testing.T) {
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			s, tr := newTrapServer(t, cfg)
			// A file with a byte in it: an empty one opened for writing
			// gets no small-file session (it is about to grow).
			p := tr.open("/f", syscall.O_CREAT|syscall.O_RDWR)
			require.EqualValues(t, 1, tr.write(p, []byte("x")))
			tr.close(p)
			a := tr.open("/f", syscall.O_RDWR)
			first := s.implOf(a)
			want := map[string]string{"shared": SessionShared, "exclusive": SessionExclusive, "smallfile": SessionSmallFile, "adaptive": SessionSmallFile}[cfg.name]
			require.Equal(t, want, first)
			require.EqualValues(t, 5, tr.write(a, []byte("hello")))
			require.EqualValues(t, 5, tr.fstat(a).Size)
			require.EqualValues(t, 5, tr.statPath("/f").Size, "stat by path sees the session's write")

			b := tr.open("/f", syscall.O_RDWR)
			require.Equal(t, SessionShared, s.implOf(a), "the second open made the first session shared")
			require.Equal(t, SessionShared, s.implOf(b))
			require.Equal(t, "hello", string(tr.read(b, 100)), "the second open reads the first's write")
			require.EqualValues(t, 6, tr.write(a, []byte(" world")), "the first open's offset survived the swap")
			require.Equal(t, " world", string(tr.read(b, 100)))
			require.EqualValues(t, 1, tr.pwrite(b, []byte("H"), 0))
			require.Equal(t, "Hello world", string(tr.pread(a, 100, 0)))
			require.EqualValues(t, 11, tr.fstat(a).Size)

			tr.close(b)
			s.policies.Worker().Wait()
			require.Equal(t, first, s.implOf(a), "alone again, the session is back")
			require.EqualValues(t, 11, tr.seek(a, 0, 1), "with its offset")
			require.EqualValues(t, 1, tr.write(a, []byte("!")))
			require.Equal(t, "Hello world!", string(tr.pread(a, 100, 0)))
			tr.close(a)
			c := tr.open("/f", syscall.O_RDONLY)
			require.Equal(t, "Hello world!", string(tr.read(c, 100)), "closed, the file has every write")
			tr.close(c)
		})
	}
}

// TestSessionServesOnTheClient: an exclusive session's reads, writes,
// seeks and stats that its window holds are served by the slot; the
// window's dirty data reaches the file on fsync, close and when it moves.
func TestSessionServesOnTheClient(t *testing.T) {
	s, tr := newTrapServer(t, configs[1]) // exclusive, 4 KiB window
	h := tr.open("/big", syscall.O_CREAT|syscall.O_RDWR)
	require.Equal(t, SessionExclusive, s.implOf(h))
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for off := 0; off < len(data); off += 512 {
		require.EqualValues(t, 512, tr.write(h, data[off:off+512]))
	}
	fast, fwd := tr.fast.Load(), tr.fwd.Load()
	t.Logf("128 writes of 512 B: %d on the client, %d forwarded", fast, fwd-1)
	require.GreaterOrEqual(t, fast, int64(100), "most writes stay on the client")
	require.EqualValues(t, 0, tr.seek(h, 0, 0))
	var got []byte
	for range 128 {
		got = append(got, tr.read(h, 512)...)
	}
	require.Equal(t, data, got)
	st := tr.fstat(h)
	require.EqualValues(t, len(data), st.Size)
	require.EqualValues(t, len(data), tr.statPath("/big").Size)
	tr.truncate(h, 1000)
	require.EqualValues(t, 1000, tr.fstat(h).Size)
	require.Empty(t, tr.pread(h, 10, 1000), "truncated")
	require.EqualValues(t, 1000, tr.seek(h, 0, 2))
	tr.close(h)
	require.Equal(t, client.Free, client.State(h), "closed: the slot is free")
}

// TestSmallFileSession: a small file is held whole on the client; growing
// past the threshold swaps it out to exclusive, with nothing lost.
func TestSmallFileSession(t *testing.T) {
	s, tr := newTrapServer(t, configs[2])
	h := tr.open("/s", syscall.O_CREAT|syscall.O_RDWR)
	require.EqualValues(t, 3000, tr.write(h, bytes.Repeat([]byte("a"), 3000)))
	tr.close(h)
	h = tr.open("/s", syscall.O_RDWR)
	require.Equal(t, SessionSmallFile, s.implOf(h))
	before := tr.fwd.Load()
	for range 10 {
		require.Len(t, tr.pread(h, 1024, 1000), 1024)
	}
	require.Equal(t, before, tr.fwd.Load(), "reads of a small file are never forwarded")
	require.EqualValues(t, 3000, tr.seek(h, 0, 2))
	require.EqualValues(t, 2000, tr.write(h, bytes.Repeat([]byte("b"), 2000)), "past the 4 KiB threshold")
	s.policies.Worker().Wait()
	require.Equal(t, SessionExclusive, s.implOf(h), "swapped out when it outgrew the threshold")
	got := tr.pread(h, 8000, 0)
	require.Equal(t, append(bytes.Repeat([]byte("a"), 3000), bytes.Repeat([]byte("b"), 2000)...), got)
	log, _ := s.policies.Log().List()
	require.NotEmpty(t, log)
	require.Equal(t, "the file grew past the small-file threshold", log[len(log)-1].Reason)
	tr.close(h)
}

// TestSessionsUnderSwapsWithChecksums: clients on 4 goroutines append
// records to their own files and check them with CRCs, while other opens
// of the same files come and go (each one swapping the first session to
// shared and the policy swapping it back) and the files' FCMs are swapped
// between single, replicated and sequential. No record may be lost,
// duplicated or torn.
func TestSessionsUnderSwapsWithChecksums(t *testing.T) {
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			s, tr := newTrapServer(t, cfg)
			const (
				clients = 4
				records = 1500
				size    = 100
			)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			var disturbed atomic.Int64
			var reopened [clients]atomic.Int64 // other opens of each client's file
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					path := fmt.Sprintf("/c%d", c)
					h := tr.open(path, syscall.O_CREAT|syscall.O_RDWR|syscall.O_APPEND)
					rng := rand.New(rand.NewPCG(uint64(c), 1))
					rec := make([]byte, size)
					for i := range records {
						for j := range rec[:size-4] {
							rec[j] = byte(rng.Uint32())
						}
						crc := crc32.ChecksumIEEE(rec[:size-4])
						rec[size-4], rec[size-3], rec[size-2], rec[size-1] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
						if n := tr.write(h, rec); n != size {
							t.Errorf("%s: append %d: %d", path, i, n)
							return
						}
						if i%17 == 0 {
							// Read back a random earlier record and check it.
							k := rng.IntN(i + 1)
							got := tr.pread(h, size, int64(k*size))
							if len(got) != size || crc32.ChecksumIEEE(got[:size-4]) != uint32(got[size-4])<<24|uint32(got[size-3])<<16|uint32(got[size-2])<<8|uint32(got[size-1]) {
								t.Errorf("%s: record %d of %d is torn", path, k, i)
								return
							}
						}
						if i == records/2 {
							// Half way, wait until another open of the file
							// has swapped this session (the disturber's
							// timing is the scheduler's).
							for deadline := time.Now().Add(20 * time.Second); reopened[c].Load() == 0 && time.Now().Before(deadline); {
								time.Sleep(time.Millisecond)
							}
						}
						if i%50 == 25 {
							if st := tr.fstat(h); st.Size != int64((i+1)*size) {
								t.Errorf("%s: fstat after %d records: size %d", path, i+1, st.Size)
								return
							}
						}
					}
					tr.close(h)
				}()
			}
			// Disturbers: other opens of the files, and FCM swaps.
			wg.Add(1)
			go func() {
				defer wg.Done()
				impls := []string{fcm.ImplReplicated, fcm.ImplSequential, fcm.ImplSingle}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					path := fmt.Sprintf("/c%d", i%clients)
					rq := new(request)
					rq.Nr = linux.SYS_OPENAT
					rq.Handle = [2]int32{kernel.HandleCwd, kernel.HandleNone}
					rq.PathLen[0] = int32(copy(rq.Path[0][:], path))
					rq.Args = [6]uint64{^uint64(99), 0, uint64(syscall.O_RDONLY), 0}
					r, h := s.serveOne(rq)
					if r != 0 {
						continue // not created yet
					}
					if d, ok := s.handle(h).f.Node().Data().(*fcm.File); ok {
						d.SwapTo(impls[i%len(impls)])
					}
					disturbed.Add(1)
					reopened[i%clients].Add(1)
					s.serveOne(&request{ServeRequest: kernel.ServeRequest{Nr: kernel.NrRelease, Handle: [2]int32{h, kernel.HandleNone}}})
					time.Sleep(time.Millisecond)
				}
			}()
			// Wait for the clients, then stop the disturber.
			deadline := time.After(60 * time.Second)
			for {
				time.Sleep(10 * time.Millisecond)
				n := 0
				for c := range clients {
					if st, err := s.FS().StatAt(nil, fmt.Sprintf("/c%d", c), 0); err == nil && st.Size == records*size {
						n++
					}
				}
				if n == clients {
					break
				}
				select {
				case <-deadline:
					t.Fatal("the clients did not finish")
				default:
				}
				if t.Failed() {
					break
				}
			}
			close(stop)
			wg.Wait()
			s.policies.Worker().Wait()
			t.Logf("%d opens and FCM swaps beside the clients; %d calls on the client, %d forwarded", disturbed.Load(), tr.fast.Load(), tr.fwd.Load())
			for c := range clients {
				require.Positive(t, reopened[c].Load(), "client %d's file was opened again while written", c)
			}
			for c := range clients {
				f, err := s.FS().OpenAt(nil, fmt.Sprintf("/c%d", c), syscall.O_RDONLY, 0)
				require.NoError(t, err)
				all := make([]byte, records*size+1)
				n, _ := f.ReadAt(all, 0)
				f.Close()
				require.Equal(t, records*size, n, "client %d's file", c)
				for k := range records {
					r := all[k*size : (k+1)*size]
					require.Equal(t, crc32.ChecksumIEEE(r[:size-4]), uint32(r[size-4])<<24|uint32(r[size-3])<<16|uint32(r[size-2])<<8|uint32(r[size-1]), "client %d record %d", c, k)
				}
			}
		})
	}
}

// TestSecondOpenByAnotherThreadSwapsSessionAndFCMTogether: a second open
// of a file by another thread makes the first session shared and the
// file's FCM replicated in one coordinated swap; by the same thread, only
// the session changes.
func TestSecondOpenByAnotherThreadSwapsSessionAndFCMTogether(t *testing.T) {
	s, tr := newTrapServer(t, configs[3])
	tr.tid = 1
	a := tr.open("/f", syscall.O_CREAT|syscall.O_RDWR)
	require.EqualValues(t, 3, tr.write(a, []byte("abc")))
	fcmOf := func(h int32) string { return s.handle(h).f.Node().Data().(*fcm.File).Impl() }
	require.Equal(t, fcm.ImplSingle, fcmOf(a))

	b := tr.open("/f", syscall.O_RDONLY) // the same thread
	require.Equal(t, SessionShared, s.implOf(a))
	require.Equal(t, fcm.ImplSingle, fcmOf(a), "one thread: the FCM stays")
	tr.close(b)
	s.policies.Worker().Wait()
	require.Equal(t, SessionSmallFile, s.implOf(a))

	tr.tid = 2
	b = tr.open("/f", syscall.O_RDONLY)
	require.Equal(t, SessionShared, s.implOf(a))
	require.Equal(t, fcm.ImplReplicated, fcmOf(a), "another thread: session and FCM changed together")
	require.Equal(t, "abc", string(tr.read(b, 10)), "the session's data reached the new FCM")
	log, _ := s.policies.Log().List()
	var reasons []string
	for _, d := range log {
		reasons = append(reasons, d.Policy+": "+d.From+" -> "+d.To)
	}
	require.Contains(t, reasons, "sharing: single -> replicated")
	require.Contains(t, reasons, "sessions: smallfile -> shared")
	tr.close(b)
	tr.close(a)
}

// TestSharingPolicyThreshold: the sharing policy swaps a file's FCM to
// replicated when, and only when, a second thread uses the file within
// its window; a thread that comes after the window does not count; after
// the quiet period with one thread the FCM goes back to single.
func TestSharingPolicyThreshold(t *testing.T) {
	s, tr := newTrapServer(t, configs[0]) // shared sessions: every call reaches the monitor
	require.NoError(t, s.policies.Set("sharing.window=50ms"))
	require.NoError(t, s.policies.Set("sharing.quiet=200ms"))
	tr.tid = 1
	h := tr.open("/f", syscall.O_CREAT|syscall.O_RDWR)
	tr.write(h, make([]byte, 8192))
	fcmOf := func() string { return s.handle(h).f.Node().Data().(*fcm.File).Impl() }
	for range 200 {
		tr.pread(h, 100, 0)
	}
	s.policies.Worker().Wait()
	require.Equal(t, fcm.ImplSingle, fcmOf(), "one thread, however many calls: no swap")

	time.Sleep(80 * time.Millisecond) // past the window
	tr.tid = 2
	tr.pread(h, 100, 0)
	s.policies.Worker().Wait()
	require.Equal(t, fcm.ImplSingle, fcmOf(), "a second thread after the window: not at once")

	tr.tid = 1
	tr.pread(h, 100, 0)
	s.policies.Worker().Wait()
	require.Equal(t, fcm.ImplReplicated, fcmOf(), "two threads within the window: replicated")

	// One thread for the quiet period: back to single.
	require.Eventually(t, func() bool {
		tr.pread(h, 100, 0)
		s.policies.Worker().Wait()
		return fcmOf() == fcm.ImplSingle
	}, 5*time.Second, 20*time.Millisecond)
	log, _ := s.policies.Log().List()
	require.Len(t, log, 2)
	require.Equal(t, "single", log[0].From)
	require.Equal(t, "replicated", log[0].To)
	require.Equal(t, "replicated", log[1].From)
	require.Equal(t, "single", log[1].To)

	// Switched off, it decides nothing.
	require.NoError(t, s.policies.Set("sharing=off"))
	tr.tid = 2
	tr.pread(h, 100, 0)
	tr.tid = 3
	tr.pread(h, 100, 0)
	s.policies.Worker().Wait()
	require.Equal(t, fcm.ImplSingle, fcmOf())
	tr.close(h)
}

// BenchmarkOpenClose is an open and a close of a file open nowhere
// else, served (the server's side of the calls).
func BenchmarkOpenClose(b *testing.B) {
	for _, cfg := range []config{configs[0], configs[2]} {
		b.Run(cfg.name, func(b *testing.B) {
			_, tr := newTrapServer(b, cfg)
			tr.close(tr.open("/f", syscall.O_CREAT|syscall.O_RDWR))
			for b.Loop() {
				tr.close(tr.open("/f", syscall.O_RDWR))
			}
		})
	}
}

// TestSmallFileThresholdIsExact: a small-file session stays one while the
// file is 4096 bytes (the threshold) and is swapped out by the write that
// makes it 4097.
func TestSmallFileThresholdIsExact(t *testing.T) {
	s, tr := newTrapServer(t, configs[2])
	h := tr.open("/t", syscall.O_CREAT|syscall.O_RDWR)
	require.Equal(t, SessionExclusive, s.implOf(h), "an empty file opened for writing: about to grow")
	require.EqualValues(t, 1, tr.write(h, []byte{0}))
	tr.close(h)
	h = tr.open("/t", syscall.O_RDWR)
	require.Equal(t, SessionSmallFile, s.implOf(h))
	require.EqualValues(t, 4096, tr.write(h, make([]byte, 4096)))
	s.policies.Worker().Wait()
	require.Equal(t, SessionSmallFile, s.implOf(h), "4096 bytes: still small")
	require.EqualValues(t, 4096, tr.fstat(h).Size)
	require.EqualValues(t, 1, tr.write(h, []byte{1}))
	s.policies.Worker().Wait()
	require.Equal(t, SessionExclusive, s.implOf(h), "4097 bytes: swapped out")
	require.EqualValues(t, 4097, tr.fstat(h).Size)
	got := tr.pread(h, 5000, 0)
	require.Len(t, got, 4097)
	require.EqualValues(t, 1, got[4096])
	tr.close(h)
}

// TestSmallFileCacheIsForReads: the sessions policy gives the small-file
// cache to opens of a small file that read it, and the exclusive session
// to opens about to grow one (an empty file opened for writing, an
// append), which would swap it out at once.
func TestSmallFileCacheIsForReads(t *testing.T) {
	s, tr := newTrapServer(t, configs[2])
	for _, c := range []struct {
		path  string
		flags int
		want  string
	}{
		{"/new", syscall.O_CREAT | syscall.O_RDWR, SessionExclusive},
		{"/new", syscall.O_RDONLY, SessionSmallFile}, // empty, but only read
		{"/new", syscall.O_WRONLY, SessionExclusive},
		{"/one", syscall.O_CREAT | syscall.O_RDWR, SessionExclusive},
	} {
		h := tr.open(c.path, c.flags)
		require.Equal(t, c.want, s.implOf(h), "%s %#o", c.path, c.flags)
		if c.path == "/one" {
			require.EqualValues(t, 1, tr.write(h, []byte{1}))
		}
		tr.close(h)
	}
	for flags, want := range map[int]string{
		syscall.O_RDWR: SessionSmallFile, syscall.O_RDONLY: SessionSmallFile,
		syscall.O_RDWR | syscall.O_APPEND: SessionExclusive, syscall.O_WRONLY | syscall.O_APPEND: SessionExclusive,
	} {
		h := tr.open("/one", flags)
		require.Equal(t, want, s.implOf(h), "a 1-byte file opened %#o", flags)
		tr.close(h)
	}
}

// TestOpensAndClosesOfOneFileFromManyThreads: threads opening and closing
// one small file over and over, as SDET's scripts open the shared tree's
// headers: a second open swaps the sessions it finds to shared while some
// of them are being closed, and every open and read must succeed (a
// closed description's session takes the swap without its file).
func TestOpensAndClosesOfOneFileFromManyThreads(t *testing.T) {
	s, tr := newTrapServer(t, configs[3])
	h := tr.open("/hdr", syscall.O_CREAT|syscall.O_RDWR)
	require.EqualValues(t, 100, tr.write(h, bytes.Repeat([]byte("h"), 100)))
	tr.close(h)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 400 {
				rq := new(request)
				rq.Nr = linux.SYS_OPENAT
				rq.Handle = [2]int32{kernel.HandleCwd, kernel.HandleNone}
				rq.PathLen[0] = int32(copy(rq.Path[0][:], "/hdr"))
				rq.Args = [6]uint64{^uint64(99), 0, uint64(syscall.O_RDONLY), 0}
				rq.TID = int32(g + 1)
				r, h := s.serveOne(rq)
				if r != 0 {
					failed.Add(1)
					t.Errorf("thread %d: open: %d", g+1, r)
					return
				}
				rel := new(request)
				rel.Nr = kernel.NrRelease
				rel.Handle[0] = h
				if r, _ := s.serveOne(rel); r != 0 {
					t.Errorf("thread %d: close: %d", g+1, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Zero(t, failed.Load())
}

// TestFileObjectsOutliveTheirLastClose: a file's server object stays in
// the table, idle, after its last close, and the next open takes the same
// entry; it goes when the file is unlinked, and the oldest idle objects go
// beyond maxIdleFiles.
func TestFileObjectsOutliveTheirLastClose(t *testing.T) {
	s, tr := newTrapServer(t, configs[0])
	tr.close(tr.open("/f", syscall.O_CREAT|syscall.O_RDWR))
	node, err := s.fsys.Lookup(nil, "/f", 0)
	require.NoError(t, err)
	name := "file:/f#" + strconv.FormatUint(node.Ino(), 10)
	first, err := s.tab.Object(name)
	require.NoError(t, err, "idle after its last close")
	h := tr.open("/f", syscall.O_RDWR)
	again, err := s.tab.Object(name)
	require.NoError(t, err)
	require.Same(t, first, again, "the next open takes the same object")
	tr.close(h)

	require.NoError(t, s.fsys.RenameAt(nil, "/f", nil, "/g", 0))
	tr.close(tr.open("/g", syscall.O_RDWR))
	_, err = s.tab.Object(name)
	require.Error(t, err, "renamed at its next open")
	renamed := "file:/g#" + strconv.FormatUint(node.Ino(), 10)
	again, err = s.tab.Object(renamed)
	require.NoError(t, err)
	require.Same(t, first, again)

	require.NoError(t, s.fsys.UnlinkAt(nil, "/g", 0))
	_, err = s.tab.Object(renamed)
	require.Error(t, err, "gone with its file")
	s.mu.Lock()
	require.Empty(t, s.files)
	require.Zero(t, s.nIdle)
	s.mu.Unlock()

	objName := func(path string) string {
		n, err := s.fsys.Lookup(nil, path, 0)
		require.NoError(t, err)
		return "file:" + path + "#" + strconv.FormatUint(n.Ino(), 10)
	}
	for i := range maxIdleFiles + 10 {
		tr.close(tr.open("/n"+strconv.Itoa(i), syscall.O_CREAT|syscall.O_RDWR))
	}
	s.mu.Lock()
	require.Equal(t, maxIdleFiles, s.nIdle)
	require.Len(t, s.files, maxIdleFiles)
	s.mu.Unlock()
	_, err = s.tab.Object(objName("/n0"))
	require.Error(t, err, "the oldest went")
	_, err = s.tab.Object(objName("/n10"))
	require.NoError(t, err, "the newest stay")
}
