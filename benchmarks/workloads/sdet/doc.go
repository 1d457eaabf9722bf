// Package sdet owns a model of the SDET multi-user software-development
// workload (SPEC SDM 057, the System Development Multitasking suite's
// SDET) as the K42 paper (§6) uses it: N scripts of user commands run at
// once, N-way SDET being N scripts on N CPUs, and the figure is the
// scripts completed per hour. SDET itself is not public; this package is
// a documented model of it, built from the published descriptions: many
// short commands over small files, every script working in its own home
// directory and all of them sharing the system's read-only files (on
// Unix /bin, /usr/include, /usr/lib, /usr/dict), which are the working
// set the CPUs share.
//
// It is ordinary Go, standard library only, and runs in a benchmark
// program on k42 (as its program) or on Linux (as a process) unchanged;
// benchmarks/sdet is its command. There are no processes to exec: each
// command is a Go function that does its work through package os, in a
// Shell that counts the file operations it makes.
//
// # The trees
//
// Setup writes, deterministically from Config.Seed, two trees under a
// root directory:
//
//   - root/system, the shared read-only tree (Config.SystemFiles files,
//     default 150): a dictionary of about 200 KiB of words (dict/words),
//     C headers (include/, include/sys/), a library of C sources
//     (lib/<name>/) and command data files (share/<command>/).
//   - root/template, the source tree every home is cloned from
//     (Config.SourceFiles files, default 200): C sources in modules
//     (src/<module>/*.c, about 16 a module), headers (include/*.h),
//     documents (doc/*.txt), test data in directories (tests/<dir>/*.t),
//     a README and data files (data/*.dat).
//
// File sizes are drawn from a skewed distribution from about 100 B to
// 32 KiB (half under 500 B, one in eight above 8 KiB, 3 KiB on
// average). Sources are C-like, with identifiers taken from the
// dictionary and #include lines naming the home's headers ("name.h")
// and the system's (<name.h>, <sys/name.h>); headers hold #define
// lines, structures and prototypes, and some include a system header;
// documents are paragraphs of dictionary words with a few misspellings.
// No name is in both trees, so a header is found in one place only.
//
// # A script
//
// Script i (of Config.Scripts, run at once by Run) clones root/template
// into root/home/<i> (cp -r), makes a scratch and a spool directory and
// opens a terminal file (home/.tty) that every command's output goes
// to, then runs the mix below, Config.Repeat times (default once), each
// time in its own order, shuffled by its random source, which is seeded
// with Config.Seed+i; that source also picks every file a command works
// on. At the end it removes its home (rm -r). The mix, 34 commands a
// repetition:
//
//	command count  what each run does                             reads shared
//	edit      4    ed-style line edits (insert, delete, substitute)
//	               of a source, header or document, written back
//	               through a temporary file renamed over it
//	make      2    build a module: compile each .c whose .o is older  headers
//	               than it or a header it includes (writing .o and
//	               .d), then link the objects into a.out
//	grep      3    count the lines holding a word: in a module's      headers
//	               sources; in the home's and the system's headers;
//	               in the documents
//	ls        3    ls -l (read a directory, stat each entry): the     a directory
//	               home; one of its directories; a system directory
//	find      2    walk a tree for a name pattern: the home; the      the tree
//	               system tree
//	cat       3    documents; a source and a header; a data file      data file
//	cp        2    a file into scratch/; a test directory (cp -r)
//	mv        2    rename a document; move a test directory between
//	               tests/ and attic/
//	mkdir     2    mkdir -p of two levels in scratch/
//	rm        2    a scratch file; a scratch directory (rm -r) (each
//	               copied first if there is none)
//	wc        2    count lines, words and bytes of one to three files
//	sort      2    the lines of a document; of a data file, into      data file
//	               scratch/
//	diff      2    a source or header against the template's copy     (template)
//	               (Myers' line diff, diff's normal output)
//	spell     1    look a document's words up in the dictionary       dictionary
//	print     2    pr -n pages of a source; of a document, into
//	               spool/
//
// Where a command's runs differ (separated by ";"), its first run in a
// repetition does the first, and so on. The system tree is only read,
// by every script; the template too is read by every script, by its
// clone and by diff; the rest of a script's work is in its own home.
//
// With the default trees a script makes about 4,700 file operations
// (calls into package os that reach the file system: opens, reads,
// writes, stats, directory reads, removals), 40% of them the clone and
// the removal of its home; strace on Linux counts about as many file
// system calls, and besides them the four fcntl calls and the epoll_ctl
// with which Go's os package tries each regular file it opens on the
// poller, about 4,300 more.
//
// # The figure
//
// Run's Report gives the scripts completed, the time from the first
// script's start to the last one's end, the commands and file operations
// done; ScriptsPerHour is scripts / elapsed hours, the SDET metric.
//
// # Streaming readers
//
// For the paper's Figure 7, MakeStreamFiles and StartStreams run
// sequential readers of large files (one goroutine a file, reading it
// from start to end in blocks, over and over) beside the scripts, or
// alone.
package sdet
