package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckedInCodeIsCurrent regenerates testcomp's interposers and
// compares them with the checked-in file: go generate must have been run.
func TestCheckedInCodeIsCurrent(t *testing.T) {
	dir := filepath.Join("..", "..", "testcomp")
	got, err := Generate(dir, []string{"Adder", "Counter", "Walker", "Node", "Sink"})
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(dir, "interposer_gen.go"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run go generate ./reconfig/...")
}

func TestRejectsWhatIsNotAComponentInterface(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte(`package x

type S struct{}
type G[T any] interface{ M(T) }
type C interface{ ~int }
type OK interface{ M() }
`), 0o644))
	for name, msg := range map[string]string{
		"S":    "is not a named interface type",
		"G":    "generic interfaces are not supported",
		"C":    "is a constraint",
		"None": "no type None",
	} {
		_, err := Generate(dir, []string{name})
		assert.ErrorContains(t, err, msg, name)
	}
}
