// Package fcm owns the file cache managers: K42's per-file FCMs (paper
// §4.1, §6.2, §6.3) as live-swappable components. One FCM interface, three
// implementations, all objects of the system table:
//
//   - Single (K42's FCMDefault): one page table under one lock.
//   - Replicated (K42's FCMDefaultMultiRep): a master table plus per-CPU
//     replicas made on a CPU's first access; a hit in a replica takes no
//     shared lock and writes no shared cache line. It takes part in
//     paging, unlike K42's.
//   - Sequential: approximates MRU for streams, giving back the pages
//     behind a sequential reader or writer soon after use.
//
// The family moves state by its canonical format (Canonical: the pages by
// reference with their dirty bits) or, between the three, by handing the
// page table itself over (ProtoTable).
//
// A Manager (the mechanism, in the manner of K42's COSMgr) owns the
// factory (an object of the table, "fcm/factory", one family member per
// implementation) through which every new file's FCM is made, registers
// each FCM in the table as "fcm:PATH" and with the pager, and upgrades
// every live FCM at once (Upgrade), honouring pins. Its File is the file
// system's fs.Data for one file: fs/ reads and writes data only through
// it, each call a request through the FCM's table entry, so fs/ never
// knows which FCM a file has.
//
// Pages come from the page cache (mm/pagecache) and go to the file's
// backing store; each FCM counts hits, misses, evictions, write-backs and
// bytes moved in per-CPU rows, for itself and in the cache's totals.
//
// Disk traffic goes in clusters when the store keeps a file's pages side
// by side (pagecache.Clustered): write-back (sync, eviction) writes runs
// of up to 64 consecutive dirty pages in one request, in file order; a
// read miss that follows the page before it (a stream) reads up to 256
// more pages in the same request, while the cache is at HIGH and within
// a quarter of its free pages, and marks the cluster's middle page: the
// stream reaching it asks for the next cluster (Env.Ahead), which the
// File prefetches through its table entry in a request of its own
// (FCM.Prefetch), so that a hot swap waits for a prefetch like for any
// call. A reader of a page on its way in waits for that read (the
// table's pending runs) rather than reading it again. A random miss
// reads one page.
//
// Execution context: ordinary Go, in the file system's server goroutines
// (through fs/), the pager's goroutine and operators' commands; never in
// the trap layer. A read or write may block in the page cache's Alloc,
// never with an FCM lock held.
package fcm
