package virtio

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"time"
)

// Device status bits.
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusNeedsReset  = 64
	StatusFailed      = 128
)

// Transport feature bits.
const (
	FeatureVersion1       = 1 << 32 // the modern interface; required
	FeatureAccessPlatform = 1 << 33 // the device uses bus addresses through the platform's IOMMU
	FeatureOrderPlatform  = 1 << 36 // the device needs the platform's memory barriers
)

// transportFeatures are the bits (24 to 41) that change the rings or the
// negotiation rather than the device; supportedTransport are those this
// package implements (the others, indirect descriptors, event indexes,
// packed and in-order rings, notification data..., need ring code it has
// not got). Every device's barriers here are full fences, so
// ORDER_PLATFORM costs nothing extra.
const (
	transportFeatures  = (1<<42 - 1) &^ (1<<24 - 1)
	supportedTransport = FeatureVersion1 | FeatureAccessPlatform | FeatureOrderPlatform
)

// NoVector is the MSI-X vector meaning none.
const NoVector = 0xffff

// The common configuration structure (struct virtio_pci_common_cfg).
const (
	regDeviceFeatureSelect = 0x00
	regDeviceFeature       = 0x04
	regDriverFeatureSelect = 0x08
	regDriverFeature       = 0x0c
	regMSIXConfig          = 0x10
	regNumQueues           = 0x12
	regStatus              = 0x14
	regGeneration          = 0x15
	regQueueSelect         = 0x16
	regQueueSize           = 0x18
	regQueueMSIX           = 0x1a
	regQueueEnable         = 0x1c
	regQueueNotifyOff      = 0x1e
	regQueueDesc           = 0x20
	regQueueDriver         = 0x28
	regQueueDevice         = 0x30
	commonLen              = 0x38
)

// ErrNotModern is the error for a device without VIRTIO_F_VERSION_1.
var ErrNotModern = errors.New("virtio: device does not offer VIRTIO_F_VERSION_1 (feature bit 32): a legacy-only device, which this driver does not drive")

// resetTimeout bounds the wait for a reset to read back 0; a variable so
// that tests can shorten it.
var resetTimeout = time.Second

// Device is one virtio device through its PCI transport. The zero value
// is ready for Init.
type Device struct {
	mu       sync.Mutex // the common registers' select-then-access sequences
	caps     PCICaps
	features uint64
}

// Init resets the device and negotiates features: the device's offer
// intersected with want (transport bits this package does not implement
// dropped), plus VIRTIO_F_VERSION_1, which the device must offer. It
// returns the negotiated set. On failure after the reset it sets FAILED.
// Queues come next (SetupQueue), then Ready.
func (d *Device) Init(caps PCICaps, want uint64) (negotiated uint64, err error) {
	if caps.Common == nil || caps.Notify == nil || caps.ISR == nil {
		return 0, errors.New("virtio: the common, notify and ISR regions are all needed")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caps, d.features = caps, 0
	if err := d.reset(); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			d.orStatus(StatusFailed)
		}
	}()
	c := caps.Common
	d.orStatus(StatusAcknowledge)
	d.orStatus(StatusDriver)
	var offered uint64
	for half := range 2 {
		c.Write32(regDeviceFeatureSelect, uint32(half))
		offered |= uint64(c.Read32(regDeviceFeature)) << (32 * half)
	}
	if offered&FeatureVersion1 == 0 {
		return 0, fmt.Errorf("%w (it offers %#x)", ErrNotModern, offered)
	}
	want &^= transportFeatures &^ supportedTransport
	negotiated = want&offered | FeatureVersion1
	for half := range 2 {
		c.Write32(regDriverFeatureSelect, uint32(half))
		c.Write32(regDriverFeature, uint32(negotiated>>(32*half)))
	}
	d.orStatus(StatusFeaturesOK)
	if s := c.Read8(regStatus); s&StatusFeaturesOK == 0 {
		return 0, fmt.Errorf("virtio: device refused features %#x (offered %#x): FEATURES_OK reads back clear (status %#x)", negotiated, offered, s)
	}
	d.features = negotiated
	return negotiated, nil
}

// Features is the negotiated feature set.
func (d *Device) Features() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.features
}

// Reset resets the device, which stops it using its queues and their
// memory; it must be initialised again.
func (d *Device) Reset() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.caps.Common == nil {
		return errors.New("virtio: device not initialised")
	}
	return d.reset()
}

// reset writes 0 to device_status and waits, bounded, for it to read 0:
// the device may take a while to stop using its queues.
func (d *Device) reset() error {
	c := d.caps.Common
	c.Write8(regStatus, 0)
	deadline := time.Now().Add(resetTimeout)
	for pause := time.Microsecond; ; pause = min(2*pause, time.Millisecond) {
		s := c.Read8(regStatus)
		if s == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("virtio: device status still reads %#x %v after reset", s, resetTimeout)
		}
		time.Sleep(pause)
	}
}

func (d *Device) orStatus(bit uint8) {
	d.caps.Common.Write8(regStatus, d.caps.Common.Read8(regStatus)|bit)
}

// Ready sets DRIVER_OK: the device may use its queues.
func (d *Device) Ready() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.orStatus(StatusDriverOK)
}

// Failed sets FAILED: the driver has given up on the device.
func (d *Device) Failed() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.caps.Common != nil {
		d.orStatus(StatusFailed)
	}
}

// Status reads device_status (StatusNeedsReset says the device broke).
func (d *Device) Status() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.caps.Common == nil {
		return 0
	}
	return d.caps.Common.Read8(regStatus)
}

// ConfigMSIX routes configuration-change interrupts to vector (NoVector:
// none); an error if the device could not allocate the vector.
func (d *Device) ConfigMSIX(vector uint16) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caps.Common.Write16(regMSIXConfig, vector)
	if got := d.caps.Common.Read16(regMSIXConfig); got != vector {
		return fmt.Errorf("virtio: device took config MSI-X vector %d as %#x", vector, got)
	}
	return nil
}

// ReadISR reads and so clears the ISR status: bit 0 a queue interrupt,
// bit 1 a configuration change. Only INTx needs it (it also deasserts the
// line); with MSI-X the vector says which.
func (d *Device) ReadISR() uint8 { return d.caps.ISR.Read8(0) }

// ReadConfig calls read on the device-specific configuration region
// until the device's config_generation is the same before and after, so
// that fields read together (a 64-bit one as two 32-bit halves, say) are
// consistent. read must use accesses of each field's own width.
func (d *Device) ReadConfig(read func(r Regs)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.caps.Device == nil {
		return errors.New("virtio: device has no device-specific configuration")
	}
	const tries = 100
	for range tries {
		g := d.caps.Common.Read8(regGeneration)
		read(d.caps.Device)
		if d.caps.Common.Read8(regGeneration) == g {
			return nil
		}
	}
	return fmt.Errorf("virtio: device configuration changed under each of %d reads", tries)
}

// SetupQueue sets up and enables queue index with at most maxSize
// entries (0: as many as the device allows; rounded down to a power of
// two), its rings allocated from dma and its interrupts sent to
// msixVector (NoVector: none). It must come after Init and before Ready.
func (d *Device) SetupQueue(index, maxSize int, dma DMA, msixVector uint16) (*Queue, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.features == 0 {
		return nil, errors.New("virtio: SetupQueue before a successful Init")
	}
	c := d.caps.Common
	if n := int(c.Read16(regNumQueues)); index < 0 || index >= n {
		return nil, fmt.Errorf("virtio: queue %d does not exist (the device has %d)", index, n)
	}
	c.Write16(regQueueSelect, uint16(index))
	devMax := int(c.Read16(regQueueSize))
	if devMax == 0 {
		return nil, fmt.Errorf("virtio: queue %d is not available (size 0)", index)
	}
	if c.Read16(regQueueEnable) != 0 {
		return nil, fmt.Errorf("virtio: queue %d is already enabled", index)
	}
	size := devMax
	if maxSize > 0 {
		size = min(size, maxSize)
	}
	size = 1 << (bits.Len(uint(size)) - 1)
	if size > maxQueueSize {
		size = maxQueueSize
	}
	notifyOff := uint64(c.Read16(regQueueNotifyOff)) * uint64(d.caps.NotifyMultiplier)
	if notifyOff+2 > d.caps.NotifyLen {
		return nil, fmt.Errorf("virtio: queue %d's notify register at %#x lies outside the %d-byte notify region", index, notifyOff, d.caps.NotifyLen)
	}
	q, err := newQueue(index, size, dma, d.caps.Notify, int(notifyOff))
	if err != nil {
		return nil, err
	}
	c.Write16(regQueueSize, uint16(size))
	c.Write16(regQueueMSIX, msixVector)
	if got := c.Read16(regQueueMSIX); got != msixVector {
		return nil, fmt.Errorf("virtio: device took queue %d's MSI-X vector %d as %#x", index, msixVector, got)
	}
	for _, r := range [...]struct {
		reg  int
		addr uint64
	}{{regQueueDesc, q.addr + descOff}, {regQueueDriver, q.addr + q.availOff}, {regQueueDevice, q.addr + q.usedOff}} {
		c.Write32(r.reg, uint32(r.addr))
		c.Write32(r.reg+4, uint32(r.addr>>32))
	}
	c.Write16(regQueueEnable, 1)
	return q, nil
}
