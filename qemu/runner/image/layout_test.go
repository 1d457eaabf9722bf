package image

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"k42/kernel"
)

// TestRuntimeLayoutFromDWARF: the offsets the kernel's P hand-over needs
// are found in a real ppc64 binary's DWARF, and they are plausible.
func TestRuntimeLayoutFromDWARF(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=ppc64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := runtimeLayout(f)
	if err != nil {
		t.Fatalf("runtimeLayout: %v", err)
	}
	if w[kernel.RLMagic] != kernel.RuntimeLayoutMagic || w[kernel.RLFilled] != 1 {
		t.Fatalf("marker words %#x %d", w[kernel.RLMagic], w[kernel.RLFilled])
	}
	align := map[int]uint64{kernel.RLGM: 8, kernel.RLGStatus: 4, kernel.RLMP: 8, kernel.RLMOldP: 8, kernel.RLPM: 8, kernel.RLPStatus: 4}
	for i, a := range align {
		if w[i]%a != 0 || w[i] > 4096 {
			t.Errorf("%v at offset %d: not %d-aligned or implausibly far", kernel.RuntimeLayoutFields[i-kernel.RLGM], w[i], a)
		}
	}
	if w[kernel.RLMP] == w[kernel.RLMOldP] || w[kernel.RLPM] == w[kernel.RLPStatus] {
		t.Errorf("two fields at one offset: %v", w)
	}
}

// TestRuntimeStatusValues: the runtime status values the hand-over
// relies on are the toolchain's.
func TestRuntimeStatusValues(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "runtime", "runtime2.go"))
	if err != nil {
		t.Skipf("no runtime source: %v", err)
	}
	src := string(b)
	// iota blocks: _Gidle = iota, then one name per line.
	iotaValue := func(first, name string) int {
		i := strings.Index(src, first+" = iota")
		if i < 0 {
			t.Fatalf("%s = iota not found", first)
		}
		n := 0
		for _, line := range strings.Split(src[i:], "\n")[1:] {
			f := strings.Fields(line)
			if len(f) == 0 || strings.HasPrefix(f[0], "//") {
				continue
			}
			if f[0] == ")" {
				break
			}
			n++
			if f[0] == name {
				return n
			}
		}
		t.Fatalf("%s not found after %s", name, first)
		return -1
	}
	if v := iotaValue("_Gidle", "_Gsyscall"); v != kernel.RuntimeGsyscall {
		t.Errorf("_Gsyscall is %d, the kernel has %d", v, kernel.RuntimeGsyscall)
	}
	if v := iotaValue("_Pidle", "_Prunning"); v != kernel.RuntimePrunning {
		t.Errorf("_Prunning is %d, the kernel has %d", v, kernel.RuntimePrunning)
	}
	if m := regexp.MustCompile(`_Gscan\s*=\s*0x1000\b`).FindString(src); m == "" || kernel.RuntimeGscan != 0x1000 {
		t.Errorf("_Gscan is not 0x1000 in the runtime, or the kernel's %#x differs", kernel.RuntimeGscan)
	}
}
