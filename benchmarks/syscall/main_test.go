package main

import (
	"k42/benchmarks/measure"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs(nil)
	if err != nil || o != (options{200, 1000, 2000, 2_000_000, 5}) {
		t.Errorf("defaults %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"-batches", "3", "-batch=10", "-pingpongs", "50", "-calib", "100", "-reps", "1"})
	if err != nil || o != (options{3, 10, 50, 100, 1}) {
		t.Errorf("%+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-batches", "0"}, {"-pingpongs", "49"}, {"-reps", "-1"}, {"extra"}, {"-nosuch"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The measurements themselves, small, on the host's Linux.
func TestMeasurements(t *testing.T) {
	med, best := getpid(5, 10)
	if med <= 0 || best <= 0 || best > med {
		t.Errorf("getpid median %v best %v", med, best)
	}
	if ns := timeNow(3, 10); ns <= 0 {
		t.Errorf("time.Now %v", ns)
	}
	if rt := pingPong(100); rt <= 0 {
		t.Errorf("ping-pong %v", rt)
	}
	if ms := measure.Calibration(1000, 3); ms <= 0 {
		t.Errorf("calibration %v", ms)
	}
	if m := measure.Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median %v", m)
	}
}
