package sdet

import (
	"k42/benchmarks/measure"

	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// streamChunk is how much MakeStreamFiles writes a call.
const streamChunk = 1 << 20

// DefaultStreamBlock is the read size of StartStreams' readers when it
// is given none.
const DefaultStreamBlock = 64 << 10

// MakeStreamFiles writes n files of size bytes each in dir (made if need
// be), named stream-0 to stream-<n-1>, in 1 MiB writes of pseudo-random
// bytes (file i's are the same every time), and returns their paths.
func MakeStreamFiles(dir string, n int, size int64) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("sdet: stream files: n %d < 1", n)
	}
	if size < 1 {
		return nil, fmt.Errorf("sdet: stream files: size %d < 1", size)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sdet: stream files: %w", err)
	}
	chunk := make([]byte, min(size, streamChunk))
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("stream-%d", i))
		if err := writeStream(p, i, size, chunk); err != nil {
			return paths, fmt.Errorf("sdet: stream files: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writeStream(path string, i int, size int64, chunk []byte) error {
	var seed [32]byte
	copy(seed[:], "sdet stream file")
	seed[31], seed[30], seed[29] = byte(i), byte(i>>8), byte(i>>16)
	src := rand.NewChaCha8(seed)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	for left := size; left > 0; {
		b := chunk[:min(left, int64(len(chunk)))]
		src.Read(b)
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		left -= int64(len(b))
	}
	return f.Close()
}

// Streams is a set of running sequential readers, one a file.
type Streams struct {
	start   time.Time
	block   int
	stop    atomic.Bool
	rate    atomic.Int64 // bytes per second a reader reads at; 0: as fast as it can
	wg      sync.WaitGroup
	readers []*reader
	once    sync.Once
	report  StreamReport
}

// reader is one file's reader.
type reader struct {
	path          string
	bytes, passes atomic.Int64
	paced         int64     // bytes read since pacing started; its goroutine's
	pacedFrom     time.Time // when it started; zero: not pacing
	err           error     // set by its goroutine before it ends
}

// StreamStat is what one reader did.
type StreamStat struct {
	Path   string
	Bytes  int64 // bytes read, the pass under way when stopped included
	Passes int64 // passes read to the end of the file (a read returned EOF)
}

// StreamReport is what a Streams' readers did.
type StreamReport struct {
	Elapsed time.Duration // from StartStreams to Stop (or Snapshot)
	Bytes   int64         // all readers' bytes
	Passes  int64         // all readers' passes
	Streams []StreamStat  // a reader each, in the order of the paths
	Err     error         // the reads that failed (each ended its reader)
}

// MBPerSecond is the readers' bytes per second of Elapsed, in MB (10⁶
// bytes).
func (r StreamReport) MBPerSecond() float64 { return measure.Rate(float64(r.Bytes)/1e6, r.Elapsed) }

// MinPasses is the fewest passes a reader has made.
func (r StreamReport) MinPasses() int64 {
	if len(r.Streams) == 0 {
		return 0
	}
	m := r.Streams[0].Passes
	for _, s := range r.Streams[1:] {
		m = min(m, s.Passes)
	}
	return m
}

// StartStreams starts a reader (a goroutine) for each path. Each opens
// its file, reads it from start to end in block-byte reads (0 or less:
// DefaultStreamBlock), closes it, and does so again, pass after pass,
// until Stop. A reader whose open or read fails ends, and Stop reports
// why.
func StartStreams(paths []string, block int) *Streams {
	if block <= 0 {
		block = DefaultStreamBlock
	}
	s := &Streams{start: time.Now(), block: block}
	for _, p := range paths {
		rd := &reader{path: p}
		s.readers = append(s.readers, rd)
		s.wg.Go(func() { rd.err = s.read(rd) })
	}
	return s
}

func (s *Streams) read(rd *reader) error {
	buf := make([]byte, s.block)
	for !s.stop.Load() {
		f, err := os.Open(rd.path)
		if err != nil {
			return err
		}
		for {
			if s.stop.Load() {
				f.Close()
				return nil
			}
			s.pace(rd)
			n, err := f.Read(buf)
			rd.bytes.Add(int64(n))
			rd.paced += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
		rd.passes.Add(1)
	}
	return nil
}

// Pace makes every reader read at most bytesPerSecond from now on (0 or
// less: as fast as it can again), as a media player streams a file at
// its bit rate: each waits before a read until its bytes since Pace fit
// the rate. Readers that compete for a disk at a fixed pace put the same
// load on it whatever the page cache does with their pages, so that a
// comparison of page-replacement policies measures the cache, not the
// disk's queue.
func (s *Streams) Pace(bytesPerSecond int64) { s.rate.Store(max(0, bytesPerSecond)) }

// pace waits, before rd's next read, until its bytes fit the rate.
func (s *Streams) pace(rd *reader) {
	rate := s.rate.Load()
	if rate == 0 {
		rd.pacedFrom = time.Time{}
		return
	}
	if rd.pacedFrom.IsZero() {
		rd.pacedFrom, rd.paced = time.Now(), 0
		return
	}
	due := rd.pacedFrom.Add(time.Duration(float64(rd.paced) / float64(rate) * float64(time.Second)))
	for d := time.Until(due); d > 0 && !s.stop.Load(); d = time.Until(due) {
		time.Sleep(min(d, 50*time.Millisecond))
	}
}

// Snapshot returns what the readers have done so far, without stopping
// them (Err is left to Stop).
func (s *Streams) Snapshot() StreamReport {
	r := StreamReport{Elapsed: time.Since(s.start)}
	for _, rd := range s.readers {
		st := StreamStat{Path: rd.path, Bytes: rd.bytes.Load(), Passes: rd.passes.Load()}
		r.Streams = append(r.Streams, st)
		r.Bytes += st.Bytes
		r.Passes += st.Passes
	}
	return r
}

// Stop stops the readers, waits for them and returns what they did;
// called again, it returns the same.
func (s *Streams) Stop() StreamReport {
	s.once.Do(func() {
		s.stop.Store(true)
		s.wg.Wait()
		s.report = s.Snapshot()
		var errs []error
		for _, rd := range s.readers {
			if rd.err != nil {
				errs = append(errs, fmt.Errorf("sdet: stream %s: %w", rd.path, rd.err))
			}
		}
		s.report.Err = errors.Join(errs...)
	})
	return s.report
}
