// Package pci owns the generic logic of a PCI function's configuration
// space, shared by every PCI driver: reading the header, sizing the base
// address registers and assigning them bus addresses from a host bridge's
// MMIO windows, walking the capability list, and switching MSI-X on and
// off. It holds no platform code: a ConfigSpace (config-space accesses,
// with their byte order) and the windows come from the platform, which
// also maps the BARs that Function.AssignBARs places.
//
// Execution context: ordinary Go in server goroutines (the bus probe and
// the drivers it starts); never in the trap layer. A Function is not safe
// for concurrent use: one goroutine probes and configures a function, then
// hands its BARs to the driver.
package pci
