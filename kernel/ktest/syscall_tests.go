package ktest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Tests of individual system calls, one per partial entry of the kernel's
// table and the full ones the runtime leans on. Each asserts Linux
// behaviour, so it runs on the host too.

func init() {
	Add(
		Test{Name: "TestFutexTimeout", Fn: testFutexTimeout},
		Test{Name: "TestFutexWakeAcrossThreads", Fn: testFutexWake},
		Test{Name: "TestMmapMunmapMadvise", Fn: testMmap},
		Test{Name: "TestSignalDelivery", Fn: testSignals},
		Test{Name: "TestSignalBeforeAWait", Fn: testSignalBeforeWait, Timeout: 60 * time.Second},
		Test{Name: "TestPipePingPongAcrossCPUs", Fn: testPipePingPong, Timeout: 120 * time.Second},
		Test{Name: "TestGetrandom", Fn: testGetrandom},
		Test{Name: "TestUname", Fn: testUname},
		Test{Name: "TestFcntlAndBadFDs", Fn: testFcntl},
		Test{Name: "TestSchedGetaffinity", Fn: testAffinity},
		Test{Name: "TestClocks", Fn: testClocks},
		Test{Name: "TestNanosleep", Fn: testNanosleep},
		Test{Name: "TestRlimitsAndPrctl", Fn: testRlimits},
		Test{Name: "TestUnknownSyscallIsENOSYS", Fn: testENOSYS},
		Test{Name: "TestWriteStderr", Fn: testWriteStderr},
	)
}

const (
	futexWaitPrivate = 128 | 0
	futexWakePrivate = 128 | 1
)

func futex(addr *uint32, op, val uintptr, ts *syscall.Timespec) (uintptr, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), op, val, uintptr(unsafe.Pointer(ts)), 0, 0)
	return r, e
}

func testFutexTimeout(t TB) {
	var word uint32
	const timeout = 20 * time.Millisecond
	start := time.Now()
	var e syscall.Errno
	for {
		// A signal's handler ends a timed futex wait with EINTR, on
		// Linux as here (the runtime's SIGURG may come at any time):
		// wait again for what is left, as the runtime does.
		ts := syscall.NsecToTimespec(int64(max(timeout-time.Since(start), time.Microsecond)))
		if _, e = futex(&word, futexWaitPrivate, 0, &ts); e != syscall.EINTR {
			break
		}
	}
	d := time.Since(start)
	if e != syscall.ETIMEDOUT {
		t.Fatalf("futex wait with a 20ms timeout returned %v, want ETIMEDOUT", e)
	}
	if d < 20*time.Millisecond {
		t.Fatalf("futex timed out after %v, before its 20ms timeout", d)
	}
	ts := syscall.NsecToTimespec(int64(timeout))
	if _, e := futex(&word, futexWaitPrivate, 1, &ts); e != syscall.EAGAIN {
		t.Fatalf("futex wait on a changed value returned %v, want EAGAIN", e)
	}
}

func testFutexWake(t TB) {
	var word uint32
	woke := make(chan syscall.Errno)
	go func() {
		runtime.LockOSThread() // a thread of its own, blocked in the kernel
		defer runtime.UnlockOSThread()
		ts := syscall.NsecToTimespec(int64(10 * time.Second))
		// A signal (the runtime's preemption) ends a wait with EINTR, on
		// Linux too: wait again, or the waker would find no one.
		_, e := futex(&word, futexWaitPrivate, 0, &ts)
		for e == syscall.EINTR {
			_, e = futex(&word, futexWaitPrivate, 0, &ts)
		}
		woke <- e
	}()
	// Wake until the waiter has gone to sleep and been woken.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, e := futex(&word, futexWakePrivate, 1, nil)
		if e != 0 {
			t.Fatalf("futex wake: %v", e)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no waiter appeared on the futex")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case e := <-woke:
		if e != 0 {
			t.Fatalf("woken waiter returned %v, want success", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("woken waiter did not return")
	}
}

func testMmap(t TB) {
	const size = 1 << 20
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	for i := range b {
		if b[i] != 0 {
			t.Fatalf("fresh anonymous memory not zero at %d", i)
		}
		b[i] = byte(i)
	}
	if err := syscall.Madvise(b, syscall.MADV_DONTNEED); err != nil {
		t.Fatalf("madvise: %v", err)
	}
	for i, v := range b {
		if v != 0 {
			t.Fatalf("memory after MADV_DONTNEED is not zero at byte %d of %d", i, len(b))
		}
	}
	if err := syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if err := syscall.Munmap(b); err != nil {
		t.Fatalf("munmap: %v", err)
	}
	if _, err := syscall.Mmap(-1, 0, 0, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE); err != syscall.EINVAL {
		t.Fatalf("zero-length mmap returned %v, want EINVAL", err)
	}
}

// testSignalBeforeAWait: a signal sent to a thread while it runs is
// pending until its next trap; if that trap is a system call that waits
// (a futex wait, as a thread parks), the wait must end for the signal at
// once, as Linux's interruptible sleeps do, not when something else wakes
// the thread. syscall.AllThreadsSyscall finds any thread that misses it:
// it stops the world and signals every thread, waiting for each to
// answer, so one signal lost behind a futex wait hangs it (and the test
// overruns). Threads park and wake throughout, as in the syscall
// package's TestAllThreadsSyscall.
func testSignalBeforeWait(t TB) {
	const prSetKeepcaps, prGetKeepcaps = 8, 7
	if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, prSetKeepcaps, 0, 0); e == syscall.ENOTSUP {
		t.Skipf("AllThreadsSyscall is disabled with cgo")
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	for i := 0; i < 2*runtime.GOMAXPROCS(0); i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			tick := time.NewTicker(50 * time.Microsecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C: // park and wake: futex waits on every thread
				}
			}
		}()
	}
	defer func() {
		close(stop)
		for i := 0; i < 2*runtime.GOMAXPROCS(0); i++ {
			<-done
		}
	}()
	for i := 0; i < 300; i++ {
		v := uintptr(i & 1)
		if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, prSetKeepcaps, v, 0); e != 0 {
			t.Fatalf("AllThreadsSyscall(PR_SET_KEEPCAPS, %d): %v", v, e)
		}
		runtime.LockOSThread()
		got, _, e := syscall.Syscall(syscall.SYS_PRCTL, prGetKeepcaps, 0, 0)
		runtime.UnlockOSThread()
		if e != 0 || got != v {
			t.Fatalf("after AllThreadsSyscall: PR_GET_KEEPCAPS = %d, %v; want %d", got, e, v)
		}
	}
}

// testPipePingPongAcrossCPUs: pairs of locked threads bounce a byte over
// two blocking pipes (raw read and write, no poller), so that a reader
// blocks on one CPU while its writer wakes it from another, many times
// over. The blocked reader's CPU must have switched away before the
// woken thread can run anywhere else; a thread run on two CPUs at once
// corrupts its registers or trips the scheduler's own checks.
func testPipePingPong(t TB) {
	const rounds = 3000
	pairs := runtime.GOMAXPROCS(0)
	errs := make(chan error, 2*pairs)
	for p := 0; p < pairs; p++ {
		var ab, ba [2]int
		if err := syscall.Pipe(ab[:]); err != nil {
			t.Fatalf("pipe: %v", err)
		}
		if err := syscall.Pipe(ba[:]); err != nil {
			t.Fatalf("pipe: %v", err)
		}
		bounce := func(in, out int, first bool) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b := []byte{0}
			for i := 0; i < rounds; i++ {
				if !first || i > 0 {
					if n, err := syscall.Read(in, b); n != 1 || err != nil {
						errs <- fmt.Errorf("read %d: %d, %v", i, n, err)
						return
					}
				}
				b[0]++
				if n, err := syscall.Write(out, b); n != 1 || err != nil {
					errs <- fmt.Errorf("write %d: %d, %v", i, n, err)
					return
				}
			}
			errs <- nil
		}
		go bounce(ba[0], ab[1], true)
		go bounce(ab[0], ba[1], false)
		t.Cleanup(func() {
			for _, fd := range []int{ab[0], ab[1], ba[0], ba[1]} {
				syscall.Close(fd)
			}
		})
	}
	for i := 0; i < 2*pairs; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("ping-pong: %v", err)
		}
	}
}

func testSignals(t TB) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	defer signal.Stop(c)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatalf("kill: %v", err)
	}
	select {
	case s := <-c:
		if s != syscall.SIGUSR1 {
			t.Fatalf("got %v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("SIGUSR1 not delivered within 5s")
	}
	if err := syscall.Tgkill(os.Getpid(), 1<<30, syscall.SIGUSR1); err != syscall.ESRCH {
		t.Fatalf("tgkill to a missing thread returned %v, want ESRCH", err)
	}
}

func testGetrandom(t TB) {
	a, b := make([]byte, 64), make([]byte, 64)
	if _, err := rand.Read(a); err != nil {
		t.Fatalf("crypto/rand: %v", err)
	}
	rand.Read(b)
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 64)) {
		t.Fatalf("random bytes repeat or are zero: %x", a)
	}
}

func testUname(t TB) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatalf("uname: %v", err)
	}
	str := func(f string, terminated bool) string {
		if !terminated {
			t.Errorf("uname field %q is not NUL-terminated", f)
		}
		return f
	}
	if s := str(utsField(u.Sysname)); s != "Linux" {
		t.Errorf("sysname %q, want Linux", s)
	}
	if s := str(utsField(u.Release)); !strings.HasPrefix(s, "6.") && !strings.HasPrefix(s, "5.") {
		t.Errorf("release %q does not look like a Linux release", s)
	}
	if s := str(utsField(u.Machine)); !strings.HasPrefix(s, "ppc64") && runtime.GOARCH == "ppc64" {
		t.Errorf("machine %q, want ppc64", s)
	}
	if str(utsField(u.Nodename)) == "" || str(utsField(u.Version)) == "" {
		t.Errorf("nodename %q or version %q empty", str(utsField(u.Nodename)), str(utsField(u.Version)))
	}
}

func testFcntl(t TB) {
	for _, fd := range []int{0, 1, 2} {
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e != 0 {
			t.Errorf("fcntl(%d, F_GETFD): %v", fd, e)
		}
	}
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, 1000, syscall.F_GETFD, 0); e != syscall.EBADF {
		t.Errorf("fcntl on fd 1000 returned %v, want EBADF", e)
	}
	if _, err := syscall.Write(1000, []byte("x")); err != syscall.EBADF {
		t.Errorf("write to fd 1000 returned %v, want EBADF", err)
	}
}

func testAffinity(t TB) {
	var mask [16]uint64
	n, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
	if e != 0 {
		t.Fatalf("sched_getaffinity: %v", e)
	}
	cpus := 0
	for _, w := range mask[:n/8] {
		for ; w != 0; w &= w - 1 {
			cpus++
		}
	}
	if cpus != runtime.NumCPU() {
		t.Fatalf("affinity mask has %d CPUs, runtime.NumCPU() = %d", cpus, runtime.NumCPU())
	}
}

func testClocks(t TB) {
	var a, b, res syscall.Timespec
	const clockMonotonic, clockRealtime = 1, 0
	gettime := func(clock uintptr, ts *syscall.Timespec) {
		t.Helper()
		if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clock, uintptr(unsafe.Pointer(ts)), 0); e != 0 {
			t.Fatalf("clock_gettime(%d): %v", clock, e)
		}
	}
	gettime(clockMonotonic, &a)
	time.Sleep(2 * time.Millisecond)
	gettime(clockMonotonic, &b)
	if d := b.Nano() - a.Nano(); d < int64(2*time.Millisecond) {
		t.Fatalf("CLOCK_MONOTONIC advanced %v over a 2ms sleep: %v then %v", time.Duration(d), a, b)
	}
	var real syscall.Timespec
	gettime(clockRealtime, &real)
	if y := time.Unix(real.Unix()).Year(); y < 2024 {
		t.Errorf("CLOCK_REALTIME says the year is %d", y)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETRES, clockMonotonic, uintptr(unsafe.Pointer(&res)), 0); e != 0 || res.Nano() <= 0 {
		t.Fatalf("clock_getres: %v %v", e, res)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1000, uintptr(unsafe.Pointer(&a)), 0); e != syscall.EINVAL {
		t.Fatalf("clock 1000 returned %v, want EINVAL", e)
	}
}

func testNanosleep(t TB) {
	ts := syscall.NsecToTimespec(int64(15 * time.Millisecond))
	start := time.Now()
	if err := syscall.Nanosleep(&ts, nil); err != nil {
		t.Fatalf("nanosleep: %v", err)
	}
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Fatalf("nanosleep(15ms) returned after %v", d)
	}
	bad := syscall.Timespec{Nsec: 2e9}
	if err := syscall.Nanosleep(&bad, nil); err != syscall.EINVAL {
		t.Fatalf("nanosleep with 2e9 ns returned %v, want EINVAL", err)
	}
}

func testRlimits(t TB) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur == 0 || r.Max < r.Cur {
		t.Fatalf("getrlimit(NOFILE) = %+v, %v", r, err)
	}
	name := []byte("ktest\x00")
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0); e != 0 {
		t.Fatalf("prctl(PR_SET_NAME): %v", e)
	}
}

func testENOSYS(t TB) {
	_, _, e := syscall.Syscall(999, 0, 0, 0)
	if !errors.Is(e, syscall.ENOSYS) {
		t.Fatalf("system call 999 returned %v, want ENOSYS", e)
	}
}

func testWriteStderr(t TB) {
	msg := []byte("ktest: write to fd 2\n")
	n, err := syscall.Write(2, msg)
	if err != nil || n != len(msg) {
		t.Fatalf("write(2) = %d, %v", n, err)
	}
}

// utsField returns a uname field up to its NUL, and whether it had one
// (the element type is int8 on some architectures, uint8 on others).
func utsField[T int8 | uint8](f [65]T) (string, bool) {
	var b []byte
	for _, c := range f {
		if c == 0 {
			return string(b), true
		}
		b = append(b, byte(c))
	}
	return string(b), false
}

func init() {
	Add(Test{Name: "TestBadPointersAreEFAULT", Fn: testBadPointers})
}

// testBadPointers: a NULL or page-zero pointer given to a system call is
// EFAULT, never a fault.
func testBadPointers(t TB) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer zero.Close()
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatalf("%v", err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	root, _ := syscall.BytePtrFromString("/")
	for _, bad := range []uintptr{0, 8, 0x1000} {
		for _, c := range []struct {
			name string
			nr   uintptr
			a    [4]uintptr
		}{
			{"read", syscall.SYS_READ, [4]uintptr{zero.Fd(), bad, 10}},
			{"write", syscall.SYS_WRITE, [4]uintptr{uintptr(p[1]), bad, 10}},
			{"fstat", syscall.SYS_FSTAT, [4]uintptr{zero.Fd(), bad}},
			{"capget", syscall.SYS_CAPGET, [4]uintptr{bad, bad}},
			{"getcwd", syscall.SYS_GETCWD, [4]uintptr{bad, 100}},
			{"clock_gettime", syscall.SYS_CLOCK_GETTIME, [4]uintptr{0, bad}},
			{"uname", syscall.SYS_UNAME, [4]uintptr{bad}},
			{"pipe2", syscall.SYS_PIPE2, [4]uintptr{bad, 0}},
			{"openat", syscall.SYS_OPENAT, [4]uintptr{uintptr(^uint(0) - 99), bad, 0}}, // AT_FDCWD
			{"newfstatat", syscall.SYS_NEWFSTATAT, [4]uintptr{uintptr(^uint(0) - 99), uintptr(unsafe.Pointer(root)), bad, 0}},
			{"sched_getaffinity", syscall.SYS_SCHED_GETAFFINITY, [4]uintptr{0, 128, bad}},
		} {
			_, _, e := syscall.RawSyscall6(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], 0, 0)
			if e != syscall.EFAULT {
				t.Errorf("%s with the pointer %#x: %v, want EFAULT", c.name, bad, e)
			}
		}
		if bad != 0 { // gettimeofday takes NULL for "not wanted"
			if _, _, e := syscall.RawSyscall(syscall.SYS_GETTIMEOFDAY, bad, 0, 0); e != syscall.EFAULT {
				t.Errorf("gettimeofday with the pointer %#x: %v, want EFAULT", bad, e)
			}
		}
	}
}
