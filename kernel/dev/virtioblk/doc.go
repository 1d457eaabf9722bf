// Package virtioblk owns the virtio-blk driver: a disk on the virtio 1.x
// PCI transport (k42/kernel/dev/virtio), served as a blockdev.Device to
// the page cache.
//
// One request queue carries every request: a 16-byte header, the data,
// and a 1-byte status written by the device. Each request holds a slot
// (up to 16, allocated at Open) for its header and status and, unless it
// goes direct, a 256 KiB DMA bounce buffer for its data; a transfer
// larger than a slot, or than the device's size_max × seg_max, is split
// into pieces that go out together, and a requester waits for a free
// slot. With Config.Direct a transfer of 16 KiB or more moves its data
// straight to and from the caller's memory, in pieces of up to a slot's
// share of the queue's descriptors. Requests from many goroutines are in
// flight at once; one completion goroutine waits for the device's
// interrupt (Config.Wait) or polls, and hands each completion to its
// requester.
//
// Block size: BlockSize is 512, the virtio sector, unless the device
// states a larger blk_size (VIRTIO_BLK_F_BLK_SIZE), which is then the
// unit of every request; Blocks is the capacity in those units, rounded
// down.
//
// Failures: a request whose completion does not come within
// Config.Timeout fails with an *Error naming the disk, the request, the
// sector and the time waited, and the disk is then broken: every request
// in flight and every later one fails at once (ErrBroken, with the
// reason). A device that breaks the ring protocol (virtio.DeviceError)
// breaks the disk the same way. A status of IOERR or UNSUPP fails just
// its request. A slot whose request was abandoned is never reused, since
// the device may still write it. Nothing a device does makes the driver
// panic or hang.
//
// Flush: see Disk.Flush.
//
// Execution context: ordinary Go in server goroutines, plus the disk's
// completion goroutine; never in the trap layer. A Disk is safe for
// concurrent use.
package virtioblk
