package sdet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Env is a root directory set up for SDET: the shared system tree, the
// template every home is cloned from, and the directory the homes are
// made in. It is only read once Setup returns, so any number of scripts
// may use it at once; one Run at a time, though, since Run's script i
// works in Home/<i>.
type Env struct {
	Root     string // the directory given to Setup
	System   string // Root/system: the shared read-only tree
	Template string // Root/template: the source tree homes are cloned from
	Home     string // Root/home: the scripts' homes are made in it
	Config   Config // Setup's configuration, defaults set

	// Dictionary is System/dict/words: a word a line, sorted.
	Dictionary string
	// Include is System/include, the system's header directory.
	Include string

	vocab []string // the dictionary words the trees' text is mostly made of
	tl    tmplLayout
	sl    sysLayout
	made  []string // what Close removes, in order
}

// tmplLayout is where things are in the template, relative to it.
type tmplLayout struct {
	mods     [][]string // a module's .c files; the module is their directory
	headers  []string   // include/*.h
	docs     []string   // doc/*.txt
	testDirs []string   // tests/<dir>
	misc     []string   // README, data/*.dat
	dirs     []string   // every directory
}

// sysLayout is where things are in the system tree, relative to it.
type sysLayout struct {
	headers []string // include/*.h, include/sys/*.h
	libs    []string // lib/<name>/*.c
	data    []string // share/<command>/*.dat
	dirs    []string // every directory
}

// Setup writes the system tree and the template under root (made if
// need be), deterministically from c.Seed, and makes root/home; it fails
// if any of the three already exists. Only c.Seed, c.SourceFiles and
// c.SystemFiles matter to it (c.Scripts need only be valid). Close
// removes what Setup made.
func Setup(root string, c Config) (*Env, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	e := &Env{
		Root:     root,
		System:   filepath.Join(root, "system"),
		Template: filepath.Join(root, "template"),
		Home:     filepath.Join(root, "home"),
		Config:   c,
	}
	e.Dictionary = filepath.Join(e.System, "dict", "words")
	e.Include = filepath.Join(e.System, "include")
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("sdet: setup: %w", err)
		}
		e.made = append(e.made, root)
	} else if err != nil {
		return nil, fmt.Errorf("sdet: setup: %w", err)
	}
	for _, p := range []string{e.System, e.Template, e.Home} {
		if _, err := os.Lstat(p); err == nil {
			e.Close()
			return nil, fmt.Errorf("sdet: setup: %s already exists (remove it, or set up in another directory)", p)
		}
	}
	err := e.generate()
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("sdet: setup: %w", err)
	}
	return e, nil
}

// Close removes what Setup made (and anything since made in the three
// trees): the system tree, the template, the homes, and root itself if
// Setup made it and it is now empty.
func (e *Env) Close() error {
	sh := NewShell(nil)
	var errs []error
	for i := len(e.made) - 1; i >= 0; i-- {
		p := e.made[i]
		if p == e.Root {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := sh.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	e.made = nil
	return errors.Join(errs...)
}

// generate writes the three trees.
func (e *Env) generate() error {
	g := newGen(e.Config.Seed)
	e.vocab = g.vocab
	w := &treeWriter{dirs: map[string]bool{}}

	// The system tree.
	w.root = e.System
	e.made = append(e.made, e.System)
	if err := w.mkdir(""); err != nil {
		return err
	}
	if err := w.file("dict/words", g.dictionary()); err != nil {
		return err
	}
	n := e.Config.SystemFiles - 1
	nh := max(3, n*25/100)
	nl := max(2, n*35/100)
	nd := n - nh - nl
	sl := &e.sl
	for i := range nh {
		dir := "include"
		if i%4 == 3 {
			dir = "include/sys"
		}
		sl.headers = append(sl.headers, w.name(dir, g.vocabWord(), ".h"))
	}
	for i, h := range sl.headers {
		var incl []string
		if i > 0 && g.r.IntN(3) == 0 {
			incl = append(incl, strings.TrimPrefix(sl.headers[g.r.IntN(i)], "include/"))
		}
		if err := w.file(h, g.header(h, nil, incl, g.size())); err != nil {
			return err
		}
	}
	libs := []string{"lib/c", "lib/m", "lib/" + g.vocabWord()}
	for i := range nl {
		p := w.name(libs[i%len(libs)], g.vocabWord(), ".c")
		sl.libs = append(sl.libs, p)
		if err := w.file(p, g.source(p, nil, g.pickSys(sl.headers, 1+g.r.IntN(3)), g.size())); err != nil {
			return err
		}
	}
	var cmds []string
	for range max(1, nd/15) {
		cmds = append(cmds, w.name("share", g.vocabWord(), ""))
	}
	for i := range nd {
		p := w.name(cmds[i%len(cmds)], g.vocabWord(), ".dat")
		sl.data = append(sl.data, p)
		if err := w.file(p, g.data(g.size())); err != nil {
			return err
		}
	}
	sl.dirs = w.dirList()

	// The template.
	w.root, w.dirs = e.Template, map[string]bool{}
	e.made = append(e.made, e.Template)
	if err := w.mkdir(""); err != nil {
		return err
	}
	s := e.Config.SourceFiles
	nc := max(8, s*40/100)
	nhh := max(2, s*10/100)
	ndoc := max(2, s*20/100)
	nt := max(4, s*20/100)
	nm := s - nc - nhh - ndoc - nt
	tl := &e.tl
	for range nhh {
		tl.headers = append(tl.headers, w.name("include", g.vocabWord(), ".h"))
	}
	for _, h := range tl.headers {
		var incl []string
		if g.r.IntN(2) == 0 {
			incl = g.pickSys(sl.headers, 1)
		}
		if err := w.file(h, g.header(h, nil, incl, g.size())); err != nil {
			return err
		}
	}
	tl.mods = make([][]string, max(1, (nc+15)/16))
	var modDirs []string
	for range tl.mods {
		modDirs = append(modDirs, w.name("src", g.vocabWord(), ""))
	}
	for i := range nc {
		m := i % len(tl.mods)
		p := w.name(modDirs[m], g.vocabWord(), ".c")
		tl.mods[m] = append(tl.mods[m], p)
		var local []string
		for _, j := range g.r.Perm(len(tl.headers))[:min(len(tl.headers), 1+g.r.IntN(3))] {
			local = append(local, strings.TrimPrefix(tl.headers[j], "include/"))
		}
		if err := w.file(p, g.source(p, local, g.pickSys(sl.headers, 1+g.r.IntN(2)), g.size())); err != nil {
			return err
		}
	}
	for range ndoc {
		p := w.name("doc", g.vocabWord(), ".txt")
		tl.docs = append(tl.docs, p)
		if err := w.file(p, g.doc(p, g.size())); err != nil {
			return err
		}
	}
	for range max(3, nt/6) {
		tl.testDirs = append(tl.testDirs, w.name("tests", g.vocabWord(), ""))
	}
	for i := range nt {
		p := w.name(tl.testDirs[i%len(tl.testDirs)], g.vocabWord(), ".t")
		if err := w.file(p, g.test(g.size())); err != nil {
			return err
		}
	}
	for i := range nm {
		p := "README"
		data := g.doc(p, g.size())
		if i > 0 {
			p = w.name("data", g.vocabWord(), ".dat")
			data = g.data(g.size())
		}
		tl.misc = append(tl.misc, p)
		if err := w.file(p, data); err != nil {
			return err
		}
	}
	tl.dirs = w.dirList()

	if err := os.Mkdir(e.Home, 0o755); err != nil {
		return err
	}
	e.made = append(e.made, e.Home)
	return nil
}

// treeWriter writes files under root, making their directories.
type treeWriter struct {
	root  string
	dirs  map[string]bool // made, relative to root
	names map[string]bool // taken, relative to root
}

func (w *treeWriter) mkdir(rel string) error {
	if w.dirs[rel] {
		return nil
	}
	if rel != "" {
		if err := w.mkdir(parentOf(rel)); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(w.root, filepath.FromSlash(rel)), 0o755); err != nil {
		return err
	}
	w.dirs[rel] = true
	return nil
}

func parentOf(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}

// name returns dir/base+ext, made unique in the tree with a number if
// need be; it makes dir.
func (w *treeWriter) name(dir, base, ext string) string {
	if w.names == nil {
		w.names = map[string]bool{}
	}
	p := dir + "/" + base + ext
	for i := 2; w.names[p] || w.dirs[p]; i++ {
		p = fmt.Sprintf("%s/%s%d%s", dir, base, i, ext)
	}
	w.names[p] = true
	return p
}

func (w *treeWriter) file(rel string, data []byte) error {
	if err := w.mkdir(parentOf(rel)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.root, filepath.FromSlash(rel)), data, 0o644)
}

// dirList returns the directories made, sorted, "" (the root) first.
func (w *treeWriter) dirList() []string {
	var ds []string
	for d := range w.dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	return ds
}

// gen makes the trees' text from one random source.
type gen struct {
	r      *rand.Rand
	dict   []string // sorted
	inDict map[string]bool
	vocab  []string // the words text is mostly made of
}

// dictBytes is about the size of the dictionary file.
const dictBytes = 200 << 10

var (
	onsets = []string{"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
		"ch", "sh", "th", "st", "tr", "pl", "br", "gr"}
	nuclei = []string{"a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ou", "ea", "io"}
	codas  = []string{"", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"}
)

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x5de7_0057)), inDict: map[string]bool{}}
	for total := 0; total < dictBytes; {
		w := g.word()
		if !g.inDict[w] {
			g.inDict[w] = true
			g.dict = append(g.dict, w)
			total += len(w) + 1
		}
	}
	sort.Strings(g.dict)
	taken := map[string]bool{}
	for len(g.vocab) < 400 {
		w := g.dict[g.r.IntN(len(g.dict))]
		if !taken[w] && len(w) >= 3 {
			taken[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	return g
}

// word returns a made-up word of one to four syllables.
func (g *gen) word() string {
	var b strings.Builder
	n := 1 + g.r.IntN(3)
	if g.r.IntN(4) == 0 {
		n++
	}
	for range n {
		b.WriteString(onsets[g.r.IntN(len(onsets))])
		b.WriteString(nuclei[g.r.IntN(len(nuclei))])
	}
	b.WriteString(codas[g.r.IntN(len(codas))])
	return b.String()
}

func (g *gen) dictionary() []byte {
	var b bytes.Buffer
	for _, w := range g.dict {
		b.WriteString(w)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// size returns a file size from about 100 B to 32 KiB, skewed small
// (100 B × 327.68^(u²), u uniform in [0, 1)): the median is about
// 430 B, the mean 3 KiB, one in eight is above 8 KiB.
func (g *gen) size() int {
	u := g.r.Float64()
	return int(100 * math.Pow(327.68, u*u))
}

// vocabWord returns a vocabulary word, the first ones most often.
func (g *gen) vocabWord() string {
	u := g.r.Float64()
	return g.vocab[int(u*u*float64(len(g.vocab)))]
}

// ident returns a C identifier made of one or two vocabulary words.
func (g *gen) ident() string {
	if g.r.IntN(3) == 0 {
		return g.vocabWord() + "_" + g.vocabWord()
	}
	return g.vocabWord()
}

// misspelled returns a vocabulary word with a letter changed, which is
// not in the dictionary.
func (g *gen) misspelled() string {
	for {
		b := []byte(g.vocabWord())
		b[g.r.IntN(len(b))] = "aeiouxyzq"[g.r.IntN(9)]
		if w := string(b); !g.inDict[w] {
			return w
		}
	}
}

func (g *gen) pickSys(headers []string, n int) []string {
	var out []string
	for _, j := range g.r.Perm(len(headers))[:min(n, len(headers))] {
		out = append(out, strings.TrimPrefix(headers[j], "include/"))
	}
	return out
}

// sentence returns n words (vocabulary mostly, dictionary sometimes,
// and one in about 80 misspelled), without punctuation.
func (g *gen) sentence(n int) string {
	ws := make([]string, n)
	for i := range ws {
		switch x := g.r.IntN(80); {
		case x == 0:
			ws[i] = g.misspelled()
		case x < 20:
			ws[i] = g.dict[g.r.IntN(len(g.dict))]
		default:
			ws[i] = g.vocabWord()
		}
	}
	return strings.Join(ws, " ")
}

func guard(path string) string {
	return "_" + strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		if 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, filepath.Base(path))
}

// header returns a C header of about size bytes that includes local
// ("name.h") and system (<name.h>) headers.
func (g *gen) header(path string, local, system []string, size int) []byte {
	var b bytes.Buffer
	gd := guard(path)
	fmt.Fprintf(&b, "#ifndef %s\n#define %s\n\n/* %s: %s. */\n\n", gd, gd, filepath.Base(path), g.sentence(4+g.r.IntN(6)))
	for _, h := range local {
		fmt.Fprintf(&b, "#include \"%s\"\n", h)
	}
	for _, h := range system {
		fmt.Fprintf(&b, "#include <%s>\n", h)
	}
	for b.Len() < size {
		switch g.r.IntN(4) {
		case 0, 1:
			fmt.Fprintf(&b, "#define %s\t%d\n", strings.ToUpper(g.ident()), g.r.IntN(4096))
		case 2:
			fmt.Fprintf(&b, "\nstruct %s {\n", g.ident())
			for range 1 + g.r.IntN(5) {
				fmt.Fprintf(&b, "\t%s %s;\n", g.ctype(), g.ident())
			}
			b.WriteString("};\n\n")
		default:
			fmt.Fprintf(&b, "extern %s %s(%s, %s);\n", g.ctype(), g.ident(), g.ctype(), g.ctype())
		}
	}
	fmt.Fprintf(&b, "\n#endif /* %s */\n", gd)
	return b.Bytes()
}

func (g *gen) ctype() string {
	return [...]string{"int", "long", "char *", "unsigned", "struct " + g.vocabWord() + " *", "size_t"}[g.r.IntN(6)]
}

// source returns a C source of about size bytes (at least a function)
// that includes local and system headers.
func (g *gen) source(path string, local, system []string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "/*\n * %s: %s.\n */\n\n", filepath.Base(path), g.sentence(5+g.r.IntN(8)))
	for _, h := range local {
		fmt.Fprintf(&b, "#include \"%s\"\n", h)
	}
	for _, h := range system {
		fmt.Fprintf(&b, "#include <%s>\n", h)
	}
	fmt.Fprintf(&b, "\nstatic int %s = %d;\n", g.ident(), g.r.IntN(100))
	for first := true; first || b.Len() < size; first = false {
		fmt.Fprintf(&b, "\n/* %s */\n%s\n%s(%s %s, %s %s)\n{\n", g.sentence(3+g.r.IntN(6)),
			g.ctype(), g.ident(), g.ctype(), g.vocabWord(), g.ctype(), g.vocabWord())
		fmt.Fprintf(&b, "\t%s %s = %d;\n\n", g.ctype(), g.vocabWord(), g.r.IntN(64))
		for n := 1 + g.r.IntN(12); n > 0 && b.Len() < size; n-- {
			b.WriteString(g.statement())
		}
		fmt.Fprintf(&b, "\treturn %s;\n}\n", g.vocabWord())
	}
	return b.Bytes()
}

// statement returns a line or few of C, tab-indented.
func (g *gen) statement() string {
	a, c, d := g.vocabWord(), g.ident(), g.vocabWord()
	switch g.r.IntN(6) {
	case 0:
		return fmt.Sprintf("\t%s = %s(%s, %d);\n", a, c, d, g.r.IntN(256))
	case 1:
		return fmt.Sprintf("\tif (%s > %s) {\n\t\t%s -= %s;\n\t}\n", a, strings.ToUpper(c), a, d)
	case 2:
		return fmt.Sprintf("\tfor (%s = 0; %s < %s; %s++)\n\t\t%s += %s[%s];\n", a, a, strings.ToUpper(c), a, d, c, a)
	case 3:
		return fmt.Sprintf("\t/* %s */\n", g.sentence(3+g.r.IntN(7)))
	case 4:
		return fmt.Sprintf("\t%s->%s = %s;\n", a, c, d)
	default:
		return fmt.Sprintf("\twhile (%s-- > 0)\n\t\t%s(%s);\n", a, c, d)
	}
}

// doc returns a document of about size bytes: a title and paragraphs
// of words, lines filled to 72 columns.
func (g *gen) doc(path string, size int) []byte {
	var b bytes.Buffer
	title := strings.ToUpper(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	fmt.Fprintf(&b, "%s\n%s\n\n", title, strings.Repeat("=", len(title)))
	col := 0
	for b.Len() < size {
		s := g.sentence(4 + g.r.IntN(14))
		s = strings.ToUpper(s[:1]) + s[1:] + "."
		for _, w := range strings.Fields(s) {
			if col > 0 && col+1+len(w) > 72 {
				b.WriteByte('\n')
				col = 0
			}
			if col > 0 {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += len(w)
		}
		if g.r.IntN(5) == 0 {
			b.WriteString("\n\n")
			col = 0
		}
	}
	if col > 0 {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// test returns test data of about size bytes: a case a line.
func (g *gen) test(size int) []byte {
	var b bytes.Buffer
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%d\t%s\t%s %s\t=> %d\n", i, g.ident(), g.vocabWord(), g.vocabWord(), g.r.IntN(10000))
	}
	return b.Bytes()
}

// data returns a command's data file of about size bytes: records of
// key, number and words.
func (g *gen) data(size int) []byte {
	var b bytes.Buffer
	for b.Len() < size {
		fmt.Fprintf(&b, "%s:%d:%s\n", g.dict[g.r.IntN(len(g.dict))], g.r.IntN(100000), g.sentence(1+g.r.IntN(5)))
	}
	return b.Bytes()
}
