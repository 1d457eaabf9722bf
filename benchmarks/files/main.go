// Command files is the file-system benchmark that runs unchanged as
// k42's program (go run ./qemu -app ./benchmarks/files) and as a process
// on Linux under the same QEMU, on its tmpfs (go run ./benchmarks/linux
// -app ./benchmarks/files), so that every k42 figure has a Linux figure
// from the same source beside it. It uses only the standard library and
// package syscall, and works in -dir (default /tmp).
//
//	files [-dir DIR] [-batches N] [-batch N] [-loops N] [-mib N] [-reads N]
//
// It prints one JSON line per figure on standard output, in the fields of
// benchmarks/results; the host adds the configuration and the run's
// context. Figures (medians of batches, per call or per iteration):
//
//   - getpid: syscall.RawSyscall(SYS_GETPID), the kernel's bare round
//     trip, which the forwarded call is compared with on the same kernel.
//   - fstat: syscall.Fstat of an open regular file, through
//     syscall.Syscall as the os package makes it. On k42 the call is
//     forwarded from the caller's thread to a file-system server thread
//     and back.
//   - fstat_all_busy: the same with GOMAXPROCS goroutines calling it at
//     once, so that every P is held by a caller sitting in a call.
//   - fstat_spinners: one goroutine calling it while GOMAXPROCS-1 others
//     spin (no system calls), so that every other P is busy running.
//   - create_write_stat_unlink: open(O_CREAT|O_TRUNC|O_WRONLY), write
//     4 KiB, close, stat, unlink: one iteration.
//   - write_64mib and read_64mib: a 64 MiB file (-mib) written and then
//     read in 64 KiB calls, in MB/s (the median of -reads passes).
//   - calibration: a CPU-bound loop with no system calls (as in
//     benchmarks/syscall), for how fast the two builds run plain code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"k42/benchmarks/measure"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	dir                          string
	batches, batch, loops, reads int
	mib                          int
}

func parseArgs(args []string) (options, error) {
	fs := flag.NewFlagSet("files", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.dir, "dir", "/tmp", "directory to work in (a tmpfs on Linux)")
	fs.IntVar(&o.batches, "batches", 100, "fstat and getpid: batches")
	fs.IntVar(&o.batch, "batch", 200, "fstat and getpid: calls per batch")
	fs.IntVar(&o.loops, "loops", 1000, "create/write/close/stat/unlink: iterations (in batches of 50)")
	fs.IntVar(&o.mib, "mib", 64, "the large file's size, MiB")
	fs.IntVar(&o.reads, "reads", 3, "passes over the large file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.batches < 1 || o.batch < 1 || o.loops < 50 || o.mib < 1 || o.reads < 1 {
		return o, errors.New("-batches, -batch, -mib and -reads must be at least 1, -loops at least 50")
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err == nil {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "files:", err)
		os.Exit(2)
	}
}

func run(o options) error {
	emit := measure.NewEmitter(os.Stdout, "files").Emit
	dir, err := os.MkdirTemp(o.dir, "files-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	emit("getpid", "median", perCall(o.batches, o.batch, func() {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}), "ns", o.batches*o.batch)

	f, err := os.Create(filepath.Join(dir, "stat-me"))
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	var st syscall.Stat_t
	fstat := func() {
		if err := syscall.Fstat(fd, &st); err != nil {
			panic(err)
		}
	}
	emit("fstat", "median", perCall(o.batches, o.batch, fstat), "ns", o.batches*o.batch)
	procs := runtime.GOMAXPROCS(0)
	emit("fstat_all_busy", "median", allBusy(procs, o.batches, o.batch, fstat), "ns", procs*o.batches*o.batch)
	emit("fstat_spinners", "median", withSpinners(procs-1, o.batches, o.batch, fstat), "ns", o.batches*o.batch)

	loop, err := createLoop(dir, o.loops)
	if err != nil {
		return err
	}
	emit("create_write_stat_unlink", "median", loop, "ns", o.loops)

	w, r, err := bigFile(dir, o.mib, o.reads)
	if err != nil {
		return err
	}
	emit("write_64mib", "median", w, "MB/s", o.reads)
	emit("read_64mib", "median", r, "MB/s", o.reads)

	emit("calibration", "median", measure.Calibration(2_000_000, 5), "ms", 5)
	return nil
}

// perCall returns the median batch's time per call of fn, in ns.
func perCall(batches, batch int, fn func()) float64 {
	return measure.Median(batchTimes(batches, batch, fn))
}

// batchTimes is measure.BatchTimes.
func batchTimes(batches, batch int, fn func()) []float64 {
	return measure.BatchTimes(batches, batch, fn)
}

// allBusy runs perCall's batches in procs goroutines at once and returns
// the median batch's time per call over all of them.
func allBusy(procs, batches, batch int, fn func()) float64 {
	var (
		mu    sync.Mutex
		all   []float64
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for g := 0; g < procs; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			per := batchTimes(batches, batch, fn)
			mu.Lock()
			all = append(all, per...)
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return measure.Median(all)
}

var spinSink atomic.Uint64

// withSpinners times fn as perCall does while spinners goroutines keep
// the other Ps running.
func withSpinners(spinners, batches, batch int, fn func()) float64 {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for s := 0; s < spinners; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(s + 1)
			for !stop.Load() {
				for i := 0; i < 1000; i++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			spinSink.Add(x)
		}()
	}
	time.Sleep(10 * time.Millisecond) // let them take their Ps
	r := perCall(batches, batch, fn)
	stop.Store(true)
	wg.Wait()
	return r
}

// createLoop returns the median time of one create, write 4 KiB,
// close, stat, unlink iteration, over batches of 50.
func createLoop(dir string, loops int) (float64, error) {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i)
	}
	const group = 50
	var per []float64
	var st syscall.Stat_t
	for g := 0; g < loops/group; g++ {
		t0 := time.Now()
		for i := 0; i < group; i++ {
			p := filepath.Join(dir, fmt.Sprintf("f%d", i))
			fd, err := syscall.Open(p, syscall.O_CREAT|syscall.O_TRUNC|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o644)
			if err != nil {
				return 0, fmt.Errorf("open %s: %w", p, err)
			}
			if n, err := syscall.Write(fd, buf); n != len(buf) || err != nil {
				return 0, fmt.Errorf("write %s: %d, %v", p, n, err)
			}
			if err := syscall.Close(fd); err != nil {
				return 0, err
			}
			if err := syscall.Stat(p, &st); err != nil || st.Size != int64(len(buf)) {
				return 0, fmt.Errorf("stat %s: %v, size %d", p, err, st.Size)
			}
			if err := syscall.Unlink(p); err != nil {
				return 0, err
			}
		}
		per = append(per, float64(time.Since(t0).Nanoseconds())/group)
	}
	return measure.Median(per), nil
}

// bigFile writes a mib-MiB file in 64 KiB writes, then reads it reads
// times in 64 KiB reads, checking its contents; it returns the median
// write and read throughputs in MB/s.
func bigFile(dir string, mib, reads int) (write, read float64, err error) {
	const chunk = 64 << 10
	p := filepath.Join(dir, "big")
	buf := make([]byte, chunk)
	var ws, rs []float64
	for pass := 0; pass < reads; pass++ {
		for i := range buf {
			buf[i] = byte(i + pass)
		}
		fd, err := syscall.Open(p, syscall.O_CREAT|syscall.O_TRUNC|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o644)
		if err != nil {
			return 0, 0, err
		}
		t0 := time.Now()
		for off := 0; off < mib<<20; off += chunk {
			if n, err := syscall.Write(fd, buf); n != chunk || err != nil {
				syscall.Close(fd)
				return 0, 0, fmt.Errorf("write at %d: %d, %v", off, n, err)
			}
		}
		ws = append(ws, float64(mib<<20)/1e6/time.Since(t0).Seconds())
		syscall.Close(fd)

		fd, err = syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return 0, 0, err
		}
		got := make([]byte, chunk)
		total := 0
		t0 = time.Now()
		for {
			n, err := syscall.Read(fd, got)
			if err != nil {
				syscall.Close(fd)
				return 0, 0, fmt.Errorf("read at %d: %w", total, err)
			}
			if n == 0 {
				break
			}
			total += n
		}
		rs = append(rs, float64(total)/1e6/time.Since(t0).Seconds())
		syscall.Close(fd)
		if total != mib<<20 || got[1] != byte(1+pass) {
			return 0, 0, fmt.Errorf("read %d bytes (want %d), byte 1 = %d", total, mib<<20, got[1])
		}
	}
	return measure.Median(ws), measure.Median(rs), nil
}
