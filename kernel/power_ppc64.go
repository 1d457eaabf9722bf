package kernel

import (
	"unsafe"

	"k42/arch/ppc64"
)

// rtasArgs is the RTAS argument block; big-endian 32-bit cells, which is
// this kernel's native byte order. Guarded by rtasLock.
var (
	rtasArgs [16]uint32
	rtasLock spinlock
)

// rtas calls RTAS service token with args and returns the rets.
func rtas(token uint32, nret int, args ...uint32) (rets [8]uint32, status int32) {
	if token == 0 {
		return rets, -1
	}
	rtasLock.lock()
	rtasArgs[0], rtasArgs[1], rtasArgs[2] = token, uint32(len(args)), uint32(nret)
	copy(rtasArgs[3:], args)
	ppc64.RTASCall(unsafe.Pointer(&rtasArgs))
	copy(rets[:], rtasArgs[3+len(args):3+len(args)+nret])
	rtasLock.unlock()
	return rets, int32(rets[0])
}

// ExitMarker starts the line the kernel prints just before it powers off;
// the host runner reads the status from it.
const ExitMarker = "k42: power off, exit status "

// powerOff reports status on the console and powers the machine off
// through RTAS. It does not return.
func powerOff(status int) {
	var k kbuf
	k.s("\n").s(ExitMarker).d(int64(status)).s("\n")
	consoleWrite(k.bytes())
	rtas(Platform.RTAS.PowerOff, 1, 0, 0)
	ppc64.Stop()
}

// readRTC reads the wall clock once at boot.
func readRTC() {
	rets, st := rtas(Platform.RTAS.GetTimeOfDay, 8)
	if st != 0 {
		return
	}
	y, mo, d := int64(rets[1]), int64(rets[2]), int64(rets[3])
	h, mi, s, ns := int64(rets[4]), int64(rets[5]), int64(rets[6]), int64(rets[7])
	bootEpochNs = (daysFromCivil(y, mo, d)*86400+h*3600+mi*60+s)*1e9 + ns
	tb := ppc64.Timebase()
	hz := Platform.TimebaseHz
	bootTBNs = int64(tb/hz)*1e9 + int64(tb%hz*1e9/hz)
}
