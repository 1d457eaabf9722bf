package runner

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConsoleFilterTakesTheExitMarker(t *testing.T) {
	var out bytes.Buffer
	c := consoleFilter{w: &out}
	status, seen := 0, false
	for _, b := range []byte("k42> k42: power of the console\n\n\nhello\n\nk42: power off, exit status 3\n") {
		if n, ok := c.put(b); ok {
			status, seen = n, true
		}
	}
	c.flush()
	require.True(t, seen)
	require.Equal(t, 3, status)
	require.Equal(t, "k42> k42: power of the console\n\n\nhello\n", out.String())
}

func TestQemuArgs(t *testing.T) {
	m := &Machine{Image: "k.img", CPUs: 0, Memory: "256M", Bootargs: []string{"info"}}
	require.Equal(t, []string{
		"-M", "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off,kernel-addr=0",
		"-cpu", "power9", "-smp", "1", "-m", "256M",
		"-nodefaults", "-nographic", "-no-reboot",
		"-chardev", "stdio,id=con,signal=off",
		"-device", "spapr-vty,chardev=con,reg=0x71000001",
		"-chardev", "file,id=out,path=/dev/fd/3",
		"-device", "spapr-vty,chardev=out,reg=0x71000002",
		"-chardev", "file,id=err,path=/dev/fd/4",
		"-device", "spapr-vty,chardev=err,reg=0x71000003",
		"-kernel", "k.img", "-initrd", "rd.cpio",
	}, qemuArgs(m, "rd.cpio"))
	require.Equal(t, "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off", MachineArgs(2, "1G")[1],
		"the Linux peer's machine has no extra options")
	m.ICount = true
	args := qemuArgs(m, "")
	require.Equal(t, []string{"-kernel", "k.img", "-icount", "shift=0,sleep=off"}, args[len(args)-4:], "-icount: one instruction per nanosecond")
}

func TestCheckBootargs(t *testing.T) {
	require.NoError(t, CheckBootargs([]string{"a b", "'\"", "\t", "été", "", "k42.env.A=b", "k42.env.A="}))
	for _, tc := range []struct {
		words []string
		err   string
	}{
		{[]string{"ok", "a\x00b"}, `boot argument 2 ("a\x00b") contains a NUL byte`},
		{[]string{"k42.env.FOO"}, `kernel option "k42.env.FOO": want k42.env.KEY=VALUE`},
		{[]string{"k42.env.=x"}, `kernel option "k42.env.=x"`},
		{[]string{"k42.=x"}, "a name must follow k42."},
		{make([]string, 8193), "8193 boot arguments: the kernel takes at most 8192"},
		{[]string{strings.Repeat("x", 300<<10)}, "the kernel takes at most 262144"},
	} {
		require.ErrorContains(t, CheckBootargs(tc.words), tc.err)
	}
}

func TestMemoryBytes(t *testing.T) {
	for in, want := range map[string]uint64{"512M": 512 << 20, "1G": 1 << 30, "256": 256 << 20, "2g": 2 << 30} {
		got, err := MemoryBytes(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for in, want := range map[string]string{"128M": "multiple of 256 MiB", "x": "want a size", "": "want a size", "100T": "at most 64 GiB", "0": "want a size"} {
		_, err := MemoryBytes(in)
		require.ErrorContains(t, err, want, in)
	}
}

// Boot tests need QEMU; make test installs it.

var (
	buildOnce sync.Once
	testImage string
	buildErr  error
)

func kernelImage(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-ppc64"); err != nil {
		t.Skip("qemu-system-ppc64 not installed (make qemu installs it)")
	}
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		var log bytes.Buffer
		testImage, _, buildErr = BuildKernel(root, "./kernel/k42", "k42-test", &log)
		if buildErr != nil {
			buildErr = errorsJoin(buildErr, log.String())
		}
	})
	require.NoError(t, buildErr)
	return testImage
}

func errorsJoin(err error, log string) error {
	return &buildError{err, log}
}

type buildError struct {
	err error
	log string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.log }

func boot(t *testing.T, img string, stdin string, args ...string) (Result, string, string) {
	t.Helper()
	var out, con bytes.Buffer
	m := &Machine{Image: img, CPUs: 1, Memory: "512M", Timeout: 2 * time.Minute, Bootargs: args, Stdout: &out, Stderr: &con}
	if stdin != "" {
		m.Stdin = strings.NewReader(stdin)
	}
	res, err := Run(m)
	require.NoError(t, err)
	return res, out.String(), con.String()
}

func TestBootInfo(t *testing.T) {
	res, out, con := boot(t, kernelImage(t), "", "info")
	require.True(t, res.Reported, con)
	require.Equal(t, 0, res.Status, con)
	require.Regexp(t, `^\{"cpus":1,"mem_bytes":536870912,"timebase_hz":512000000,"boot_ms":\d+,"frames_total":8192,"frames_used":\d+,"frames_peak":\d+,"disks":\[\]\}\n$`, out)
}

// TestBootInfoListsTheDisk: a disk attached with Disks is found on the
// PCI bus, driven and listed by info with its size, model and interrupts.
func TestBootInfoListsTheDisk(t *testing.T) {
	img := filepath.Join(t.TempDir(), "d.img")
	var out, con bytes.Buffer
	m := &Machine{Image: kernelImage(t), CPUs: 2, Memory: "512M", Timeout: 2 * time.Minute, Bootargs: []string{"info"},
		Stdout: &out, Stderr: &con, Disks: []Disk{{Path: img, Size: 32 << 20, Cache: DefaultDiskCache}}}
	res, err := Run(m)
	require.NoError(t, err)
	require.Equal(t, 0, res.Status, con.String())
	require.Regexp(t, `"disks":\[\{"name":"vda","model":"virtio-blk[^"]*","bytes":33554432,"block_size":512,"pci":"[0-9a-f]+:[0-9a-f]{2}\.\d","interrupts":"msi-x irq 0x[0-9a-f]+","role":"root file system"\}\]`, out.String())
}

func TestCrashPanicReportsAndFails(t *testing.T) {
	res, _, con := boot(t, kernelImage(t), "", "crash=panic")
	require.True(t, res.Reported, con)
	require.Equal(t, 2, res.Status, "a Go panic exits with status 2")
	require.Contains(t, con, "panic: crash=panic: the Go panic path was asked for")
	require.Contains(t, con, "goroutine 1")
	require.Contains(t, con, "main.dispatch")
}

func TestNilDereferenceIsGoPanic(t *testing.T) {
	res, _, con := boot(t, kernelImage(t), "", "crash=nil")
	require.True(t, res.Reported, con)
	require.Equal(t, 2, res.Status, con)
	require.Contains(t, con, "panic: runtime error: invalid memory address or nil pointer dereference")
	require.Contains(t, con, "[signal SIGSEGV: segmentation violation")
	require.Contains(t, con, "main.dispatch")
}

func TestCrashFaultReportsAndFails(t *testing.T) {
	res, _, con := boot(t, kernelImage(t), "", "crash=fault")
	require.True(t, res.Reported, con)
	require.Equal(t, 3, res.Status, con)
	for _, want := range []string{"unexpected exception", "SRR0", "SRR1", "DAR", "DSISR", " LR ", "CTR", "r31", "disassembly around SRR0", "=>"} {
		require.Contains(t, con, want)
	}
	require.Regexp(t, regexp.MustCompile(`=> 0x[0-9a-f]+\s+[0-9a-f]{8}\s+MOVD R4,\s?0\(R3\)`), con, "the faulting store, disassembled")
}

func TestConsoleAnswersTypedCommands(t *testing.T) {
	res, out, con := boot(t, kernelImage(t), "info\nbogus\nhalt 7\n")
	require.True(t, res.Reported, con)
	require.Equal(t, 7, res.Status)
	require.Contains(t, out, `"timebase_hz":512000000`)
	require.Contains(t, out, `k42: unknown command "bogus"`)
	require.Contains(t, con, "info", "input is echoed on the console")
}

// TestConsoleShowsTheSecondOpenSwap: a console session creates a file,
// writes it through one open (an exclusive session: a new file opened
// for writing; the write served on the client side), opens it a second time and shows the first session swapped to
// shared, reads the write through the second open, and the policy log
// names the swap.
func TestConsoleShowsTheSecondOpenSwap(t *testing.T) {
	res, out, con := boot(t, kernelImage(t), "open /tmp/notes\nwrite %1 hello\nsessions\nopen /tmp/notes r\nsessions\nread %2\npolicy log\nhalt\n")
	require.Equal(t, 0, res.Status, con)
	require.Regexp(t, `(?m)^0\s+exclusive\s+-\s+single\s+1\s+idle\s+0 1 0 0\s+session:/tmp/notes#\d+/0$`, out, "one open: an exclusive session that served the write")
	require.Regexp(t, `(?m)^0\s+shared\s+-\s+\S+\s+2\s+recalled\s+.*session:/tmp/notes#\d+/0$`, out, "two opens: the first session is shared, its slot recalled")
	require.Contains(t, out, `"hello\n"`, "the second open reads the first one's write")
	require.Regexp(t, `sessions\s+session:/tmp/notes#\d+/0: exclusive -> shared \(a second open of the file\) in `, out)
}

func TestAppOutputMatchesLinux(t *testing.T) {
	kernelImage(t) // QEMU present
	dir := t.TempDir()
	src := filepath.Join(dir, "prog.go")
	require.NoError(t, os.WriteFile(src, []byte(appSource), 0o644))
	// The program's output on the host's Linux...
	cmd := exec.Command("go", "run", src, "alpha", "beta gamma")
	want, err := cmd.Output()
	require.NoError(t, err)
	// ...and on the kernel.
	img, name := buildApp(t, src)
	res, got, con := boot(t, img, "", "k42.argv0="+name, "alpha", "beta gamma")
	require.Equal(t, 0, res.Status, con)
	require.Equal(t, string(want), got)
}

// buildApp prepares and builds the app at path.
func buildApp(t *testing.T, path string) (img, name string) {
	t.Helper()
	root, err := ModuleRoot()
	require.NoError(t, err)
	a, err := PrepareApp(root, path)
	require.NoError(t, err)
	var log bytes.Buffer
	img, _, err = a.Build(root, &log)
	require.NoError(t, err, log.String())
	return img, a.Name
}

const appSource = `package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

type result struct {
	id  int
	sum int
}

func work(id int, out chan<- result, wg *sync.WaitGroup) {
	defer wg.Done()
	s := 0
	for i := 0; i <= id*1000; i++ {
		s += i
	}
	out <- result{id, s}
}

func safeDiv(a, b int) (q int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New(fmt.Sprint(r))
		}
	}()
	return a / b, nil
}

func main() {
	fmt.Println("args:", strings.Join(os.Args[1:], "|"))
	out := make(chan result, 16)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go work(i, out, &wg)
	}
	wg.Wait()
	close(out)
	var rs []result
	for r := range out {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].id < rs[j].id })
	for _, r := range rs {
		fmt.Printf("worker %2d: %d\n", r.id, r.sum)
	}
	m := map[string]int{}
	for i := 0; i < 1000; i++ {
		m[fmt.Sprint("k", i%37)]++
	}
	fmt.Println("map keys:", len(m), "k0 =", m["k0"])
	timeout := time.After(50 * time.Millisecond)
	tick := time.NewTicker(10 * time.Millisecond)
	n := 0
loop:
	for {
		select {
		case <-tick.C:
			n++
		case <-timeout:
			break loop
		}
	}
	tick.Stop()
	fmt.Println("ticked:", n >= 3)
	var keep [][]byte
	for i := 0; i < 2000; i++ {
		b := make([]byte, 64<<10)
		b[0] = byte(i)
		if i%100 == 0 {
			keep = append(keep, b)
		}
	}
	runtime.GC()
	fmt.Println("kept:", len(keep), keep[19][0])
	done := make(chan bool)
	runtime.SetFinalizer(new([16]byte), func(*[16]byte) { done <- true })
	runtime.GC()
	select {
	case <-done:
		fmt.Println("finalizer: ran")
	case <-time.After(2 * time.Second):
		fmt.Println("finalizer: no")
	}
	_, err := safeDiv(1, 0)
	fmt.Println("recovered:", err)
	fmt.Fprintln(os.Stderr, "this goes to standard error")
	os.Exit(0)
}
`

func TestKernelImageFor(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pkg  string
	}{
		{nil, "./kernel/k42"},
		{[]string{"info"}, "./kernel/k42"},
		{[]string{"test", "Reconfig"}, "./kernel/k42test"},
		{[]string{"k42.env.A=b", "bench"}, "./kernel/k42test"},
		{[]string{"crash=fault", "test"}, "./kernel/k42"},
	} {
		pkg, _ := KernelImageFor(tc.args)
		require.Equal(t, tc.pkg, pkg, "%q", tc.args)
	}
}

// TestDefaultImageIsLean: the image make run boots links no testing,
// testify, net/http or TLS code and no test helpers, by its package list
// and by its symbols.
func TestDefaultImageIsLean(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-deps", "./kernel/k42")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), buildEnv...)
	out, err := cmd.Output()
	require.NoError(t, err)
	forbidden := regexp.MustCompile(`^(testing|net/http|crypto/tls|github\.com/stretchr/.*|k42/kernel/ktest|k42/kernel/kbench|k42/reconfig/testcomp|k42/reconfig/bench)$`)
	for _, p := range strings.Fields(string(out)) {
		require.False(t, forbidden.MatchString(p), "the default image links %s", p)
	}
	kernelImage(t)
	elf := filepath.Join(root, ".build", "k42-test.elf")
	syms, err := exec.Command("go", "tool", "nm", elf).Output()
	require.NoError(t, err)
	bad := regexp.MustCompile(`(?m) (net/http|testing|crypto/tls|github\.com/stretchr/testify/[a-z]+)\.`)
	require.Empty(t, bad.FindAllString(string(syms), 5), "symbols from packages the default image must not link")

	// The test image links the testing package, but no test-only
	// dependency: testify is for host tests.
	cmd = exec.Command("go", "list", "-deps", "./kernel/k42test")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), buildEnv...)
	out, err = cmd.Output()
	require.NoError(t, err)
	require.NotContains(t, string(out), "github.com/stretchr/testify", "the test image links testify")
}
