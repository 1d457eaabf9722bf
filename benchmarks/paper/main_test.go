package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs(nil, io.Discard)
	if err != nil || !slices.Equal(o.only, allExperiments) || o.smp != 4 || o.quick {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-quick", "-only", "fig6,table1", "-smp", "2"}, io.Discard)
	if err != nil || !o.quick || !slices.Equal(o.only, []string{"fig6", "table1"}) {
		t.Errorf("-quick -only: %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-only", "fig9"}, {"-rounds", "-2"}, {"-smp", "2"}, {"-smp", "2", "-only", "fig5"}, {"extra"}, {"-nosuch"}} {
		if _, err := parseArgs(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Each experiment boots through benchmarks/linux as the issue says: one
// k42 boot for the figures (on a throttled disk with a small page cache
// for Figure 7), both kernels on tmpfs and on the same disk for linux,
// the guest told its experiment.
func TestBoots(t *testing.T) {
	o, _ := parseArgs([]string{"-quick"}, io.Discard)
	for _, exp := range []string{"fig4", "fig5", "fig6", "fig7"} {
		bs := o.boots(exp)
		if len(bs) != 1 {
			t.Fatalf("%s: %d boots", exp, len(bs))
		}
		flags, guest := strings.Join(bs[0].flags, " "), strings.Join(bs[0].guest, " ")
		if !strings.Contains(flags, "-only k42 -rounds 1") || !strings.Contains(guest, "-exp "+exp+" -quick") {
			t.Errorf("%s: %s -- %s", exp, flags, guest)
		}
		if disk := strings.Contains(flags, "-disk "); disk != (exp == "fig7") {
			t.Errorf("%s: disk %v: %s", exp, disk, flags)
		}
	}
	if f := strings.Join(o.boots("fig7")[0].flags, " "); !strings.Contains(f, "-disk-iops "+fig7DiskIOPS) || !strings.Contains(f, "k42.pagecache=8M") {
		t.Errorf("fig7: %s", f)
	}
	bs := o.boots("linux")
	if len(bs) != 2 || strings.Contains(strings.Join(bs[0].flags, " "), "-only") ||
		!strings.Contains(strings.Join(bs[1].flags, " "), "-disk-fs ext4") || !strings.Contains(strings.Join(bs[1].guest, " "), "-store disk -dir /mnt") {
		t.Errorf("linux: %+v", bs)
	}
}
