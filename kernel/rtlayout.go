package kernel

// RuntimeLayout is where the image builder (k42/qemu/runner/image)
// writes the offsets of a few fields of the Go runtime's own structures,
// read from the image's DWARF: the trap layer uses them to hand a
// caller's P to the server that serves its call (lend_ppc64.go). The
// values are those of the very runtime linked into the image, so they
// cannot go stale; an image not made by the builder keeps only the
// marker, and then nothing is handed over.
//
// Word RLMagic is RuntimeLayoutMagic, RLFilled is 1 once filled, and the
// others are byte offsets of the fields RuntimeLayoutFields names, in
// that order. It is initialised (not zero) so that it has bytes in the
// image file to patch.
var RuntimeLayout = [RLWords]uint64{RLMagic: RuntimeLayoutMagic}

// Indexes into RuntimeLayout.
const (
	RLMagic   = iota
	RLFilled  // 1: the offsets below are set
	RLGM      // runtime.g.m: a goroutine's thread
	RLGStatus // runtime.g.atomicstatus
	RLMP      // runtime.m.p: the P a thread holds
	RLMOldP   // runtime.m.oldp: the P it held on entering its system call
	RLPM      // runtime.p.m: the thread holding a P
	RLPStatus // runtime.p.status
	RLWords
)

// RuntimeLayoutFields are the fields whose offsets fill RuntimeLayout
// from RLGM on: {struct, field}.
var RuntimeLayoutFields = [RLWords - RLGM][2]string{
	{"runtime.g", "m"}, {"runtime.g", "atomicstatus"},
	{"runtime.m", "p"}, {"runtime.m", "oldp"},
	{"runtime.p", "m"}, {"runtime.p", "status"},
}

// RuntimeLayoutSymbol is RuntimeLayout's symbol, and RuntimeLayoutMagic
// its first word, by which the builder recognises it.
const (
	RuntimeLayoutSymbol = "k42/kernel.RuntimeLayout"
	RuntimeLayoutMagic  = 0x6b34325f72746c79 // "k42_rtly"
)

// Values of the runtime's status words that the hand-over relies on
// (runtime/runtime2.go; a host test checks them against the toolchain's
// source).
const (
	RuntimeGsyscall = 3      // _Gsyscall
	RuntimeGscan    = 0x1000 // _Gscan
	RuntimePrunning = 1      // _Prunning
)
