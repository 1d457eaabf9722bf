package kernel

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func typeInto(l *ldisc, s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		var e [64]byte
		n := l.input(s[i], &e, 0)
		out = append(out, e[:n]...)
	}
	return string(out)
}

func TestLineDisciplineCooksInput(t *testing.T) {
	var l ldisc
	echo := typeInto(&l, "infx\x7fo")
	require.Equal(t, "infx\b \bo", echo)
	require.False(t, l.readable(), "no line until Enter")
	typeInto(&l, "\r")
	require.True(t, l.readable())
	buf := make([]byte, 3)
	require.Equal(t, 3, l.read(buf))
	require.Equal(t, "inf", string(buf))
	require.Equal(t, 2, l.read(buf))
	require.Equal(t, "o\n", string(buf[:2]))
}

func TestLineDisciplineControlKeys(t *testing.T) {
	var l ldisc
	typeInto(&l, "junk\x03help\n")
	buf := make([]byte, 64)
	n := l.read(buf)
	require.Equal(t, "help\n", string(buf[:n]), "^C drops the line")
	typeInto(&l, "\x04")
	require.True(t, l.readable())
	require.Equal(t, 0, l.read(buf), "^D on an empty line is EOF")
	require.False(t, l.readable(), "EOF is reported once")
	typeInto(&l, "ab\x04")
	require.Equal(t, 2, l.read(buf), "^D mid-line sends the line without a newline")
}

func TestLineDisciplineLongLines(t *testing.T) {
	var l ldisc
	long := strings.Repeat("x", 70000)
	typeInto(&l, long+"\nhalt 3\n")
	buf := make([]byte, maxLine+1)
	n := l.read(buf)
	require.Equal(t, maxLine+1, n, "the line is cut at maxLine, its newline kept")
	require.Equal(t, strings.Repeat("x", maxLine)+"\n", string(buf[:n]))
	n = l.read(buf)
	require.Equal(t, "halt 3\n", string(buf[:n]), "the next line is a line of its own")
}

func TestLineDisciplineHoldsInputWhenFull(t *testing.T) {
	var l ldisc
	for l.room() {
		typeInto(&l, strings.Repeat("y", 100)+"\n")
	}
	require.LessOrEqual(t, l.rn+maxLine+1, len(l.ready)+maxLine+1)
	before := l.rn
	buf := make([]byte, 1000)
	l.read(buf)
	require.True(t, l.room(), "reading makes room again")
	require.Less(t, l.rn, before)
}
