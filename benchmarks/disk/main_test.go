package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs([]string{"-dev", "/dev/vda"}, io.Discard)
	if err != nil || o != (options{dev: "/dev/vda", mib: 64, bs: 1 << 20, randOps: 1000, seed: 1}) {
		t.Errorf("defaults %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-file", "/mnt/f", "-mib", "8", "-bs", "64K", "-rand-ops", "0", "-seed", "7"}, io.Discard)
	if err != nil || o != (options{file: "/mnt/f", mib: 8, bs: 64 << 10, randOps: 0, seed: 7}) {
		t.Errorf("%+v, %v", o, err)
	}
	if o, err := parseArgs([]string{"-dev", "x", "-bs", "8192"}, io.Discard); err != nil || o.bs != 8192 {
		t.Errorf("-bs in bytes: %+v, %v", o, err)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{nil, "want one of -dev PATH"},
		{[]string{"-dev", "a", "-file", "b"}, "want one of -dev PATH"},
		{[]string{"-dev", "a", "-mib", "0"}, "-mib 0"},
		{[]string{"-dev", "a", "-bs", "1000"}, "multiple of 4 KiB"},
		{[]string{"-dev", "a", "-bs", "128M"}, "at most 64 MiB"},
		{[]string{"-dev", "a", "-bs", "12K", "-mib", "1"}, "does not divide"},
		{[]string{"-dev", "a", "-bs", "lots"}, "want a size"},
		{[]string{"-dev", "a", "-rand-ops", "-1"}, "-rand-ops -1"},
		{[]string{"-dev", "a", "extra"}, "unexpected arguments"},
		{[]string{"-nosuch"}, "not defined"},
	} {
		_, err := parseArgs(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want an error with %q", tc.args, err, tc.err)
		}
	}
}

// figures runs o with cache dropping replaced by drop, and decodes the
// output, checking every line is a whole JSON object with the fields of
// benchmarks/results.
func figures(t *testing.T, o options, drop func() error) ([]Figure, string) {
	t.Helper()
	saved := dropCaches
	dropCaches = drop
	defer func() { dropCaches = saved }()
	var out, errOut bytes.Buffer
	if err := run(o, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var figs []Figure
	s := bufio.NewScanner(&out)
	for s.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(s.Bytes(), &raw); err != nil {
			t.Fatalf("not a JSON line: %q", s.Text())
		}
		for _, k := range []string{"experiment", "workload", "metric", "value", "unit", "n", "goarch", "gomaxprocs"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("no %s in %s", k, s.Text())
			}
		}
		var f Figure
		if err := json.Unmarshal(s.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if f.Experiment != Experiment || f.Value <= 0 {
			t.Errorf("figure %+v", f)
		}
		figs = append(figs, f)
	}
	return figs, errOut.String()
}

// names are the figures' config/workload/metric/unit, one string each.
func names(figs []Figure) string {
	var b []string
	for _, f := range figs {
		b = append(b, f.Config+" "+f.Workload+" "+f.Metric+" "+f.Unit)
	}
	return strings.Join(b, "\n")
}

func TestRawOnARegularFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	drops := 0
	figs, _ := figures(t, options{dev: p, mib: 2, bs: 256 << 10, randOps: 50, seed: 1}, func() error { drops++; return nil })
	want := "raw disk_seq_write MiB/s MiB/s\nraw disk_seq_read MiB/s MiB/s\nraw disk_rand_read4k IOPS IOPS\nraw disk_rand_read4k p50 us\n calibration median ms"
	if got := names(figs); got != want {
		t.Errorf("figures\n%s\nwant\n%s", got, want)
	}
	if figs[0].N != 8 || figs[1].N != 8 || figs[2].N != 50 || figs[0].BS != 256<<10 || figs[2].BS != 4096 || figs[0].Path != p {
		t.Errorf("counts %+v", figs[:3])
	}
	// The temporary directory's file system takes O_DIRECT here (ext4,
	// tmpfs since Linux 6.6); where it does not, the fallback drops the
	// caches instead.
	if direct := *figs[0].Direct; direct && drops != 0 || !direct && drops != 2 || figs[1].Cache != "cold" {
		t.Errorf("direct %v, %d drops, cache %q", direct, drops, figs[1].Cache)
	}
	if st, _ := os.Stat(p); st.Size() != 2<<20 {
		t.Errorf("the image is %d bytes", st.Size())
	}
}

func TestFileAndWarmMarking(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	drops := 0
	figs, _ := figures(t, options{file: p, mib: 1, bs: 64 << 10, randOps: 20, seed: 3}, func() error { drops++; return nil })
	want := "file disk_seq_write MiB/s MiB/s\nfile disk_seq_read MiB/s MiB/s\nfile disk_rand_read4k IOPS IOPS\nfile disk_rand_read4k p50 us\n calibration median ms"
	if got := names(figs); got != want {
		t.Errorf("figures\n%s\nwant\n%s", got, want)
	}
	if drops != 2 || figs[1].Cache != "cold" || *figs[1].Direct {
		t.Errorf("%d drops (want one before each read phase), %+v", drops, figs[1])
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the file is left behind: %v", err)
	}

	// Caches that cannot be dropped (k42 before /proc/k42/ctl): the
	// error is reported and the reads are marked warm; the writes are not.
	figs, stderr := figures(t, options{file: p, mib: 1, bs: 64 << 10, randOps: 20, seed: 3}, func() error {
		return errors.New(`writing "pagecache drop" to /proc/k42/ctl: no such file or directory`)
	})
	if !strings.Contains(stderr, `disk: dropping the caches: writing "pagecache drop" to /proc/k42/ctl: no such file or directory; the reads are marked warm`) {
		t.Errorf("stderr %q", stderr)
	}
	if figs[0].Config != "file" || figs[0].Cache != "" || figs[1].Config != "file-warm" || figs[1].Cache != "warm" || figs[2].Config != "file-warm" {
		t.Errorf("warm marking: %+v", figs[:3])
	}
}

func TestReadsCheckTheData(t *testing.T) {
	p := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := options{dev: p, mib: 1, bs: 64 << 10, randOps: 10, seed: 1}
	fd, err := openDev(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFd(fd)
	buf, free, err := buffer(o.bs)
	if err != nil {
		t.Fatal(err)
	}
	defer free()
	if _, _, err := seqWrite(fd, buf, o, 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := seqRead(fd, buf, o, 5); err != nil {
		t.Fatalf("reading what was written: %v", err)
	}
	if _, _, err := seqRead(fd, buf, o, 6); err == nil || !strings.Contains(err.Error(), "stale data") {
		t.Errorf("another run's data passed: %v", err)
	}
	// One block out of place.
	f, _ := os.OpenFile(p, os.O_WRONLY, 0)
	f.WriteAt(make([]byte, 16), 3*4096)
	f.Close()
	if _, _, err := seqRead(fd, buf, o, 5); err == nil || !strings.Contains(err.Error(), "offset 12288") {
		t.Errorf("a zeroed block passed: %v", err)
	}
	if err := randReads(fd, options{mib: 1, randOps: 2000, seed: 1}, 5, &result{}); err == nil {
		t.Error("2000 random reads of 256 blocks missed the zeroed one")
	}
}

func TestMissingDevice(t *testing.T) {
	var out bytes.Buffer
	err := run(options{dev: filepath.Join(t.TempDir(), "vda"), mib: 1, bs: 4096}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") || out.Len() != 0 {
		t.Errorf("%v, output %q", err, out.String())
	}
}

func closeFd(fd int) { os.NewFile(uintptr(fd), "fd").Close() }
