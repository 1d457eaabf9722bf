package virtio

import "time"

// SetResetTimeout shortens the reset wait for a test; the returned
// function restores it.
func SetResetTimeout(d time.Duration) (restore func()) {
	old := resetTimeout
	resetTimeout = d
	return func() { resetTimeout = old }
}
