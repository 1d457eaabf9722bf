// Package runner builds kernel images and boots them under QEMU: the
// library behind the qemu command, the boot tests and the host-side
// benchmarks.
package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"k42/qemu/runner/image"
)

// Kernel build settings: the stock toolchain, big-endian ppc64 Linux ABI,
// no cgo, text linked at 0x401000 (the header page at 0x400000, which
// QEMU with kernel-addr=0 loads at the link address). -checklinkname=0
// lets the kernel's assembly name runtime symbols (_rt0_ppc64_linux,
// runtime.end).
var (
	buildEnv   = []string{"GOOS=linux", "GOARCH=ppc64", "CGO_ENABLED=0"}
	buildFlags = []string{"-ldflags=-T 0x401000 -checklinkname=0"}
)

// ModuleRoot finds the k42 module's root directory: from the working
// directory upwards, or else from the running executable's (the runner
// binary lives in the module's bin/).
func ModuleRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(exe))
		}
	}
	for _, dir := range starts {
		for {
			if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module k42\n") {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("not inside the k42 module (no go.mod with 'module k42' above the working directory or the runner binary)")
}

// KernelImageFor returns the kernel image (main package and name) the
// runner boots for bootargs when no app is given: the test image
// (kernel/k42test: the in-kernel suite and benchmarks, which link the
// testing package) when the first argument that is not a kernel option
// is test or bench, and otherwise the default image (kernel/k42), which
// links no test code.
func KernelImageFor(bootargs []string) (pkg, name string) {
	for _, w := range bootargs {
		if strings.HasPrefix(w, "k42.") {
			continue
		}
		if w == "test" || w == "bench" {
			return "./kernel/k42test", "k42test"
		}
		break
	}
	return "./kernel/k42", "k42"
}

// BuildKernel builds the Go main package pkg (an import path or ./dir
// inside the module) into a bootable image and returns the image and ELF
// paths.
func BuildKernel(root, pkg, name string, log io.Writer) (img, elf string, err error) {
	out := filepath.Join(root, ".build")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", "", err
	}
	elf = filepath.Join(out, name+".elf")
	img = filepath.Join(out, name+".img")
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", elf, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), buildEnv...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("building %s: %w", pkg, err)
	}
	if _, err := image.Make(elf, img); err != nil {
		return "", "", err
	}
	return img, elf, nil
}

// App is a Go main package, written for Linux, prepared to be linked with
// the kernel as its program: the runner adds one file that imports
// k42/boot, through a build overlay, so the user's files are compiled
// where they are and every diagnostic names them.
type App struct {
	Name string // short name: os.Args[0] and the image's name

	dir     string   // the package's directory, absolute
	targets []string // what go build is given: the directory, or the file
	gowork  string   // workspace file, or "" to build inside the k42 module
	overlay string   // overlay file
}

// PrepareApp checks the Go main package at path (a directory, or one .go
// file) and prepares its build. Errors name the user's own path:
//
//   - a package that is not package main;
//   - without a go.mod of its own, an import from outside the standard
//     library (the runner will not add requirements to any go.mod);
//
// An app directory inside a module of its own (a go.mod at or above it)
// is built with that module's dependencies, in a workspace beside k42.
func PrepareApp(root, path string) (*App, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	a := &App{}
	var files []string
	if st.IsDir() {
		a.dir = abs
		matches, _ := filepath.Glob(filepath.Join(abs, "*.go"))
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				files = append(files, m)
			}
		}
		a.Name = filepath.Base(abs)
		a.targets = []string{path}
		if !strings.HasPrefix(path, ".") && !filepath.IsAbs(path) {
			a.targets = []string{"./" + path} // a directory, not an import path
		}
	} else {
		if !strings.HasSuffix(path, ".go") {
			return nil, fmt.Errorf("%s: not a .go file or a directory", path)
		}
		a.dir = filepath.Dir(abs)
		files = []string{abs}
		a.Name = strings.TrimSuffix(filepath.Base(abs), ".go")
		a.targets = []string{path, filepath.Join(filepath.Dir(path), glueName)}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Go files", path)
	}
	modRoot := findModule(a.dir)
	own := modRoot != "" && modRoot != root
	var foreign []string
	for _, f := range files {
		pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			return nil, fmt.Errorf("%s", rel(err.Error()))
		}
		if pf.Name.Name != "main" {
			return nil, fmt.Errorf("%s: package %s is not a main package: an app must be package main", rel(f), pf.Name.Name)
		}
		for _, imp := range pf.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") && !own {
				foreign = append(foreign, fmt.Sprintf("%s imports %s", rel(f), p))
			}
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("%s, which is not in the standard library: an app that needs other modules must have a go.mod of its own (go mod init; go get), and is then built with its own dependencies", strings.Join(foreign, "; "))
	}
	if modRoot == root {
		// Built from the module root: name the targets absolutely.
		a.targets = []string{a.dir}
		if !st.IsDir() {
			a.targets = []string{abs, filepath.Join(a.dir, glueName)}
		}
	}
	if err := a.writeBuildFiles(root, modRoot, own); err != nil {
		return nil, err
	}
	return a, nil
}

// glueName is the file the overlay adds to the app's package.
const glueName = "zz_k42_boot.go"

const glue = "// Added by the k42 runner: links the program with the kernel.\n\npackage main\n\nimport _ \"k42/boot\"\n"

// writeBuildFiles writes the overlay (the glue file, and a go.mod for an
// app in no module) and, outside the k42 module, the workspace file.
func (a *App) writeBuildFiles(root, modRoot string, own bool) error {
	sum := sha256.Sum256([]byte(a.dir + "\x00" + a.Name))
	dir := filepath.Join(root, ".build", "app", a.Name+"-"+hex.EncodeToString(sum[:4]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name, content string) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, []byte(content), 0o644)
	}
	gluePath, err := write("glue.go", glue)
	if err != nil {
		return err
	}
	replace := map[string]string{filepath.Join(a.dir, glueName): gluePath}
	switch {
	case modRoot == root:
		// A package of the k42 module itself: no workspace needed.
	case own:
		if a.gowork, err = write("go.work", "go 1.26.0\n\nuse (\n\t"+root+"\n\t"+modRoot+"\n)\n"); err != nil {
			return err
		}
	default:
		// No module: the app directory becomes a module of its own,
		// for this build only.
		mod, err := write("go.mod", "module "+moduleName(a.Name)+"\n\ngo 1.26.0\n")
		if err != nil {
			return err
		}
		replace[filepath.Join(a.dir, "go.mod")] = mod
		if a.gowork, err = write("go.work", "go 1.26.0\n\nuse (\n\t"+root+"\n\t"+a.dir+"\n)\n"); err != nil {
			return err
		}
	}
	b, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return err
	}
	a.overlay, err = write("overlay.json", string(b))
	return err
}

// Build links the app with the kernel into a bootable image. The go
// command runs in the caller's working directory, so diagnostics name
// files as the user does.
func (a *App) Build(root string, log io.Writer) (img, elf string, err error) {
	out := filepath.Join(root, ".build")
	elf = filepath.Join(out, a.Name+".elf")
	img = filepath.Join(out, a.Name+".img")
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-overlay", a.overlay, "-o", elf)
	args = append(args, a.targets...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), buildEnv...)
	if a.gowork != "" {
		cmd.Env = append(cmd.Env, "GOWORK="+a.gowork)
	} else {
		cmd.Env = append(cmd.Env, "GOWORK=off")
		cmd.Dir = root // a package of the k42 module: build in it
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("building %s: %w", strings.Join(a.targets[:1], " "), err)
	}
	if _, err := image.Make(elf, img); err != nil {
		return "", "", err
	}
	return img, elf, nil
}

// findModule returns the directory of the nearest go.mod at or above dir.
func findModule(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// moduleName makes a module path from an app name.
func moduleName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "k42app"
	}
	return "k42app/" + b.String()
}

// rel shortens absolute paths under the working directory in s.
func rel(s string) string {
	if wd, err := os.Getwd(); err == nil {
		s = strings.ReplaceAll(s, wd+string(filepath.Separator), "")
	}
	return s
}
