package fs

import (
	"bytes"
	"sync"
	"syscall"
	"testing"
)

func TestPageStore(t *testing.T) {
	limit := NewPageLimit(10)
	s := NewPageStore(limit)
	buf := make([]byte, 3*PageSize)
	for i := range buf {
		buf[i] = 0xee
	}
	if n, err := s.ReadAt(buf, 5*PageSize); n != len(buf) || err != nil || !bytes.Equal(buf, make([]byte, len(buf))) {
		t.Fatalf("hole read: %d %v", n, err)
	}
	data := bytes.Repeat([]byte("abcdefg"), 1000) // 7000 bytes
	if n, err := s.WriteAt(data, PageSize-10); n != len(data) || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if s.Resident() != 3 || limit.Used() != 3 { // pages 0, 1, 2
		t.Fatalf("resident %d used %d", s.Resident(), limit.Used())
	}
	got := make([]byte, len(data))
	s.ReadAt(got, PageSize-10)
	if !bytes.Equal(got, data) {
		t.Fatal("read back differs")
	}
	if got := s.SeekPage(0, 100, true); got != 0 {
		t.Errorf("first data page %d", got)
	}
	if got := s.SeekPage(0, 100, false); got != 3 {
		t.Errorf("first hole %d", got)
	}
	if got := s.SeekPage(3, 100, true); got != 100 {
		t.Errorf("data after page 3: %d", got)
	}
	if got := s.SeekPage(0, 2, false); got != 2 {
		t.Errorf("hole bounded by end: %d", got)
	}
	s.WriteAt([]byte("z"), 50*PageSize)
	if got := s.SeekPage(3, 100, true); got != 50 {
		t.Errorf("next data page %d (map scan)", got)
	}
	if got := s.SeekPage(49, 51, true); got != 50 {
		t.Errorf("next data page %d (range scan)", got)
	}
	// Truncate drops pages at and beyond the size and zeroes the tail.
	must(t, "truncate", s.Truncate(PageSize+5))
	if s.Resident() != 2 || limit.Used() != 2 {
		t.Fatalf("after truncate: resident %d used %d", s.Resident(), limit.Used())
	}
	tail := make([]byte, PageSize)
	s.ReadAt(tail, PageSize)
	if !bytes.Equal(tail[:5], data[10:15]) || !bytes.Equal(tail[5:], make([]byte, PageSize-5)) {
		t.Fatalf("tail after truncate: %q", tail[:20])
	}
	must(t, "truncate to a page boundary", s.Truncate(PageSize))
	if s.Resident() != 1 {
		t.Fatalf("resident %d", s.Resident())
	}
	// The limit: writes stop at the page that cannot be had.
	n, err := s.WriteAt(make([]byte, 20*PageSize), 0)
	if n != 10*PageSize || err != syscall.ENOSPC || limit.Used() != 10 {
		t.Fatalf("write past the limit: %d %v used %d", n, err, limit.Used())
	}
	if n, err := s.WriteAt([]byte("x"), 3); n != 1 || err != nil {
		t.Fatalf("write to a held page when full: %d %v", n, err)
	}
	_, err = s.ReadAt(buf, -1)
	wantErrno(t, "negative read", err, syscall.EINVAL)
	_, err = s.WriteAt(buf, -1)
	wantErrno(t, "negative write", err, syscall.EINVAL)
	wantErrno(t, "negative truncate", s.Truncate(-1), syscall.EINVAL)
	must(t, "sync", s.Sync())
	s.Release()
	if s.Resident() != 0 || limit.Used() != 0 {
		t.Fatalf("after release: resident %d used %d", s.Resident(), limit.Used())
	}
}

func TestPageLimitConcurrent(t *testing.T) {
	limit := NewPageLimit(1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if limit.Take() {
					mu.Lock()
					got++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if got != 1000 || limit.Used() != 1000 || limit.Max() != 1000 {
		t.Fatalf("took %d, used %d", got, limit.Used())
	}
	limit.Return(1000)
	defer func() {
		if recover() == nil {
			t.Fatal("returning pages never taken did not panic")
		}
	}()
	limit.Return(1)
}
