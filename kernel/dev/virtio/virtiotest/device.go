package virtiotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"k42/kernel/dev/pci"
	"k42/kernel/dev/pci/pcitest"
	"k42/kernel/dev/virtio"
)

var le = binary.LittleEndian

// The device's registers all live in one 64-bit BAR, as QEMU puts them.
const (
	BAR              = 4
	NotifyMultiplier = 4
	commonOff        = 0x0000
	isrOff           = 0x1000
	deviceOff        = 0x2000
	notifyOff        = 0x3000
	regionLen        = 0x1000
	barSize          = 0x4000
)

// Options describe a fake device.
type Options struct {
	DeviceID    uint16 // PCI device ID (0x1040 + virtio device type)
	Features    uint64 // offered
	QueueSizes  []int  // each queue's maximum size
	Config      []byte // the device-specific configuration
	MSIXVectors int    // vectors the device can take

	RefuseFeatures bool // never let FEATURES_OK stick
	StuckReset     bool // the status never reads 0 after a reset

	// OnNotify, if set, receives the chains the driver made available
	// when it notifies queue q, on the driver's goroutine (inside its
	// Kick): it may Complete them there, or hand them to a worker that
	// Posts them. It must not call the driver. If nil, the chains wait
	// for Pending.
	OnNotify func(q int, chains []Chain)
}

// Chain is a descriptor chain the device took from an avail ring.
type Chain struct {
	Queue int
	Head  uint16
	Segs  []virtio.Seg
}

// Writable is the chain's device-writable bytes.
func (c Chain) Writable() uint32 {
	var n uint32
	for _, s := range c.Segs {
		if s.DeviceWrites {
			n += s.Len
		}
	}
	return n
}

// Device is a fake virtio 1.x PCI device.
type Device struct {
	Mem *Memory
	opt Options

	mu             sync.Mutex
	status         uint8
	devSel, drvSel uint32
	driverFeatures uint64
	msixConfig     uint16
	generation     uint8
	churn          int // device-config reads still to bump the generation
	isr            uint8
	qsel           uint16
	queues         []*queue
	posted         []posted
	errs           []error
	irq            chan struct{}
}

type queue struct {
	max, size            uint16
	msix, enable         uint16
	desc, driver, device uint64
	lastAvail, usedIdx   uint16
	held                 []bool // heads the device has taken and not completed
	pending              []Chain
	notifies             int
}

type posted struct {
	q     int
	id, n uint32
}

// New returns a device using mem for DMA.
func New(mem *Memory, opt Options) *Device {
	if opt.DeviceID == 0 {
		opt.DeviceID = 0x1040
	}
	d := &Device{Mem: mem, opt: opt, irq: make(chan struct{}, 1)}
	for _, n := range opt.QueueSizes {
		d.queues = append(d.queues, &queue{max: uint16(n)})
	}
	d.reset()
	return d
}

// PCI returns the device's configuration space (BAR 4 holding the
// register regions, their vendor capabilities, MSI-X in BAR 1) and BAR 4
// as if assigned at bus address bus.
func (d *Device) PCI(bus uint64) (*pcitest.Config, []pci.BAR) {
	c := pcitest.New(0x1af4, d.opt.DeviceID, 0x018000, 1)
	c.SetBAR(1, 0x1000, 0) // the MSI-X table and pending bits, as QEMU has them
	c.SetBAR(BAR, barSize, pcitest.Mem64|pcitest.Prefetch)
	if d.opt.MSIXVectors > 0 {
		c.AddCap(pci.CapMSIX, []byte{byte(d.opt.MSIXVectors - 1), 0, 1, 0, 0, 0, 1, 8, 0, 0})
	}
	vcap := func(typ uint8, off, n uint32, extra ...byte) {
		b := []byte{byte(16 + len(extra)), typ, BAR, 0, 0, 0}
		b = le.AppendUint32(b, off)
		b = le.AppendUint32(b, n)
		c.AddCap(pci.CapVendor, append(b, extra...))
	}
	vcap(5, 0, 0, 0, 0, 0, 0) // PCI config access: to be skipped
	vcap(1, commonOff, 0x38)
	vcap(2, notifyOff, regionLen, le.AppendUint32(nil, NotifyMultiplier)...)
	vcap(3, isrOff, 1)
	if len(d.opt.Config) > 0 {
		vcap(4, deviceOff, uint32(len(d.opt.Config)))
	}
	return c, []pci.BAR{{Index: BAR, Bus: bus, CPU: bus, Size: barSize, Mem64: true, Prefetch: true}}
}

// MapBAR maps a region of the device's BAR, as the platform would.
func (d *Device) MapBAR(bar int, off, length uint64) (virtio.Regs, error) {
	if bar != BAR || length > regionLen {
		return nil, fmt.Errorf("virtiotest: BAR %d [%#x, +%#x) holds no register region", bar, off, length)
	}
	switch off {
	case commonOff:
		return region{d, commonOff}, nil
	case isrOff:
		return region{d, isrOff}, nil
	case deviceOff:
		return region{d, deviceOff}, nil
	case notifyOff:
		return region{d, notifyOff}, nil
	}
	return nil, fmt.Errorf("virtiotest: BAR %d offset %#x starts no register region", bar, off)
}

// Caps returns the register regions as FindCaps would find them.
func (d *Device) Caps() virtio.PCICaps {
	c := virtio.PCICaps{Common: region{d, commonOff}, Notify: region{d, notifyOff}, ISR: region{d, isrOff},
		NotifyMultiplier: NotifyMultiplier, NotifyLen: regionLen}
	if len(d.opt.Config) > 0 {
		c.Device, c.DeviceLen = region{d, deviceOff}, uint64(len(d.opt.Config))
	}
	return c
}

// region is one register region; kind is its offset in the BAR.
type region struct {
	d    *Device
	kind int
}

func (r region) Read8(off int) uint8       { return uint8(r.d.read(r.kind, off, 1)) }
func (r region) Read16(off int) uint16     { return uint16(r.d.read(r.kind, off, 2)) }
func (r region) Read32(off int) uint32     { return r.d.read(r.kind, off, 4) }
func (r region) Write8(off int, v uint8)   { r.d.write(r.kind, off, 1, uint32(v)) }
func (r region) Write16(off int, v uint16) { r.d.write(r.kind, off, 2, uint32(v)) }
func (r region) Write32(off int, v uint32) { r.d.write(r.kind, off, 4, v) }

// commonWidth is each common register's width.
var commonWidth = map[int]int{0x00: 4, 0x04: 4, 0x08: 4, 0x0c: 4, 0x10: 2, 0x12: 2, 0x14: 1, 0x15: 1,
	0x16: 2, 0x18: 2, 0x1a: 2, 0x1c: 2, 0x1e: 2, 0x20: 4, 0x24: 4, 0x28: 4, 0x2c: 4, 0x30: 4, 0x34: 4}

func (d *Device) errorf(format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf(format, args...))
}

func (d *Device) read(kind, off, size int) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch kind {
	case commonOff:
		if commonWidth[off] != size {
			d.errorf("common register %#x read with %d bytes", off, size)
			return 0
		}
		return d.commonRead(off)
	case isrOff:
		v := d.isr
		d.isr = 0
		return uint32(v)
	case deviceOff:
		if off < 0 || off+size > len(d.opt.Config) || off%size != 0 {
			d.errorf("device config read of %d bytes at %#x", size, off)
			return 0
		}
		if d.churn > 0 {
			d.churn--
			d.generation++
		}
		var v uint32
		for k := range size {
			v |= uint32(d.opt.Config[off+k]) << (8 * k)
		}
		return v
	}
	d.errorf("read of the notify region at %#x", off)
	return 0
}

func (d *Device) commonRead(off int) uint32 {
	half := func(f uint64, sel uint32) uint32 {
		if sel > 1 {
			return 0
		}
		return uint32(f >> (32 * sel))
	}
	switch off {
	case 0x00:
		return d.devSel
	case 0x04:
		return half(d.opt.Features, d.devSel)
	case 0x08:
		return d.drvSel
	case 0x0c:
		return half(d.driverFeatures, d.drvSel)
	case 0x10:
		return uint32(d.msixConfig)
	case 0x12:
		return uint32(len(d.queues))
	case 0x14:
		return uint32(d.status)
	case 0x15:
		return uint32(d.generation)
	case 0x16:
		return uint32(d.qsel)
	}
	q := d.selected()
	if q == nil {
		return 0
	}
	switch off {
	case 0x18:
		return uint32(q.size)
	case 0x1a:
		return uint32(q.msix)
	case 0x1c:
		return uint32(q.enable)
	case 0x1e:
		return uint32(d.qsel) // notify offset: one register per queue
	case 0x20, 0x24:
		return uint32(q.desc >> (8 * (off - 0x20)))
	case 0x28, 0x2c:
		return uint32(q.driver >> (8 * (off - 0x28)))
	default:
		return uint32(q.device >> (8 * (off - 0x30)))
	}
}

func (d *Device) selected() *queue {
	if int(d.qsel) >= len(d.queues) {
		return nil
	}
	return d.queues[d.qsel]
}

func (d *Device) write(kind, off, size int, v uint32) {
	if kind == notifyOff {
		d.notify(off, size, v)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if kind != commonOff {
		d.errorf("write of %#x to region %#x at %#x", v, kind, off)
		return
	}
	if commonWidth[off] != size {
		d.errorf("common register %#x written with %d bytes", off, size)
		return
	}
	setHalf := func(f *uint64, lo bool) {
		if lo {
			*f = *f&^0xffffffff | uint64(v)
		} else {
			*f = *f&0xffffffff | uint64(v)<<32
		}
	}
	switch off {
	case 0x00:
		d.devSel = v
	case 0x08:
		d.drvSel = v
	case 0x0c:
		if d.drvSel < 2 {
			setHalf(&d.driverFeatures, d.drvSel == 0)
		}
	case 0x10:
		d.msixConfig = d.vector(uint16(v))
	case 0x14:
		d.setStatus(uint8(v))
	case 0x16:
		d.qsel = uint16(v)
	default:
		q := d.selected()
		if q == nil {
			d.errorf("write of %#x to %#x with queue %d selected, which does not exist", v, off, d.qsel)
			return
		}
		if q.enable != 0 && off != 0x1a {
			d.errorf("write of %#x to %#x while queue %d is enabled", v, off, d.qsel)
			return
		}
		switch off {
		case 0x18:
			if v == 0 || v&(v-1) != 0 || v > uint32(q.max) {
				d.errorf("queue %d size %d (the most is %d)", d.qsel, v, q.max)
				return
			}
			q.size = uint16(v)
		case 0x1a:
			q.msix = d.vector(uint16(v))
		case 0x1c:
			if v != 1 || q.desc == 0 || q.driver == 0 || q.device == 0 {
				d.errorf("queue %d enabled with %d before its rings were set", d.qsel, v)
				return
			}
			q.enable = 1
			q.held = make([]bool, q.size)
		case 0x20, 0x24:
			setHalf(&q.desc, off == 0x20)
		case 0x28, 0x2c:
			setHalf(&q.driver, off == 0x28)
		case 0x30, 0x34:
			setHalf(&q.device, off == 0x30)
		default:
			d.errorf("write of %#x to read-only common register %#x", v, off)
		}
	}
}

func (d *Device) vector(v uint16) uint16 {
	if v != virtio.NoVector && int(v) >= d.opt.MSIXVectors {
		return virtio.NoVector
	}
	return v
}

func (d *Device) setStatus(v uint8) {
	if v == 0 {
		if !d.opt.StuckReset {
			d.reset()
		}
		return
	}
	if v&^d.status&virtio.StatusFeaturesOK != 0 {
		if d.opt.RefuseFeatures || d.driverFeatures&^d.opt.Features != 0 || d.driverFeatures&virtio.FeatureVersion1 == 0 {
			v &^= virtio.StatusFeaturesOK
		}
	}
	if v&virtio.StatusDriverOK != 0 && v&virtio.StatusFeaturesOK == 0 {
		d.errorf("DRIVER_OK set without FEATURES_OK (status %#x)", v)
	}
	d.status = v
}

func (d *Device) reset() {
	d.status, d.driverFeatures, d.devSel, d.drvSel, d.qsel = 0, 0, 0, 0, 0
	d.msixConfig, d.isr, d.posted = virtio.NoVector, 0, nil
	for _, q := range d.queues {
		*q = queue{max: q.max, size: q.max, msix: virtio.NoVector}
	}
}

// notify takes the chains the driver made available on the queue whose
// notify register it wrote, and hands them on.
func (d *Device) notify(off, size int, v uint32) {
	d.mu.Lock()
	qi := off / NotifyMultiplier
	if size != 2 || off%NotifyMultiplier != 0 || qi >= len(d.queues) || int(v) != qi {
		d.errorf("notify of %#x at %#x with %d bytes", v, off, size)
		d.mu.Unlock()
		return
	}
	q := d.queues[qi]
	q.notifies++
	if q.enable == 0 || d.status&virtio.StatusDriverOK == 0 {
		d.errorf("notify of queue %d before it was enabled and DRIVER_OK", qi)
		d.mu.Unlock()
		return
	}
	chains := d.take(qi, q)
	hook := d.opt.OnNotify
	if hook == nil {
		q.pending = append(q.pending, chains...)
	}
	d.mu.Unlock()
	if hook != nil && len(chains) > 0 {
		hook(qi, chains)
	}
}

// take walks the avail ring from where the device last stopped.
func (d *Device) take(qi int, q *queue) []Chain {
	n := int(q.size)
	avail, err := d.Mem.Bytes(q.driver, 4+2*n)
	if err != nil {
		d.errorf("queue %d avail ring: %v", qi, err)
		return nil
	}
	table, err := d.Mem.Bytes(q.desc, 16*n)
	if err != nil {
		d.errorf("queue %d descriptor table: %v", qi, err)
		return nil
	}
	var chains []Chain
	for idx := le.Uint16(avail[2:]); q.lastAvail != idx; q.lastAvail++ {
		head := le.Uint16(avail[4+2*(int(q.lastAvail)%n):])
		c := Chain{Queue: qi, Head: head}
		for i, steps := head, 0; ; steps++ {
			if int(i) >= n || steps >= n {
				d.errorf("queue %d: chain from %d is malformed at descriptor %d", qi, head, i)
				return chains
			}
			e := table[16*int(i):]
			flags := le.Uint16(e[12:])
			c.Segs = append(c.Segs, virtio.Seg{Addr: le.Uint64(e), Len: le.Uint32(e[8:]), DeviceWrites: flags&2 != 0})
			if flags&1 == 0 {
				break
			}
			i = le.Uint16(e[14:])
		}
		if int(head) < n {
			q.held[head] = true
		}
		chains = append(chains, c)
	}
	return chains
}

// Pending returns and forgets the chains notified without an OnNotify.
func (d *Device) Pending(q int) []Chain {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.queues[q].pending
	d.queues[q].pending = nil
	return c
}

// Complete writes a used entry (id, n) on queue q and moves used.idx on,
// at once and unchecked: id and n may be anything. Call it only where
// the driver's reads of the ring are ordered with it (see the package
// comment).
func (d *Device) Complete(q int, id, n uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.complete(q, id, n)
}

func (d *Device) complete(qi int, id, n uint32) {
	q := d.queues[qi]
	used, err := d.Mem.Bytes(q.device, 4+8*int(q.size))
	if err != nil {
		d.errorf("queue %d used ring: %v", qi, err)
		return
	}
	e := used[4+8*(int(q.usedIdx)%int(q.size)):]
	le.PutUint32(e, id)
	le.PutUint32(e[4:], n)
	q.usedIdx++
	le.PutUint16(used[2:], q.usedIdx)
	if id < uint32(len(q.held)) {
		q.held[id] = false
	}
	d.isr |= 1
}

// Post queues a completion for the next Wait, from any goroutine: the
// device's interrupt.
func (d *Device) Post(q int, id, n uint32) {
	d.mu.Lock()
	d.posted = append(d.posted, posted{q, id, n})
	d.mu.Unlock()
	select {
	case d.irq <- struct{}{}:
	default:
	}
}

// ErrNoInterrupt is Wait's error when the time ran out.
var ErrNoInterrupt = errors.New("virtiotest: no interrupt")

// Wait waits up to timeout for an interrupt (a Post) and writes the
// posted completions to the used rings; the driver's interrupt wait.
func (d *Device) Wait(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-d.irq:
	case <-t.C:
		return ErrNoInterrupt
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range d.posted {
		d.complete(p.q, p.id, p.n)
	}
	d.posted = nil
	return nil
}

// SetUsedIdx writes used.idx of queue q directly.
func (d *Device) SetUsedIdx(q int, idx uint16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if used, err := d.Mem.Bytes(d.queues[q].device, 4); err == nil {
		le.PutUint16(used[2:], idx)
	}
}

// SetNoNotify sets or clears the used ring's NO_NOTIFY flag on queue q.
func (d *Device) SetNoNotify(q int, on bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if used, err := d.Mem.Bytes(d.queues[q].device, 4); err == nil {
		var f uint16
		if on {
			f = 1
		}
		le.PutUint16(used, f)
	}
}

// NotHeld is the lowest descriptor of queue q that heads no chain the
// device holds: a used id that names no chain in flight.
func (d *Device) NotHeld(q int) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, h := range d.queues[q].held {
		if !h {
			return uint32(i)
		}
	}
	return uint32(len(d.queues[q].held))
}

// Notifies counts the notifications of queue q.
func (d *Device) Notifies(q int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queues[q].notifies
}

// QueueSize is the size the driver gave queue q.
func (d *Device) QueueSize(q int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int(d.queues[q].size)
}

// ChurnConfig makes each of the next n device-config reads change the
// configuration generation.
func (d *Device) ChurnConfig(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.churn = n
}

// Status is the device status the driver set.
func (d *Device) Status() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// DriverFeatures is what the driver wrote to driver_feature.
func (d *Device) DriverFeatures() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.driverFeatures
}

// Errs are the driver's protocol errors the device saw.
func (d *Device) Errs() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}
