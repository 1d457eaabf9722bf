package virtiotest

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"k42/kernel/dev/virtio"
)

// virtio-blk's request types, statuses and feature bits, as the device
// sees them.
const (
	BlkIn    = 0
	BlkOut   = 1
	BlkFlush = 4
	BlkGetID = 8

	BlkOK     = 0
	BlkIOErr  = 1
	BlkUnsupp = 2

	BlkFSizeMax = 1 << 1
	BlkFSegMax  = 1 << 2
	BlkFRO      = 1 << 5
	BlkFBlkSize = 1 << 6
	BlkFFlush   = 1 << 9
)

// BlkOptions describe a fake virtio-blk device.
type BlkOptions struct {
	Features                 uint64 // offered, besides VERSION_1: the BlkF bits
	BlkSize, SizeMax, SegMax uint32 // the config fields (offered or not)
	ID                       string // the GET_ID answer (at most 20 bytes)
	QueueSize                int    // 128 if 0
	MSIXVectors              int

	// Async serves requests on a worker goroutine, each batch in shuffled
	// order, and announces them by Post: the driver must Wait.
	Async bool
}

// Request is a request as the device parsed it.
type Request struct {
	Type   uint32
	Sector uint64
	Len    int // data bytes
}

// Fault is a misbehaviour the device can be told to commit.
type Fault int

const (
	FaultNone          Fault = iota
	FaultNeverComplete       // the request is never completed
	FaultBadID               // its used entry names a descriptor beyond the queue
	FaultStaleID             // its used entry names a chain the device does not hold
	FaultBadLen              // its used entry claims one byte more than it could write
	FaultIOErr               // it fails with status IOERR
	FaultUnsupp              // it fails with status UNSUPP
)

// Blk is a fake virtio-blk device serving a disk image.
type Blk struct {
	*Device
	opt BlkOptions

	mu         sync.Mutex
	image      []byte
	fault      Fault
	match      func(Request) bool
	hold       bool
	work       []Chain // Async: chains waiting for the worker
	received   map[uint32]int
	writesDone int
	flushLog   []int // writesDone when each FLUSH arrived
	violations []error

	wake, stop, stopped chan struct{}
}

// NewBlk returns a device serving image (its length a multiple of 512),
// which it writes in place. Close it when done.
func NewBlk(image []byte, opt BlkOptions) *Blk {
	if opt.QueueSize == 0 {
		opt.QueueSize = 128
	}
	cfg := make([]byte, 64)
	le.PutUint64(cfg[0:], uint64(len(image)/512))
	le.PutUint32(cfg[8:], opt.SizeMax)
	le.PutUint32(cfg[12:], opt.SegMax)
	le.PutUint32(cfg[20:], opt.BlkSize)
	b := &Blk{opt: opt, image: image, received: make(map[uint32]int),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	b.Device = New(NewMemory(8<<20), Options{
		DeviceID: 0x1042, Features: virtio.FeatureVersion1 | opt.Features, QueueSizes: []int{opt.QueueSize},
		Config: cfg, MSIXVectors: opt.MSIXVectors, OnNotify: b.notified,
	})
	if opt.Async {
		go b.worker()
	} else {
		close(b.stopped)
	}
	return b
}

// Close stops the worker.
func (b *Blk) Close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.stopped
}

// SetFault makes the device commit f on every request match accepts (f
// FaultNone: behave).
func (b *Blk) SetFault(f Fault, match func(Request) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fault, b.match = f, match
}

// Hold stops (or restarts) the Async worker serving requests: they wait.
func (b *Blk) Hold(on bool) {
	b.mu.Lock()
	b.hold = on
	b.mu.Unlock()
	b.kick()
}

// Image returns a copy of the disk image.
func (b *Blk) Image() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.image...)
}

// Received counts the requests of a type that arrived.
func (b *Blk) Received(typ uint32) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.received[typ]
}

// FlushLog is, for each FLUSH in arrival order, the number of writes
// completed when it arrived.
func (b *Blk) FlushLog() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.flushLog...)
}

// Violations are the requests the device found malformed.
func (b *Blk) Violations() []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.violations...)
}

func (b *Blk) kick() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// notified runs in the driver's Kick: it serves the chains at once or
// hands them to the worker.
func (b *Blk) notified(q int, chains []Chain) {
	b.mu.Lock()
	for _, c := range chains {
		if r, ok := b.parse(c); ok {
			b.received[r.Type]++
			if r.Type == BlkFlush {
				b.flushLog = append(b.flushLog, b.writesDone)
			}
		}
	}
	if b.opt.Async {
		b.work = append(b.work, chains...)
		b.mu.Unlock()
		b.kick()
		return
	}
	b.mu.Unlock()
	for _, c := range chains {
		b.serve(c, b.Complete)
	}
}

func (b *Blk) worker() {
	defer close(b.stopped)
	for {
		select {
		case <-b.stop:
			return
		case <-b.wake:
		}
		b.mu.Lock()
		var batch []Chain
		if !b.hold {
			batch, b.work = b.work, nil
		}
		b.mu.Unlock()
		rand.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		for _, c := range batch {
			b.serve(c, b.Post)
		}
	}
}

// parse reads the request header of a chain; b.mu held.
func (b *Blk) parse(c Chain) (Request, bool) {
	if len(c.Segs) < 2 || c.Segs[0].DeviceWrites || c.Segs[0].Len != 16 {
		return Request{}, false
	}
	h, err := b.Mem.Bytes(c.Segs[0].Addr, 16)
	if err != nil {
		return Request{}, false
	}
	r := Request{Type: le.Uint32(h), Sector: le.Uint64(h[8:])}
	for _, s := range c.Segs[1 : len(c.Segs)-1] {
		r.Len += int(s.Len)
	}
	return r, true
}

// serve carries out one request and completes it through done (Complete
// or Post), committing the fault if it applies.
func (b *Blk) serve(c Chain, done func(q int, id, n uint32)) {
	b.mu.Lock()
	r, ok := b.parse(c)
	status := byte(BlkOK)
	fault := FaultNone
	if !ok {
		b.violate("chain %d: no 16-byte device-readable header", c.Head)
		b.mu.Unlock()
		return
	}
	if b.match != nil && b.match(r) {
		fault = b.fault
	}
	last := c.Segs[len(c.Segs)-1]
	st, err := b.Mem.Bytes(last.Addr, 1)
	if !last.DeviceWrites || last.Len != 1 || err != nil {
		b.violate("chain %d: no 1-byte device-writable status", c.Head)
		b.mu.Unlock()
		return
	}
	if fault != FaultNeverComplete {
		status = b.do(r, c.Segs[1:len(c.Segs)-1])
		if r.Type == BlkOut && status == BlkOK {
			b.writesDone++
		}
	}
	b.mu.Unlock()

	id, n := uint32(c.Head), c.Writable()
	switch fault {
	case FaultNeverComplete:
		return
	case FaultBadID:
		id = uint32(b.opt.QueueSize) + 7
	case FaultStaleID:
		id = b.NotHeld(c.Queue)
	case FaultBadLen:
		n++
	case FaultIOErr:
		status = BlkIOErr
	case FaultUnsupp:
		status = BlkUnsupp
	}
	st[0] = status
	done(c.Queue, id, n)
}

// do moves a request's data; b.mu held.
func (b *Blk) do(r Request, data []virtio.Seg) byte {
	if b.opt.Features&BlkFSegMax != 0 && b.opt.SegMax > 0 && len(data) > int(b.opt.SegMax) {
		b.violate("%d data segments, seg_max %d", len(data), b.opt.SegMax)
		return BlkIOErr
	}
	for _, s := range data {
		if b.opt.Features&BlkFSizeMax != 0 && b.opt.SizeMax > 0 && s.Len > b.opt.SizeMax {
			b.violate("a %d-byte segment, size_max %d", s.Len, b.opt.SizeMax)
			return BlkIOErr
		}
		if s.DeviceWrites != (r.Type == BlkIn || r.Type == BlkGetID) {
			b.violate("type %d request with a segment the device %s", r.Type, map[bool]string{true: "writes", false: "reads"}[s.DeviceWrites])
			return BlkIOErr
		}
	}
	switch r.Type {
	case BlkIn, BlkOut:
		if b.opt.Features&BlkFBlkSize != 0 && b.opt.BlkSize > 512 &&
			(r.Sector*512%uint64(b.opt.BlkSize) != 0 || r.Len%int(b.opt.BlkSize) != 0) {
			b.violate("%d bytes at sector %d, not whole %d-byte blocks", r.Len, r.Sector, b.opt.BlkSize)
			return BlkIOErr
		}
		if r.Type == BlkOut && b.opt.Features&BlkFRO != 0 {
			b.violate("a write to a read-only disk")
			return BlkIOErr
		}
		off := r.Sector * 512
		if r.Sector >= uint64(len(b.image))/512 || uint64(r.Len) > uint64(len(b.image))-off {
			return BlkIOErr
		}
		for _, s := range data {
			mem, err := b.Mem.Bytes(s.Addr, int(s.Len))
			if err != nil {
				b.violate("%v", err)
				return BlkIOErr
			}
			if r.Type == BlkIn {
				copy(mem, b.image[off:])
			} else {
				copy(b.image[off:], mem)
			}
			off += uint64(s.Len)
		}
		return BlkOK
	case BlkFlush:
		if b.opt.Features&BlkFFlush == 0 {
			return BlkUnsupp
		}
		return BlkOK
	case BlkGetID:
		id := []byte(b.opt.ID)
		for _, s := range data {
			mem, err := b.Mem.Bytes(s.Addr, int(s.Len))
			if err != nil {
				b.violate("%v", err)
				return BlkIOErr
			}
			clear(mem)
			id = id[copy(mem, id):]
		}
		return BlkOK
	}
	return BlkUnsupp
}

func (b *Blk) violate(format string, args ...any) {
	b.violations = append(b.violations, fmt.Errorf(format, args...))
}
