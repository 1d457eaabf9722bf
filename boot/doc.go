// Package boot is the kernel's entry: the first instruction QEMU runs
// (entry_ppc64.s), the hand-off from the firmware (reading the device tree
// through QEMU's VOF client interface before its memory is reused), and
// the call into kernel.Boot, which starts the Go runtime.
//
// A Go program becomes a bootable kernel by importing this package:
//
//	import _ "k42/boot"
//
// and being built with the flags in qemu/build.go (GOOS=linux
// GOARCH=ppc64, text at 0x401000), then post-linked by boot/image.
package boot
