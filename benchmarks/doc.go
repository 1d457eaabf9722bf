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
//   - paper: the K42 paper's evaluation (§6): Table 1 and Figures 4 to 7
//     on k42, and the same workloads beside Linux; paper/guest is the
//     program it boots, which selects each configuration through
//     /proc/k42/ctl. make bench and make bench-quick run it.
//   - workloads/postmark and workloads/sdet: PostMark and a model of SDET
//     (with its streaming readers) as libraries of plain Go against the
//     os package, so that the same source runs on k42 and on Linux;
//     postmark and sdet are their commands.
//   - results: the results format (JSON lines in results/*.jsonl), the
//     generated tables of RESULTS.md and the paper's plots (figures/);
//     cmd/report regenerates them.
package benchmarks
