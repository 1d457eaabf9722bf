package kernel

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// words splits src as the kernel does, or returns the error's text.
func words(src string, nul bool) ([]string, string) {
	s := wordSource{src: []byte(src), nul: nul}
	dst := make([]byte, 1024)
	var out []string
	for {
		n, ok, err := s.next(dst)
		if err.failed() {
			return out, err.what
		}
		if !ok {
			return out, ""
		}
		out = append(out, string(dst[:n]))
	}
}

func TestCommandLineWords(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
		err  string
	}{
		{"  test   -v ", []string{"test", "-v"}, ""},
		{`echo 'hello world' "it's"`, []string{"echo", "hello world", "it's"}, ""},
		{`a ''`, []string{"a", ""}, ""},
		{"", nil, ""},
		{`both'"'"'"`, []string{`both"'`}, ""},
		{`a\ b c\"d 'e\f'`, []string{"a b", `c"d`, `e\f`}, ""},
		{"tab\there", []string{"tab", "here"}, ""},
		{`"unterminated`, nil, "the kernel command line has an unterminated quote"},
		{`ends\`, nil, "the kernel command line ends in a backslash"},
		{"\xc3\xa9t\xc3\xa9", []string{"été"}, ""},
	} {
		got, err := words(tc.line, false)
		require.Equal(t, tc.err, err, "%q", tc.line)
		if tc.err == "" {
			require.Equal(t, tc.want, got, "%q", tc.line)
		}
	}
}

func TestInitrdWordsAreLossless(t *testing.T) {
	in := []string{"a b", "\t", "", "quote'\"both", "\xff\x01\n", "last"}
	got, err := words(strings.Join(in, "\x00")+"\x00", true)
	require.Empty(t, err)
	require.Equal(t, in, got)
	got, _ = words("no-final-nul", true)
	require.Equal(t, []string{"no-final-nul"}, got)
	_, err = words(strings.Repeat("x", 2000), true)
	require.Contains(t, err, "limit")
}

func TestClassifyKernelOptions(t *testing.T) {
	for _, tc := range []struct {
		word       string
		kind, skip int
		err        string
	}{
		{"plain", wordArg, 0, ""},
		{"k42.argv0=prog", wordArgv0, 10, ""},
		{"k42.env.FOO=bar=baz", wordEnv, 8, ""},
		{"k42.env.FOO=", wordEnv, 8, ""},
		{"k42.env.FOO", 0, 0, "k42.env.KEY=VALUE"},
		{"k42.env.=x", 0, 0, "k42.env.KEY=VALUE"},
		{"k42.pagecache=64M", wordOption, 0, ""},
		{"k42.", 0, 0, "needs a name"},
		{"k42.=x", 0, 0, "needs a name"},
		{"k42", wordArg, 0, ""},
	} {
		kind, skip, err := classify([]byte(tc.word))
		if tc.err != "" {
			require.True(t, err.failed(), tc.word)
			require.Contains(t, err.what, tc.err, tc.word)
			require.Equal(t, tc.word, string(err.word))
			continue
		}
		require.False(t, err.failed(), "%s: %s", tc.word, err.what)
		require.Equal(t, tc.kind, kind, tc.word)
		require.Equal(t, tc.skip, skip, tc.word)
	}
}
