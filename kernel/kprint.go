package kernel

// Allocation-free formatting for the trap handler and early boot, where
// fmt cannot be used. A kbuf is a fixed line buffer on the caller's stack.

type kbuf struct {
	b [256]byte
	n int
}

func (k *kbuf) s(s string) *kbuf {
	for i := 0; i < len(s) && k.n < len(k.b); i++ {
		k.b[k.n] = s[i]
		k.n++
	}
	return k
}

// bs appends b, with bytes outside printable ASCII as \xNN.
func (k *kbuf) bs(b []byte) *kbuf {
	const hex = "0123456789abcdef"
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			k.c(c)
		} else {
			k.c('\\').c('x').c(hex[c>>4]).c(hex[c&15])
		}
	}
	return k
}

func (k *kbuf) c(c byte) *kbuf {
	if k.n < len(k.b) {
		k.b[k.n] = c
		k.n++
	}
	return k
}

// x appends v as 0x-prefixed hex with exactly digits digits (0: as needed).
func (k *kbuf) x(v uint64, digits int) *kbuf {
	const hex = "0123456789abcdef"
	var t [16]byte
	i := len(t)
	for v != 0 || i == len(t) || len(t)-i < digits {
		i--
		t[i] = hex[v&15]
		v >>= 4
		if i == 0 {
			break
		}
	}
	k.s("0x")
	for ; i < len(t); i++ {
		k.c(t[i])
	}
	return k
}

// d appends v in decimal.
func (k *kbuf) d(v int64) *kbuf {
	if v < 0 {
		k.c('-')
		if v == -v { // most negative
			return k.s("9223372036854775808")
		}
		v = -v
	}
	var t [20]byte
	i := len(t)
	for {
		i--
		t[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for ; i < len(t); i++ {
		k.c(t[i])
	}
	return k
}

func (k *kbuf) bytes() []byte { return k.b[:k.n] }
