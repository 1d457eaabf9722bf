// Package linux is Linux's ABI as the kernel serves it on ppc64
// (big-endian, 64-bit): system-call numbers (generated: sysnum.go),
// errno values, and the flags and structure layouts of the calls the
// kernel implements. It is constants and plain types only: it allocates
// nothing and holds no state, so both the trap handler and ordinary Go
// (the servers, the tests) use it. Names follow Linux's.
package linux

//go:generate go run ./internal/gensysnum
