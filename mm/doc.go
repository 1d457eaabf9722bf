// Package mm will own the page cache: file cache managers (K42's FCMs)
// and page replacement, as live-swappable components built on
// reconfig/ and kernel/. Physical frames and the program's address space
// are the kernel's own (kernel/frames, kernel/vm).
package mm
