//go:build ppc64 || ppc64le

package main

import "syscall"

// sysFinitModule is finit_module's number on the guest's architecture.
const sysFinitModule = syscall.SYS_FINIT_MODULE
