// Package objects owns the kernel's system translation table: the one
// generation domain over the kernel's CPUs (the reconfiguration core's
// Platform, served from SPRG3, the CPU count and the timebase) and the table
// in which kernel components are registered, which the console's
// reconfiguration commands reach.
package objects
