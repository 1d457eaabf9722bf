package fcmbench

import (
	"testing"

	"k42/reconfig/platform"
)

// TestSuiteRuns runs the suite, short, on the host: every benchmark
// finishes and emits its figures, every figure a number.
func TestSuiteRuns(t *testing.T) {
	seen := map[string]bool{}
	err := Run(Config{Platform: platform.Host(), CPUs: 2, Short: true}, func(w, m string, n int, v float64, unit string) {
		t.Logf("%s %s = %.3g %s (n=%d)", w, m, v, unit, n)
		if v != v {
			t.Errorf("%s %s is NaN", w, m)
		}
		seen[w] = true
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"fcm_lookup_hit/single", "fcm_lookup_hit/replicated", "fcm_shared_read_2cpu/replicated_over_single",
		"fcm_create_delete/replicated_over_single", "fcm_memory/single", "fcm_memory/replicated_2replica",
		"fcm_null_swap_idle", "fcm_null_swap_loaded", "fcm_factory_upgrade"} {
		if !seen[w] {
			t.Errorf("no figure for %s", w)
		}
	}
}
