package sdet

import (
	"bytes"
	"fmt"
	"strconv"
)

// DiffStat is what Diff found: lines of the first file deleted, lines
// of the second inserted, in how many hunks (runs of changed lines).
type DiffStat struct {
	Deleted, Inserted, Hunks int
}

// Same reports whether the files had the same lines.
func (d DiffStat) Same() bool { return d.Hunks == 0 }

// Diff compares the lines of the files at a and b, writes the
// differences to the terminal in diff's normal format (1a2, 3d2, 4,5c4
// followed by "< " and "> " lines), and returns their count. The edit
// script is a shortest one (Myers' O((n+m)·d) algorithm, after the
// common head and tail are set aside) when the files differ in at most
// maxDiff lines; beyond that, the differing middle is reported as one
// change.
func (sh *Shell) Diff(a, b string) (DiffStat, error) {
	da, _, err := sh.readFile(a)
	if err != nil {
		return DiffStat{}, err
	}
	db, _, err := sh.readFile(b)
	if err != nil {
		return DiffStat{}, err
	}
	la, _ := splitLines(da)
	lb, _ := splitLines(db)
	var out bytes.Buffer
	st := writeDiff(&out, la, lb, lineDiff(la, lb))
	_, err = sh.out().Write(out.Bytes())
	return st, err
}

// maxDiff bounds the edit distance Myers' search goes to (its trace
// takes about maxDiff² words).
const maxDiff = 500

// The steps of an edit script from a to b.
const (
	opEqual  = '='
	opDelete = '-'
	opInsert = '+'
)

// lineDiff returns an edit script that turns a into b, a step a line.
func lineDiff(a, b []string) []byte {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	ma, mb := a[head:len(a)-tail], b[head:len(b)-tail]
	script := make([]byte, 0, len(a)+len(b))
	for range head {
		script = append(script, opEqual)
	}
	mid, ok := myers(ma, mb)
	if !ok {
		mid = mid[:0]
		for range ma {
			mid = append(mid, opDelete)
		}
		for range mb {
			mid = append(mid, opInsert)
		}
	}
	script = append(script, mid...)
	for range tail {
		script = append(script, opEqual)
	}
	return script
}

// myers returns a shortest edit script from a to b, or false if it is
// longer than maxDiff.
func myers(a, b []string) ([]byte, bool) {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, true
	}
	bound := min(n+m, maxDiff)
	off := bound + 1
	v := make([]int, 2*bound+3)
	// trace[d] holds v[k] for k in [-(d-1), d-1] as it was before step d.
	var trace [][]int
	for d := 0; d <= bound; d++ {
		if d == 0 {
			trace = append(trace, nil)
		} else {
			trace = append(trace, append([]int(nil), v[off-(d-1):off+d]...))
		}
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m), true
			}
		}
	}
	return nil, false
}

// backtrack walks myers' trace from (n, m) back to (0, 0) and returns
// the script.
func backtrack(trace [][]int, n, m int) []byte {
	var rev []byte
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		get := func(k int) int { return trace[d][k+d-1] }
		k := x - y
		var pk int
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := get(pk)
		py := px - pk
		for x > px && y > py {
			rev = append(rev, opEqual)
			x--
			y--
		}
		if x == px {
			rev = append(rev, opInsert)
		} else {
			rev = append(rev, opDelete)
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		rev = append(rev, opEqual)
		x--
		y--
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// writeDiff writes script's hunks in diff's normal format and counts
// them.
func writeDiff(w *bytes.Buffer, a, b []string, script []byte) DiffStat {
	var st DiffStat
	i, j := 0, 0
	for s := 0; s < len(script); {
		if script[s] == opEqual {
			i, j, s = i+1, j+1, s+1
			continue
		}
		i1, j1 := i, j
		for ; s < len(script) && script[s] != opEqual; s++ {
			if script[s] == opDelete {
				i++
			} else {
				j++
			}
		}
		st.Hunks++
		st.Deleted += i - i1
		st.Inserted += j - j1
		switch {
		case i == i1:
			fmt.Fprintf(w, "%da%s\n", i1, lineRange(j1, j))
		case j == j1:
			fmt.Fprintf(w, "%sd%d\n", lineRange(i1, i), j1)
		default:
			fmt.Fprintf(w, "%sc%s\n", lineRange(i1, i), lineRange(j1, j))
		}
		for _, l := range a[i1:i] {
			w.WriteString("< ")
			w.WriteString(l)
			w.WriteByte('\n')
		}
		if i > i1 && j > j1 {
			w.WriteString("---\n")
		}
		for _, l := range b[j1:j] {
			w.WriteString("> ")
			w.WriteString(l)
			w.WriteByte('\n')
		}
	}
	return st
}

// lineRange is lines s+1 to e (numbered from 1) as diff writes them.
func lineRange(s, e int) string {
	if e-s == 1 {
		return strconv.Itoa(s + 1)
	}
	return strconv.Itoa(s+1) + "," + strconv.Itoa(e)
}
