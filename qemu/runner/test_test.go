package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTestWorkspace(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	for _, pkg := range []string{"os", "k42/fs", filepath.Join(root, "fs")} {
		ws, err := TestWorkspace(root, pkg)
		require.NoError(t, err, pkg)
		require.Equal(t, "off", ws, "%s builds in the k42 module", pkg)
	}

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module other\n\ngo 1.26\n"), 0o644))
	sub := filepath.Join(other, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	ws, err := TestWorkspace(root, sub)
	require.NoError(t, err)
	b, err := os.ReadFile(ws)
	require.NoError(t, err)
	require.Contains(t, string(b), "\t"+root+"\n", "the workspace uses k42")
	require.Contains(t, string(b), "\t"+other+"\n", "and the directory's own module")

	_, err = TestWorkspace(root, t.TempDir())
	require.ErrorContains(t, err, "in no module")
	require.True(t, strings.HasPrefix(ws, filepath.Join(root, ".build")), "the workspace file lives under .build")
}
