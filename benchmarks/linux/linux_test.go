package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k42/qemu/runner"
	"k42/qemu/runner/cpio"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-smp", "2", "-m", "1G", "-linux-params", "mitigations=off  nosmt", "--", "-batches", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.smp != 2 || c.mem != "1G" || c.app != defaultApp || c.only != "" || c.timeout != 5*time.Minute || c.rounds != 3 {
		t.Errorf("config %+v", c)
	}
	if strings.Join(c.params, ",") != "mitigations=off,nosmt" || strings.Join(c.args, ",") != "-batches,5" {
		t.Errorf("params %q args %q", c.params, c.args)
	}
	if want := "go run ./benchmarks/linux -smp 2 -m 1G -linux-params 'mitigations=off  nosmt' -- -batches 5"; c.command != want {
		t.Errorf("command %q, want %q", c.command, want)
	}
	for _, bad := range [][]string{
		{"-smp", "0"},
		{"-rounds", "0"},
		{"-only", "bsd"},
		{"-m", ""},
		{"--", "two words"},
		{"--", ""},
		{"-linux-params", "a'b"},
		{"-linux-params", "--"},
		{"-nosuchflag"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// k42 alone takes any words: they are its boot arguments, quoted by the runner.
	if _, err := parseFlags([]string{"-only", "k42", "--", "two words"}, io.Discard); err != nil {
		t.Errorf("-only k42 with spaces: %v", err)
	}
}

func TestSidesAlternate(t *testing.T) {
	for _, tc := range []struct {
		only  string
		round int
		want  string
	}{{"", 1, "linux k42"}, {"", 2, "k42 linux"}, {"", 3, "linux k42"}, {"k42", 2, "k42"}, {"linux", 1, "linux"}} {
		if got := strings.Join(sides(tc.only, tc.round), " "); got != tc.want {
			t.Errorf("sides(%q, %d) = %q, want %q", tc.only, tc.round, got, tc.want)
		}
	}
}

func TestKernelCommandLine(t *testing.T) {
	for _, tc := range []struct {
		params, args []string
		want         string
	}{
		{nil, nil, "console=hvc0 quiet"},
		{[]string{"mitigations=off"}, nil, "console=hvc0 quiet mitigations=off"},
		{nil, []string{"-n", "5", "x=y"}, "console=hvc0 quiet -- -n 5 x=y"},
	} {
		got, err := kernelCommandLine(tc.params, tc.args)
		if err != nil || got != tc.want {
			t.Errorf("kernelCommandLine(%q, %q) = %q, %v; want %q", tc.params, tc.args, got, err, tc.want)
		}
	}
	if _, err := kernelCommandLine(nil, make([]string, maxInitArgs+1)); err == nil {
		t.Error("too many arguments accepted")
	}
}

func TestLinuxArgsUseTheRunnersMachine(t *testing.T) {
	args, err := linuxArgs(&linuxMachine{Kernel: "vmlinux", Initrd: "initrd.cpio", CPUs: 2, Memory: "512M", Args: []string{"-n", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := append(runner.MachineArgs(2, "512M"), "-kernel", "vmlinux", "-initrd", "initrd.cpio", "-append", "console=hvc0 quiet -- -n 1")
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("got  %q\nwant %q", args, want)
	}
	if !strings.Contains(strings.Join(args, " "), "-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -cpu power9") {
		t.Errorf("machine flags: %q", args)
	}
}

func TestKernelPackage(t *testing.T) {
	show := "Package: linux-image-powerpc64le\nSource: linux-signed-ppc64el (6.1.192+3)\nVersion: 6.1.192-3\n" +
		"Depends: linux-image-6.1.0-57-powerpc64le (= 6.1.192-3)\nDescription: Linux for 64-bit PowerPC POWER8+ (meta-package)\n"
	if got, err := kernelPackage(show); err != nil || got != "linux-image-6.1.0-57-powerpc64le" {
		t.Errorf("got %q, %v", got, err)
	}
	if got, err := kernelPackage("Depends: foo, linux-image-6.1.0-9-powerpc64le:ppc64el | bar\n"); err != nil || got != "linux-image-6.1.0-9-powerpc64le" {
		t.Errorf("with an architecture qualifier: %q, %v", got, err)
	}
	if _, err := kernelPackage("Package: x\n"); err == nil || !strings.Contains(err.Error(), "no Depends") {
		t.Errorf("no Depends: %v", err)
	}
	if _, err := kernelPackage("Depends: linux-image-powerpc64le-dbg\n"); err == nil {
		t.Error("a dependency that is not a versioned image accepted")
	}
}

// TestFetchUndoesTheArchitecture runs the fetch with fake apt commands:
// the architecture is added and removed again, and an architecture that
// was there before is left alone.
func TestFetchUndoesTheArchitecture(t *testing.T) {
	for _, before := range []string{"", "ppc64el\n"} {
		root := t.TempDir()
		var calls []string
		f := &fetcher{log: io.Discard}
		f.output = func(name string, args ...string) ([]byte, error) {
			calls = append(calls, name+" "+strings.Join(args, " "))
			if name == "dpkg" {
				return []byte(before), nil
			}
			return []byte("Depends: linux-image-6.1.0-57-powerpc64le (= 6.1.192-3)\n"), nil
		}
		f.run = func(dir, name string, args ...string) error {
			calls = append(calls, name+" "+strings.Join(args, " "))
			switch name {
			case "apt-get":
				if args[0] == "download" {
					return os.WriteFile(filepath.Join(dir, "k.deb"), nil, 0o644)
				}
			case "dpkg-deb":
				x := args[len(args)-1]
				os.MkdirAll(filepath.Join(x, "boot"), 0o755)
				fakeModules(t, x)
				return os.WriteFile(filepath.Join(x, "boot", "vmlinux-6.1.0-57-powerpc64le"), []byte("ELF"), 0o644)
			}
			return nil
		}
		p, err := f.fetch(root)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != "ELF" {
			t.Errorf("cached kernel %q", b)
		}
		if _, ok := cachedKernel(root); !ok {
			t.Error("cachedKernel does not see it")
		}
		if mods, ok := cachedModules(root); !ok || len(mods) != len(fakeModuleDeps) {
			t.Errorf("cached modules %q", mods)
		}
		got := strings.Join(calls, "\n")
		added := strings.Contains(got, "dpkg --add-architecture ppc64el")
		removed := strings.HasSuffix(got, "dpkg --remove-architecture ppc64el\napt-get update -qq")
		if before == "" && (!added || !removed) {
			t.Errorf("architecture not added and removed:\n%s", got)
		}
		if before != "" && (added || strings.Contains(got, "remove-architecture")) {
			t.Errorf("an architecture that was there was touched:\n%s", got)
		}
		if !strings.Contains(got, "apt-get download -q linux-image-6.1.0-57-powerpc64le:ppc64el") {
			t.Errorf("no download of the versioned package:\n%s", got)
		}
	}
}

func TestPackInitramfs(t *testing.T) {
	var buf bytes.Buffer
	if err := packInitramfs(&buf, []byte("INIT"), []byte("BENCH"), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.String()
	for _, name := range []string{"dev\x00", "dev/console\x00", "proc\x00", "sys\x00", "tmp\x00", "init\x00", "bench\x00", cpio.Trailer + "\x00"} {
		if !strings.Contains(b, name) {
			t.Errorf("no entry %q", name)
		}
	}
	if !strings.Contains(b, "INIT") || !strings.Contains(b, "BENCH") || len(b)%4 != 0 {
		t.Error("contents or alignment")
	}
}

func TestParseConsole(t *testing.T) {
	var res linuxResult
	parseConsole([]byte("[ 0.3] nvram: x\nlinux-init: running /bench -n 1, 2.04 s after boot\n{}\n\nlinux-init: exit status 3\n[ 6.0] reboot: Power down\n"), &res)
	if !res.Reported || res.Status != 3 || res.InitAt != "2.04" {
		t.Errorf("%+v", res)
	}
}

// TestBootLinux boots the cached kernel with the benchmark at its
// smallest. It needs the kernel that go run ./benchmarks/linux -fetch
// downloads, and QEMU.
func TestBootLinux(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU; skipped with -short")
	}
	root, err := runner.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	kernel, ok := cachedKernel(root)
	if !ok {
		t.Skipf("no cached Linux kernel at %s (go run ./benchmarks/linux -fetch downloads it)", kernel)
	}
	if _, err := os.Stat("/usr/bin/qemu-system-ppc64"); err != nil {
		t.Skip("qemu-system-ppc64 not installed (make qemu installs it)")
	}
	dir := t.TempDir()
	initrd := filepath.Join(dir, "initrd.cpio")
	var log bytes.Buffer
	if err := buildInitramfs(root, filepath.Join(root, defaultApp), initrd, nil, &log); err != nil {
		t.Fatal(err, log.String())
	}
	res, err := bootLinux(&linuxMachine{Kernel: kernel, Initrd: initrd, CPUs: 1, Memory: "512M", Timeout: 2 * time.Minute,
		Args: []string{"-batches", "3", "-batch", "10", "-pingpongs", "50", "-calib", "1000", "-reps", "1"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Output)
	}
	if res.Status != 0 {
		t.Fatalf("status %d\n%s", res.Status, res.Output)
	}
	recs, err := scanRecords(res.Output, "Linux")
	if err != nil || len(recs) != 5 || recs[0].Workload != "getpid" || recs[0].GOARCH != "ppc64le" {
		t.Fatalf("records %+v, %v\n%s", recs, err, res.Output)
	}
}

// TestRunK42 runs the benchmark at its smallest as k42's program.
func TestRunK42(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU; skipped with -short")
	}
	if _, err := os.Stat("/usr/bin/qemu-system-ppc64"); err != nil {
		t.Skip("qemu-system-ppc64 not installed (make qemu installs it)")
	}
	root, err := runner.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	c := &config{smp: 1, mem: "512M", timeout: 2 * time.Minute, app: filepath.Join(root, defaultApp),
		args: []string{"-batches", "3", "-batch", "10", "-pingpongs", "50", "-calib", "1000", "-reps", "1"}}
	k, err := prepareK42(root, c, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	recs, err := k.boot()
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(recs) != 5 || recs[0].Workload != "getpid" || recs[0].GOARCH != "ppc64" {
		t.Fatalf("records %+v\n%s", recs, log.String())
	}
}

// A fresh clone takes the kernel from the user-level cache: a kernel and
// its modules saved from one module tree are restored into another, and
// K42_LINUX_CACHE=off turns the cache off.
func TestUserCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(userCacheEnv, cache)
	a, b := t.TempDir(), t.TempDir()
	dir := filepath.Join(a, cacheDir)
	files := map[string]string{
		vmlinuxName:                              "ELF",
		kernelNote:                               "linux-image",
		filepath.Join(modulesName, modulesOrder): "virtio_blk\n",
		filepath.Join(modulesName, "virtio_blk.ko"): "ko",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saveUserCache(a, io.Discard)
	if !restoreUserCache(b, io.Discard) {
		t.Fatal("nothing restored")
	}
	if p, ok := cachedKernel(b); !ok {
		t.Error("no kernel after the restore")
	} else if got, _ := os.ReadFile(p); string(got) != "ELF" {
		t.Errorf("kernel %q", got)
	}
	if mods, ok := cachedModules(b); !ok || len(mods) != 1 {
		t.Errorf("modules %v %v", mods, ok)
	}
	t.Setenv(userCacheEnv, "off")
	if restoreUserCache(t.TempDir(), io.Discard) {
		t.Error("restored with the cache off")
	}
}
