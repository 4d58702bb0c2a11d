package web

import (
	"fmt"
	"html/template"
	"strconv"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/plot"
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
