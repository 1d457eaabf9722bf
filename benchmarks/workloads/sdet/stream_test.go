package sdet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMakeStreamFiles(t *testing.T) {
	const size = 1<<20 + 1000 // two writes
	var files [2][]string
	for i := range files {
		paths, err := MakeStreamFiles(filepath.Join(t.TempDir(), "s"), 2, size)
		if err != nil || len(paths) != 2 {
			t.Fatalf("%q %v", paths, err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil || len(data) != size {
				t.Fatalf("%s: %d bytes, %v", p, len(data), err)
			}
			files[i] = append(files[i], string(data))
		}
	}
	if files[0][0] != files[1][0] || files[0][1] != files[1][1] {
		t.Error("stream files differ from one making to the next")
	}
	if files[0][0] == files[0][1] || strings.Count(files[0][0][:4096], "\x00") > 100 {
		t.Error("stream files not pseudo-random")
	}
	for _, bad := range []struct {
		n    int
		size int64
	}{{0, 10}, {1, 0}} {
		if _, err := MakeStreamFiles(t.TempDir(), bad.n, bad.size); err == nil {
			t.Errorf("n %d size %d accepted", bad.n, bad.size)
		}
	}
}

func TestStreams(t *testing.T) {
	const size = 100_000
	paths, err := MakeStreamFiles(t.TempDir(), 2, size)
	if err != nil {
		t.Fatal(err)
	}
	s := StartStreams(paths, 8192)
	deadline := time.Now().Add(10 * time.Second)
	for s.Snapshot().MinPasses() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r := s.Stop()
	if r.Err != nil || len(r.Streams) != 2 || r.Elapsed <= 0 || r.MBPerSecond() <= 0 {
		t.Fatalf("report %+v", r)
	}
	var bytes, passes int64
	for i, st := range r.Streams {
		if st.Path != paths[i] || st.Passes < 2 || st.Bytes < st.Passes*size || st.Bytes > (st.Passes+1)*size {
			t.Errorf("stream %d: %+v", i, st)
		}
		bytes += st.Bytes
		passes += st.Passes
	}
	if r.Bytes != bytes || r.Passes != passes {
		t.Errorf("totals %d bytes, %d passes; streams' %d, %d", r.Bytes, r.Passes, bytes, passes)
	}
	if again := s.Stop(); again.Bytes != r.Bytes || again.Passes != r.Passes {
		t.Errorf("second Stop %+v", again)
	}
}

func TestStreamsError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nosuch")
	s := StartStreams([]string{missing}, 0)
	time.Sleep(10 * time.Millisecond)
	r := s.Stop()
	if r.Err == nil || !strings.Contains(r.Err.Error(), missing) || r.Bytes != 0 {
		t.Errorf("report %+v", r)
	}
	if r := StartStreams(nil, 0).Stop(); r.Err != nil || r.Bytes != 0 || r.MinPasses() != 0 {
		t.Errorf("no streams: %+v", r)
	}
}

// TestStreamsPace: paced readers read no more than their rate allows
// (one read ahead of it at most), and still read.
func TestStreamsPace(t *testing.T) {
	const size, block, rate = 1 << 20, 8192, 100_000
	paths, err := MakeStreamFiles(t.TempDir(), 2, size)
	if err != nil {
		t.Fatal(err)
	}
	s := StartStreams(paths, block)
	s.Pace(rate)
	// A reader starts pacing at its next read: what it read before, and
	// that read, are outside the rate.
	time.Sleep(50 * time.Millisecond)
	before := s.Snapshot()
	time.Sleep(500 * time.Millisecond)
	after := s.Snapshot()
	r := s.Stop()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	elapsed := (after.Elapsed - before.Elapsed).Seconds()
	for i := range paths {
		got := after.Streams[i].Bytes - before.Streams[i].Bytes
		if most := int64(rate*elapsed) + 2*block; got > most || got < block {
			t.Errorf("stream %d read %d bytes in %.2f s paced at %d B/s; want %d to %d", i, got, elapsed, rate, block, most)
		}
	}
}
