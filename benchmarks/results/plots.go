package results

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// plotSpec is one figure's plot, computed from the records by its
// section (paper.go) and drawn with gonum.org/v1/plot in the paper's
// style: grouped bars, a histogram, or lines.
type plotSpec struct {
	title, xlabel, ylabel string
	kind                  string // "bars", "hist", "lines"
	// bars: one bar per series in each group
	groups, series []string
	values         map[string]map[string]float64 // series → group → value
	// hist
	samples []float64
	// lines: series → (x, y) points
	points map[string][][2]float64
}

// palette is the series' colours, in order.
var palette = []color.Color{
	color.RGBA{0x1f, 0x4e, 0x9c, 0xff}, color.RGBA{0xd9, 0x5f, 0x02, 0xff}, color.RGBA{0x1b, 0x9e, 0x77, 0xff},
	color.RGBA{0x75, 0x70, 0xb3, 0xff}, color.RGBA{0xe7, 0x29, 0x8a, 0xff}, color.RGBA{0x66, 0x66, 0x66, 0xff},
}

// renderPlots writes each paper section's plot of the latest runs in
// recs as dir/EXPERIMENT.png.
func renderPlots(recs []Record, dir string) error {
	for name, runs := range groupRuns(recs) {
		mk, ok := paperExperiments[name]
		if !ok {
			continue
		}
		s := mk(runs[len(runs)-1])
		if s.plot == nil {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := s.plot.draw(filepath.Join(dir, name+".png")); err != nil {
			return fmt.Errorf("plot %s: %w", name, err)
		}
	}
	return nil
}

func (s *plotSpec) draw(path string) error {
	p := plot.New()
	p.Title.Text = s.title
	p.X.Label.Text = s.xlabel
	p.Y.Label.Text = s.ylabel
	p.Legend.Top = true
	switch s.kind {
	case "bars":
		if err := s.bars(p); err != nil {
			return err
		}
	case "hist":
		if len(s.samples) == 0 {
			return nil
		}
		h, err := plotter.NewHist(plotter.Values(s.samples), 16)
		if err != nil {
			return err
		}
		h.FillColor = palette[0]
		p.Add(h)
		mean, sd, lo, hi := moments(s.samples)
		p.Title.Text += fmt.Sprintf("\n%d swaps: mean %s µs, s.d. %s, min %s, max %s", len(s.samples), Number(mean), Number(sd), Number(lo), Number(hi))
	case "lines":
		for i, name := range s.series {
			pts := append([][2]float64(nil), s.points[name]...)
			sort.Slice(pts, func(a, b int) bool { return pts[a][0] < pts[b][0] })
			xy := make(plotter.XYs, len(pts))
			for j, pt := range pts {
				xy[j].X, xy[j].Y = pt[0], pt[1]
			}
			l, sc, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			l.Color, sc.Color = palette[i%len(palette)], palette[i%len(palette)]
			p.Add(l, sc)
			p.Legend.Add(name, l, sc)
		}
		p.Y.Min = 0
	default:
		return fmt.Errorf("no plot kind %q", s.kind)
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

func (s *plotSpec) bars(p *plot.Plot) error {
	n := float64(len(s.series))
	w := vg.Points(math.Min(20, 300/(n*float64(max(1, len(s.groups))))))
	for i, name := range s.series {
		vals := make(plotter.Values, len(s.groups))
		for j, g := range s.groups {
			vals[j] = s.values[name][g]
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color = palette[i%len(palette)]
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-(n-1)/2) * w
		p.Add(b)
		p.Legend.Add(name, b)
	}
	p.NominalX(s.groups...)
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return nil
}
