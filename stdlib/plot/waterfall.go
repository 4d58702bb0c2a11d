package plot

import (
	"fmt"
	"math"

	"github.com/galley-dev/galley/stdlib/data"
)

// Waterfall draws how a total builds up from start through the steps in
// f's rows, in order: one horizontal bar per row, named by column step,
// running from the
// running total before the row's delta to the total after it (increases
// and decreases in two colours), then a bar for the final total. It shows
// how a model's explanation adds up, from the base value through each
// driver to the row's score.
//
//	steps, _ := data.New(data.Strings("feature", names), data.Float64s("contribution", values))
//	plot.Waterfall(steps, "feature", "contribution", base, plot.Options{Title: "Why this score"})
func Waterfall(f *data.Frame, step, delta string, start float64, o ...Options) (*Chart, error) {
	op := opts(o)
	if len(o) == 0 || o[0].Height <= 0 {
		op.Height = max(160, 70+22*(f.NumRows()+2))
	}
	names, err := labels(f, step)
	if err != nil {
		return nil, err
	}
	ds, err := floats(f, delta)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(start) || math.IsInf(start, 0) {
		return nil, fmt.Errorf("plot: waterfall start %v is not a finite number", start)
	}
	type bar struct {
		name     string
		from, to float64
		kind     string
	}
	bars := make([]bar, 0, len(names)+2)
	bars = append(bars, bar{"start", start, start, "start"})
	total := start
	for i, n := range names {
		d := ds[i]
		if math.IsNaN(d) {
			return nil, fmt.Errorf("plot: waterfall delta in row %d (%q) is missing", i, n)
		}
		kind := "increase"
		if d < 0 {
			kind = "decrease"
		}
		bars = append(bars, bar{n, total, total + d, kind})
		total += d
	}
	bars = append(bars, bar{"total", total, total, "total"})
	// Bars need distinct names along the axis; repeated labels get a suffix.
	seen := map[string]int{}
	cats := make([]string, len(bars))
	values := make([]map[string]any, len(bars))
	lo, hi := start, start
	for i, b := range bars {
		name := b.name
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s (%d)", name, seen[name])
		}
		cats[i] = name
		from, to := b.from, b.to
		if b.kind == "start" || b.kind == "total" {
			from = 0
		}
		lo, hi = math.Min(lo, math.Min(from, to)), math.Max(hi, math.Max(from, to))
		values[i] = map[string]any{"step": name, "from": from, "to": to, "delta": b.to - b.from, "kind": b.kind}
	}
	s := spec(op, map[string]any{"type": "bar", "tooltip": true}, values, map[string]any{
		"y":  map[string]any{"field": "step", "type": "nominal", "sort": cats, "title": nil},
		"x":  map[string]any{"field": "from", "type": "quantitative", "title": delta},
		"x2": map[string]any{"field": "to"},
		"color": map[string]any{"field": "kind", "type": "nominal", "scale": map[string]any{
			"domain": []string{"start", "increase", "decrease", "total"},
			"range":  []string{"#9e9e9e", "#e45756", "#4c78a8", "#54a24b"},
		}},
	})
	c := newCanvas(op, op.Title, delta, "")
	c.left = 130
	c.x = padded(lo, hi, true)
	c.y = scale{cats: cats}
	c.axes()
	colour := map[string]string{"start": "#9e9e9e", "increase": "#e45756", "decrease": "#4c78a8", "total": "#54a24b"}
	for i, v := range values {
		t, h := c.bandY(i)
		x0, x1 := c.px(v["from"].(float64)), c.px(v["to"].(float64))
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
			x0, t+h*0.15, math.Max(x1-x0, 1), h*0.7, colour[bars[i].kind], label(bars[i].to-bars[i].from))
		text := strconvG(bars[i].to - bars[i].from)
		if bars[i].kind == "start" || bars[i].kind == "total" {
			text = strconvG(bars[i].to)
		} else if bars[i].to >= bars[i].from {
			text = "+" + text
		}
		c.text(x1+4, t+h/2+3, "start", text, "")
	}
	return &Chart{spec: s, svg: c.svg()}, nil
}
