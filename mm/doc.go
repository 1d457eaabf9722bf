// Package mm is memory management above the kernel's frames: the page
// cache and the file cache managers, built as live-swappable components on
// reconfig/. Physical frames and the program's address space are the
// kernel's own (kernel/frames, kernel/vm); mm/ is ordinary Go that runs in
// the file system's server threads, the pager's goroutine and tests.
//
//   - mm/blockdev: the block-device interface the backing stores are built
//     on, and the memory device (blocks kept apart from the cache's budget).
//   - mm/pagecache: the page pool under its budget, the pressure levels,
//     the pager, the per-CPU counters, and the store of page slots on a
//     block device (each file's backing store, K42's FR).
//   - mm/fcm: the FCM family (single, replicated, sequential), its state
//     transfer, the factory and the manager that upgrades them, and each
//     file's fs.Data; fcmstress and fcmbench are its integrity workload and
//     benchmark suite, linked only into tests and the test image.
package mm
