package kernel

// Boot-argument parsing, done before the runtime starts (no allocation).

// maxArgs bounds the words of the boot arguments.
const maxArgs = 64

// splitArgs splits src at spaces into words, honouring single and double
// quotes, and writes each word NUL-terminated into dst. It returns the
// offset of each word in dst and the number of words. Words that do not
// fit are dropped.
func splitArgs(src, dst []byte, offs *[maxArgs]int) int {
	n, w := 0, 0
	i := 0
	for i < len(src) && n < maxArgs {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n') {
			i++
		}
		if i >= len(src) {
			break
		}
		start := w
		var quote byte
		for i < len(src) {
			ch := src[i]
			if quote == 0 && (ch == ' ' || ch == '\t' || ch == '\n') {
				break
			}
			i++
			switch {
			case quote == 0 && (ch == '\'' || ch == '"'):
				quote = ch
				continue
			case ch == quote:
				quote = 0
				continue
			}
			if w < len(dst)-1 {
				dst[w] = ch
				w++
			}
		}
		if w >= len(dst) {
			break
		}
		dst[w] = 0
		w++
		offs[n] = start
		n++
	}
	return n
}

// cstring returns the NUL-terminated word at dst[off:].
func cstring(dst []byte, off int) []byte {
	end := off
	for end < len(dst) && dst[end] != 0 {
		end++
	}
	return dst[off:end]
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
