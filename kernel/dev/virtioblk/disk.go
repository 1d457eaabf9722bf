package virtioblk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"k42/kernel/dev/virtio"
	"k42/mm/blockdev"
)

// virtio-blk feature bits this driver negotiates.
const (
	FeatureSizeMax = 1 << 1 // config size_max: the largest data segment
	FeatureSegMax  = 1 << 2 // config seg_max: the most data segments in a request
	FeatureRO      = 1 << 5 // the disk is read-only
	FeatureBlkSize = 1 << 6 // config blk_size: the device's block size
	FeatureFlush   = 1 << 9 // VIRTIO_BLK_T_FLUSH exists: the device has a write cache
)

// Request types and statuses.
const (
	typeIn    = 0
	typeOut   = 1
	typeFlush = 4
	typeGetID = 8

	statusOK     = 0
	statusIOErr  = 1
	statusUnsupp = 2
	statusNone   = 0xff // what the status byte holds until the device writes it
)

const (
	sectorSize     = 512
	slotCount      = 16
	slotSize       = 256 << 10
	hdrLen         = 16
	hdrStride      = 32 // a slot's header, then its status byte at +16
	idLen          = 20
	queueMax       = 256
	defaultTimeout = 5 * time.Second
	pollInterval   = 100 * time.Microsecond // between looks at the used ring without interrupts
	waitSlice      = 10 * time.Millisecond  // the longest interrupt wait before looking anyway
)

// Config describes the disk to Open.
type Config struct {
	Caps virtio.PCICaps
	DMA  virtio.DMA
	// Wait blocks until the device's interrupt fires or the timeout
	// passes; its error only says no interrupt came. Nil: poll.
	Wait func(timeout time.Duration) error
	// MSIXVector is the queue's MSI-X vector, or virtio.NoVector: with
	// Wait, that means INTx, whose ISR read deasserts the line.
	MSIXVector uint16
	Timeout    time.Duration // per request; 5s if 0
	Name       string        // in errors; "virtio-blk" if empty
	// Direct, if set, gives the bus addresses behind p, so that a
	// request moves its data straight to and from the caller's memory
	// instead of through a bounce slot; ok false (or nil) bounces. On
	// pseries they are physical addresses (pseries.Physical). A request
	// that times out keeps its buffer referenced for ever: the device may
	// still write it.
	Direct func(p []byte) (ranges []Range, ok bool)
}

// Range is bus addresses [Addr, Addr+Len).
type Range struct {
	Addr uint64
	Len  int
}

// directMin is the smallest request whose data go direct: below it the
// bounce copy costs less than finding the addresses.
const directMin = 16 << 10

// Sentinel errors, wrapped in an *Error.
var (
	ErrTimeout     = errors.New("no completion")
	ErrBroken      = errors.New("disk broken")
	ErrClosed      = errors.New("disk closed")
	ErrReadOnly    = errors.New("the disk is read-only (VIRTIO_BLK_F_RO)")
	ErrIO          = errors.New("the device reported an I/O error")
	ErrUnsupported = errors.New("the device does not support the request")
)

// Error is a failed request.
type Error struct {
	Disk   string
	Op     string // read, write, flush, get-id
	Sector uint64
	Err    error
}

func (e *Error) Error() string { return "virtio-blk " + e.Disk + ": " + e.what() }
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) what() string {
	if e.Op == "flush" || e.Op == "get-id" {
		return e.Op + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s at sector %d: %v", e.Op, e.Sector, e.Err)
}

// brokenError is the error of a request refused, or abandoned, because
// the disk broke; it wraps ErrBroken and the cause.
type brokenError struct{ cause error }

func (e brokenError) Unwrap() []error { return []error{ErrBroken, e.cause} }
func (e brokenError) Error() string {
	if c, ok := e.cause.(*Error); ok {
		return "disk broken earlier (" + c.what() + ")"
	}
	return "disk broken (" + e.cause.Error() + ")"
}

// Disk is a virtio-blk disk.
type Disk struct {
	name     string
	dev      virtio.Device
	q        *virtio.Queue
	features uint64
	bs       int
	sectors  uint64
	blocks   int64
	segLen   int // the most bytes in one data descriptor
	maxReq   int // the most data bytes in one request
	timeout  time.Duration
	wait     func(time.Duration) error
	direct   func([]byte) ([]Range, bool)
	// directSegs bounds a direct request's data descriptors: with its
	// header and status it stays within a slot's share of the queue.
	directSegs int
	keepMu     sync.Mutex
	keep       [][]byte // buffers of direct requests that timed out
	intx       bool
	model      string

	slots chan *slot    // the free ones
	work  chan struct{} // a request is in flight: wakes the completion goroutine

	// Writes hold flushMu shared from start to end; Flush takes it
	// exclusively, so it waits for every write already started.
	flushMu sync.RWMutex

	mu       sync.Mutex
	broken   error         // why, once broken
	brokenCh chan struct{} // closed when broken
	stopped  chan struct{} // closed when the completion goroutine has gone
	closed   sync.Once

	idOnce sync.Once
	id     string

	reads, writes, flushes, bytesRead, bytesWritten atomic.Int64
	inFlight, maxInFlight                           atomic.Int64 // requests handed to the device and not yet completed
}

// slot is a bounce buffer with its request's header and status.
type slot struct {
	data       virtio.Buffer
	hdr        []byte
	hdrAddr    uint64
	status     []byte
	statusAddr uint64
}

// request is one request in flight; done receives the used length.
type request struct {
	done chan uint32
}

// Open initialises the device, reads its configuration, sets up its
// queue and bounce buffers, and starts the completion goroutine.
func Open(cfg Config) (*Disk, error) {
	d := &Disk{name: cfg.Name, timeout: cfg.Timeout, wait: cfg.Wait, direct: cfg.Direct,
		intx: cfg.Wait != nil && cfg.MSIXVector == virtio.NoVector,
		work: make(chan struct{}, 1), brokenCh: make(chan struct{}), stopped: make(chan struct{})}
	if d.name == "" {
		d.name = "virtio-blk"
	}
	if d.timeout <= 0 {
		d.timeout = defaultTimeout
	}
	if cfg.DMA == nil {
		return nil, fmt.Errorf("virtio-blk %s: no DMA memory", d.name)
	}
	var err error
	d.features, err = d.dev.Init(cfg.Caps, FeatureFlush|FeatureBlkSize|FeatureSegMax|FeatureSizeMax|FeatureRO)
	if err != nil {
		return nil, fmt.Errorf("virtio-blk %s: %w", d.name, err)
	}
	if err := d.setup(cfg); err != nil {
		d.dev.Failed()
		return nil, fmt.Errorf("virtio-blk %s: %w", d.name, err)
	}
	d.dev.Ready()
	go d.complete()
	return d, nil
}

// setup reads the configuration, sizes requests and allocates the queue
// and the slots.
func (d *Disk) setup(cfg Config) error {
	need := uint64(8) // capacity
	for _, f := range []struct {
		bit uint64
		end uint64
	}{{FeatureSizeMax, 12}, {FeatureSegMax, 16}, {FeatureBlkSize, 24}} {
		if d.features&f.bit != 0 {
			need = max(need, f.end)
		}
	}
	if cfg.Caps.DeviceLen < need {
		return fmt.Errorf("the device configuration is %d bytes; %d are needed", cfg.Caps.DeviceLen, need)
	}
	var sizeMax, segMax, blkSize uint32
	err := d.dev.ReadConfig(func(r virtio.Regs) {
		d.sectors = uint64(r.Read32(0)) | uint64(r.Read32(4))<<32
		if d.features&FeatureSizeMax != 0 {
			sizeMax = r.Read32(8)
		}
		if d.features&FeatureSegMax != 0 {
			segMax = r.Read32(12)
		}
		if d.features&FeatureBlkSize != 0 {
			blkSize = r.Read32(20)
		}
	})
	if err != nil {
		return err
	}
	if d.sectors > math.MaxInt64/sectorSize {
		return fmt.Errorf("the device claims %d sectors, more than a byte count can hold", d.sectors)
	}
	d.bs = sectorSize
	if d.features&FeatureBlkSize != 0 {
		if blkSize < sectorSize || blkSize > slotSize || blkSize&(blkSize-1) != 0 {
			return fmt.Errorf("the device's block size %d is not a power of two from %d to %d", blkSize, sectorSize, slotSize)
		}
		d.bs = int(blkSize)
	}
	d.blocks = int64(d.sectors * sectorSize / uint64(d.bs))

	d.q, err = d.dev.SetupQueue(0, queueMax, cfg.DMA, cfg.MSIXVector)
	if err != nil {
		return err
	}
	// A zero size_max or seg_max states no limit.
	d.segLen = slotSize
	if sizeMax > 0 {
		d.segLen = min(d.segLen, int(sizeMax))
	}
	segs := (slotSize + d.segLen - 1) / d.segLen
	if segMax > 0 {
		segs = min(segs, int(segMax))
	}
	segs = min(segs, d.q.Size()-2)
	d.maxReq = min(slotSize, segs*d.segLen) &^ (d.bs - 1)
	if segs < 1 || d.maxReq < max(d.bs, idLen) {
		return fmt.Errorf("the device's limits (size_max %d, seg_max %d, queue of %d) leave no room for one %d-byte block",
			sizeMax, segMax, d.q.Size(), d.bs)
	}
	n := min(slotCount, d.q.Size()/(2+(d.maxReq+d.segLen-1)/d.segLen))
	// A direct request may use its slot's whole share of the queue.
	d.directSegs = max(1, d.q.Size()/max(n, 1)-2)
	hdrs, err := cfg.DMA.Alloc(n*hdrStride, 16)
	if err == nil && len(hdrs.Bytes) < n*hdrStride {
		err = fmt.Errorf("%d bytes given for %d", len(hdrs.Bytes), n*hdrStride)
	}
	if err != nil {
		return fmt.Errorf("allocating request headers: %w", err)
	}
	d.slots = make(chan *slot, n)
	for i := range n {
		data, err := cfg.DMA.Alloc(slotSize, 4096)
		if err == nil && len(data.Bytes) < slotSize {
			err = fmt.Errorf("%d bytes given for %d", len(data.Bytes), slotSize)
		}
		if err != nil {
			return fmt.Errorf("allocating bounce buffer %d of %d: %w", i, n, err)
		}
		h := hdrs.Bytes[i*hdrStride:]
		a := hdrs.Addr + uint64(i*hdrStride)
		d.slots <- &slot{data: data, hdr: h[:hdrLen], hdrAddr: a, status: h[hdrLen : hdrLen+1], statusAddr: a + hdrLen}
	}
	d.model = fmt.Sprintf("virtio-blk: %d sectors, %d-byte blocks, requests of up to %d bytes, %d in flight",
		d.sectors, d.bs, d.maxReq, n)
	if d.features&FeatureFlush != 0 {
		d.model += ", write cache (flush)"
	}
	if d.features&FeatureRO != 0 {
		d.model += ", read-only"
	}
	return nil
}

// complete is the completion goroutine: it waits for the device and
// hands each completion to its requester, until the disk breaks or
// closes.
func (d *Disk) complete() {
	defer close(d.stopped)
	for {
		for {
			c, ok, err := d.q.Next()
			if err != nil {
				d.breakWith(err)
				return
			}
			if !ok {
				break
			}
			c.Token.(*request).done <- c.Len // buffered: never blocks
		}
		if d.q.InFlight() == 0 {
			select {
			case <-d.work:
			case <-d.brokenCh:
				return
			}
			continue
		}
		select {
		case <-d.brokenCh:
			return
		default:
		}
		if d.wait == nil {
			time.Sleep(pollInterval)
			continue
		}
		_ = d.wait(waitSlice) // no interrupt: look anyway, in case one was lost
		if d.intx {
			d.dev.ReadISR()
		}
	}
}

// breakWith marks the disk broken by cause, unless it already is, and
// wakes every waiting requester.
func (d *Disk) breakWith(cause error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken != nil {
		return
	}
	d.broken = cause
	close(d.brokenCh)
	if cause != ErrClosed {
		d.dev.Failed()
	}
}

// refusal is the error for a request the broken disk will not carry out.
func (d *Disk) refusal(op string, sector uint64) error {
	d.mu.Lock()
	cause := d.broken
	d.mu.Unlock()
	if cause == ErrClosed {
		return &Error{Disk: d.name, Op: op, Sector: sector, Err: ErrClosed}
	}
	return &Error{Disk: d.name, Op: op, Sector: sector, Err: brokenError{cause}}
}

var opNames = map[uint32]string{typeIn: "read", typeOut: "write", typeFlush: "flush", typeGetID: "get-id"}

// do carries out one request of type typ at sector, whose data (at most
// maxReq bytes) go out from p (OUT) or come back into p (IN, GET_ID).
func (d *Disk) do(typ uint32, sector uint64, p []byte) error {
	return d.dov(typ, sector, [][]byte{p}, nil)
}

// dov is do with the data in several buffers, one after the other; with
// data set, the device moves them straight to and from those bus
// addresses (the buffers' own: see Config.Direct) instead of a slot.
func (d *Disk) dov(typ uint32, sector uint64, v [][]byte, data []virtio.Seg) error {
	size := vecLen(v)
	op := opNames[typ]
	var s *slot
	select {
	case <-d.brokenCh:
		return d.refusal(op, sector)
	default:
	}
	select {
	case s = <-d.slots:
	case <-d.brokenCh:
		return d.refusal(op, sector)
	}
	le.PutUint32(s.hdr[0:], typ)
	le.PutUint32(s.hdr[4:], 0)
	le.PutUint64(s.hdr[8:], sector)
	s.status[0] = statusNone
	in := typ == typeIn || typ == typeGetID
	segs := []virtio.Seg{{Addr: s.hdrAddr, Len: hdrLen}}
	direct := data != nil
	for _, g := range data {
		g.DeviceWrites = in
		segs = append(segs, g)
	}
	if !direct {
		if !in {
			gather(s.data.Bytes, v)
		}
		for off := 0; off < size; off += d.segLen {
			n := min(d.segLen, size-off)
			segs = append(segs, virtio.Seg{Addr: s.data.Addr + uint64(off), Len: uint32(n), DeviceWrites: in})
		}
	}
	segs = append(segs, virtio.Seg{Addr: s.statusAddr, Len: 1, DeviceWrites: true})

	req := &request{done: make(chan uint32, 1)}
	if _, err := d.q.Add(segs, req); err != nil {
		// The slots bound the descriptors in use, so only a broken queue
		// (or a bug) gets here; the device never saw the slot.
		d.slots <- s
		if errors.Is(err, virtio.ErrBroken) {
			d.breakWith(err)
			return d.refusal(op, sector)
		}
		return &Error{Disk: d.name, Op: op, Sector: sector, Err: err}
	}
	// From here the slot is the device's until the request completes. A
	// request that gives up never returns it: the device may still write.
	for n := d.inFlight.Add(1); ; {
		m := d.maxInFlight.Load()
		if n <= m || d.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	defer d.inFlight.Add(-1)
	if err := d.q.Kick(); err != nil {
		d.breakWith(err)
		return d.refusal(op, sector)
	}
	select {
	case d.work <- struct{}{}:
	default:
	}
	start := time.Now()
	timer := time.NewTimer(d.timeout)
	defer timer.Stop()
	select {
	case <-req.done:
	case <-timer.C:
		if !completed(req) {
			err := &Error{Disk: d.name, Op: op, Sector: sector,
				Err: fmt.Errorf("%w after %v", ErrTimeout, time.Since(start).Round(time.Millisecond))}
			if direct {
				d.keepMu.Lock()
				d.keep = append(d.keep, v...)
				d.keepMu.Unlock()
			}
			d.breakWith(err)
			return err
		}
	case <-d.brokenCh:
		if !completed(req) {
			return d.refusal(op, sector)
		}
	}
	status := s.status[0]
	if in && status == statusOK && !direct {
		scatter(v, s.data.Bytes)
	}
	d.slots <- s
	switch status {
	case statusOK:
		return nil
	case statusIOErr:
		return &Error{Disk: d.name, Op: op, Sector: sector, Err: ErrIO}
	case statusUnsupp:
		return &Error{Disk: d.name, Op: op, Sector: sector, Err: ErrUnsupported}
	}
	return &Error{Disk: d.name, Op: op, Sector: sector, Err: fmt.Errorf("the device completed the request with status %#x", status)}
}

// completed reports whether req's completion has come, without waiting:
// one that raced a timeout or a breakage still counts.
func completed(req *request) bool {
	select {
	case <-req.done:
		return true
	default:
		return false
	}
}

// transferv carries out a read or write of the buffers v, one after the
// other, from block b on (checked by the caller). Buffers whose bus addresses Config.Direct gives go direct, in
// pieces of up to directSegs descriptors; otherwise a transfer of more
// than maxReq bytes goes through slots in pieces. The pieces go out
// together (each).
func (d *Disk) transferv(typ uint32, b int64, v [][]byte) error {
	sector := uint64(b) * uint64(d.bs/sectorSize)
	total := vecLen(v)
	if d.direct != nil && total >= directMin {
		if pieces, ok := d.directPieces(v); ok {
			return d.each(pieces, func(p piece) error {
				return d.dov(typ, sector+uint64(p.off/sectorSize), subVec(v, p.off, p.n), p.segs)
			})
		}
	}
	if total <= d.maxReq {
		return d.dov(typ, sector, v, nil)
	}
	var pieces []piece
	for off := 0; off < total; off += d.maxReq {
		pieces = append(pieces, piece{off: off, n: min(total-off, d.maxReq)})
	}
	return d.each(pieces, func(p piece) error { return d.dov(typ, sector+uint64(p.off/sectorSize), subVec(v, p.off, p.n), nil) })
}

// piece is bytes [off, off+n) of a transfer, as one request; segs are its
// data's bus addresses when it goes direct.
type piece struct {
	off, n int
	segs   []virtio.Seg
}

// directPieces cuts the buffers v, one after the other, into requests of
// at most directSegs data descriptors over their own bus addresses
// (neighbouring ranges merged), each a whole number of sectors; ok false
// if v cannot go direct (a buffer without addresses, or a piece boundary
// inside a sector).
func (d *Disk) directPieces(v [][]byte) ([]piece, bool) {
	var rs []Range
	for _, b := range v {
		br, ok := d.direct(b)
		if !ok {
			return nil, false
		}
		for _, r := range br {
			if n := len(rs); n > 0 && rs[n-1].Addr+uint64(rs[n-1].Len) == r.Addr {
				rs[n-1].Len += r.Len
			} else {
				rs = append(rs, r)
			}
		}
	}
	total := vecLen(v)
	var (
		out []piece
		cur piece
		off int
	)
	for _, r := range rs {
		for k := 0; k < r.Len; {
			n := min(d.segLen, r.Len-k)
			if len(cur.segs) == d.directSegs {
				if cur.n%sectorSize != 0 {
					return nil, false
				}
				out = append(out, cur)
				cur = piece{off: off}
			}
			cur.segs = append(cur.segs, virtio.Seg{Addr: r.Addr + uint64(k), Len: uint32(n)})
			cur.n += n
			off += n
			k += n
		}
	}
	if cur.n%sectorSize != 0 || off != total {
		return nil, false
	}
	return append(out, cur), true
}

// each runs the pieces of one transfer together, as many in flight as
// there are slots (dov waits for one): a large transfer costs about one
// device latency, not one per piece. It returns the first error.
func (d *Disk) each(pieces []piece, do func(piece) error) error {
	if len(pieces) == 1 {
		return do(pieces[0])
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, p := range pieces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := do(p); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// ReadBlocksv implements blockdev.Vectored: the blocks from b on into
// bufs, one after the other, in as few requests as ReadBlocks makes.
func (d *Disk) ReadBlocksv(b int64, bufs [][]byte) error {
	if err := d.checkv(b, bufs); err != nil {
		return err
	}
	if err := d.transferv(typeIn, b, bufs); err != nil {
		return err
	}
	d.reads.Add(1)
	d.bytesRead.Add(int64(vecLen(bufs)))
	return nil
}

// WriteBlocksv implements blockdev.Vectored.
func (d *Disk) WriteBlocksv(b int64, bufs [][]byte) error {
	if d.ReadOnly() {
		return &Error{Disk: d.name, Op: "write", Sector: uint64(b) * uint64(d.bs/sectorSize), Err: ErrReadOnly}
	}
	if err := d.checkv(b, bufs); err != nil {
		return err
	}
	d.flushMu.RLock()
	defer d.flushMu.RUnlock()
	if err := d.transferv(typeOut, b, bufs); err != nil {
		return err
	}
	d.writes.Add(1)
	d.bytesWritten.Add(int64(vecLen(bufs)))
	return nil
}

func (d *Disk) checkv(b int64, bufs [][]byte) error {
	if err := blockdev.CheckLen(d, b, vecLen(bufs)); err != nil {
		return fmt.Errorf("virtio-blk %s: %w", d.name, err)
	}
	return nil
}

// vecLen is the bytes in v.
func vecLen(v [][]byte) int {
	n := 0
	for _, b := range v {
		n += len(b)
	}
	return n
}

// subVec is bytes [off, off+n) of v, as a vector over the same memory.
func subVec(v [][]byte, off, n int) [][]byte {
	var out [][]byte
	for _, b := range v {
		if off >= len(b) {
			off -= len(b)
			continue
		}
		b = b[off:]
		off = 0
		k := min(len(b), n)
		out = append(out, b[:k])
		if n -= k; n == 0 {
			break
		}
	}
	return out
}

// gather copies v, one buffer after the other, into dst.
func gather(dst []byte, v [][]byte) {
	for _, b := range v {
		dst = dst[copy(dst, b):]
	}
}

// scatter copies src into v's buffers in turn.
func scatter(v [][]byte, src []byte) {
	for _, b := range v {
		src = src[copy(b, src):]
	}
}

// BlockSize implements blockdev.Device: 512, or the device's blk_size.
func (d *Disk) BlockSize() int { return d.bs }

// Blocks implements blockdev.Device.
func (d *Disk) Blocks() int64 { return d.blocks }

// Capacity is the disk's size in bytes.
func (d *Disk) Capacity() int64 { return int64(d.sectors * sectorSize) }

// ReadOnly reports whether the device is read-only.
func (d *Disk) ReadOnly() bool { return d.features&FeatureRO != 0 }

// Model describes the device and what was negotiated with it.
func (d *Disk) Model() string { return d.model }

// ReadBlocks implements blockdev.Device.
func (d *Disk) ReadBlocks(b int64, p []byte) error { return d.ReadBlocksv(b, [][]byte{p}) }

// WriteBlocks implements blockdev.Device; a read-only disk refuses.
func (d *Disk) WriteBlocks(b int64, p []byte) error { return d.WriteBlocksv(b, [][]byte{p}) }

// Flush implements blockdev.Device. It covers every write that had
// started (entered WriteBlocks) before Flush was called, not only those
// that had returned: it first waits for those writes to complete, then
// sends VIRTIO_BLK_T_FLUSH, which makes every completed write durable.
// Writes started after Flush was called may or may not be covered. A
// device that did not offer VIRTIO_BLK_F_FLUSH has no write cache (the
// spec's write-through case): its completed writes are durable already,
// and Flush sends nothing.
func (d *Disk) Flush() error {
	// Taking the lock is the wait; nothing is done holding it, so writes
	// started after this go ahead during the FLUSH.
	d.flushMu.Lock()
	d.flushMu.Unlock()
	select {
	case <-d.brokenCh:
		return d.refusal("flush", 0) // a write may have been lost: nothing is durable
	default:
	}
	if d.features&FeatureFlush != 0 {
		if err := d.do(typeFlush, 0, nil); err != nil {
			return err
		}
	}
	d.flushes.Add(1)
	return nil
}

// ID is the device's serial (VIRTIO_BLK_T_GET_ID, up to 20 bytes), asked
// once, best effort: "" if the device has none. A device that never
// answers breaks the disk like any other request.
func (d *Disk) ID() string {
	d.idOnce.Do(func() {
		buf := make([]byte, idLen)
		if d.do(typeGetID, 0, buf) == nil {
			if i := bytes.IndexByte(buf, 0); i >= 0 {
				buf = buf[:i]
			}
			d.id = string(buf)
		}
	})
	return d.id
}

// Stats implements blockdev.Device.
func (d *Disk) Stats() blockdev.Stats {
	return blockdev.Stats{Reads: d.reads.Load(), Writes: d.writes.Load(), Flushes: d.flushes.Load(),
		BytesRead: d.bytesRead.Load(), BytesWritten: d.bytesWritten.Load()}
}

// MaxInFlight is the most requests the disk has had in flight at once.
func (d *Disk) MaxInFlight() int64 { return d.maxInFlight.Load() }

// Err is why the disk is broken, or nil.
func (d *Disk) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken == ErrClosed {
		return nil
	}
	return d.broken
}

// Close fails every request in flight and later ones with ErrClosed,
// stops the completion goroutine and resets the device, which stops it
// using the rings and the bounce buffers.
func (d *Disk) Close() error {
	var err error
	d.closed.Do(func() {
		d.breakWith(ErrClosed)
		<-d.stopped
		err = d.dev.Reset()
	})
	return err
}

var _ blockdev.Device = (*Disk)(nil)

var le = binary.LittleEndian
