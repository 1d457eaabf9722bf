package results

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ReportCommand is the command that regenerates RESULTS.md; every
// generated section names it.
const ReportCommand = "go run ./benchmarks/cmd/report"

// Section is one generated part of RESULTS.md: the Markdown between its
// markers.
type Section struct {
	Name  string // the experiment
	Title string // heading used when the section is first added
	Body  string
}

// Begin and End are a section's markers in RESULTS.md. Everything between
// them is replaced by Splice; everything outside them is left as it is.
func Begin(name string) string { return "<!-- BEGIN results:" + name + " -->" }
func End(name string) string   { return "<!-- END results:" + name + " -->" }

// titles are the headings of known experiments' sections.
var titles = map[string]string{
	"syscall":  "Linux on the same QEMU: system calls (k42 against Linux)",
	"kernel":   "In-kernel benchmarks: traps, threads, SMP, memory, reconfiguration",
	"boot":     "Boot time",
	"files":    "Linux on the same QEMU: files (k42's forwarded calls against Linux's tmpfs)",
	"fcm":      "In-kernel benchmarks: file cache managers and the page cache",
	"sessions": "Linux on the same QEMU: file sessions (k42's client-side and shared sessions against Linux's tmpfs)",
}

// Reference and compared configurations: when a run has both, the report
// shows their ratio (Compared / Reference).
const (
	Reference = "linux"
	Compared  = "k42"
)

// Calibration is the workload whose ratio is shown beside every other
// ratio of its run: plain code, no system calls, so it says how much of a
// ratio is code generation (big-endian ppc64 against ppc64le) rather than
// the kernel.
const Calibration = "calibration"

// run is the records of one run, in first-appearance order.
type run struct {
	id      string
	recs    []Record
	configs []string
	keys    []key
	value   map[key]map[string][]float64 // one value per round
	rounds  int
}

type key struct{ workload, metric, unit string }

func groupRuns(recs []Record) map[string][]*run {
	byID := map[string]*run{}
	exps := map[string][]*run{}
	for _, r := range recs {
		id := r.Experiment + "\x00" + r.Run
		g := byID[id]
		if g == nil {
			g = &run{id: r.Run, value: map[key]map[string][]float64{}}
			byID[id] = g
			exps[r.Experiment] = append(exps[r.Experiment], g)
		}
		g.recs = append(g.recs, r)
		k := key{r.Workload, r.Metric, r.Unit}
		if g.value[k] == nil {
			g.value[k] = map[string][]float64{}
			g.keys = append(g.keys, k)
		}
		if !contains(g.configs, r.Config) {
			g.configs = append(g.configs, r.Config)
		}
		g.value[k][r.Config] = append(g.value[k][r.Config], r.Value)
		g.rounds = max(g.rounds, len(g.value[k][r.Config]))
	}
	for _, runs := range exps {
		for _, g := range runs {
			sort.SliceStable(g.configs, func(i, j int) bool { return configRank(g.configs[i]) < configRank(g.configs[j]) })
		}
		sort.SliceStable(runs, func(i, j int) bool {
			a, b := runs[i].recs[0], runs[j].recs[0]
			if a.Date != b.Date {
				return a.Date < b.Date
			}
			return a.Run < b.Run
		})
	}
	return exps
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func configRank(c string) int {
	switch c {
	case Compared:
		return 0
	case Reference:
		return 1
	}
	return 2
}

// median is the median over rounds of k's value in configuration cfg.
func (g *run) median(k key, cfg string) (float64, bool) {
	xs := append([]float64(nil), g.value[k][cfg]...)
	if len(xs) == 0 {
		return 0, false
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2], true
	}
	return (xs[n/2-1] + xs[n/2]) / 2, true
}

// cell is k's median in cfg, with the range over rounds when there are
// several. A parallel speed-up above the host's cores cannot be real (QEMU
// runs one host thread per virtual CPU): it is shown as an artifact of the
// measurement, never as a figure.
func (g *run) cell(k key, cfg string) string {
	m, ok := g.median(k, cfg)
	if !ok {
		return ""
	}
	if strings.HasPrefix(k.metric, "speedup") && g.recs[0].HostCores > 0 && m > float64(g.recs[0].HostCores) {
		return fmt.Sprintf("artifact (above the %d host cores)", g.recs[0].HostCores)
	}
	xs := g.value[k][cfg]
	if len(xs) == 1 {
		return Number(m)
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return Number(m) + " (" + Number(lo) + "–" + Number(hi) + ")"
}

// ratio is Compared / Reference for k in g (of the medians over rounds),
// if g has both.
func (g *run) ratio(k key) (float64, bool) {
	a, ok1 := g.median(k, Compared)
	b, ok2 := g.median(k, Reference)
	if !ok1 || !ok2 || b == 0 {
		return 0, false
	}
	return a / b, true
}

// calibrationRatio is the run's calibration ratio, if it has one.
func (g *run) calibrationRatio() (float64, bool) {
	for _, k := range g.keys {
		if k.workload == Calibration {
			return g.ratio(k)
		}
	}
	return 0, false
}

// Report builds one section per experiment in recs, in name order: the
// latest run's figures with each configuration side by side (and the
// k42/Linux ratio, with the calibration ratio beside it, when the run has
// both), then every run of the experiment, one line each.
func Report(recs []Record) []Section {
	exps := groupRuns(recs)
	names := make([]string, 0, len(exps))
	for n := range exps {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Section
	for _, name := range names {
		runs := exps[name]
		title := titles[name]
		if title == "" {
			title = "Experiment " + name
		}
		text := ""
		if _, ok := paperExperiments[name]; ok {
			text = paperBody(name, runs)
		} else {
			text = body(runs)
		}
		out = append(out, Section{Name: name, Title: title, Body: text})
	}
	return out
}

func body(runs []*run) string {
	var b strings.Builder
	last := runs[len(runs)-1]
	c := last.recs[0]
	fmt.Fprintf(&b, "Generated by `%s` from `%s/`; do not edit between the markers.\n\n", ReportCommand, Dir)
	fmt.Fprintf(&b, "Latest run `%s`: command `%s`, commit `%s`, %s, %s, %d guest %s, %s guest memory, %d host %s.",
		last.id, c.Command, c.Commit, c.Date, c.QEMU, c.CPUs, plural(c.CPUs, "CPU", "CPUs"), c.Mem, c.HostCores, plural(c.HostCores, "core", "cores"))
	if last.rounds > 1 {
		fmt.Fprintf(&b, " Each side booted %d times, alternating; figures are the median over the boots (range in brackets), ratios are of the medians.", last.rounds)
	}
	b.WriteString("\n\n")
	hasRatio := false
	for _, k := range last.keys {
		if _, ok := last.ratio(k); ok {
			hasRatio = true
		}
	}
	calib, hasCalib := last.calibrationRatio()
	header := []string{"workload", "metric", "unit"}
	align := []string{"---", "---", "---"}
	for _, cfg := range last.configs {
		header = append(header, configName(cfg))
		align = append(align, "---:")
	}
	if hasRatio {
		header = append(header, configName(Compared)+" / "+configName(Reference))
		align = append(align, "---:")
		if hasCalib {
			header = append(header, "calibration "+configName(Compared)+" / "+configName(Reference))
			align = append(align, "---:")
		}
	}
	row(&b, header)
	row(&b, align)
	for _, k := range last.keys {
		cells := []string{k.workload, k.metric, k.unit}
		for _, cfg := range last.configs {
			cells = append(cells, last.cell(k, cfg))
		}
		if hasRatio {
			if q, ok := last.ratio(k); ok {
				cells = append(cells, Ratio(q))
			} else {
				cells = append(cells, "")
			}
			if hasCalib {
				cells = append(cells, Ratio(calib))
			}
		}
		row(&b, cells)
	}

	// Every run, ratios only when there are two sides to compare.
	fmt.Fprintf(&b, "\nAll runs, oldest first (each figure: %s / %s (ratio) when both ran; medians over a run's boots):\n\n", configName(Compared), configName(Reference))
	var keys []key
	seen := map[key]bool{}
	for _, g := range append([]*run{last}, runs...) { // the latest run's order first
		for _, k := range g.keys {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	header = []string{"run", "command", "commit", "CPUs", "mem", "boots"}
	align = []string{"---", "---", "---", "---:", "---", "---:"}
	for _, k := range keys {
		header = append(header, k.workload+" "+k.metric+" ("+k.unit+")")
		align = append(align, "---")
	}
	row(&b, header)
	row(&b, align)
	for _, g := range runs {
		c := g.recs[0]
		cells := []string{g.id, "`" + c.Command + "`", c.Commit, strconv.Itoa(c.CPUs), c.Mem, strconv.Itoa(g.rounds)}
		for _, k := range keys {
			cells = append(cells, summary(g, k))
		}
		row(&b, cells)
	}
	return b.String()
}

// summary is "k42 / linux (ratio)" for one figure of one run, or the one
// side it has.
func summary(g *run, k key) string {
	var parts []string
	for _, cfg := range g.configs {
		if m, ok := g.median(k, cfg); ok {
			parts = append(parts, Number(m))
		}
	}
	s := strings.Join(parts, " / ")
	if q, ok := g.ratio(k); ok {
		s += " (" + Ratio(q) + ")"
	}
	return s
}

func configName(c string) string {
	if c == Reference {
		return "Linux"
	}
	return c
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func row(b *strings.Builder, cells []string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// Number formats a figure: whole numbers with thousands separators from
// 100 up, three significant digits below.
func Number(x float64) string {
	if math.Abs(x) >= 100 {
		s := strconv.FormatInt(int64(math.Round(math.Abs(x))), 10)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		if x < 0 {
			s = "-" + s
		}
		return s
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// Ratio formats a ratio with two decimals and a multiplication sign.
func Ratio(q float64) string { return strconv.FormatFloat(q, 'f', 2, 64) + " ×" }

// Splice replaces each section's text between its markers in doc; a
// section whose markers doc lacks is added at the end under its title.
// Text outside the markers is kept byte for byte.
func Splice(doc string, sections []Section) (string, error) {
	for _, s := range sections {
		begin, end := Begin(s.Name), End(s.Name)
		i := strings.Index(doc, begin)
		j := strings.Index(doc, end)
		switch {
		case i < 0 && j < 0:
			if doc != "" && !strings.HasSuffix(doc, "\n") {
				doc += "\n"
			}
			doc += "\n## " + s.Title + "\n\n" + begin + "\n" + s.Body + end + "\n"
		case i < 0 || j < i:
			return "", fmt.Errorf("results: markers of section %s out of order or one missing", s.Name)
		case strings.Count(doc, begin) > 1 || strings.Count(doc, end) > 1:
			return "", fmt.Errorf("results: markers of section %s appear more than once", s.Name)
		default:
			doc = doc[:i] + begin + "\n" + s.Body + doc[j:]
		}
	}
	return doc, nil
}

// Update regenerates the sections of the Markdown file md from the
// results files in dir, writing it when write is set, and reports whether
// its contents change.
func Update(dir, md string, write bool) (bool, error) {
	recs, err := ReadDir(dir)
	if err != nil {
		return false, err
	}
	old, err := os.ReadFile(md)
	if err != nil && !os.IsNotExist(err) {
		return false, err
	}
	doc, err := Splice(string(old), Report(recs))
	if err != nil {
		return false, fmt.Errorf("%s: %w", md, err)
	}
	if write {
		// The paper's plots, beside the Markdown that shows them.
		if err := renderPlots(recs, filepath.Join(filepath.Dir(md), FiguresDir)); err != nil {
			return false, err
		}
	}
	if doc == string(old) {
		return false, nil
	}
	if write {
		return true, os.WriteFile(md, []byte(doc), 0o644)
	}
	return true, nil
}
