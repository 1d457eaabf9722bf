package boot

import (
	"unsafe"

	"k42/kernel/sys"

	"k42/arch/ppc64"
	"k42/boot/devtree"
	_ "k42/fs/rootfs" // the root file system and its servers
	"k42/kernel"
)

// entry is the first instruction (entry_ppc64.s).
func entry()

// keep is never true. The init below keeps entry (and through it start
// and the kernel) in the binary: nothing calls entry, the image's first
// word branches to it, and the linker drops what nothing references.
var keep bool

func init() {
	if keep {
		entry()
	}
	// Every kernel package this image links was initialised before this
	// one: every option is defined by now.
	if err := sys.CheckOptions(); err != nil {
		sys.BootFailed(err.Error())
	}
}

var (
	bootStack [65536]byte
	bootG     [32]uint64
	platform  devtree.Platform
)

// start runs on the boot stack before the Go runtime exists: no
// allocation, no package initialisers.
func start(entryTB uint64) {
	ppc64.NegotiateRadix(vof{}) // CAS: the radix MMU (QEMU rebuilds the tree)
	devtree.Probe(vof{}, &platform)
	kernel.Boot(&platform, entryTB)
}

// vof reads the device tree through QEMU's Virtual Open Firmware client
// interface, which QEMU serves as a hypercall: r4 = the address of an
// IEEE 1275 argument block {service, nargs, nret, args..., rets...} of
// 32-bit cells.
type vof struct{}

var (
	ciArgs [16]uint32
	ciName [64]byte
	ciSvc  [16]byte
)

func cstr(dst []byte, s string) uint32 {
	n := copy(dst[:len(dst)-1], s)
	dst[n] = 0
	return uint32(uintptr(unsafe.Pointer(&dst[0])))
}

func ci(service string, nret int, args ...uint32) uint32 {
	ciArgs[0] = cstr(ciSvc[:], service)
	ciArgs[1] = uint32(len(args))
	ciArgs[2] = uint32(nret)
	copy(ciArgs[3:], args)
	r := ppc64.Regs{ppc64.KVMPPC_H_VOF_CLIENT, uint64(uintptr(unsafe.Pointer(&ciArgs)))}
	ppc64.Hcall(&r)
	if int64(r[0]) != 0 {
		return ^uint32(0)
	}
	return ciArgs[3+len(args)]
}

func (vof) Peer(node uint32) uint32 {
	r := ci("peer", 1, node)
	if r == ^uint32(0) {
		return 0
	}
	return r
}

func (vof) Child(node uint32) uint32 {
	r := ci("child", 1, node)
	if r == ^uint32(0) {
		return 0
	}
	return r
}

func (vof) FindDevice(path string) uint32 { return ci("finddevice", 1, cstr(ciName[:], path)) }
func (vof) Open(path string) uint32       { return ci("open", 1, cstr(ciName[:], path)) }
func (vof) Close(ihandle uint32)          { ci("close", 0, ihandle) }

// CallMethod returns the first two result cells of call-method. ok is
// false when the hypercall failed: ci then returns ^0 without writing the
// result cell, which is cleared beforehand.
func (vof) CallMethod(method string, ihandle, arg uint32) (first, second uint32, ok bool) {
	ciArgs[6], ciArgs[7] = 0, 0
	first = ci("call-method", 2, cstr(ciName[:], method), ihandle, arg)
	return first, ciArgs[7], first != ^uint32(0) || ciArgs[6] == ^uint32(0)
}

func (vof) GetProp(node uint32, name string, buf []byte) int {
	if len(buf) == 0 {
		return -1
	}
	nameAddr := cstr(ciName[:], name)
	bufAddr := uint32(uintptr(unsafe.Pointer(&buf[0])))
	return int(int32(ci("getprop", 1, node, nameAddr, bufAddr, uint32(len(buf)))))
}
