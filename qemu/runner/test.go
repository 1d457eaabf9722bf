package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"k42/qemu/runner/image"
)

// TestBuild is a package's test binary linked with the kernel.
type TestBuild struct {
	ImportPath string // the package
	Dir        string // its source directory (the tests run in it)
	Name       string // the binary's name, PKG.test as go test names it
	Image, ELF string
	// Trees are what the tests need of the host's files, at the same
	// paths (TestTrees).
	Trees []Tree
}

// maxContextFile bounds the size of one file TestTrees ships for context.
const maxContextFile = 1 << 20

// TestTrees are the host files a package's tests find on the machine
// where go test runs them: the package's directory with its testdata,
// the regular files of its parent directory and its testdata (tests read
// "../x" and "../testdata/x"), and,
// for any package, the Go installation's VERSION, go.env and time-zone
// database (lib/time/zoneinfo.zip, where time.LoadLocation looks when
// the system has none). Each goes at its own absolute path.
func TestTrees(dir string) []Tree {
	trees := []Tree{{Host: dir, Guest: dir}}
	if ents, err := os.ReadDir(filepath.Dir(dir)); err == nil {
		for _, e := range ents {
			p := filepath.Join(filepath.Dir(dir), e.Name())
			fi, err := e.Info()
			switch {
			case err != nil:
			case fi.Mode().IsRegular() && fi.Size() <= maxContextFile:
				trees = append(trees, Tree{Host: p, Guest: p})
			case fi.IsDir() && e.Name() == "testdata" && p != dir:
				trees = append(trees, Tree{Host: p, Guest: p}) // ../testdata (net's tests read it)
			}
		}
	}
	goroot := runtime.GOROOT()
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		goroot = strings.TrimSpace(string(out))
	}
	for _, f := range []string{"VERSION", "go.env", "lib/time/zoneinfo.zip"} {
		p := filepath.Join(goroot, f)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			trees = append(trees, Tree{Host: p, Guest: p})
		}
	}
	return trees
}

// TestWorkspace returns the GOWORK value under which the tests of pkg
// build: "off" for an import path or a directory of the k42 module, or,
// for a directory inside a module of its own (a go.mod at or above it),
// a workspace file (under root's .build) that uses both that module and
// k42, so that its tests build with their own dependencies and can still
// link the kernel. A directory in no module is refused: tests need the
// module that names their package.
func TestWorkspace(root, pkg string) (string, error) {
	fi, err := os.Stat(pkg)
	if err != nil || !fi.IsDir() || !(filepath.IsAbs(pkg) || strings.HasPrefix(pkg, ".")) {
		return "off", nil // an import path (or a go list error to come)
	}
	dir, err := filepath.Abs(pkg)
	if err != nil {
		return "", err
	}
	mod := findModule(dir)
	switch mod {
	case root:
		return "off", nil
	case "":
		return "", fmt.Errorf("-test %s: the directory is in no module (no go.mod at or above it): go mod init one", pkg)
	}
	sum := sha256.Sum256([]byte(mod))
	ws := filepath.Join(root, ".build", "test", "ws-"+hex.EncodeToString(sum[:4]))
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(ws, "go.work")
	return p, os.WriteFile(p, []byte("go 1.26.0\n\nuse (\n\t"+root+"\n\t"+mod+"\n)\n"), 0o644)
}

// TestPackage is a package whose tests are to be built, as go list
// describes it.
type TestPackage struct {
	Dir, ImportPath, Name string
	// Workspace is the GOWORK value its build needs (TestWorkspace).
	Workspace string
}

// ListTest describes the package whose tests -test builds, pkg (an
// import path, or a directory) for the target environment env (GOOS,
// GOARCH, ...): one error naming pkg if go list fails, the package has
// an error, or it has no test files.
func ListTest(root, pkg string, env []string) (*TestPackage, error) {
	gowork, err := TestWorkspace(root, pkg)
	if err != nil {
		return nil, err
	}
	list := exec.Command("go", "list", "-e", "-json", pkg)
	list.Dir = root
	list.Env = append(append(os.Environ(), env...), "GOWORK="+gowork)
	var out, errb bytes.Buffer
	list.Stdout, list.Stderr = &out, &errb
	if err := list.Run(); err != nil {
		return nil, fmt.Errorf("-test %s: %v\n%s", pkg, err, errb.String())
	}
	var p struct {
		Dir, ImportPath, Name     string
		TestGoFiles, XTestGoFiles []string
		Error                     *struct{ Err string }
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return nil, err
	}
	if p.Error != nil {
		return nil, fmt.Errorf("-test %s: %s", pkg, p.Error.Err)
	}
	if len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
		return nil, fmt.Errorf("-test %s: the package has no test files", pkg)
	}
	return &TestPackage{Dir: p.Dir, ImportPath: p.ImportPath, Name: p.Name, Workspace: gowork}, nil
}

// BuildTest builds the tests of pkg (an import path, a standard-library
// package or one of this module's, or a directory) as the kernel's
// program. It is go test -c's own binary, the package's test files and
// go test's generated main, with the kernel linked in: a build overlay
// adds to the package's external test package one file that imports
// k42/boot. (A standard-library package cannot import this module, but
// its tests are built in this module's context, so they can.)
func BuildTest(root, pkg string, log io.Writer) (*TestBuild, error) {
	p, err := ListTest(root, pkg, buildEnv)
	if err != nil {
		return nil, err
	}
	gowork := p.Workspace
	b := &TestBuild{ImportPath: p.ImportPath, Dir: p.Dir, Name: filepath.Base(p.ImportPath) + ".test"}
	work := filepath.Join(root, ".build", "test", strings.ReplaceAll(p.ImportPath, "/", "_"))
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	glue := filepath.Join(work, "glue_test.go")
	src := "// Added by the k42 runner: links the tests with the kernel.\n\npackage " + p.Name + "_test\n\nimport _ \"k42/boot\"\n"
	if err := os.WriteFile(glue, []byte(src), 0o644); err != nil {
		return nil, err
	}
	ov, err := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(p.Dir, "zz_k42_boot_test.go"): glue}})
	if err != nil {
		return nil, err
	}
	ovPath := filepath.Join(work, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		return nil, err
	}
	b.ELF = filepath.Join(work, b.Name+".elf")
	b.Image = filepath.Join(work, b.Name+".img")
	args := append([]string{"test", "-c", "-overlay", ovPath, "-o", b.ELF}, buildFlags...)
	args = append(args, p.ImportPath)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), buildEnv...)
	cmd.Env = append(cmd.Env, "GOWORK="+gowork)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the tests of %s: %w", p.ImportPath, err)
	}
	if _, err := image.Make(b.ELF, b.Image); err != nil {
		return nil, err
	}
	b.Trees = TestTrees(b.Dir)
	return b, nil
}
