package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

var le = binary.LittleEndian

// maxQueueSize is the split ring's limit.
const maxQueueSize = 32768

// Descriptor flags, and the used ring's flag asking for no notifications.
const (
	descNext     = 1
	descWrite    = 2
	usedNoNotify = 1
)

// The rings' layout in the queue's one DMA buffer: the descriptor table
// (16 bytes an entry) at 0, the avail ring (flags, idx, ring[size],
// used_event) after it, the used ring (flags, idx, ring[size] of {id,
// len}, avail_event) at the next 4-byte boundary. The buffer is aligned
// to 4096, more than the 16, 2 and 4 the spec asks.
const (
	descOff   = 0
	descSize  = 16
	usedEntry = 8
	ringAlign = 4096
)

// ErrQueueFull is the error of an Add when too few descriptors are free;
// it goes away as the device completes chains.
var ErrQueueFull = errors.New("virtio: queue full")

// ErrBroken is what every DeviceError wraps.
var ErrBroken = errors.New("virtio: device broke the ring protocol")

// DeviceError is a device's violation of the ring protocol, found in what
// it wrote to the used ring. The queue is unusable afterwards: every call
// returns the same error, and nothing the device named is freed.
type DeviceError struct {
	Queue int
	What  string
}

func (e *DeviceError) Error() string { return fmt.Sprintf("virtio: queue %d: %s", e.Queue, e.What) }
func (e *DeviceError) Unwrap() error { return ErrBroken }

// Seg is one buffer of a chain: Len bytes at bus address Addr, written by
// the device if DeviceWrites, else read by it.
type Seg struct {
	Addr         uint64
	Len          uint32
	DeviceWrites bool
}

// Completion is a chain the device has finished with: the token given to
// Add, and the bytes the device says it wrote.
type Completion struct {
	Token any
	Len   uint32
	Head  uint16
}

// Queue is a split virtqueue. The driver's view of which descriptors are
// free and which chains are in flight is kept in Go memory, never read
// back from the rings, so a device scribbling on ring memory cannot
// confuse it; what the device does write (the used ring) is checked.
type Queue struct {
	index     int
	size      uint16
	notify    Regs
	notifyOff int
	mem       []byte
	addr      uint64 // bus address of mem
	availOff  uint64
	usedOff   uint64
	avail     []byte
	used      []byte

	order atomic.Uint32 // fence's store target

	mu          sync.Mutex
	free        []uint16 // a stack of free descriptors
	next        []uint16 // each descriptor's link, as the driver wrote it
	chains      []chain  // by head descriptor
	unpublished []uint16 // heads added since the last Kick
	availIdx    uint16   // avail.idx as Kick will publish it
	usedIdx     uint16   // the next used entry to consume
	published   int      // chains the device has been given and not returned
	inFlight    int      // chains added and not returned
	broken      error
}

type chainState uint8

const (
	chainFree      chainState = iota
	chainAdded                // in the avail ring, not yet published
	chainPublished            // the device may use it
)

type chain struct {
	state    chainState
	n        uint16 // descriptors
	writable uint64 // device-writable bytes
	token    any
}

func newQueue(index, size int, dma DMA, notify Regs, notifyOff int) (*Queue, error) {
	availOff := uint64(descSize * size)
	usedOff := (availOff + uint64(6+2*size) + 3) &^ 3
	total := int(usedOff) + 6 + usedEntry*size
	buf, err := dma.Alloc(total, ringAlign)
	if err != nil {
		return nil, fmt.Errorf("virtio: queue %d: allocating %d bytes of rings: %w", index, total, err)
	}
	if len(buf.Bytes) < total || buf.Addr%ringAlign != 0 {
		return nil, fmt.Errorf("virtio: queue %d: DMA gave %d bytes at %#x for %d aligned to %d", index, len(buf.Bytes), buf.Addr, total, ringAlign)
	}
	q := &Queue{
		index: index, size: uint16(size), notify: notify, notifyOff: notifyOff,
		mem: buf.Bytes[:total], addr: buf.Addr, availOff: availOff, usedOff: usedOff,
		free: make([]uint16, size), next: make([]uint16, size), chains: make([]chain, size),
	}
	clear(q.mem)
	q.avail = q.mem[availOff:usedOff]
	q.used = q.mem[usedOff:]
	for i := range q.free {
		q.free[i] = uint16(size - 1 - i) // descriptor 0 on top
	}
	return q, nil
}

// fence orders every memory access before it before every access after
// it, as another CPU or a device sees them, which plain stores to ring
// memory and MMIO accesses alone do not promise. It is an atomic store:
// Go compiles one to "sync; stw" on ppc64 (hwsync, a full barrier that
// also orders cacheable stores before a cache-inhibited MMIO store) and
// to XCHG on amd64 (a locked instruction, a full barrier: TSO alone would
// let the load of used.flags pass the store of avail.idx). The compiler
// moves no memory access across an atomic operation. The word is the
// queue's own, so queues fence without sharing a cache line.
func (q *Queue) fence() { q.order.Store(0) }

// Index is the queue's number on its device.
func (q *Queue) Index() int { return q.index }

// Size is the number of descriptors.
func (q *Queue) Size() int { return int(q.size) }

// InFlight is the number of chains added and not yet completed.
func (q *Queue) InFlight() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inFlight
}

// Broken is the DeviceError that broke the queue, or nil.
func (q *Queue) Broken() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.broken
}

// Add puts a chain of segs, device-readable ones first, in the avail ring
// and returns its head descriptor; the device sees it after Kick. token
// comes back in its Completion. ErrQueueFull if too few descriptors are
// free.
func (q *Queue) Add(segs []Seg, token any) (head uint16, err error) {
	if len(segs) == 0 || len(segs) > int(q.size) {
		return 0, fmt.Errorf("virtio: queue %d: a chain of %d segments (the queue has %d descriptors)", q.index, len(segs), q.size)
	}
	var writable uint64
	for i, s := range segs {
		if s.Len == 0 {
			return 0, fmt.Errorf("virtio: queue %d: segment %d is empty", q.index, i)
		}
		if !s.DeviceWrites && writable != 0 {
			return 0, fmt.Errorf("virtio: queue %d: segment %d is device-readable after a device-writable one", q.index, i)
		}
		if s.DeviceWrites {
			writable += uint64(s.Len)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.broken != nil {
		return 0, q.broken
	}
	n := len(segs)
	if len(q.free) < n {
		return 0, ErrQueueFull
	}
	ids := make([]uint16, n) // popped, so the stack's top is the head
	for i := range ids {
		ids[i] = q.free[len(q.free)-1-i]
	}
	q.free = q.free[:len(q.free)-n]
	for i, s := range segs {
		var flags, next uint16
		if i+1 < n {
			flags, next = descNext, ids[i+1]
		}
		if s.DeviceWrites {
			flags |= descWrite
		}
		d := q.mem[descOff+descSize*int(ids[i]):]
		le.PutUint64(d[0:], s.Addr)
		le.PutUint32(d[8:], s.Len)
		le.PutUint16(d[12:], flags)
		le.PutUint16(d[14:], next)
		q.next[ids[i]] = next
	}
	head = ids[0]
	q.chains[head] = chain{state: chainAdded, n: uint16(n), writable: writable, token: token}
	le.PutUint16(q.avail[4+2*int(q.availIdx%q.size):], head)
	q.availIdx++
	q.unpublished = append(q.unpublished, head)
	q.inFlight++
	return head, nil
}

// Kick publishes the chains added since the last Kick (avail.idx) and
// notifies the device, unless it has asked not to be (the used ring's
// NO_NOTIFY flag).
func (q *Queue) Kick() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.broken != nil {
		return q.broken
	}
	if len(q.unpublished) == 0 {
		return nil
	}
	q.fence() // the descriptors and ring entries before the index that covers them
	le.PutUint16(q.avail[2:], q.availIdx)
	for _, h := range q.unpublished {
		q.chains[h].state = chainPublished
	}
	q.published += len(q.unpublished)
	q.unpublished = q.unpublished[:0]
	q.fence() // the index before the flags read and the notify
	if le.Uint16(q.used[0:])&usedNoNotify == 0 {
		q.notify.Write16(q.notifyOff, uint16(q.index))
	}
	return nil
}

// Next consumes one used ring entry, if the device has written one. It
// checks the entry before trusting it: the used index may not run ahead
// of the chains the device has, the id must head a published chain, and
// the length may not exceed that chain's device-writable bytes.
// Otherwise it returns a *DeviceError and the queue is broken.
func (q *Queue) Next() (Completion, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.broken != nil {
		return Completion{}, false, q.broken
	}
	idx := le.Uint16(q.used[2:])
	ahead := idx - q.usedIdx
	if ahead == 0 {
		return Completion{}, false, nil
	}
	if int(ahead) > q.published {
		return Completion{}, false, q.fail("used.idx moved to %d, %d entries past %d, but the device holds only %d chains (queue size %d)",
			idx, ahead, q.usedIdx, q.published, q.size)
	}
	q.fence() // the index before the entry it covers
	e := q.used[4+usedEntry*int(q.usedIdx%q.size):]
	id, n := le.Uint32(e[0:]), le.Uint32(e[4:])
	if id >= uint32(q.size) {
		return Completion{}, false, q.fail("used entry %d names descriptor %d, beyond the queue's %d", q.usedIdx, id, q.size)
	}
	c := &q.chains[id]
	if c.state != chainPublished {
		return Completion{}, false, q.fail("used entry %d names descriptor %d, which heads no chain the device holds", q.usedIdx, id)
	}
	if uint64(n) > c.writable {
		return Completion{}, false, q.fail("used entry %d says the device wrote %d bytes into chain %d, which has %d device-writable bytes",
			q.usedIdx, n, id, c.writable)
	}
	done := Completion{Token: c.token, Len: n, Head: uint16(id)}
	for i, d := 0, uint16(id); i < int(c.n); i, d = i+1, q.next[d] {
		q.free = append(q.free, d)
	}
	*c = chain{}
	q.usedIdx++
	q.published--
	q.inFlight--
	return done, true, nil
}

func (q *Queue) fail(format string, args ...any) error {
	q.broken = &DeviceError{Queue: q.index, What: fmt.Sprintf(format, args...)}
	return q.broken
}
