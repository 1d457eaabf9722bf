package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The Linux kernel is Debian's ppc64el build, cached in the module's build
// area so that only the first run downloads it.
const (
	cacheDir    = ".build/linux"
	vmlinuxName = "vmlinux"     // the kernel, an ELF QEMU loads with -kernel
	kernelNote  = "vmlinux.txt" // which package it came from
	modulesName = "modules"     // the modules the disks need (see keepModules)
	foreignArch = "ppc64el"
	metaPackage = "linux-image-powerpc64le:" + foreignArch
)

// cachedKernel is the cached vmlinux's path, if it is there.
func cachedKernel(root string) (string, bool) {
	p := filepath.Join(root, cacheDir, vmlinuxName)
	st, err := os.Stat(p)
	return p, err == nil && st.Mode().IsRegular() && st.Size() > 0
}

// privileged returns the command prefix that runs a command as root:
// none when already root, sudo otherwise.
func privileged() ([]string, error) {
	if os.Geteuid() == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath("sudo"); err != nil {
		return nil, errors.New("fetching the kernel changes apt's architectures, which needs root: run as root or install sudo")
	}
	return []string{"sudo"}, nil
}

// fetcher runs the apt commands of a kernel download.
type fetcher struct {
	log  io.Writer
	sudo []string
	// run runs a command, its output to log; output runs it and returns
	// its standard output. Tests replace both.
	run    func(dir string, name string, args ...string) error
	output func(name string, args ...string) ([]byte, error)
}

func newFetcher(log io.Writer) (*fetcher, error) {
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found: fetching Debian's ppc64el kernel needs a Debian host with apt (or put a ppc64le vmlinux at %s/%s yourself)", tool, cacheDir, vmlinuxName)
		}
	}
	sudo, err := privileged()
	if err != nil {
		return nil, err
	}
	f := &fetcher{log: log, sudo: sudo}
	f.run = func(dir, name string, args ...string) error {
		fmt.Fprintf(log, "linux: %s %s\n", name, strings.Join(args, " "))
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
	f.output = func(name string, args ...string) ([]byte, error) {
		var stderr bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	return f, nil
}

func (f *fetcher) root(name string, args ...string) error {
	if len(f.sudo) > 0 {
		return f.run("", f.sudo[0], append(append(f.sudo[1:], name), args...)...)
	}
	return f.run("", name, args...)
}

// fetchKernel returns the cached vmlinux, downloading it first if it is
// not there: it adds the ppc64el architecture to dpkg, updates apt's
// lists, finds the versioned kernel package the metapackage depends on,
// downloads it (installing nothing), unpacks it, keeps boot/vmlinux-*
// and the modules the disks need (keepModules), and then removes the
// architecture again (if it was not there before) so that the host is
// left as it was.
func fetchKernel(root string, log io.Writer) (string, error) {
	if p, ok := cachedKernel(root); ok {
		return p, nil
	}
	if restoreUserCache(root, log) {
		if p, ok := cachedKernel(root); ok {
			return p, nil
		}
	}
	f, err := newFetcher(log)
	if err != nil {
		return "", err
	}
	p, err := f.fetch(root)
	if err == nil {
		saveUserCache(root, log)
	}
	return p, err
}

func (f *fetcher) fetch(root string) (path string, err error) {
	fmt.Fprintf(f.log, "linux: fetching Debian's %s kernel (once; cached in %s)\n", foreignArch, cacheDir)
	archs, err := f.output("dpkg", "--print-foreign-architectures")
	if err != nil {
		return "", err
	}
	if !hasWord(string(archs), foreignArch) {
		if err := f.root("dpkg", "--add-architecture", foreignArch); err != nil {
			return "", err
		}
		defer func() {
			err1 := f.root("dpkg", "--remove-architecture", foreignArch)
			err2 := f.root("apt-get", "update", "-qq")
			if err == nil {
				err = errors.Join(err1, err2)
			}
		}()
	}
	if err := f.root("apt-get", "update", "-qq"); err != nil {
		return "", err
	}
	show, err := f.output("apt-cache", "show", "--no-all-versions", metaPackage)
	if err != nil {
		return "", err
	}
	pkg, err := kernelPackage(string(show))
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "k42-linux-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := f.run(tmp, "apt-get", "download", "-q", pkg+":"+foreignArch); err != nil {
		return "", err
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s left %d .deb files", pkg, len(debs))
	}
	x := filepath.Join(tmp, "x")
	if err := f.run(tmp, "dpkg-deb", "-x", debs[0], x); err != nil {
		return "", err
	}
	found, _ := filepath.Glob(filepath.Join(x, "boot", "vmlinux-*"))
	if len(found) != 1 {
		return "", fmt.Errorf("%s holds %d boot/vmlinux-* files, want 1", filepath.Base(debs[0]), len(found))
	}
	dir := filepath.Join(root, cacheDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	mods, err := keepModules(x, filepath.Join(dir, modulesName))
	if err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Base(debs[0]), err)
	}
	fmt.Fprintf(f.log, "linux: kept the modules %s\n", strings.Join(mods, " "))
	path = filepath.Join(dir, vmlinuxName)
	if err := copyFile(found[0], path+".tmp"); err != nil {
		return "", err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", err
	}
	note := fmt.Sprintf("%s from %s (%s)\n", filepath.Base(found[0]), filepath.Base(debs[0]), pkg)
	if err := os.WriteFile(filepath.Join(dir, kernelNote), []byte(note), 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(f.log, "linux: cached %s", note)
	return path, nil
}

// kernelPackageRe matches a versioned kernel image package name.
var kernelPackageRe = regexp.MustCompile(`^linux-image-[0-9][0-9a-z.+~-]*-powerpc64le$`)

// kernelPackage finds, in apt-cache show's record of the metapackage, the
// versioned kernel image package it depends on.
func kernelPackage(show string) (string, error) {
	for _, line := range strings.Split(show, "\n") {
		deps, ok := strings.CutPrefix(line, "Depends:")
		if !ok {
			continue
		}
		for _, dep := range strings.Split(deps, ",") {
			for _, alt := range strings.Split(dep, "|") {
				name, _, _ := strings.Cut(strings.TrimSpace(alt), " ")
				name, _, _ = strings.Cut(name, ":")
				if kernelPackageRe.MatchString(name) {
					return name, nil
				}
			}
		}
		return "", fmt.Errorf("%s depends on no linux-image-VERSION-powerpc64le package: %q", metaPackage, strings.TrimSpace(deps))
	}
	return "", fmt.Errorf("apt-cache show %s: no Depends field (is the %s architecture's package list there?)", metaPackage, foreignArch)
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
