package reconfig

import (
	"testing"
	"time"
)

// TestDeadlineStaysPassed: a phase's deadline, once passed, is ready for
// every later wait in the phase. (A timer channel delivers its tick once:
// a block phase that reopened after a round had taken the tick would then
// never time out.)
func TestDeadlineStaysPassed(t *testing.T) {
	d := newDeadline(time.Millisecond)
	defer d.Stop()
	for i := range 3 {
		select {
		case <-d.C():
		case <-time.After(5 * time.Second):
			t.Fatalf("wait %d in the phase: the passed deadline is not ready", i+1)
		}
	}
	if !d.Passed() {
		t.Fatal("Passed is false after the deadline")
	}
	past := newDeadline(-time.Second)
	select {
	case <-past.C():
	default:
		t.Fatal("a deadline already in the past is not ready at once")
	}
}
