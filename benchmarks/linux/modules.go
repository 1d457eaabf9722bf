package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Debian's ppc64el kernel builds the drivers of the disks as loadable
// modules (CONFIG_VIRTIO_PCI=m, CONFIG_VIRTIO_BLK=m, CONFIG_EXT4_FS=m
// in its boot/config-*), so the fetch keeps them, from the same .deb as
// the kernel, in .build/linux/modules: NAME.ko each, uncompressed, and
// the file order, their names one a line in the order init loads them
// (each after the modules it depends on). The .deb has no modules.dep
// (depmod writes it at installation), so the order comes from each
// module's own .modinfo section (depends=).

// diskModules are the modules the disks need: the virtio PCI transport,
// the block driver, ext4, and the crc32c that ext4 and jbd2 ask the
// crypto API for (their softdep "crypto-crc32c"), which no depends=
// names. Their dependencies come along.
var diskModules = []string{"virtio_pci", "virtio_blk", "ext4", "crc32c_generic"}

// modulesOrder is the file, in the modules folder, that lists them.
const modulesOrder = "order"

// cachedModules returns the cached modules in load order, as paths, if
// they are there.
func cachedModules(root string) ([]string, bool) {
	dir := filepath.Join(root, cacheDir, modulesName)
	b, err := os.ReadFile(filepath.Join(dir, modulesOrder))
	if err != nil {
		return nil, false
	}
	var paths []string
	for _, name := range strings.Fields(string(b)) {
		p := filepath.Join(dir, name+".ko")
		if _, err := os.Stat(p); err != nil {
			return nil, false
		}
		paths = append(paths, p)
	}
	return paths, len(paths) > 0
}

// fetchModules returns the cached modules in load order, fetching the
// kernel package again when they are missing (a cache from before the
// fetch kept them), which refreshes the kernel as well.
func fetchModules(root string, log io.Writer) ([]string, error) {
	if paths, ok := cachedModules(root); ok {
		return paths, nil
	}
	if restoreUserCache(root, log) {
		if paths, ok := cachedModules(root); ok {
			return paths, nil
		}
	}
	fmt.Fprintln(log, "linux: the cached kernel has no modules for the disks: fetching the kernel package again")
	f, err := newFetcher(log)
	if err != nil {
		return nil, err
	}
	if _, err := f.fetch(root); err != nil {
		return nil, err
	}
	paths, ok := cachedModules(root)
	if !ok {
		return nil, errors.New("the fetch kept no modules")
	}
	saveUserCache(root, log)
	return paths, nil
}

// moduleSuffixes are the module file endings Debian's packages use:
// uncompressed up to bookworm, compressed later.
var moduleSuffixes = []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"}

// keepModules copies diskModules and their dependencies from the
// unpacked package at x (lib/modules/VERSION/kernel/...) into dir,
// decompressed, with the order file, and returns their names in load
// order. dir is replaced whole.
func keepModules(x, dir string) ([]string, error) {
	versions, _ := filepath.Glob(filepath.Join(x, "lib", "modules", "*", "kernel"))
	if len(versions) != 1 {
		return nil, fmt.Errorf("%d lib/modules/VERSION/kernel directories, want 1", len(versions))
	}
	files := map[string]string{} // module name -> file
	err := filepath.WalkDir(versions[0], func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, suffix := range moduleSuffixes {
			if base, ok := strings.CutSuffix(d.Name(), suffix); ok {
				files[moduleName(base)] = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m := &moduleSet{files: files, data: map[string][]byte{}, state: map[string]int{}}
	for _, name := range diskModules {
		if err := m.add(name, nil); err != nil {
			return nil, err
		}
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	for _, name := range m.order {
		if err := os.WriteFile(filepath.Join(tmp, name+".ko"), m.data[name], 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, modulesOrder), []byte(strings.Join(m.order, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	return m.order, os.Rename(tmp, dir)
}

// moduleName is the kernel's name for a module file's base name: dashes
// are underscores.
func moduleName(base string) string { return strings.ReplaceAll(base, "-", "_") }

// moduleSet orders modules after their dependencies.
type moduleSet struct {
	files map[string]string
	data  map[string][]byte
	state map[string]int // 1 while its dependencies are added, 2 when done
	order []string
}

func (m *moduleSet) add(name string, path []string) error {
	switch m.state[name] {
	case 1:
		return fmt.Errorf("modules depend on each other in a cycle: %s", strings.Join(append(path, name), " -> "))
	case 2:
		return nil
	}
	file, ok := m.files[name]
	if !ok {
		if len(path) == 0 {
			return fmt.Errorf("no module %s in the package (is it built in?)", name)
		}
		return fmt.Errorf("no module %s, which %s depends on", name, path[len(path)-1])
	}
	b, err := readModule(file)
	if err != nil {
		return err
	}
	info, err := modinfo(b)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(file), err)
	}
	m.state[name] = 1
	for _, dep := range strings.Split(info["depends"], ",") {
		if dep = strings.TrimSpace(dep); dep != "" {
			if err := m.add(moduleName(dep), append(path, name)); err != nil {
				return err
			}
		}
	}
	m.state[name] = 2
	m.data[name] = b
	m.order = append(m.order, name)
	return nil
}

// readModule reads a module file, decompressing it: the kernel might not
// (CONFIG_MODULE_DECOMPRESS), so init loads plain ELF only. gzip is the
// standard library's; xz and zstd are the host's xz and zstd commands
// (Debian's xz-utils and zstd), as the module has no Go decompressor of
// either among its dependencies.
func readModule(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".ko.gz"):
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return io.ReadAll(r)
	case strings.HasSuffix(path, ".ko.xz"):
		return decompress(path, b, "xz", "xz-utils")
	case strings.HasSuffix(path, ".ko.zst"):
		return decompress(path, b, "zstd", "zstd")
	}
	return b, nil
}

func decompress(path string, b []byte, tool, pkg string) ([]byte, error) {
	if _, err := exec.LookPath(tool); err != nil {
		return nil, fmt.Errorf("%s is compressed and %s is not installed (apt-get install %s)", filepath.Base(path), tool, pkg)
	}
	cmd := exec.Command(tool, "-dc")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s -dc %s: %v: %s", tool, filepath.Base(path), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// modinfo returns the KEY=VALUE strings of a module's .modinfo section
// (the last of a repeated key).
func modinfo(ko []byte) (map[string]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section: not a kernel module")
	}
	b, err := sec.Data()
	if err != nil {
		return nil, err
	}
	info := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			info[k] = v
		}
	}
	return info, nil
}
