package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/plot"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// chart is a server-rendered SVG, drawn by the plot package notebooks use.
type chart struct {
	Title string
	SVG   template.HTML
}

// metricCharts draws one bar chart per metric, one bar per trained
// version, so the comparison needs no JavaScript.
func metricCharts(tms []*server.TrainedModel, names []string) ([]chart, error) {
	var out []chart
	for _, name := range names {
		var vers []string
		var vals []float64
		for _, t := range tms {
			x, ok := t.Metrics[name]
			if !ok {
				continue
			}
			vers = append(vers, "v"+strconv.Itoa(t.Version))
			vals = append(vals, x)
		}
		if len(vals) == 0 {
			continue
		}
		f, err := data.New(data.Strings("version", vers), data.Float64s(name, vals))
		if err != nil {
			return nil, fmt.Errorf("charting %s: %w", name, err)
		}
		c, err := plot.Bar(f, "version", name, plot.Options{Title: name, Width: 320, Height: 220})
		f.Release()
		if err != nil {
			return nil, fmt.Errorf("charting %s: %w", name, err)
		}
		// The plot package escapes every label it draws, so its SVG is
		// safe to inline.
		out = append(out, chart{Title: name, SVG: template.HTML(c.SVG())})
	}
	return out, nil
}

// curveAxes names the axes of the curves galley knows; others are drawn
// against plain x and y.
var curveAxes = map[string][2]string{
	"roc":  {"false positive rate", "true positive rate"},
	"lift": {"share of rows targeted", "cumulative lift"},
}

// curveChance is what a model that ranks at random draws, shown beside
// the known curves for reference.
var curveChance = map[string]recipe.Curve{
	"roc":  {X: []float64{0, 1}, Y: []float64{0, 1}},
	"lift": {X: []float64{0, 1}, Y: []float64{1, 1}},
}

// curveSet is the curves of compared versions: one overlaid chart per
// curve name, and the versions that lack each.
type curveSet struct {
	Charts []chart
	// Missing names the versions without curves at all.
	Missing []string
}

// curveCharts overlays each named curve of training runs in one line
// chart, ROC and lift first; labels[i] names runs[i] (nil when the run is
// gone) in the legends.
func curveCharts(labels []string, runs []*server.Run) (curveSet, error) {
	var out curveSet
	names := map[string]bool{}
	for i, r := range runs {
		if r == nil || len(r.Curves) == 0 {
			out.Missing = append(out.Missing, labels[i])
			continue
		}
		for n := range r.Curves {
			names[n] = true
		}
	}
	order := []string{}
	for _, n := range []string{"roc", "lift"} {
		if names[n] {
			order = append(order, n)
			delete(names, n)
		}
	}
	order = append(order, sortedSet(names)...)
	for _, name := range order {
		axes, ok := curveAxes[name]
		if !ok {
			axes = [2]string{"x", "y"}
		}
		var xs, ys []float64
		var series []string
		add := func(label string, c recipe.Curve) {
			for k := range c.X {
				xs, ys, series = append(xs, c.X[k]), append(ys, c.Y[k]), append(series, label)
			}
		}
		for i, r := range runs {
			if r == nil {
				continue
			}
			if c, ok := r.Curves[name]; ok {
				add(labels[i], c)
			}
		}
		if c, ok := curveChance[name]; ok {
			add("chance", c)
		}
		f, err := data.New(data.Float64s(axes[0], xs), data.Float64s(axes[1], ys), data.Strings("version", series))
		if err != nil {
			return out, fmt.Errorf("charting curve %s: %w", name, err)
		}
		title := strings.ToUpper(name[:1]) + name[1:]
		if name == "roc" {
			title = "ROC"
		}
		c, err := plot.Line(f, axes[0], axes[1], plot.Options{Title: title, Width: 480, Height: 320, Color: "version"})
		f.Release()
		if err != nil {
			return out, fmt.Errorf("charting curve %s: %w", name, err)
		}
		out.Charts = append(out.Charts, chart{Title: title, SVG: template.HTML(c.SVG())})
	}
	return out, nil
}
