// Package fs is k42's in-memory file system: the namespace (directories,
// regular files, symbolic links, hard links, device nodes), inodes and their
// attributes, path resolution, open file descriptions, and directory
// streams, with Linux's semantics as tmpfs implements them, for a single
// root user. It is what the kernel's file-system server goroutines call to
// serve openat, read, write, getdents64, renameat2 and the rest; it does
// not know about file descriptors, processes, user memory or the system-call
// ABI (the kernel encodes struct stat, statx and linux_dirent64 from the
// values returned here).
//
// # What it owns
//
// An FS owns every Node (inode) and the names that refer to them. A File is
// one open file description (offset, flags, directory stream position) and
// keeps its node alive: a regular file whose last name is removed stays
// readable and writable through its open Files, and its contents are
// released (Data.Release) when the last File is closed. A *Node held by a
// caller (a working directory, a directory file descriptor) stays valid as
// long as it is held: nodes are ordinary garbage-collected objects; a
// removed directory held this way behaves as Linux's does (lookups in it
// find nothing, creating in it gives ENOENT, PathOf gives ENOENT).
//
// The FS does not hold file contents itself. Each regular file's bytes live
// in a Data, made by the Options.Data factory when the file is created:
// fixed-size pages, read and written only through that interface. The
// default, PageStore, keeps pages in memory; a file cache manager (K42's
// per-file FCM, paper §4.1) can take its place by supplying another
// DataFactory, with nothing else here changing. Pages are counted against
// a PageLimit shared by the file system's Data, which is what makes writes
// fail with ENOSPC and what Statfs reports. A Data that also implements
// PageSeeker lets lseek's SEEK_DATA and SEEK_HOLE see its holes.
//
// A directory stream lists ".", "..", then the entries newest first, as
// Linux 6.1's tmpfs does (dir.go says how a stream keeps its place while
// entries come and go).
//
// For the console and tests, IOFS gives an io/fs view of any subtree, so
// io/fs.WalkDir, ReadFile and ReadDir walk it; Usage and Statfs give df's
// figures.
//
// # Execution context
//
// This is ordinary, portable Go (standard library only, no cgo, no system
// calls): it runs unchanged in the kernel's server goroutines and in host
// tests. Nothing here blocks except on its own locks, and no lock is held
// while calling out, other than into Data and Device methods.
//
// # Errors
//
// Every failure is a Linux errno (a syscall.Errno, whose values are Linux's
// on every architecture the kernel builds for), wrapped in an *Error that
// names the operation and path: errors.Is(err, syscall.ENOENT) works, and
// Errno(err) gets the errno back cheaply. End of file is io.EOF, as for
// os.File, and a short count comes with the error that cut it short, as
// io.Writer requires; Errno(io.EOF) is 0, so a system-call server returns
// the count of a read or write if it is not zero and -Errno(err) if it is.
//
// # Locking
//
// Two levels, always taken in this order:
//
//  1. FS.ns, a sync.RWMutex over the namespace: every directory's entries,
//     each directory's parent and name, and whether a directory has been
//     removed. Path resolution holds it for reading, from the first
//     component to the last, so a path is resolved against one consistent
//     namespace. Operations that change names (mkdir, mknod, symlink,
//     link, unlink, rmdir, rename, and open with O_CREAT when the file
//     must be made: the resolution is then redone) hold it for writing.
//  2. Node.mu, a sync.RWMutex per inode, over its attributes (mode, owner,
//     times, link count, size), its open count and its Data. Writes,
//     truncation and attribute changes hold it for writing. Reads of file
//     contents take no lock of the node's: they read the size from its
//     atomic mirror and leave the ordering of pages to the Data (each page
//     copied under the Data's own lock, as Linux's page cache reads), so
//     that readers of one file on many CPUs write no line they share; a
//     File counts its reads in progress and Close waits for them, so a
//     node's Data is never released under a read. At most one Node.mu is
//     held at a time.
//
// A File's own mutex (offset and directory position) is taken before
// either of these, so concurrent read(2)s on one open file are serialised
// as Linux's f_pos lock serialises them; pread and pwrite do not take it.
// Reading and writing an open file takes no namespace lock at all.
//
// Link counts change only with both FS.ns held for writing and the node's
// own lock held, so Stat (which takes only the node lock) sees a count
// consistent with some state of the namespace.
//
// Rename is atomic because the whole of it — resolving both parents,
// checking every condition and changing both directories — happens under
// FS.ns held for writing, which excludes every lookup; and when it replaces
// an existing name it swaps the node the existing directory entry refers
// to rather than removing that entry and adding another, so no reader can
// find the target name missing, and a directory stream that already
// passed the name does not see it again.
//
// Writes with O_APPEND find the end of file and write there under the
// node's lock held for writing, so appends from any number of open files
// never overlap. Writes and truncations of a regular file are atomic with
// respect to each other; a read is atomic with respect to them page by
// page (Linux's behaviour): a read running beside a write or truncation
// sees each page before or after it, and never another file's data.
//
// A finer scheme (per-directory locks, lockless lookups as in Linux's
// RCU path walk) can replace FS.ns later without changing the API.
//
// # Times
//
// Times come from Options.Clock with nanosecond resolution. Creation sets
// all four (atime, mtime, ctime, btime); data changes set mtime and ctime;
// metadata changes (chmod, chown, link, unlink, rename, utimensat) set
// ctime; adding or removing a name sets the directory's mtime and ctime.
// Access times follow Linux's relatime rule: a read (of a file, a
// directory stream or a symbolic link) updates atime only if atime is not
// later than mtime or ctime, or is more than a day old; O_NOATIME turns
// that off for one open file.
//
// # Limits
//
// Names are at most 255 bytes, paths at most 4095, symbolic links are
// followed at most 40 times per resolution (ELOOP), files at most
// Options.MaxFileSize bytes (default 1 TiB; EFBIG beyond), and the file
// system holds at most Options.MaxInodes inodes and its PageLimit's pages
// (ENOSPC).
package fs
