// Package pagecache owns the page cache's memory and its replacement: the
// pool of 4 KiB file pages under a budget (the kernel option
// k42.pagecache), the memory-pressure levels, the pager that takes pages
// back from their owners (K42's PM, in spirit), the counters of what the
// cache did, and the backing store that pages come from and go to (a
// Store of page slots on a blockdev.Device, one FileStore per file: K42's
// file representative).
//
// Pages belong to file cache managers (mm/fcm), which register with the
// cache as Reclaimers. The pager wakes when free memory falls from HIGH
// to MID, LOW or CRITICAL, visits the owners round robin, and asks each to
// give back a number of pages that grows as the level falls; owners write
// dirty pages back to their store before giving them up. An allocation
// that finds the budget spent wakes the pager and waits for it; if a
// whole round of the owners frees nothing (every page is pinned, or the
// store is full) the allocation fails with ErrNoMemory rather than wait
// for ever.
//
// Counters (hits, misses, evictions, write-backs, bytes moved) are
// per-CPU rows (reconfig/percpu): a count writes only its own CPU's cache
// line, so a hit counted on a CPU's replica writes nothing shared. Each
// owner keeps its own; the cache's totals are their sum (owners gone
// included), made when asked, not counted twice on every access.
//
// Pages are kept once made: freed pages go to a free list, never more
// than the budget's worth in all. With Options.Frames they come from
// memory the kernel gives in chunks (contiguous physical frames on a
// machine with a disk, which a device reads and writes directly); Drop
// empties the cache (cold caches). The Store places a file's pages side
// by side when they are written back in order and reads and writes such
// runs in one request (Clustered, through a blockdev.Vectored device).
//
// Execution context: ordinary Go, in server goroutines, the pager's own
// goroutine and tests; safe for concurrent use. Nothing here runs in the
// trap layer. Alloc may block (waiting for the pager): its caller must not
// hold a lock that a Reclaimer's GiveBack takes.
package pagecache
