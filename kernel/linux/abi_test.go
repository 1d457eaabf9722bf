package linux

import (
	"bufio"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestValuesMatchXSys checks every constant of the package that
// golang.org/x/sys/unix also defines for linux/ppc64 against its value.
func TestValuesMatchXSys(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Skipf("golang.org/x/sys not in the module cache: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "unix")
	want := map[string]int64{}
	re := regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]+)\s*=\s*(?:Errno\()?(-?0x[0-9a-f]+|-?\d+)\)?\s*$`)
	for _, f := range []string{"zerrors_linux.go", "zerrors_linux_ppc64.go", "zsysnum_linux_ppc64.go"} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := bufio.NewScanner(fh)
		for s.Scan() {
			if m := re.FindStringSubmatch(s.Text()); m != nil {
				v, err := strconv.ParseInt(m[2], 0, 64)
				if err == nil {
					want[m[1]] = v
				}
			}
		}
		fh.Close()
	}
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
	if _, err := (&types.Config{Importer: importer.Default()}).Check("linux", fset, files, info); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for id, obj := range info.Defs {
		c, ok := obj.(*types.Const)
		if !ok || !id.IsExported() {
			continue
		}
		w, ok := want[id.Name]
		if !ok || id.Name == "O_LARGEFILE" { // x/sys has the C library's 0 for 64-bit
			continue
		}
		got, exact := constant.Int64Val(constant.ToInt(c.Val()))
		if !exact {
			u, _ := constant.Uint64Val(constant.ToInt(c.Val()))
			got = int64(u)
		}
		if got != w {
			t.Errorf("%s = %#x, x/sys/unix has %#x", id.Name, got, w)
		}
		checked++
	}
	if checked < 150 {
		t.Fatalf("only %d constants were checked", checked)
	}
}
