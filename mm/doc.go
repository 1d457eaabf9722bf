// Package mm owns physical memory: the frame allocator (mm/frames) and,
// in later issues, file cache managers and page replacement.
package mm
