//go:build ppc64

package ktest

import "unsafe"

// wordsAt views one 64 KiB page at address a as words (a kernel or device
// address the test mapped itself).
func wordsAt(a uintptr) *[vmPage / 8]uint64 { return (*[vmPage / 8]uint64)(unsafe.Pointer(a)) }
