// Command disk is the disk benchmark that runs unchanged as k42's program
// (bin/k42 -disk IMG -app ./benchmarks/disk -- -dev /dev/vda) and as a
// process on Linux under the same QEMU with the same disk
// (go run ./benchmarks/linux -app ./benchmarks/disk -disk IMG -- -dev
// /dev/vda). It uses only the standard library and package syscall.
//
//	disk -dev PATH  [-mib N] [-bs SIZE] [-rand-ops N] [-seed N]
//	disk -file PATH [-mib N] [-bs SIZE] [-rand-ops N] [-seed N]
//
// -dev measures a raw device (or any file, in place): it opens PATH with
// O_DIRECT|O_RDWR when the platform accepts it (the first write tells;
// else plain O_RDWR), writes -mib MiB from offset 0 in -bs blocks
// (default 1 MiB) and fsyncs, reads them back in sequence, then makes
// -rand-ops 4 KiB reads at random 4 KiB-aligned offsets of the written
// area (a fixed -seed, so both kernels read the same offsets). Buffers
// come from an anonymous mmap, so they are page-aligned as O_DIRECT
// wants. Without O_DIRECT the caches are dropped before the reads, as in
// -file mode.
//
// -file measures through a file system: it creates PATH (a file on an
// ext4 disk, say /mnt/f), writes -mib MiB in -bs writes and fsyncs, drops
// the caches (Linux: "3" to /proc/sys/vm/drop_caches; k42: "pagecache
// drop" to /proc/k42/ctl), reads the file in sequence, drops the caches
// again (the read filled them) and makes the same random reads; it
// removes the file at the end. When the caches cannot be
// dropped the error goes to standard error and the read figures are
// marked warm: config file-warm (raw-warm), cache "warm".
//
// Every 4 KiB block written starts with its offset and a number drawn
// for the run, and every read checks them, so a read that returns the
// wrong block, or stale data, fails the run.
//
// It prints one JSON line per figure on standard output, in the fields of
// benchmarks/results (experiment "disk") plus the configuration raw or
// file (which benchmarks/linux keeps as a qualifier of the workload,
// disk_seq_read/raw) and what the figure was measured with:
//
//   - disk_seq_write, MiB/s: the writes and the fsync.
//   - disk_seq_read, MiB/s.
//   - disk_rand_read4k, IOPS, and its p50 latency in µs.
//   - calibration: the CPU-bound loop of benchmarks/syscall, for how fast
//     the emulator ran plain code in that boot.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k42/benchmarks/measure"
)

// Experiment names the benchmark's figures.
const Experiment = "disk"

// pageSize is the unit of alignment and of the random reads.
const pageSize = 4096

type options struct {
	dev, file string
	mib       int
	bs        int // bytes
	randOps   int
	seed      uint64
	small     int // -file: small files created with fsync, then unlinked
}

// total is the bytes written and read.
func (o options) total() int64 { return int64(o.mib) << 20 }

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("disk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dev, "dev", "", "measure this raw device (O_DIRECT when accepted): /dev/vda")
	fs.StringVar(&o.file, "file", "", "measure through a file system: create this file (/mnt/f)")
	fs.IntVar(&o.mib, "mib", 64, "MiB written and read")
	bs := fs.String("bs", "1M", "block size of the sequential writes and reads: bytes, or with a K or M suffix; a multiple of 4 KiB")
	fs.IntVar(&o.randOps, "rand-ops", 1000, "4 KiB reads at random offsets of the written area; 0: none")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the random offsets")
	fs.IntVar(&o.small, "small", 0, "with -file: also create this many 4 KiB files beside it, each written and fsynced, then unlink them all and fsync the directory (disk_create_fsync, disk_unlink)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.bs, err = parseSize(*bs); err != nil {
		return o, fmt.Errorf("-bs %s", err)
	}
	switch {
	case (o.dev == "") == (o.file == ""):
		return o, errors.New("want one of -dev PATH (a raw device) and -file PATH (a file on a file system)")
	case o.mib < 1 || o.mib > 1<<20:
		return o, fmt.Errorf("-mib %d: want 1 to %d", o.mib, 1<<20)
	case o.bs < pageSize || o.bs%pageSize != 0 || o.bs > 64<<20:
		return o, fmt.Errorf("-bs %s: want a multiple of 4 KiB, at most 64 MiB", *bs)
	case o.total()%int64(o.bs) != 0:
		return o, fmt.Errorf("-bs %s does not divide -mib %d MiB", *bs, o.mib)
	case o.randOps < 0:
		return o, fmt.Errorf("-rand-ops %d: want 0 or more", o.randOps)
	case o.small < 0 || o.small > 0 && o.file == "":
		return o, fmt.Errorf("-small %d: want 0 or more, with -file", o.small)
	}
	return o, nil
}

// parseSize parses a byte count with an optional K or M suffix.
func parseSize(s string) (int, error) {
	mult := 1
	t := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 || n > math.MaxInt32/mult {
		return 0, fmt.Errorf("%q: want a size such as 4K or 1M", s)
	}
	return n * mult, nil
}

func main() {
	o, err := parseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err == nil {
		err = run(o, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "disk:", err)
		os.Exit(2)
	}
}

// Figure is one output line: benchmarks/results' fields, and what the
// figure was measured with.
type Figure struct {
	measure.Figure
	Config string `json:"config,omitempty"` // raw or file, -warm when the reads may hit a cache
	Path   string `json:"path,omitempty"`
	Direct *bool  `json:"direct,omitempty"` // opened with O_DIRECT
	Cache  string `json:"cache,omitempty"`  // cold: read from the disk; warm: may have come from a cache
	BS     int    `json:"bs,omitempty"`     // bytes per call
}

// emitter writes figures, one JSON line each.
type emitter struct{ enc *json.Encoder }

func (e emitter) emit(f Figure) {
	f.Experiment, f.GOARCH, f.GOMAXPROCS = Experiment, runtime.GOARCH, runtime.GOMAXPROCS(0)
	f.Value = math.Round(f.Value*1000) / 1000
	e.enc.Encode(f)
}

// dropCaches empties the kernel's caches of file data, so that reads
// come from the disk; tests replace it.
var dropCaches = func() error {
	syscall.Sync()
	if st, err := os.Stat("/proc/k42"); err == nil && st.IsDir() {
		return writeControl("/proc/k42/ctl", "pagecache drop")
	}
	return writeControl("/proc/sys/vm/drop_caches", "3")
}

func writeControl(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %q to %s: %w", text, path, err)
	}
	return nil
}

// result is one mode's measurements.
type result struct {
	config          string
	path            string
	direct          bool
	warm            bool
	write, read     float64   // MiB/s
	randOps         int       // random reads made
	randSecs        float64   // their total time
	randLatencies   []float64 // each one's, µs
	writeN, readN   int       // calls
	writeBS, readBS int
}

func run(o options, stdout, stderr io.Writer) error {
	var r *result
	var err error
	if o.dev != "" {
		r, err = runRaw(o, stderr)
	} else {
		r, err = runFile(o, stderr)
	}
	if err != nil {
		return err
	}
	e := emitter{json.NewEncoder(stdout)}
	cfg, cache := r.config, "cold"
	if r.warm {
		cfg, cache = cfg+"-warm", "warm"
	}
	direct := r.direct
	e.emit(Figure{Figure: measure.Figure{Workload: "disk_seq_write", Metric: "MiB/s", Value: r.write, Unit: "MiB/s", N: r.writeN}, Config: r.config, Path: r.path, Direct: &direct, BS: r.writeBS})
	e.emit(Figure{Figure: measure.Figure{Workload: "disk_seq_read", Metric: "MiB/s", Value: r.read, Unit: "MiB/s", N: r.readN}, Config: cfg, Path: r.path, Direct: &direct, Cache: cache, BS: r.readBS})
	if r.randOps > 0 {
		e.emit(Figure{Figure: measure.Figure{Workload: "disk_rand_read4k", Metric: "IOPS", Value: float64(r.randOps) / r.randSecs, Unit: "IOPS", N: r.randOps}, Config: cfg, Path: r.path, Direct: &direct, Cache: cache, BS: pageSize})
		e.emit(Figure{Figure: measure.Figure{Workload: "disk_rand_read4k", Metric: "p50", Value: measure.Median(r.randLatencies), Unit: "us", N: r.randOps}, Config: cfg, Path: r.path, Direct: &direct, Cache: cache, BS: pageSize})
	}
	if o.small > 0 {
		creates, unlinks, err := smallFiles(o)
		if err != nil {
			return err
		}
		e.emit(Figure{Figure: measure.Figure{Workload: "disk_create_fsync", Metric: "files/s", Value: creates, Unit: "files/s", N: o.small}, Config: "file", Path: o.file, BS: pageSize})
		e.emit(Figure{Figure: measure.Figure{Workload: "disk_unlink", Metric: "files/s", Value: unlinks, Unit: "files/s", N: o.small}, Config: "file", Path: o.file})
	}
	e.emit(Figure{Figure: measure.Figure{Workload: "calibration", Metric: "median", Value: measure.Calibration(2_000_000, 5), Unit: "ms", N: 5}})
	return nil
}

// buffer is page-aligned memory of n bytes (an anonymous mmap), as
// O_DIRECT wants.
func buffer(n int) ([]byte, func(), error) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap of a %d-byte buffer: %w", n, err)
	}
	return b, func() { syscall.Munmap(b) }, nil
}

// pattern writes into b, the data of the blocks at off, each 4 KiB
// block's header: its offset and the run's tag.
func pattern(b []byte, off int64, tag uint64) {
	for i := 0; i < len(b); i += pageSize {
		binary.LittleEndian.PutUint64(b[i:], uint64(off)+uint64(i))
		binary.LittleEndian.PutUint64(b[i+8:], tag)
	}
}

// check verifies the headers of the blocks in b, read at off.
func check(b []byte, off int64, tag uint64) error {
	for i := 0; i+16 <= len(b); i += pageSize {
		got, gotTag := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
		if want := uint64(off) + uint64(i); got != want || gotTag != tag {
			return fmt.Errorf("the block read at offset %d holds the header of offset %d, tag %#x (want %d, %#x): wrong or stale data", want, got, gotTag, want, tag)
		}
	}
	return nil
}

// runTag is a number drawn for the run, so that data left on the disk by
// an earlier run does not pass for this one's.
func runTag() uint64 { return uint64(time.Now().UnixNano()) | 1 }

// openDev opens the device, with O_DIRECT when direct.
func openDev(path string, direct bool) (int, error) {
	flags := syscall.O_RDWR | syscall.O_CLOEXEC
	if direct {
		flags |= syscall.O_DIRECT
	}
	return syscall.Open(path, flags, 0)
}

// runRaw is -dev.
func runRaw(o options, stderr io.Writer) (*result, error) {
	r := &result{config: "raw", path: o.dev, direct: true}
	fd, err := openDev(o.dev, true)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENXIO) {
			return nil, fmt.Errorf("-dev %s: %w", o.dev, err)
		}
		fmt.Fprintf(stderr, "disk: -dev %s: O_DIRECT refused (%v): plain reads and writes\n", o.dev, err)
		r.direct = false
		if fd, err = openDev(o.dev, false); err != nil {
			return nil, fmt.Errorf("-dev %s: %w", o.dev, err)
		}
	}
	defer func() { syscall.Close(fd) }()
	if err := checkDevSize(fd, o); err != nil {
		return nil, err
	}
	buf, free, err := buffer(o.bs)
	if err != nil {
		return nil, err
	}
	defer free()
	tag := runTag()
	r.write, r.writeN, err = seqWrite(fd, buf, o, tag)
	if errors.Is(err, syscall.EINVAL) && r.direct {
		// The platform took the flag at open but not the transfers.
		fmt.Fprintf(stderr, "disk: -dev %s: O_DIRECT writes refused (%v): plain reads and writes\n", o.dev, err)
		syscall.Close(fd)
		if fd, err = openDev(o.dev, false); err != nil {
			return nil, fmt.Errorf("-dev %s: %w", o.dev, err)
		}
		r.direct = false
		r.write, r.writeN, err = seqWrite(fd, buf, o, tag)
	}
	if err != nil {
		return nil, fmt.Errorf("-dev %s: %w", o.dev, err)
	}
	r.writeBS, r.readBS = o.bs, o.bs
	if !r.direct {
		r.warm = !drop(stderr)
	}
	if r.read, r.readN, err = seqRead(fd, buf, o, tag); err != nil {
		return nil, fmt.Errorf("-dev %s: %w", o.dev, err)
	}
	if !r.direct && o.randOps > 0 && !r.warm {
		r.warm = !drop(stderr) // the sequential read filled the cache
	}
	if err := randReads(fd, o, tag, r); err != nil {
		return nil, fmt.Errorf("-dev %s: %w", o.dev, err)
	}
	return r, nil
}

// checkDevSize refuses a device smaller than what is to be written; a
// regular file grows.
func checkDevSize(fd int, o options) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fmt.Errorf("-dev %s: %w", o.dev, err)
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFREG {
		return nil
	}
	size, err := syscall.Seek(fd, 0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("-dev %s: its size: %w", o.dev, err)
	}
	if size < o.total() {
		return fmt.Errorf("-dev %s: %d MiB, less than -mib %d", o.dev, size>>20, o.mib)
	}
	return nil
}

// drop drops the caches and reports whether it could.
func drop(stderr io.Writer) bool {
	if err := dropCaches(); err != nil {
		fmt.Fprintf(stderr, "disk: dropping the caches: %v; the reads are marked warm\n", err)
		return false
	}
	return true
}

// seqWrite writes o.total() bytes at offset 0 in o.bs blocks through
// buf and fsyncs; it returns MiB/s and the calls made.
func seqWrite(fd int, buf []byte, o options, tag uint64) (float64, int, error) {
	n := 0
	t0 := time.Now()
	for off := int64(0); off < o.total(); off += int64(o.bs) {
		pattern(buf, off, tag)
		w, err := syscall.Pwrite(fd, buf, off)
		if err != nil {
			return 0, n, fmt.Errorf("write at %d: %w", off, err)
		}
		if w != len(buf) {
			return 0, n, fmt.Errorf("write at %d: %d bytes of %d", off, w, len(buf))
		}
		n++
	}
	if err := syscall.Fsync(fd); err != nil {
		return 0, n, fmt.Errorf("fsync: %w", err)
	}
	return mibps(o.total(), time.Since(t0)), n, nil
}

// seqRead reads o.total() bytes from offset 0 in o.bs blocks, checking
// them; it returns MiB/s and the calls made.
func seqRead(fd int, buf []byte, o options, tag uint64) (float64, int, error) {
	n := 0
	t0 := time.Now()
	for off := int64(0); off < o.total(); {
		got, err := syscall.Pread(fd, buf, off)
		if err != nil {
			return 0, n, fmt.Errorf("read at %d: %w", off, err)
		}
		if got == 0 || got%pageSize != 0 {
			return 0, n, fmt.Errorf("read at %d: %d bytes (want a multiple of 4 KiB)", off, got)
		}
		if err := check(buf[:got], off, tag); err != nil {
			return 0, n, err
		}
		off += int64(got)
		n++
	}
	return mibps(o.total(), time.Since(t0)), n, nil
}

// randReads makes o.randOps 4 KiB reads at random aligned offsets below
// o.total(), checking each, into r.
func randReads(fd int, o options, tag uint64, r *result) error {
	if o.randOps == 0 {
		return nil
	}
	buf, free, err := buffer(pageSize)
	if err != nil {
		return err
	}
	defer free()
	rng := rand.New(rand.NewPCG(o.seed, 0x6b3432))
	pages := uint64(o.total() / pageSize)
	offs := make([]int64, o.randOps)
	for i := range offs {
		offs[i] = int64(rng.Uint64N(pages)) * pageSize
	}
	lat := make([]float64, 0, o.randOps)
	t0 := time.Now()
	for _, off := range offs {
		t := time.Now()
		got, err := syscall.Pread(fd, buf, off)
		if err != nil {
			return fmt.Errorf("random read at %d: %w", off, err)
		}
		lat = append(lat, float64(time.Since(t).Nanoseconds())/1e3)
		if got != pageSize {
			return fmt.Errorf("random read at %d: %d bytes", off, got)
		}
		if err := check(buf, off, tag); err != nil {
			return err
		}
	}
	r.randSecs = time.Since(t0).Seconds()
	r.randOps, r.randLatencies = o.randOps, lat
	return nil
}

func mibps(bytes int64, d time.Duration) float64 {
	return float64(bytes) / (1 << 20) / max(d.Seconds(), 1e-9)
}

// runFile is -file.
func runFile(o options, stderr io.Writer) (*result, error) {
	r := &result{config: "file", path: o.file, writeBS: o.bs, readBS: o.bs}
	buf, free, err := buffer(o.bs)
	if err != nil {
		return nil, err
	}
	defer free()
	tag := runTag()
	fd, err := syscall.Open(o.file, syscall.O_CREAT|syscall.O_TRUNC|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("-file %s: %w", o.file, err)
	}
	defer os.Remove(o.file)
	n := 0
	t0 := time.Now()
	for off := int64(0); off < o.total(); off += int64(o.bs) {
		pattern(buf, off, tag)
		w, err := syscall.Write(fd, buf)
		if err == nil && w != len(buf) {
			err = fmt.Errorf("%d bytes of %d", w, len(buf))
		}
		if err != nil {
			syscall.Close(fd)
			return nil, fmt.Errorf("-file %s: write at %d: %w", o.file, off, err)
		}
		n++
	}
	if err := syscall.Fsync(fd); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("-file %s: fsync: %w", o.file, err)
	}
	r.write, r.writeN = mibps(o.total(), time.Since(t0)), n
	if err := syscall.Close(fd); err != nil {
		return nil, fmt.Errorf("-file %s: close: %w", o.file, err)
	}
	r.warm = !drop(stderr)
	if fd, err = syscall.Open(o.file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); err != nil {
		return nil, fmt.Errorf("-file %s: %w", o.file, err)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Size != o.total() {
		return nil, fmt.Errorf("-file %s: size %d after the writes, want %d (%v)", o.file, st.Size, o.total(), err)
	}
	if r.read, r.readN, err = seqRead(fd, buf, o, tag); err != nil {
		return nil, fmt.Errorf("-file %s: %w", o.file, err)
	}
	if o.randOps > 0 && !r.warm {
		r.warm = !drop(stderr) // the sequential read filled the cache
	}
	if err := randReads(fd, o, tag, r); err != nil {
		return nil, fmt.Errorf("-file %s: %w", o.file, err)
	}
	return r, nil
}

// smallFiles creates o.small files of 4 KiB in a directory beside o.file,
// each written and fsynced (its data and size on the disk: a mail
// server's or a build's small-file pattern), then unlinks them all and
// fsyncs the directory; it returns the rates of both.
func smallFiles(o options) (creates, unlinks float64, err error) {
	dir := o.file + ".small"
	if err := os.Mkdir(dir, 0o755); err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	data := make([]byte, pageSize)
	tag := runTag()
	start := time.Now()
	for i := 0; i < o.small; i++ {
		pattern(data, int64(i)*pageSize, tag)
		f, err := os.OpenFile(fmt.Sprintf("%s/f%06d", dir, i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return 0, 0, err
		}
		if _, err := f.Write(data); err != nil {
			return 0, 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		if err := f.Close(); err != nil {
			return 0, 0, err
		}
	}
	creates = float64(o.small) / time.Since(start).Seconds()
	start = time.Now()
	for i := 0; i < o.small; i++ {
		if err := os.Remove(fmt.Sprintf("%s/f%06d", dir, i)); err != nil {
			return 0, 0, err
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return 0, 0, err
	}
	err = d.Sync()
	d.Close()
	unlinks = float64(o.small) / time.Since(start).Seconds()
	return creates, unlinks, err
}
