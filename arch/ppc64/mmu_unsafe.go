//go:build ppc64

package ppc64

import "unsafe"

// The page tables live in physical memory, identity-mapped: a table
// entry's physical address is where the kernel reads and writes it.

func (m *physTables) Load(pa uint64) uint64 { return *(*uint64)(unsafe.Pointer(uintptr(pa))) }
func (m *physTables) Store(pa, v uint64)    { *(*uint64)(unsafe.Pointer(uintptr(pa))) = v }
