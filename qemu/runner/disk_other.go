//go:build !linux

package runner

// directIOProblem is Linux's O_DIRECT probe; elsewhere QEMU judges.
func directIOProblem(path string) string { return "" }
