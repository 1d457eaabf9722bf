package kernel

import (
	"k42/arch/ppc64"
	"k42/kernel/frames"
	"k42/kernel/initrd"
	"k42/kernel/linux"
)

// Platform is what the boot code learned from the device tree.
var Platform ppc64.Platform

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
func Boot(p *ppc64.Platform, entryTB uint64) {
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
	conTerm, outTerm, errTerm = 0x71000000, 0x71000000, 0x71000000
	if Platform.NumVty > 0 {
		conTerm, outTerm, errTerm = uint64(Platform.Vty[0]), uint64(Platform.Vty[0]), uint64(Platform.Vty[0])
	}
	if Platform.NumVty > 1 {
		outTerm = uint64(Platform.Vty[1])
	}
	if Platform.NumVty > 2 {
		errTerm = uint64(Platform.Vty[2])
	}
	var k kbuf
	k.s("k42: ").d(int64(Platform.MemBytes >> 20)).s(" MiB, ").d(int64(Platform.NumCPUs)).s(" CPUs, timebase ").d(int64(Platform.TimebaseHz)).s(" Hz\n")
	consoleWrite(k.bytes())

	ppc64.SetTrapHandler(trap)
	ppc64.SetSecondaryHandler(secondaryStart)
	ppc64.SetIdleSyscall(linux.SYS_SCHED_YIELD)
	phys.Init(Platform.MemBytes, uint64(imageEnd()))
	reserveInitrd()
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
	c.CurCtx = ctxAddr(main)
	t.state = threadRunning
	t.cpu = 0
	t.lastRun = ppc64.Timebase()
	c.sliceAt = t.lastRun
	c.Online = true
	online.Add(1)
	acceptInterrupts()
	ppc64.SetDEC(uint32(sliceTicks))
	ppc64.ResumeContext()
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
	k.s(msg)
	bootFail(k.bytes())
}

// BootFailStatus is the exit status of a boot that failed.
const BootFailStatus = 4

// bootFail reports why the boot cannot go on and powers off.
func bootFail(msg []byte) {
	var k kbuf
	k.s("k42: boot failed: ")
	reportWrite(k.bytes())
	reportWrite(msg)
	reportWrite([]byte("\n"))
	powerOff(BootFailStatus)
}

// installVectors writes the branch stub at every interrupt vector.
func installVectors() {
	entry := uint64(ppc64.TrapEntryPC())
	for _, v := range ppc64.Vectors {
		stub, ok := ppc64.VectorStub(v, entry)
		if !ok {
			bootPanic("trap entry beyond 32 MiB: absolute branch cannot reach it")
		}
		*vectorWords(uint64(v)) = stub
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
	c.SetStack(uintptr(lo), uintptr(lo+interruptStack))
	// The nested-fault stack is above the interrupt stack, so the handler
	// g's guard (near the interrupt stack's base) stays below it.
	c.NestStack = uintptr(allocFrames(interruptStack) + interruptStack)
	c.NestCtx = nestedCtxAddr(c)

	idle := newThread()
	t := &threads[idle]
	t.idle = true
	t.Ctx.PC = uint64(ppc64.IdleLoopPC())
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

// defaultEnv is the environment every program has unless a k42.env word
// sets the same variable, as a login shell would give it on Linux.
var defaultEnv = [...]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "TMPDIR=/tmp"}

// defaultEnvBytes bounds the defaults' strings with their NULs.
const defaultEnvBytes = 128

// envSets reports whether the environment word w (KEY=VALUE) sets the
// variable of the default def (KEY=...).
func envSets(w []byte, def string) bool {
	for i := 0; i < len(def); i++ {
		if i >= len(w) || w[i] != def[i] {
			return false
		}
		if def[i] == '=' {
			return true
		}
	}
	return false
}

// argWords returns the source of the boot-argument words: the initrd's
// argument member, or else the kernel command line.
func argWords() wordSource {
	if a := InitrdBytes(); a != nil {
		if w, ok := initrd.Find(a, initrd.ArgsName); ok {
			return wordSource{src: w, nul: true}
		}
	}
	if Platform.BootargsLen > ppc64.MaxBootargs {
		var k kbuf
		k.s("the kernel command line is ").d(int64(Platform.BootargsLen)).s(" bytes, more than the ").d(ppc64.MaxBootargs).s(" the kernel reads; the runner passes long arguments in the initrd")
		bootFail(k.bytes())
	}
	return wordSource{src: Platform.Bootargs()}
}

// argFail stops the boot on bad boot arguments.
func argFail(e argError) {
	var k kbuf
	k.s("bad boot arguments: ").s(e.what)
	if e.word != nil {
		w := e.word
		k.s(" (got \"")
		if len(w) > 80 {
			k.bs(w[:80]).s("...")
		} else {
			k.bs(w)
		}
		k.s("\")")
	}
	bootFail(k.bytes())
}

// argStrs is the strings area of the initial stack: every boot-argument
// word, NUL-terminated, in order. It lives as long as the program (the
// runtime's os.Args point into it), and BootOptions reads it.
var argStrs struct {
	addr uint64
	n    int
}

// buildInitialStack lays out the Linux process entry stack the runtime's
// _rt0_ppc64_linux expects: argc, argv, NULL, envp, NULL, auxv, AT_NULL,
// with the strings above (see args.go for where the words come from).
// It returns the stack pointer.
func buildInitialStack() uint64 {
	base := allocFrames(mainStack)
	top := base + mainStack
	random := top - 32
	for i := uint64(0); i < 16; i += 8 {
		*userU64(random + i) = random64()
	}
	platform := top - 48
	copy(user(platform, 8), "power9\x00")
	name := top - 64
	copy(user(name, 8), argv0+"\x00")

	// The default environment's strings.
	defBase := name - defaultEnvBytes
	var defAt [len(defaultEnv)]uint64
	off := defBase
	for i, d := range defaultEnv {
		copy(user(off, len(d)), d)
		user(off+uint64(len(d)), 1)[0] = 0
		defAt[i] = off
		off += uint64(len(d)) + 1
	}

	// First pass: copy every word into the strings area and count.
	strBase := defBase - maxArgBytes
	strs := user(strBase, maxArgBytes)
	src := argWords()
	used, words, argc, envc := 0, 0, 1, 0
	for {
		n, ok, err := src.next(strs[used : maxArgBytes-1])
		if err.failed() {
			argFail(err)
		}
		if !ok {
			break
		}
		if words++; words > maxArgs {
			argFail(argError{what: "more than 8192 words"})
		}
		kind, _, err := classify(strs[used : used+n])
		if err.failed() {
			argFail(err)
		}
		switch kind {
		case wordArg:
			argc++
		case wordEnv:
			envc++
			for i, d := range defaultEnv {
				if defAt[i] != 0 && envSets(strs[used+len("k42.env."):used+n], d) {
					defAt[i] = 0 // the boot arguments set it
				}
			}
		}
		strs[used+n] = 0
		used += n + 1
	}
	argStrs.addr, argStrs.n = strBase, used
	for _, a := range defAt {
		if a != 0 {
			envc++
		}
	}

	// Second pass: the pointer arrays below the strings.
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
	nptr := 1 + argc + 1 + envc + 1 + 2*len(aux)
	sp := (strBase - uint64(8*nptr)) &^ 15
	argvAt := sp + 8
	envAt := argvAt + 8*uint64(argc+1)
	*userU64(sp) = uint64(argc)
	*userU64(argvAt) = name
	ai, ei := 1, 0
	for off := 0; off < used; {
		end := off
		for strs[end] != 0 {
			end++
		}
		addr := strBase + uint64(off)
		kind, skip, _ := classify(strs[off:end])
		switch kind {
		case wordArg:
			*userU64(argvAt + 8*uint64(ai)) = addr
			ai++
		case wordArgv0:
			*userU64(argvAt) = addr + uint64(skip)
		case wordEnv:
			*userU64(envAt + 8*uint64(ei)) = addr + uint64(skip)
			ei++
		}
		off = end + 1
	}
	for _, a := range defAt {
		if a != 0 {
			*userU64(envAt + 8*uint64(ei)) = a
			ei++
		}
	}
	*userU64(argvAt + 8*uint64(argc)) = 0
	*userU64(envAt + 8*uint64(envc)) = 0
	w := envAt + 8*uint64(envc+1)
	for _, a := range aux {
		*userU64(w), *userU64(w + 8) = a[0], a[1]
		w += 16
	}
	return sp
}

// initrd locates the initial RAM archive, reserved at boot; 0 if none.
var initrdLo, initrdHi uint64

// reserveInitrd keeps the frames of the initial RAM archive from the
// allocator. It runs at boot, before anything is allocated.
func reserveInitrd() {
	s, e := Platform.InitrdStart, Platform.InitrdEnd
	if e <= s {
		return
	}
	if s < uint64(imageEnd()) || e > Platform.MemBytes {
		var k kbuf
		k.s("the initrd at ").x(s, 0).s("-").x(e, 0).s(" overlaps the kernel image (ending at ").x(uint64(imageEnd()), 0).s(") or lies outside RAM")
		bootFail(k.bytes())
	}
	lo := s &^ (frames.Size - 1)
	if p, ok := phys.Alloc(frames.Frames(e-lo), lo, nil); !ok || p != lo {
		bootPanic("the initrd's memory is not free")
	}
	initrdLo, initrdHi = s, e
}
