// Command sessions is the file-session benchmark (issue 14): the cost of
// read, write, lseek and fstat on a file open once (on k42: an exclusive
// or small-file session, served by the trap layer's client slot) and on
// the same file open twice (a shared session: every call forwarded to a
// file-system server), and what the second open that makes a session
// shared costs. It runs unchanged as k42's program (go run ./qemu -app
// ./benchmarks/sessions) and as a process on Linux under the same QEMU on
// its tmpfs (go run ./benchmarks/linux -app ./benchmarks/sessions), where
// a second open changes nothing, so each figure has Linux's beside it.
//
//	sessions [-dir DIR] [-batches N] [-batch N] [-opens N]
//
// Figures (medians of batches, ns per call):
//
//   - getpid: syscall.RawSyscall(SYS_GETPID), the kernel's bare round trip.
//   - read_1k/once, read_1k/twice: pread64 of 1 KiB at offset 0 of a
//     4 KiB file, open once and open twice; read_1k_raw: the same through
//     syscall.RawSyscall6, as getpid is timed (no runtime bookkeeping).
//   - write_1k/once, write_1k/twice: pwrite64 of 1 KiB at offset 0.
//   - lseek/once, lseek/twice: lseek(fd, 0, SEEK_SET).
//   - fstat/once, fstat/twice.
//   - read_16k_file/once, /twice: pread64 of all of a 16 KiB file (past
//     the default small-file threshold: k42's exclusive window).
//   - read_1k_raw_over_getpid: the raw read's time over getpid's, batch
//     by batch in turn: the median, least and greatest ratio.
//   - open_plain: the open of a file no one has open (then a close).
//   - open_second: the open of a file open once with a write just made
//     through it (on k42 the open swaps the first session to shared
//     before it returns), then a close.
//   - null_swap (k42 only): the kernel's null swap of an idle object
//     through /proc/k42/ctl ("swap fs"), the swap report's own total.
//   - open_second_over_plain_plus_2_null_swaps (k42 only): each round's
//     second open over its plain open plus twice its null swap (the three
//     are timed in each round, in turn): median, least, greatest.
//   - calibration: a CPU-bound loop with no system calls.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"k42/benchmarks/measure"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

type options struct {
	dir            string
	batches, batch int
	opens          int
}

func parseArgs(args []string) (options, error) {
	fs := flag.NewFlagSet("sessions", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.dir, "dir", "/tmp", "directory to work in (a tmpfs on Linux)")
	fs.IntVar(&o.batches, "batches", 60, "batches per figure")
	fs.IntVar(&o.batch, "batch", 200, "calls per batch")
	fs.IntVar(&o.opens, "opens", 200, "second opens timed (and plain opens)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.batches < 1 || o.batch < 1 || o.opens < 10 {
		return o, errors.New("-batches and -batch must be at least 1, -opens at least 10")
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err == nil {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sessions:", err)
		os.Exit(2)
	}
}

func run(o options) error {
	emit := measure.NewEmitter(os.Stdout, "sessions").Emit
	dir, err := os.MkdirTemp(o.dir, "sessions-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	n := o.batches * o.batch
	per := func(fn func()) float64 { return measure.PerCall(o.batches, o.batch, fn) }

	getpid := func() { syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0) }
	emit("getpid", "median", per(getpid), "ns", n)

	for _, c := range []struct {
		name string
		size int
		ops  bool // the per-operation figures, not only the read
	}{{"small", 4096, true}, {"16k_file", 16384, false}} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, make([]byte, c.size), 0o644); err != nil {
			return err
		}
		for _, twice := range []bool{false, true} {
			fd, err := syscall.Open(path, syscall.O_RDWR, 0)
			if err != nil {
				return err
			}
			other := -1
			if twice {
				if other, err = syscall.Open(path, syscall.O_RDONLY, 0); err != nil {
					return err
				}
			}
			time.Sleep(20 * time.Millisecond) // k42: the policy's swaps settle
			how := "once"
			if twice {
				how = "twice"
			}
			if c.ops {
				buf := make([]byte, 1024)
				emit("read_1k/"+how, "median", per(func() { must(syscall.Pread(fd, buf, 0)) }), "ns", n)
				// The same read without the runtime's system-call
				// bookkeeping (entersyscall, exitsyscall), as getpid is
				// timed: the kernel's own path, for the ratio to getpid.
				b0 := uintptr(unsafe.Pointer(&buf[0]))
				raw := func() {
					if _, _, e := syscall.RawSyscall6(syscall.SYS_PREAD64, uintptr(fd), b0, 1024, 0, 0, 0); e != 0 {
						panic(e)
					}
				}
				emit("read_1k_raw/"+how, "median", per(raw), "ns", n)
				// The ratio to getpid, batch by batch in turn (one
				// batch's ratio each), so that the host's noise, which
				// moves both alike within a moment, cancels.
				lo, med, hi := pairedRatio(o.batches, o.batch, raw, getpid)
				emit("read_1k_raw_over_getpid/"+how, "ratio_median", med, "x", o.batches)
				emit("read_1k_raw_over_getpid/"+how, "ratio_min", lo, "x", o.batches)
				emit("read_1k_raw_over_getpid/"+how, "ratio_max", hi, "x", o.batches)
				emit("write_1k/"+how, "median", per(func() { must(syscall.Pwrite(fd, buf, 0)) }), "ns", n)
				emit("lseek/"+how, "median", per(func() { must64(syscall.Seek(fd, 0, io.SeekStart)) }), "ns", n)
				var st syscall.Stat_t
				emit("fstat/"+how, "median", per(func() { mustErr(syscall.Fstat(fd, &st)) }), "ns", n)
			} else {
				buf := make([]byte, c.size)
				emit("read_"+c.name+"/"+how, "median", per(func() { must(syscall.Pread(fd, buf, 0)) }), "ns", n)
			}
			if other >= 0 {
				syscall.Close(other)
			}
			syscall.Close(fd)
		}
	}

	ctl, err := os.OpenFile("/proc/k42/ctl", os.O_RDWR, 0)
	if err != nil {
		ctl = nil // not k42: no null swap to compare with
	} else {
		defer ctl.Close()
	}
	r, err := opens(dir, o.opens, ctl)
	if err != nil {
		return err
	}
	emit("open_plain", "median", r.plain, "ns", o.opens)
	emit("open_second", "median", r.second, "ns", o.opens)
	if ctl != nil {
		emit("null_swap", "median", r.null, "ns", o.opens)
		emit("open_second_over_plain_plus_2_null_swaps", "ratio_median", r.ratio[1], "x", o.opens)
		emit("open_second_over_plain_plus_2_null_swaps", "ratio_min", r.ratio[0], "x", o.opens)
		emit("open_second_over_plain_plus_2_null_swaps", "ratio_max", r.ratio[2], "x", o.opens)
	}
	emit("calibration", "median", measure.Calibration(2_000_000, 5), "ms", 5)
	return nil
}

// openResult is what opens measured: medians, and the per-round ratio
// second / (plain + 2 null) as min, median, max.
type openResult struct {
	plain, second, null float64
	ratio               [3]float64
}

// opens runs n rounds of: an open (and close) of a file no one has open;
// with ctl (k42), a null swap of an idle object; and a second open (and
// close) of a file held open, with a write made through the first open
// just before (on k42 the open swaps the first session to shared). The
// pause between rounds lets k42's policy give the first open its
// client-side session back.
func opens(dir string, n int, ctl *os.File) (openResult, error) {
	var r openResult
	lone, held := filepath.Join(dir, "lone"), filepath.Join(dir, "held")
	for _, p := range []string{lone, held} {
		if err := os.WriteFile(p, make([]byte, 1000), 0o644); err != nil {
			return r, err
		}
	}
	first, err := syscall.Open(held, syscall.O_RDWR, 0)
	if err != nil {
		return r, err
	}
	defer syscall.Close(first)
	timeOpen := func(path string) (float64, error) {
		t0 := time.Now()
		fd, err := syscall.Open(path, syscall.O_RDONLY, 0)
		d := time.Since(t0)
		if err != nil {
			return 0, err
		}
		syscall.Close(fd)
		return float64(d.Nanoseconds()), nil
	}
	var ps, ss, ns, rs []float64
	b := []byte("x")
	for i := range n {
		time.Sleep(3 * time.Millisecond)
		p, err := timeOpen(lone)
		if err != nil {
			return r, err
		}
		null := 0.0
		if ctl != nil {
			if null, err = nullSwap(ctl); err != nil {
				return r, err
			}
			time.Sleep(time.Millisecond)
		}
		if _, err := syscall.Pwrite(first, b, int64(i%1000)); err != nil {
			return r, err
		}
		s, err := timeOpen(held)
		if err != nil {
			return r, err
		}
		ps, ss, ns = append(ps, p), append(ss, s), append(ns, null)
		rs = append(rs, s/(p+2*null))
	}
	r.plain, r.second, r.null = measure.Median(ps), measure.Median(ss), measure.Median(ns)
	sort.Float64s(rs)
	r.ratio = [3]float64{rs[0], measure.Median(rs), rs[len(rs)-1]}
	return r, nil
}

// nullSwap asks k42's control file for a null swap of the namespace
// object ("swap fs") and returns the swap report's own total, in ns.
func nullSwap(ctl *os.File) (float64, error) {
	if _, err := ctl.Write([]byte("swap fs")); err != nil {
		return 0, fmt.Errorf("swap fs: %w", err)
	}
	out, err := io.ReadAll(ctl)
	if err != nil {
		return 0, err
	}
	// "swap fs: T -> T in 1.234ms (1 tries; ..."
	s := string(out)
	i := strings.Index(s, " in ")
	j := strings.Index(s, " (")
	if i < 0 || j < i {
		return 0, fmt.Errorf("swap fs: unexpected report %q", s)
	}
	d, err := time.ParseDuration(s[i+4 : j])
	if err != nil {
		return 0, fmt.Errorf("swap fs: report %q: %w", s, err)
	}
	return float64(d.Nanoseconds()), nil
}

// pairedRatio times batches of a and b in turn and returns the least,
// median and greatest of the batches' time ratios a/b.
func pairedRatio(batches, batch int, a, b func()) (lo, med, hi float64) {
	rs := make([]float64, batches)
	for i := range rs {
		ta := time.Now()
		for range batch {
			a()
		}
		da := time.Since(ta)
		tb := time.Now()
		for range batch {
			b()
		}
		rs[i] = float64(da) / float64(time.Since(tb))
	}
	sort.Float64s(rs)
	return rs[0], measure.Median(rs), rs[len(rs)-1]
}

func must(_ int, err error) {
	if err != nil {
		panic(err)
	}
}

func must64(_ int64, err error) {
	if err != nil {
		panic(err)
	}
}

func mustErr(err error) {
	if err != nil {
		panic(err)
	}
}
