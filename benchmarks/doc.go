// Package benchmarks holds the experiments that measure the kernel and
// the records of their results (RESULTS.md). The in-kernel benchmarks are
// in kernel/kbench and run with the boot argument bench; host-side
// measurements are commands in the folders below, all run on the host:
//
//   - boottime: boot time to the info line.
//   - syscall: a benchmark program (getpid, futex ping-pong, a calibration
//     loop) that runs unchanged on k42 and on Linux.
//   - linux: runs a program such as syscall on k42 and on Debian's Linux
//     kernel under the same QEMU and records both sides; linux/cpio
//     writes its initramfs, linux/pid1 is the initramfs's init (it runs
//     in the Linux guest). With -test PKG it runs a package's real test
//     binary on Linux instead, as bin/k42 -test PKG does on k42.
//   - gotests: runs standard-library packages' tests on k42 and on Linux
//     and compares them test by test (the kernel's work list);
//     gotests/testlog parses a test binary's -test.v output.
//   - results: the results format (JSON lines in results/*.jsonl) and the
//     generated tables of RESULTS.md; cmd/report regenerates them.
package benchmarks
