package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k42/qemu/runner/cpio"
)

// linuxEnv builds Go programs for the Linux guest: static, little-endian
// ppc64.
var linuxEnv = []string{"GOOS=linux", "GOARCH=ppc64le", "CGO_ENABLED=0"}

// buildLinux builds the Go main package at pkg (a path, absolute or
// relative to root) for the Linux guest into out.
func buildLinux(root, pkg, out string, log io.Writer) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), linuxEnv...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s for linux/ppc64le: %w", pkg, err)
	}
	return nil
}

// buildInitramfs builds pid1 and the program at app (a directory or .go
// file) for the Linux guest and packs them as an initramfs at out, with
// the disks' set-up when disks is not nil. The program's sources are
// copied into the module's build area first.
func buildInitramfs(root, app, out string, disks *diskInit, log io.Writer) error {
	// A folder of its own inside the module: the sources must be in the
	// module to build with it, and runs may overlap.
	if err := os.MkdirAll(filepath.Join(root, cacheDir), 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(filepath.Join(root, cacheDir), "stage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "app")
	if err := stageApp(app, src); err != nil {
		return fmt.Errorf("-app: %w", err)
	}
	initBin, benchBin := filepath.Join(dir, "init"), filepath.Join(dir, "bench")
	if err := buildLinux(root, "./benchmarks/linux/pid1", initBin, log); err != nil {
		return err
	}
	if err := buildLinux(root, src, benchBin, log); err != nil {
		return err
	}
	initData, err := os.ReadFile(initBin)
	if err != nil {
		return err
	}
	benchData, err := os.ReadFile(benchBin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := packInitramfs(&buf, initData, benchData, disks); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// stageApp copies the Go main package at path (a directory's non-test
// .go files, or one .go file) to dir, inside the module, so that a
// program from anywhere builds with the module's toolchain settings, as
// the runner's StageApp does for k42.
func stageApp(path, dir string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	files := []string{path}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.go"))
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: no Go files", path)
	}
	return nil
}

// packInitramfs writes the initramfs: /init, /bench, the directories init
// mounts on, and /dev/console, which the kernel opens as init's standard
// input, output and error before devtmpfs is mounted over /dev; with
// disks, also /mnt, the kernel modules (in /lib/modules) and init's
// disk configuration (diskConfigName).
func packInitramfs(w io.Writer, initProgram, bench []byte, disks *diskInit) error {
	a := cpio.NewWriter(w)
	dirs := []string{"dev", "proc", "sys", "tmp", "root"}
	if disks != nil {
		dirs = append(dirs, "mnt", "lib", "lib/modules")
	}
	for _, d := range dirs {
		perm := uint32(0o755)
		if d == "tmp" {
			perm = 0o1777
		}
		if err := a.AddDir(d, perm); err != nil {
			return err
		}
	}
	if err := a.AddCharDevice("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := a.AddFile("init", 0o755, initProgram); err != nil {
		return err
	}
	if err := a.AddFile("bench", 0o755, bench); err != nil {
		return err
	}
	if disks != nil {
		for i, m := range disks.moduleData {
			if err := a.AddFile(strings.TrimPrefix(disks.Modules[i], "/"), 0o644, m); err != nil {
				return err
			}
		}
		b, err := json.Marshal(disks)
		if err != nil {
			return err
		}
		if err := a.AddFile(strings.TrimPrefix(diskConfigName, "/"), 0o644, b); err != nil {
			return err
		}
	}
	return a.Close()
}
