//go:build !(ppc64 || ppc64le)

package main

// sysFinitModule stands in for finit_module's number where the host's
// tests build init (init itself runs on ppc64le): no system call has it,
// so loading fails with ENOSYS.
const sysFinitModule = ^uintptr(0)
