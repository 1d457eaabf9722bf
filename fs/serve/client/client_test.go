package client

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"k42/kernel/linux"
)

// open publishes slot h as an exclusive session over a file of length n
// with a window of size w at 0 holding data.
func open(h int32, data []byte, w int) *Slot {
	s := Get(h)
	Clear(h)
	s.Buf = make([]byte, w)
	s.WinLen = copy(s.Buf, data)
	s.Len = int64(len(data))
	Publish(h)
	return s
}

func TestFastPathServesTheWindow(t *testing.T) {
	const h = 7
	s := open(h, []byte("hello, world"), 16)
	defer Clear(h)
	p := make([]byte, 5)
	n, ok := Read(h, p)
	require.True(t, ok)
	require.Equal(t, "hello", string(p[:n]))
	n, ok = Read(h, p)
	require.True(t, ok)
	require.Equal(t, ", wor", string(p[:n]))
	n, ok = Read(h, p)
	require.True(t, ok)
	require.Equal(t, "ld", string(p[:n]), "a short read at the end of the file")
	n, ok = Read(h, p)
	require.True(t, ok)
	require.Zero(t, n, "end of file")

	// Writes: next to the data, within the window.
	now := linux.Timespec{Sec: 5}
	n, ok = Write(h, []byte("!!"), now)
	require.True(t, ok)
	require.EqualValues(t, 2, n)
	require.EqualValues(t, 14, s.Len)
	require.Equal(t, [2]int{12, 14}, [2]int{s.Lo, s.Hi})
	_, ok = Write(h, []byte("abc"), now)
	require.False(t, ok, "past the window's capacity: forwarded")
	_, ok = WriteAt(h, []byte("x"), 15, now)
	require.False(t, ok, "a hole: forwarded")
	n, ok = WriteAt(h, []byte("H"), 0, now)
	require.True(t, ok)
	require.EqualValues(t, 1, n)
	require.Equal(t, [2]int{0, 14}, [2]int{s.Lo, s.Hi})
	q := make([]byte, 32)
	n, ok = ReadAt(h, q, 0)
	require.True(t, ok)
	require.Equal(t, "Hello, world!!", string(q[:n]))

	// Seeks.
	r, ok := Seek(h, -4, 2)
	require.True(t, ok)
	require.EqualValues(t, 10, r)
	r, ok = Seek(h, -11, 1)
	require.True(t, ok)
	require.EqualValues(t, -linux.EINVAL, r)
	_, ok = Seek(h, 0, 3)
	require.False(t, ok, "SEEK_DATA: forwarded")

	var st linux.Stat
	require.True(t, Stat(h, &st))
	require.EqualValues(t, 14, st.Size)
	require.Equal(t, now, st.Mtime)

	// Append mode writes at the end.
	s.Append = true
	_, ok = Seek(h, 0, 0)
	require.True(t, ok)
	n, ok = Write(h, []byte("?"), now)
	require.True(t, ok)
	require.EqualValues(t, 15, s.Len)
	require.EqualValues(t, 15, s.Off)
	_, ok = WriteAt(h, []byte("?"), 0, now)
	require.False(t, ok, "pwrite with O_APPEND: forwarded")
}

func TestNothingIsServedOutsideIdle(t *testing.T) {
	const h = 8
	p := make([]byte, 4)
	_, ok := Read(h, p)
	require.False(t, ok, "a free slot forwards")
	open(h, []byte("data"), 8)
	defer Clear(h)
	require.True(t, Acquire(h))
	_, ok = Read(h, p)
	require.False(t, ok, "a slot a server holds forwards")
	Recall(h)
	_, ok = Read(h, p)
	require.False(t, ok, "a recalled slot forwards")
	require.True(t, Acquire(h), "a server takes a recalled slot back")
	Release(h)
	_, ok = Read(h, p)
	require.True(t, ok)

	var changes atomic.Uint64
	s := Get(h)
	require.True(t, Acquire(h))
	s.Changes, s.Seen = &changes, 0
	Release(h)
	_, ok = Read(h, p)
	require.True(t, ok)
	changes.Add(1)
	_, ok = Read(h, p)
	require.False(t, ok, "a change of the node by someone else forwards")
	require.Equal(t, Idle, State(h), "and leaves the slot to the server's refresh")
}

// TestFastPathAndRecallExclude runs the fast path on 4 goroutines (the
// trap layer on 4 CPUs) against a server that keeps recalling the slot,
// flushing its dirty bytes into the file and moving the window, and
// republishing it. Each client owns an 8-byte record; it writes a new
// sequence number with the fast path or, when that forwards, the way a
// server would, then reads it back. No write may be lost or seen stale,
// and every byte flushed must be one a client wrote.
func TestFastPathAndRecallExclude(t *testing.T) {
	const (
		h       = 9
		clients = 4
		rec     = 8
		iters   = 20000
		// minRecalls is the least number of recalls the clients run beside.
		minRecalls = 200
	)
	file := make([]byte, clients*rec) // the server's copy of the file
	var fileMu sync.Mutex
	s := open(h, file, len(file))
	defer Clear(h)

	// serverWrite is a forwarded write: under the slot, into the window
	// if the window holds it, else into the file.
	serverWrite := func(p []byte, off int64) {
		if !Acquire(h) {
			t.Error("the session vanished")
			return
		}
		if _, ok := s.writeAt(p, off, linux.Timespec{}); !ok {
			fileMu.Lock()
			copy(file[off:], p)
			fileMu.Unlock()
		}
		Release(h)
	}
	serverRead := func(p []byte, off int64) {
		if !Acquire(h) {
			t.Error("the session vanished")
			return
		}
		if _, ok := s.readAt(p, off); !ok {
			fileMu.Lock()
			copy(p, file[off:])
			fileMu.Unlock()
		}
		Release(h)
	}
	// flush is a recall: the dirty bytes go to the file, and the window is
	// emptied or reloaded.
	var recalls atomic.Int64
	flush := func(reload bool) {
		if !Acquire(h) {
			return
		}
		fileMu.Lock()
		if s.Lo != s.Hi {
			copy(file[s.WinOff+int64(s.Lo):], s.Buf[s.Lo:s.Hi])
		}
		s.Lo, s.Hi = 0, 0
		if reload {
			s.WinOff, s.WinLen = 0, copy(s.Buf, file)
		} else {
			s.WinOff, s.WinLen = 0, 0
		}
		fileMu.Unlock()
		recalls.Add(1)
		if reload {
			Release(h)
		} else {
			Recall(h)
		}
	}

	var fast, forwarded atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	flusherDone := make(chan struct{})
	go func() {
		defer close(flusherDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			flush(i%2 == 0)
			runtime.Gosched()
		}
	}()
	// Each client writes at least iters records, and goes on until the
	// server has recalled the slot enough times for both paths to have
	// served (without -race the clients would otherwise finish first).
	var last [clients]uint64
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := int64(c * rec)
			w, r := make([]byte, rec), make([]byte, rec)
			for i := uint64(1); i <= iters || recalls.Load() < minRecalls; i++ {
				last[c] = i
				binary.BigEndian.PutUint64(w, i)
				if _, ok := WriteAt(h, w, off, linux.Timespec{}); ok {
					fast.Add(1)
				} else {
					forwarded.Add(1)
					serverWrite(w, off)
				}
				if n, ok := ReadAt(h, r, off); !ok || n != rec {
					serverRead(r, off)
				}
				if got := binary.BigEndian.Uint64(r); got != i {
					t.Errorf("client %d wrote %d and read %d back", c, i, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-flusherDone // before the deferred Clear: the flusher may be inside a recall
	flush(true)
	for c := range clients {
		require.EqualValues(t, last[c], binary.BigEndian.Uint64(file[c*rec:]), "client %d's last write", c)
	}
	t.Logf("%d fast writes, %d forwarded, %d recalls", fast.Load(), forwarded.Load(), recalls.Load())
	require.Positive(t, fast.Load(), "the fast path served some writes")
	require.Positive(t, forwarded.Load(), "and recalls sent some to the server")
}

// One-call forms for handle h (Take, the operation, Give), as the trap
// layer makes them, for the tests.

// Read is Slot.Read on h's slot.
func Read(h int32, p []byte) (int64, bool) {
	s := Take(h)
	if s == nil {
		return 0, false
	}
	n, ok := s.Read(p)
	s.Give()
	return n, ok
}

// ReadAt is Slot.ReadAt on h's slot.
func ReadAt(h int32, p []byte, off int64) (int64, bool) {
	s := Take(h)
	if s == nil {
		return 0, false
	}
	n, ok := s.ReadAt(p, off)
	s.Give()
	return n, ok
}

// Write is Slot.Write on h's slot.
func Write(h int32, p []byte, now linux.Timespec) (int64, bool) {
	s := Take(h)
	if s == nil {
		return 0, false
	}
	n, ok := s.Write(p, now)
	s.Give()
	return n, ok
}

// WriteAt is Slot.WriteAt on h's slot.
func WriteAt(h int32, p []byte, off int64, now linux.Timespec) (int64, bool) {
	s := Take(h)
	if s == nil {
		return 0, false
	}
	n, ok := s.WriteAt(p, off, now)
	s.Give()
	return n, ok
}

// Seek is Slot.Lseek on h's slot.
func Seek(h int32, off int64, whence int) (int64, bool) {
	s := Take(h)
	if s == nil {
		return 0, false
	}
	r, ok := s.Lseek(off, whence)
	s.Give()
	return r, ok
}

// Stat is Slot.Stat on h's slot.
func Stat(h int32, st *linux.Stat) bool {
	s := Take(h)
	if s == nil {
		return false
	}
	s.Stat(st)
	s.Give()
	return true
}
