package kernel

// ldisc is the console's line discipline (a cooked terminal): input bytes
// are collected into a line with echo and erase, and a read returns only
// completed lines. ^D on an empty line is end of file; ^C drops the line.
// A line holds at most maxLine bytes: further bytes are dropped, but the
// newline that ends it is always taken, so the next line is a line of
// its own (the reader sees an over-long line and can refuse it). It
// holds no pointers and allocates nothing.
type ldisc struct {
	line  [maxLine + 1]byte // the line being typed, and its newline
	n     int
	ready [2 * (maxLine + 1)]byte // completed input not yet read
	rn    int
	eof   bool // a ^D arrived at the start of a line
}

// maxLine bounds a typed line, as Linux's N_TTY does.
const maxLine = 4096

// room reports whether the ready buffer can take another whole line; the
// console stops taking input from the terminal until it can, so no
// completed line is ever cut.
func (l *ldisc) room() bool { return l.rn+len(l.line) <= len(l.ready) }

// input takes one typed byte and appends what the terminal should echo to
// echo, returning the new length.
func (l *ldisc) input(b byte, echo *[64]byte, en int) int {
	put := func(s string) {
		for i := 0; i < len(s) && en < len(echo); i++ {
			echo[en] = s[i]
			en++
		}
	}
	switch b {
	case '\r', '\n':
		put("\r\n")
		l.commit(true)
	case 0x7f, 0x08: // DEL, backspace
		if l.n > 0 {
			l.n--
			put("\b \b")
		}
	case 0x03: // ^C
		put("^C\r\n")
		l.n = 0
	case 0x04: // ^D
		if l.n == 0 {
			l.eof = true
		} else {
			l.commit(false)
		}
	case 0x15: // ^U: erase the line
		for ; l.n > 0; l.n-- {
			put("\b \b")
		}
	default:
		if b < 0x20 && b != '\t' {
			return en
		}
		if l.n < maxLine {
			l.line[l.n] = b
			l.n++
			if en < len(echo) {
				echo[en] = b
				en++
			}
		}
	}
	return en
}

// commit moves the typed line, with a newline if nl, to the ready buffer.
func (l *ldisc) commit(nl bool) {
	if nl && l.n < len(l.line) {
		l.line[l.n] = '\n'
		l.n++
	}
	k := copy(l.ready[l.rn:], l.line[:l.n])
	l.rn += k
	l.n = 0
}

// readable reports whether a read would return now (data or EOF).
func (l *ldisc) readable() bool { return l.rn > 0 || l.eof }

// read copies ready input to dst. At end of file it returns 0 once and
// the terminal reads again afterwards.
func (l *ldisc) read(dst []byte) int {
	if l.rn == 0 {
		l.eof = false
		return 0
	}
	k := copy(dst, l.ready[:l.rn])
	copy(l.ready[:], l.ready[k:l.rn])
	l.rn -= k
	return k
}
