package kernel

import (
	"unsafe"

	"k42/arch/ppc64"
	"k42/boot/devtree"
	"k42/mm/frames"
)

// Platform is what the boot code learned from the device tree.
var Platform devtree.Platform

// bootTB is the timebase at the kernel's first instruction.
var bootTB uint64

// Sizes of kernel-allocated stacks.
const (
	interruptStack = frames.Size      // per CPU, for the trap handler
	mainStack      = 16 * frames.Size // the runtime's initial thread (m0)
	idleStack      = frames.Size
	faultStackSize = 4 * frames.Size
)

var faultStackTop uint64

// Boot sets up the kernel on the boot CPU and starts the Go runtime in
// the first thread. It runs before the runtime exists: it may not allocate
// or use anything that needs package initialisation. It does not return.
func Boot(p *devtree.Platform, entryTB uint64) {
	Platform = *p
	bootTB = entryTB
	if Platform.TimebaseHz == 0 {
		Platform.TimebaseHz = 512000000
	}
	if Platform.NumCPUs == 0 {
		Platform.NumCPUs = 1
	}
	sliceTicks = Platform.TimebaseHz / 100 // 10 ms
	pollTicks = Platform.TimebaseHz / 100
	conTerm, outTerm = 0x71000000, 0x71000000
	if Platform.NumVty > 0 {
		conTerm, outTerm = uint64(Platform.Vty[0]), uint64(Platform.Vty[0])
	}
	if Platform.NumVty > 1 {
		outTerm = uint64(Platform.Vty[1])
	}
	var k kbuf
	k.s("k42: ").d(int64(Platform.MemBytes >> 20)).s(" MiB, ").d(int64(Platform.NumCPUs)).s(" CPUs, timebase ").d(int64(Platform.TimebaseHz)).s(" Hz\n")
	consoleWrite(k.bytes())

	phys.Init(Platform.MemBytes, uint64(imageEnd()))
	readRTC()
	installVectors()
	prepareCPU(0)
	enterCPU(&cpus[0])
	if top, ok := allocHigh(faultStackSize); ok {
		faultStackTop = top
	}
	if err := ppc64.SetupRadix(Platform.MemBytes, allocFrames); err != nil {
		bootPanic(err.Error())
	}
	initVM()

	main := newThread() // slot 0: tid 1, the process's pid
	t := &threads[main]
	t.Ctx.PC = uint64(rt0Addr())
	t.Ctx.MSR = ppc64.MSRKernel | ppc64.MSRTranslate
	t.Ctx.GPR[1] = buildInitialStack()

	startSecondaries()

	c := &cpus[0]
	c.current = main
	c.curCtx = ctxAddr(main)
	t.state = threadRunning
	t.cpu = 0
	t.lastRun = ppc64.Timebase()
	c.sliceAt = t.lastRun
	c.Online = true
	online.Add(1)
	ppc64.SetDEC(uint32(sliceTicks))
	trapExit()
}

// allocFrames takes n bytes of frames or stops the boot.
func allocFrames(n uint64) uint64 {
	p, ok := phys.Alloc(frames.Frames(n), 0, zeroFrames)
	if !ok {
		bootPanic("out of memory for kernel stacks")
	}
	return p
}

// allocHigh takes n bytes at the top of memory and returns the top address.
// Stacks that run Go code on behalf of arbitrary goroutines live there, so
// that the compiled stack checks (SP above the goroutine's guard) pass.
func allocHigh(n uint64) (uint64, bool) {
	top := Platform.MemBytes &^ (frames.Size - 1)
	p, ok := phys.Alloc(frames.Frames(n), top-n, zeroFrames)
	return p + n, ok && p == top-n
}

func bootPanic(msg string) {
	var k kbuf
	k.s("k42: boot failed: ").s(msg).s("\n")
	consoleWrite(k.bytes())
	powerOff(4)
}

// installVectors writes the branch stub at every interrupt vector.
func installVectors() {
	entry := uint64(trapEntryAddr())
	for _, v := range ppc64.Vectors {
		stub, ok := ppc64.VectorStub(v, entry)
		if !ok {
			bootPanic("trap entry beyond 32 MiB: absolute branch cannot reach it")
		}
		*(*[5]uint32)(unsafe.Pointer(uintptr(v))) = stub
	}
	ppc64.SyncICache(0, 0x2000)
}

// prepareCPU prepares CPU i's area, stacks and idle thread; it runs on the
// boot CPU for every CPU.
func prepareCPU(i int) {
	c := &cpus[i]
	c.ID = i
	c.Server = Platform.CPUServer[i]
	lo := allocFrames(interruptStack)
	c.stackTop = uintptr(lo + interruptStack)
	// The nested-fault stack is above the interrupt stack, so the handler
	// g's guard (near the interrupt stack's base) stays below it.
	c.nestStack = uintptr(allocFrames(interruptStack) + interruptStack)
	c.nestCtx = uintptr(unsafe.Pointer(&c.nested))
	c.g[0], c.g[1] = lo, lo+interruptStack // stack.lo, stack.hi
	c.g[2], c.g[3] = lo+2048, lo+2048      // stackguard0, stackguard1

	idle := newThread()
	t := &threads[idle]
	t.idle = true
	t.Ctx.PC = uint64(idleLoopAddr())
	t.Ctx.MSR = ppc64.MSRKernel | ppc64.MSRTranslate
	t.Ctx.GPR[1] = allocFrames(idleStack) + idleStack - 128
	t.cpu = int32(i)
	c.idle = idle
}

// enterCPU points this processor's SPRG0 (the trap entry's per-CPU area)
// and SPRG3 (the CPU number) at c.
func enterCPU(c *CPU) {
	ppc64.SetSPRG0(uintptrOf(c))
	ppc64.SetSPRG3(uint64(c.ID))
}

func uintptrOf(c *CPU) uintptr { return uintptr(unsafe.Pointer(c)) }

// Auxiliary vector keys and the hardware capability bits the runtime reads.
const (
	atNull     = 0
	atPagesz   = 6
	atClktck   = 17
	atPlatform = 15
	atHwcap    = 16
	atRandom   = 25
	atHwcap2   = 26
	atSecure   = 23

	hwcap64       = 0x40000000
	hwcapAltivec  = 0x10000000
	hwcapFPU      = 0x08000000
	hwcapMMU      = 0x04000000
	hwcapArch205  = 0x00001000
	hwcapArch206  = 0x00000100
	hwcapVSX      = 0x00000080
	hwcap2Arch207 = 0x80000000
	hwcap2Arch300 = 0x00800000
	hwcap2DARN    = 0x00200000
)

// argv0 is the program name when the boot arguments do not give one.
const argv0 = "k42"

// buildInitialStack lays out the Linux process entry stack the runtime's
// _rt0_ppc64_linux expects: argc, argv, NULL, envp, NULL, auxv, AT_NULL,
// with the strings above. Boot arguments of the form k42.argv0=NAME and
// k42.env.KEY=VALUE are taken by the kernel; the rest become argv[1:].
// It returns the stack pointer.
func buildInitialStack() uint64 {
	base := allocFrames(mainStack)
	top := base + mainStack
	// Strings area: the top 8 KiB.
	strs := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(top-8192))), 8192)
	var offs [maxArgs]int
	n := splitArgs(Platform.Bootargs(), strs[:8192-64], &offs)
	strBase := top - 8192
	random := top - 32
	for i := uint64(0); i < 16; i += 8 {
		*userU64(random + i) = random64()
	}
	platform := top - 48
	copy(user(platform, 8), "power9\x00")

	var argv, envp [maxArgs]uint64
	argc, envc := 1, 0
	argv[0] = 0
	for i := 0; i < n; i++ {
		w := cstring(strs, offs[i])
		addr := strBase + uint64(offs[i])
		switch {
		case hasPrefix(w, "k42.argv0="):
			argv[0] = addr + uint64(len("k42.argv0="))
		case hasPrefix(w, "k42.env."):
			envp[envc] = addr + uint64(len("k42.env."))
			envc++
		default:
			argv[argc] = addr
			argc++
		}
	}
	if argv[0] == 0 {
		a := top - 64
		copy(user(a, 8), argv0+"\x00")
		argv[0] = a
	}
	aux := [...][2]uint64{
		{atPagesz, frames.Size},
		{atClktck, 100},
		{atHwcap, hwcap64 | hwcapAltivec | hwcapFPU | hwcapMMU | hwcapArch205 | hwcapArch206 | hwcapVSX},
		{atHwcap2, hwcap2Arch207 | hwcap2Arch300 | hwcap2DARN},
		{atPlatform, platform},
		{atRandom, random},
		{atSecure, 0},
		{atNull, 0},
	}
	words := 1 + argc + 1 + envc + 1 + 2*len(aux)
	sp := (strBase - uint64(8*words)) &^ 15
	w := sp
	put := func(v uint64) { *userU64(w) = v; w += 8 }
	put(uint64(argc))
	for _, a := range argv[:argc] {
		put(a)
	}
	put(0)
	for _, e := range envp[:envc] {
		put(e)
	}
	put(0)
	for _, a := range aux {
		put(a[0])
		put(a[1])
	}
	return sp
}
