package virtio

import (
	"fmt"

	"k42/kernel/dev/pci"
)

// PCICaps are a virtio PCI function's register regions, as its vendor
// capabilities place them. Device is nil if the device has no
// device-specific configuration. The lengths bound what the driver may
// touch: FindCaps fills them in from the capabilities.
type PCICaps struct {
	Common, Notify, ISR, Device Regs
	// A queue's notify register is at its queue_notify_off times
	// NotifyMultiplier in Notify.
	NotifyMultiplier uint32
	NotifyLen        uint64
	DeviceLen        uint64
}

// The cfg_type of a virtio vendor capability.
const (
	capCommon = 1
	capNotify = 2
	capISR    = 3
	capDevice = 4
)

var capNames = [...]string{capCommon: "common", capNotify: "notify", capISR: "ISR", capDevice: "device"}

// capMinLen is the shortest region of each type the driver can use.
var capMinLen = [...]uint64{capCommon: commonLen, capNotify: 2, capISR: 1, capDevice: 1}

// FindCaps locates the register regions from f's vendor capabilities
// (struct virtio_pci_cap: cap_len at +2, cfg_type +3, bar +4, offset +8,
// length +12, and for notify notify_off_multiplier +16), in the assigned
// memory BARs, and maps each through mapBAR. The first capability of
// each type is used, as the spec asks; one naming a reserved BAR number
// (above 5) is ignored, and one outside its BAR is an error.
func FindCaps(f *pci.Function, bars []pci.BAR, mapBAR func(bar int, off, length uint64) (Regs, error)) (PCICaps, error) {
	var out PCICaps
	list, err := f.Capabilities()
	if err != nil {
		return out, err
	}
	var found [capDevice + 1]bool
	for _, c := range list {
		if c.ID != pci.CapVendor {
			continue
		}
		var v [5]uint32 // cap_len, cfg_type, bar, offset, length
		for i, r := range [...][2]int{{2, 1}, {3, 1}, {4, 1}, {8, 4}, {12, 4}} {
			if v[i], err = f.Config.Read(c.Off+r[0], r[1]); err != nil {
				return out, fmt.Errorf("virtio: %v: reading the capability at %#x: %w", f, c.Off, err)
			}
		}
		capLen, typ, barNo, off, length := v[0], int(v[1]), int(v[2]), uint64(v[3]), uint64(v[4])
		if typ < capCommon || typ > capDevice || found[typ] || barNo > 5 {
			continue // PCI config access, a later duplicate, or reserved
		}
		name := capNames[typ]
		if capLen < 16 || typ == capNotify && capLen < 20 {
			return out, fmt.Errorf("virtio: %v: %s capability at %#x is %d bytes, too short", f, name, c.Off, capLen)
		}
		bar, ok := findBAR(bars, barNo)
		if !ok {
			return out, fmt.Errorf("virtio: %v: %s capability at %#x names BAR %d, which is not an assigned memory BAR", f, name, c.Off, barNo)
		}
		if off > bar.Size || length > bar.Size-off {
			return out, fmt.Errorf("virtio: %v: %s region [%#x, +%#x) lies outside BAR %d of %#x bytes", f, name, off, length, barNo, bar.Size)
		}
		if length < capMinLen[typ] {
			return out, fmt.Errorf("virtio: %v: %s region is %d bytes, at least %d needed", f, name, length, capMinLen[typ])
		}
		r, err := mapBAR(barNo, off, length)
		if err != nil {
			return out, fmt.Errorf("virtio: %v: mapping the %s region: %w", f, name, err)
		}
		switch typ {
		case capCommon:
			out.Common = r
		case capNotify:
			m, err := f.Config.Read(c.Off+16, 4)
			if err != nil {
				return out, fmt.Errorf("virtio: %v: reading notify_off_multiplier: %w", f, err)
			}
			out.Notify, out.NotifyMultiplier, out.NotifyLen = r, m, length
		case capISR:
			out.ISR = r
		case capDevice:
			out.Device, out.DeviceLen = r, length
		}
		found[typ] = true
	}
	for _, typ := range []int{capCommon, capNotify, capISR} {
		if !found[typ] {
			return out, fmt.Errorf("virtio: %v has no %s capability: not a virtio 1.x PCI device", f, capNames[typ])
		}
	}
	return out, nil
}

func findBAR(bars []pci.BAR, index int) (pci.BAR, bool) {
	for _, b := range bars {
		if b.Index == index && !b.IO && b.Size != 0 {
			return b, true
		}
	}
	return pci.BAR{}, false
}
