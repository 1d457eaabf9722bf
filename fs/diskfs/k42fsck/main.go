// Command k42fsck checks a disk image holding a k42 file system, as a
// mount would: it reads the newest checkpoint, replays the log, and
// reports what it found and what a mount would repair (orphaned inodes
// and their blocks, names of missing inodes, blocks named twice). With
// -format it makes the image an empty k42 file system instead.
//
// Usage:
//
//	k42fsck IMAGE
//	k42fsck -format IMAGE
//
// It exits 0 if the image holds a file system with nothing to repair but
// what a crash leaves (orphans), 1 if it found problems it would repair,
// 2 if the image is not a k42 file system or cannot be read.
//
// Execution context: a host command.
package main

import (
	"flag"
	"fmt"
	"os"

	"k42/fs/diskfs"
	"k42/mm/blockdev"
)

func main() {
	format := flag.Bool("format", false, "make IMAGE an empty k42 file system (its contents are lost)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: k42fsck [-format] IMAGE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	img := flag.Arg(0)
	if *format {
		sb, err := diskfs.FormatImage(img)
		if err != nil {
			fmt.Fprintf(os.Stderr, "k42fsck: %s: %v\n", img, err)
			os.Exit(2)
		}
		fmt.Printf("%s: formatted: %d blocks, %d inodes at most, a %d-block log\n", img, sb.Blocks, sb.Inodes, sb.JournalLen-2)
		return
	}
	dev, err := blockdev.OpenFile(img, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k42fsck:", err)
		os.Exit(2)
	}
	defer dev.Close()
	r, err := diskfs.Check(dev)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k42fsck: %s: %v\n", img, err)
		os.Exit(2)
	}
	fmt.Printf("%s: %s\n", img, r)
	if len(r.Problems) > 0 {
		os.Exit(1)
	}
}
