// Package virtio owns the virtio 1.x transport over PCI (the modern,
// non-legacy interface: vendor capabilities locate the common, notify,
// ISR and device-specific register regions in the function's BARs) and
// the split virtqueue, for every virtio device driver: initialisation and
// feature negotiation (Device), and rings of descriptor chains shared
// with the device (Queue) that check everything the device writes back.
//
// The platform supplies what this package cannot do in pure Go: register
// access (Regs, already converted from the device's little-endian), and
// DMA memory with its bus addresses. Ring structures in that memory are
// little-endian on every CPU, so they are read and written with
// encoding/binary, never through Go structs; the order in which the
// device sees them is kept by fences built from sync/atomic (see
// Queue.fence).
//
// Execution context: ordinary Go in server goroutines (drivers and their
// completion goroutines); never in the trap layer. A Queue is safe for
// concurrent use; a Device's methods serialise their register sequences.
package virtio
