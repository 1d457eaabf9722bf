// Package benchmarks holds the experiments that measure the kernel and
// the records of their results (RESULTS.md). The in-kernel benchmarks are
// in kernel/kbench and run with the boot argument bench; host-side
// measurements (boot time) are commands in the folders below.
package benchmarks
