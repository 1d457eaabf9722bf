package kernel

import "k42/kernel/initrd"

// Boot arguments, parsed before the runtime starts (no allocation).
//
// The words come from the initial RAM archive's argument member when
// there is one (the runner always makes one: every word followed by a
// NUL, so any byte but NUL survives), and otherwise from the kernel
// command line (/chosen/bootargs, QEMU's -append), split at blanks with
// sh-like quoting: '...' takes everything literally, "..." and bare
// words take a backslash to escape the next byte.
//
// Words of the form k42.NAME[=VALUE] are kernel options: k42.argv0=NAME
// sets os.Args[0], k42.env.KEY=VALUE adds to the environment, and the
// others are kept for the subsystems that define them (BootOptions).
// The remaining words become os.Args[1:].

// Limits, the same for both sources (initrd.MaxArgs, MaxArgBytes).
const (
	maxArgs     = initrd.MaxArgs
	maxArgBytes = initrd.MaxArgBytes
)

// argError is why the boot arguments were refused; the boot stops with
// its message. It is a value, never a pointer: nothing here may reach
// the heap, which does not exist yet. The zero value is no error.
type argError struct {
	what string
	word []byte // the offending word, if any
}

func (e argError) failed() bool { return e.what != "" }

// wordSource yields the boot-argument words one at a time.
type wordSource struct {
	src []byte
	pos int
	nul bool // NUL-separated words (the initrd); otherwise a command line
}

// next copies the next word into dst and returns its length; ok is false
// at the end. A word longer than dst is an error.
func (s *wordSource) next(dst []byte) (n int, ok bool, err argError) {
	if s.nul {
		if s.pos >= len(s.src) {
			return 0, false, argError{}
		}
		start := s.pos
		for s.pos < len(s.src) && s.src[s.pos] != 0 {
			s.pos++
		}
		w := s.src[start:s.pos]
		s.pos++ // the NUL (a missing final NUL ends the word too)
		if len(w) > len(dst) {
			return 0, false, argError{what: "the boot arguments exceed the kernel's limit of 256 KiB"}
		}
		return copy(dst, w), true, argError{}
	}
	for s.pos < len(s.src) && blank(s.src[s.pos]) {
		s.pos++
	}
	if s.pos >= len(s.src) {
		return 0, false, argError{}
	}
	var quote byte
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if quote == 0 && blank(c) {
			break
		}
		s.pos++
		switch {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
			continue
		case c == quote:
			quote = 0
			continue
		case c == '\\' && quote != '\'':
			if s.pos >= len(s.src) {
				return 0, false, argError{what: "the kernel command line ends in a backslash"}
			}
			c = s.src[s.pos]
			s.pos++
		}
		if n >= len(dst) {
			return 0, false, argError{what: "the boot arguments exceed the kernel's limit of 256 KiB"}
		}
		dst[n] = c
		n++
	}
	if quote != 0 {
		return 0, false, argError{what: "the kernel command line has an unterminated quote"}
	}
	return n, true, argError{}
}

func blank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Kinds of boot-argument words.
const (
	wordArg    = iota // a program argument
	wordArgv0         // k42.argv0=NAME
	wordEnv           // k42.env.KEY=VALUE
	wordOption        // any other k42.NAME[=VALUE]
)

// classify returns the kind of word w and, for argv0 and env words, the
// offset of the value the program sees. A malformed option is an error.
func classify(w []byte) (kind, skip int, err argError) {
	switch {
	case hasPrefix(w, "k42.argv0="):
		return wordArgv0, len("k42.argv0="), argError{}
	case hasPrefix(w, "k42.env."):
		kv := w[len("k42.env."):]
		eq := indexByte(kv, '=')
		if eq <= 0 {
			return 0, 0, argError{what: "a kernel option k42.env. must be k42.env.KEY=VALUE with a non-empty KEY", word: w}
		}
		return wordEnv, len("k42.env."), argError{}
	case hasPrefix(w, "k42."):
		if len(w) == len("k42.") || w[len("k42.")] == '=' {
			return 0, 0, argError{what: "a kernel option needs a name after k42.", word: w}
		}
		return wordOption, 0, argError{}
	}
	return wordArg, 0, argError{}
}

// hasPrefix reports whether b starts with s.
func hasPrefix(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}
