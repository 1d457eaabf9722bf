package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k42/qemu/runner"
	"k42/qemu/runner/cpio"
)

// The -test mode runs a package's real test binary (go test -c) under
// Linux as k42's -test runs it: in the package's source directory, which
// the initramfs holds at the same absolute path as on the host, testdata
// included. The binary is /bin/NAME (NAME is PKG.test, as go test names
// it) and os.Args[0] is NAME, as on k42, whose root file system puts the
// program at /bin/NAME too. The environment is empty unless -env adds to
// it, as on k42; -fs adds host trees, as bin/k42 -fs does. /etc holds the
// passwd, group and hostname files of k42's root file system
// (fs/rootfs) and nothing else; /tmp is a tmpfs; the loopback interface
// is up. There is no shell and no other program, as on k42.
//
// Init (pid1) finds what to run in testConfigName; its console is the
// command's: the test binary's standard output and error, merged, go to
// the command's standard output, and the kernel's messages and init's own
// lines to its standard error.

// testConfigName is the file in the initramfs that tells init to run a
// test binary (pid1.TestConfig).
const testConfigName = "linux-init.json"

// startLine begins the line init prints before it starts the program
// (pid1.Running).
const startLine = "linux-init: running "

// testConfig is what init runs (pid1's testConfig has the same fields).
type testConfig struct {
	Path string   `json:"path"` // the program, an absolute path in the guest
	Args []string `json:"args"` // its os.Args, Args[0] included
	Dir  string   `json:"dir"`  // its working directory
	Env  []string `json:"env"`  // its whole environment
}

// etcFiles are the files of k42's /etc (fs/rootfs), so that a test that
// reads them finds the same on both kernels.
var etcFiles = []struct{ name, data string }{
	{"etc/hostname", "k42\n"},
	{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
	{"etc/group", "root:x:0:\n"},
}

// testDirs are the top directories of a test run's initramfs.
var testDirs = []struct {
	name string
	perm uint32
}{{"dev", 0o755}, {"proc", 0o755}, {"sys", 0o755}, {"tmp", 0o1777}, {"root", 0o700}, {"bin", 0o755}, {"etc", 0o755}}

// testPackage is a package's test binary built for the Linux guest.
type testPackage struct {
	ImportPath string
	Dir        string // its source directory; the tests run in it
	Name       string // PKG.test
	Binary     string // the binary on the host
}

// buildTestBinary builds go test -c of pkg (an import path, or a
// directory relative to root) for linux/ppc64le into work.
func buildTestBinary(root, pkg, work string, log io.Writer) (*testPackage, error) {
	p, err := runner.ListTest(root, pkg, linuxEnv)
	if err != nil {
		return nil, err
	}
	gowork := p.Workspace
	if err := checkGuestDir(p.Dir); err != nil {
		return nil, fmt.Errorf("-test %s: %w", pkg, err)
	}
	t := &testPackage{ImportPath: p.ImportPath, Dir: p.Dir, Name: filepath.Base(p.ImportPath) + ".test"}
	t.Binary = filepath.Join(work, t.Name)
	cmd := exec.Command("go", "test", "-c", "-o", t.Binary, p.ImportPath)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), linuxEnv...)
	cmd.Env = append(cmd.Env, "GOWORK="+gowork)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the tests of %s for linux/ppc64le: %w", p.ImportPath, err)
	}
	return t, nil
}

// checkGuestDir refuses a source directory the guest cannot hold where
// the host has it: under a directory init mounts over, or not absolute.
func checkGuestDir(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("source directory %q is not absolute", dir)
	}
	for _, m := range []string{"/dev", "/proc", "/sys", "/tmp"} {
		if dir == m || strings.HasPrefix(dir, m+"/") {
			return fmt.Errorf("source directory %s is under %s, which init mounts over in the guest", dir, m)
		}
	}
	return nil
}

// buildTestInitramfs builds pid1 and the test binary of pkg and packs
// them, the package's source tree, the trees extra and the run's
// configuration as an initramfs at out.
func buildTestInitramfs(root, pkg string, flags, env []string, extra []runner.Tree, out string, log io.Writer) (*testPackage, error) {
	work := filepath.Join(root, cacheDir)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(work, "stage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	t, err := buildTestBinary(root, pkg, dir, log)
	if err != nil {
		return nil, err
	}
	for _, tr := range extra {
		if err := checkGuestDir(tr.Guest); err != nil {
			return nil, fmt.Errorf("-fs %s: %w", tr.Host, err)
		}
	}
	initBin := filepath.Join(dir, "init")
	if err := buildLinux(root, "./benchmarks/linux/pid1", initBin, log); err != nil {
		return nil, err
	}
	initData, err := os.ReadFile(initBin)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(t.Binary)
	if err != nil {
		return nil, err
	}
	// env, then what k42 gives every program by default unless env set
	// it, in k42's order.
	cfg := testConfig{Path: "/bin/" + t.Name, Args: append([]string{t.Name}, flags...), Dir: t.Dir, Env: append([]string{}, env...)}
	for _, d := range []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "TMPDIR=/tmp"} {
		key, _, _ := strings.Cut(d, "=")
		if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, key+"=") }) {
			cfg.Env = append(cfg.Env, d)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	// The same host files as bin/k42 -test ships (runner.TestTrees).
	trees := append(runner.TestTrees(t.Dir), extra...)
	err = packTestInitramfs(f, initData, bin, trees, cfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return t, err
}

// packTestInitramfs writes the initramfs of a test run: what
// packInitramfs's benchmark archive has but /bench, then /bin/NAME, /etc's
// files, the host trees (the package's source directory first) with
// their parent directories, and the configuration init reads.
func packTestInitramfs(w io.Writer, initProgram, binary []byte, trees []runner.Tree, cfg testConfig) error {
	a := &archive{w: cpio.NewWriter(w), dirs: map[string]bool{}}
	for _, d := range testDirs {
		if err := a.dir(d.name, d.perm); err != nil {
			return err
		}
	}
	if err := a.w.AddCharDevice("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := a.w.AddFile("init", 0o755, initProgram); err != nil {
		return err
	}
	if err := a.w.AddFile(strings.TrimPrefix(cfg.Path, "/"), 0o755, binary); err != nil {
		return err
	}
	for _, f := range etcFiles {
		if err := a.w.AddFile(f.name, 0o644, []byte(f.data)); err != nil {
			return err
		}
	}
	for _, t := range trees {
		if err := a.tree(t.Host, t.Guest); err != nil {
			return err
		}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := a.w.AddFile(testConfigName, 0o644, b); err != nil {
		return err
	}
	return a.w.Close()
}

// archive writes an initramfs in which every directory comes once and
// before what it holds, since Linux's unpacker makes no parents.
type archive struct {
	w    *cpio.Writer
	dirs map[string]bool // directories written, without the leading slash
}

func (a *archive) dir(name string, perm uint32) error {
	return a.dirHeader(&cpio.Header{Name: name, Mode: cpio.TypeDir | perm})
}

func (a *archive) dirHeader(h *cpio.Header) error {
	if a.dirs[h.Name] {
		return nil
	}
	a.dirs[h.Name] = true
	return a.w.WriteHeader(h)
}

// tree writes the host tree at host (a file or directory) into the
// archive at guest, an absolute path: first guest's parent directories,
// then the tree's directories, regular files and symbolic links with
// their permissions and modification times. Other kinds of file are
// skipped.
func (a *archive) tree(host, guest string) error {
	var parents []string
	for p := path.Dir(guest); p != "/" && p != "."; p = path.Dir(p) {
		parents = append([]string{strings.TrimPrefix(p, "/")}, parents...)
	}
	for _, p := range parents {
		if err := a.dir(p, 0o755); err != nil {
			return err
		}
	}
	return filepath.Walk(host, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(host, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Join(guest, filepath.ToSlash(rel)), "/")
		h := &cpio.Header{Name: name, Mode: uint32(fi.Mode().Perm()), ModTime: fi.ModTime()}
		if fi.Mode()&os.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		var data []byte
		switch {
		case fi.IsDir():
			h.Mode |= cpio.TypeDir
			return a.dirHeader(h)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Mode, data = cpio.TypeSymlink|0o777, []byte(target)
		case fi.Mode().IsRegular():
			if data, err = os.ReadFile(p); err != nil {
				return err
			}
			h.Mode |= cpio.TypeReg
		default:
			return nil
		}
		h.Size = int64(len(data))
		if err := a.w.WriteHeader(h); err != nil {
			return err
		}
		_, err = a.w.Write(data)
		return err
	})
}

// testConsole passes on the console of a test run: the lines between
// init's "linux-init: running" line and its exit-status marker, which are
// the test binary's output, to out, and everything else (the kernel's
// messages, init's lines) to log. The empty line init prints before the
// marker is dropped. bootLinux writes it one whole line at a time.
type testConsole struct {
	out, log io.Writer
	state    int  // 0 before the test, 1 during, 2 after
	empty    bool // an empty line held back: it may precede the marker
}

func (c *testConsole) Write(p []byte) (int, error) {
	line := string(p)
	switch c.state {
	case 0:
		c.log.Write(p)
		if strings.HasPrefix(line, startLine) {
			c.state = 1
		}
	case 1:
		if markerRe.MatchString(strings.TrimRight(line, "\n")) {
			c.empty = false
			c.state = 2
			c.log.Write(p)
			break
		}
		if c.empty {
			c.out.Write([]byte{'\n'})
			c.empty = false
		}
		if line == "\n" {
			c.empty = true
			break
		}
		c.out.Write(p)
	default:
		c.log.Write(p)
	}
	return len(p), nil
}

// runTest is the -test mode: it builds the initramfs for c.test, boots
// Linux with it and returns the test binary's exit status (the runner's
// statuses when it has none: 124 when Linux did not finish in time, 125
// when QEMU ended without init's status line).
func runTest(root string, c *config, stdout, stderr io.Writer) (int, error) {
	kernel := c.kernel
	if kernel == "" {
		var err error
		if kernel, err = fetchKernel(root, stderr); err != nil {
			return runner.StatusUsage, err
		}
	}
	t0 := time.Now()
	initrd := filepath.Join(root, cacheDir, "test-"+strings.ReplaceAll(c.test, "/", "_")+".cpio")
	t, err := buildTestInitramfs(root, c.test, c.args, c.env, c.trees, initrd, stderr)
	if err != nil {
		return runner.StatusUsage, err
	}
	fmt.Fprintf(stderr, "linux: %s built and packed in %.1f s\n", t.Name, time.Since(t0).Seconds())
	t0 = time.Now()
	con := &testConsole{out: stdout, log: stderr}
	res, err := bootLinux(&linuxMachine{Kernel: kernel, Initrd: initrd, CPUs: c.smp, Memory: c.mem,
		Timeout: c.timeout, Params: c.params, Console: con})
	fmt.Fprintf(stderr, "linux: Linux booted, ran %s and powered off in %.1f s (init started %s s after boot)\n",
		t.Name, time.Since(t0).Seconds(), res.InitAt)
	switch {
	case res.TimedOut:
		fmt.Fprintln(stderr, "linux:", err)
		return runner.StatusTimeout, nil
	case errors.Is(err, errNoStatus):
		fmt.Fprintln(stderr, "linux:", err)
		return runner.StatusNoReport, nil
	case err != nil:
		return runner.StatusUsage, err
	}
	return res.Status, nil
}
