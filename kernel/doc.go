// Package kernel is the kernel proper: it boots the machine, runs the Go
// runtime's threads on every CPU, and serves the runtime's (and the
// program's) Linux system calls.
//
// # Execution context
//
// Every function here runs in trap context — on a CPU's interrupt stack
// with interrupts off, called from the architecture's exception entry
// (arch/ppc64) — or before the Go runtime exists (Boot and what it
// calls). So this package's code must not allocate, take runtime locks,
// write pointers into the Go heap, or block; it keeps its state in
// fixed-size tables of plain data and serialises CPUs with spinlocks.
// The few exported functions (exports_ppc64.go, Syscall) obey the same
// rules, so ordinary Go may call them too. Ordinary Go reaches the rest
// of the kernel through kernel/sys, which wraps the kernel's own system
// calls.
//
// # Files
//
//   - boot_ppc64.go, args.go, smp_ppc64.go: Boot, per-CPU setup, the
//     initial process stack and its arguments, the secondary CPUs.
//   - trap_ppc64.go: the trap handler and the scheduler (per-CPU run
//     queues, waits, timers, the switch).
//   - syscall_ppc64.go and linux64_ppc64.go: the dispatcher and the
//     system-call table, one entry per call; the handlers by family in
//     sys_file (files and descriptors), sys_mem (memory), sys_sched
//     (threads, scheduling, futexes), sys_signal, sys_time, sys_identity
//     (identity, limits, the machine), sys_poll (the runtime's poller:
//     eventfd, epoll) and sys_k42 (the kernel's own calls).
//   - mem_ppc64.go: the program's address space (demand paging, device
//     mappings), on kernel/frames and kernel/vm.
//   - signal_ppc64.go, fault_ppc64.go: signal delivery; fault reports.
//   - console_ppc64.go, tty.go, fd_ppc64.go: terminals, the console's
//     line discipline, the descriptor table.
//   - usermem_unsafe.go, cpu_unsafe.go: every conversion between integers
//     and pointers.
//
// Linux's ABI (numbers, errnos, flags) is kernel/linux.
package kernel
