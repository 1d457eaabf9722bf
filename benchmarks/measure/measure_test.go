package measure

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestMedian(t *testing.T) {
	if m := Median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median of 5 1 3: %v", m)
	}
	if m := Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 1 3 2: %v", m)
	}
}

func TestEmitAndCalibration(t *testing.T) {
	var b bytes.Buffer
	NewEmitter(&b, "x").Emit("w", "median", 1.23456, "ns", 7)
	var f Figure
	if err := json.Unmarshal(b.Bytes(), &f); err != nil || f.Experiment != "x" || f.Workload != "w" || f.Value != 1.235 || f.N != 7 || f.GOARCH == "" {
		t.Errorf("emitted %s: %+v, %v", b.Bytes(), f, err)
	}
	if ms := Calibration(1000, 3); ms <= 0 {
		t.Errorf("calibration %v ms", ms)
	}
}
