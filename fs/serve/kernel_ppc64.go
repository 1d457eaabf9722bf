package serve

import (
	"k42/kernel"
	"k42/kernel/sys"
)

// SysKernel is the kernel's k42_serve call.
type SysKernel struct{}

// Register implements Kernel.
func (SysKernel) Register(rq *kernel.ServeRequest) error { return sys.ServeRegister(rq) }

// Reply implements Kernel.
func (SysKernel) Reply(r int64, h int32) error { return sys.ServeReply(r, h) }

// Wait implements Kernel.
func (SysKernel) Wait() error { return sys.ServeWait() }

// Fifo implements Kernel.
func (SysKernel) Fifo(ino uint64, flags int) (int32, error) { return sys.ServeFifo(ino, flags) }

// sealShared forbids making [va, va+n) writable: a shared mapping of a
// file, which this server fills at the call, would not carry writes back.
func sealShared(va uintptr, n uint64) error { return sys.SealNoWrite(va, n) }
