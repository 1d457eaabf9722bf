// Package sys is the kernel's API for Go code running on it: the console
// (kernel/shell), the test suite and benchmarks, the servers, and
// programs that want to know the machine. It reports the machine and its
// CPUs, threads and memory, powers off, maps device memory, lists the
// system-call table, holds the registry of kernel options, and carries
// the Go half of the fault report.
//
// Execution context: ordinary Go, after the runtime has started. Its code
// may allocate and block. It reaches kernel state only through the
// kernel's own system calls (k42_*, which copy the state out under the
// kernel's locks) and the kernel's read-only boot facts, never by reading
// the trap handler's tables directly.
package sys
