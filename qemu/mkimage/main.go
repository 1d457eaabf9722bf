// Command mkimage makes a Go-linked ppc64 ELF bootable by QEMU pseries:
//
//	mkimage kernel.elf kernel.img
//
// See package k42/qemu/runner/image.
package main

import (
	"fmt"
	"os"

	"k42/qemu/runner/image"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkimage IN.elf OUT.img")
		os.Exit(2)
	}
	info, err := image.Make(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: entry %#x, branch at %#x, %d segments, %d bytes\n", os.Args[2], info.Entry, info.FirstByte, info.Segments, info.Size)
}
