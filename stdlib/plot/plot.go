// Package plot draws charts from data frames. Each chart renders in a
// notebook as Vega-Lite (interactive in JupyterLab) with a static SVG drawn
// natively in Go as the fallback, so nbconvert exports and static viewers
// still show axes and marks.
//
//	plot.Histogram(f, "tenure", plot.Options{Bins: 24})
//	plot.Bar(byContract, "Contract", "MonthlyCharges_mean")
//	plot.Scatter(f, "tenure", "TotalCharges", plot.Options{Color: "Churn"})
//	plot.Box(f, "Contract", "MonthlyCharges")
//	plot.Heatmap(f, "Contract", "InternetService", "")
//
// Binning, aggregation and quartiles are computed natively; the Vega-Lite
// specification carries only the summarised data (scatter plots carry at
// most MaxPoints sampled points).
package plot

import (
	"fmt"
	"math"
	"sort"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
)

// Options tune a chart; the zero value gives sensible defaults.
type Options struct {
	Title     string
	Width     int    // pixels, default 480
	Height    int    // pixels, default 300
	Bins      int    // histogram bins, default 20
	Color     string // scatter and line: a column whose values colour the marks
	MaxPoints int    // scatter: points kept (sampled), default 5000
}

func opts(o []Options) Options {
	var out Options
	if len(o) > 0 {
		out = o[0]
	}
	if out.Width <= 0 {
		out.Width = 480
	}
	if out.Height <= 0 {
		out.Height = 300
	}
	if out.Bins <= 0 {
		out.Bins = 20
	}
	if out.MaxPoints <= 0 {
		out.MaxPoints = 5000
	}
	return out
}

// Chart is a rendered chart.
type Chart struct {
	spec map[string]any
	svg  string
}

// DisplayData renders the chart as Vega-Lite with an SVG fallback.
func (c *Chart) DisplayData() display.Data { return display.VegaLite(c.spec, c.svg) }

// Spec returns the Vega-Lite specification.
func (c *Chart) Spec() map[string]any { return c.spec }

// SVG returns the static SVG rendering.
func (c *Chart) SVG() string { return c.svg }

func (c *Chart) String() string { return "<chart>" }

func spec(o Options, mark any, values []map[string]any, enc map[string]any) map[string]any {
	s := map[string]any{
		"$schema":  "https://vega.github.io/schema/vega-lite/v5.json",
		"width":    o.Width - 80,
		"height":   o.Height - 70,
		"data":     map[string]any{"values": values},
		"mark":     mark,
		"encoding": enc,
	}
	if o.Title != "" {
		s["title"] = o.Title
	}
	return s
}

func floats(f *data.Frame, col string) ([]float64, error) {
	c, err := f.Column(col)
	if err != nil {
		return nil, err
	}
	v, err := c.ToFloat64s()
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return v, nil
}

// labels reads any column as display strings ("null" for nulls).
func labels(f *data.Frame, col string) ([]string, error) {
	c, err := f.Column(col)
	if err != nil {
		return nil, err
	}
	out := make([]string, c.Len())
	if c.DType() == data.String {
		codes, levels, _ := c.Codes()
		for i, k := range codes {
			if k < 0 {
				out[i] = "null"
			} else {
				out[i] = levels[k]
			}
		}
		return out, nil
	}
	for i := range out {
		v := c.Value(i)
		if v == nil {
			out[i] = "null"
		} else {
			out[i] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// categories returns distinct values in first-seen order, sorted when all
// look numeric-free strings.
func categories(vals []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func finiteRange(v []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	return lo, hi
}

// Histogram counts a numeric column in equal-width bins.
func Histogram(f *data.Frame, col string, o ...Options) (*Chart, error) {
	op := opts(o)
	x, err := floats(f, col)
	if err != nil {
		return nil, err
	}
	lo, hi := finiteRange(x)
	if lo > hi {
		return nil, fmt.Errorf("plot: column %q has no values", col)
	}
	if hi == lo {
		hi = lo + 1
	}
	w := (hi - lo) / float64(op.Bins)
	counts := make([]int, op.Bins)
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		counts[min(int((v-lo)/w), op.Bins-1)]++
	}
	values := make([]map[string]any, op.Bins)
	top := 0
	for i, n := range counts {
		values[i] = map[string]any{"start": lo + float64(i)*w, "end": lo + float64(i+1)*w, "count": n}
		top = max(top, n)
	}
	s := spec(op, map[string]any{"type": "bar", "tooltip": true}, values, map[string]any{
		"x":  map[string]any{"field": "start", "type": "quantitative", "title": col, "bin": map[string]any{"binned": true}},
		"x2": map[string]any{"field": "end"},
		"y":  map[string]any{"field": "count", "type": "quantitative", "title": "count"},
	})
	c := newCanvas(op, op.Title, col, "count")
	c.x = scale{lo: lo, hi: hi}
	c.y = padded(0, float64(top), true)
	c.axes()
	for i, n := range counts {
		x0, x1 := c.px(lo+float64(i)*w), c.px(lo+float64(i+1)*w)
		c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x0+0.5, c.py(float64(n)), math.Max(0, x1-x0-1), c.py(0)-c.py(float64(n)), markColor)
	}
	return &Chart{spec: s, svg: c.svg()}, nil
}

// Bar draws one bar per category of x. With y empty the bar is the count of
// rows; otherwise it is the sum of y over the rows of each category (one
// row per category, as a group-by result gives, plots the value itself).
func Bar(f *data.Frame, x, y string, o ...Options) (*Chart, error) {
	op := opts(o)
	xs, err := labels(f, x)
	if err != nil {
		return nil, err
	}
	var ys []float64
	if y != "" {
		if ys, err = floats(f, y); err != nil {
			return nil, err
		}
	}
	cats := categories(xs)
	index := map[string]int{}
	for i, c := range cats {
		index[c] = i
	}
	sums := make([]float64, len(cats))
	for i, v := range xs {
		if ys == nil {
			sums[index[v]]++
		} else if !math.IsNaN(ys[i]) {
			sums[index[v]] += ys[i]
		}
	}
	yTitle := y
	if y == "" {
		yTitle = "count"
	}
	values := make([]map[string]any, len(cats))
	for i, c := range cats {
		values[i] = map[string]any{x: c, yTitle: sums[i]}
	}
	s := spec(op, map[string]any{"type": "bar", "tooltip": true}, values, map[string]any{
		"x": map[string]any{"field": x, "type": "nominal", "sort": cats},
		"y": map[string]any{"field": yTitle, "type": "quantitative"},
	})
	lo, hi := finiteRange(sums)
	c := newCanvas(op, op.Title, x, yTitle)
	c.x = scale{cats: cats}
	c.y = padded(math.Min(lo, 0), hi, true)
	c.axes()
	for i, v := range sums {
		l, w := c.bandX(i)
		y0, y1 := c.py(0), c.py(v)
		c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, l+w*0.1, math.Min(y0, y1), w*0.8, math.Abs(y0-y1), markColor)
	}
	return &Chart{spec: s, svg: c.svg()}, nil
}

// Line connects (x, y) points in x order, one line per value of
// Options.Color when set.
func Line(f *data.Frame, x, y string, o ...Options) (*Chart, error) {
	return xy(f, x, y, "line", opts(o))
}

// Scatter draws one point per row (sampled down to Options.MaxPoints).
func Scatter(f *data.Frame, x, y string, o ...Options) (*Chart, error) {
	return xy(f, x, y, "point", opts(o))
}

func xy(f *data.Frame, x, y, mark string, op Options) (*Chart, error) {
	xs, err := floats(f, x)
	if err != nil {
		return nil, err
	}
	ys, err := floats(f, y)
	if err != nil {
		return nil, err
	}
	var groups []string
	if op.Color != "" {
		if groups, err = labels(f, op.Color); err != nil {
			return nil, err
		}
	}
	rows := make([]int, 0, len(xs))
	for i := range xs {
		if !math.IsNaN(xs[i]) && !math.IsNaN(ys[i]) {
			rows = append(rows, i)
		}
	}
	if mark == "point" && len(rows) > op.MaxPoints {
		// Evenly spaced rows keep the picture without randomness.
		step := float64(len(rows)) / float64(op.MaxPoints)
		kept := make([]int, op.MaxPoints)
		for k := range kept {
			kept[k] = rows[int(float64(k)*step)]
		}
		rows = kept
	}
	if mark == "line" {
		sort.SliceStable(rows, func(a, b int) bool { return xs[rows[a]] < xs[rows[b]] })
	}
	values := make([]map[string]any, len(rows))
	for k, i := range rows {
		v := map[string]any{x: xs[i], y: ys[i]}
		if groups != nil {
			v[op.Color] = groups[i]
		}
		values[k] = v
	}
	enc := map[string]any{
		"x": map[string]any{"field": x, "type": "quantitative", "scale": map[string]any{"zero": false}},
		"y": map[string]any{"field": y, "type": "quantitative", "scale": map[string]any{"zero": false}},
	}
	if groups != nil {
		enc["color"] = map[string]any{"field": op.Color, "type": "nominal"}
	}
	m := map[string]any{"type": mark, "tooltip": true}
	if mark == "point" {
		m["opacity"] = 0.6
		m["filled"] = true
	}
	s := spec(op, m, values, enc)
	c := newCanvas(op, op.Title, x, y)
	// The groups get colours in the order they first appear in the data,
	// so that charts of the same groups colour them alike.
	var names []string
	if groups != nil {
		seen := map[string]bool{}
		for i := range xs {
			if math.IsNaN(xs[i]) || math.IsNaN(ys[i]) {
				continue
			}
			if g := groups[i]; !seen[g] {
				seen[g] = true
				names = append(names, g)
			}
		}
		c.legendSpace(names)
	}
	xl, xh := finiteRange(xs)
	yl, yh := finiteRange(ys)
	c.x, c.y = padded(xl, xh, false), padded(yl, yh, false)
	c.axes()
	color := map[string]string{}
	for k, g := range names {
		color[g] = palette[k%len(palette)]
	}
	colorOf := func(i int) string {
		if groups == nil {
			return markColor
		}
		return color[groups[i]]
	}
	if mark == "point" {
		for _, i := range rows {
			c.printf(`<circle cx="%.1f" cy="%.1f" r="2" fill="%s" fill-opacity="0.6"/>`, c.px(xs[i]), c.py(ys[i]), colorOf(i))
		}
	} else {
		lines := map[string][]int{}
		var order []string
		for _, i := range rows {
			g := ""
			if groups != nil {
				g = groups[i]
			}
			if _, ok := lines[g]; !ok {
				order = append(order, g)
			}
			lines[g] = append(lines[g], i)
		}
		for _, g := range order {
			c.printf(`<polyline fill="none" stroke="%s" stroke-width="1.5" points="`, colorOf(lines[g][0]))
			for _, i := range lines[g] {
				c.printf("%.1f,%.1f ", c.px(xs[i]), c.py(ys[i]))
			}
			c.printf(`"/>`)
		}
	}
	c.legend(names, color)
	return &Chart{spec: s, svg: c.svg()}, nil
}

// Box draws box plots of y (quartiles, 1.5 IQR whiskers) for each category
// of x, or one box when x is empty.
func Box(f *data.Frame, x, y string, o ...Options) (*Chart, error) {
	op := opts(o)
	ys, err := floats(f, y)
	if err != nil {
		return nil, err
	}
	xs := make([]string, len(ys))
	if x != "" {
		if xs, err = labels(f, x); err != nil {
			return nil, err
		}
	} else {
		for i := range xs {
			xs[i] = y
		}
	}
	cats := categories(xs)
	byCat := map[string][]float64{}
	for i, v := range ys {
		if !math.IsNaN(v) {
			byCat[xs[i]] = append(byCat[xs[i]], v)
		}
	}
	type stats struct{ lo, q1, med, q3, hi float64 }
	st := make([]stats, len(cats))
	values := make([]map[string]any, len(cats))
	all := []float64{}
	for k, c := range cats {
		v := byCat[c]
		sort.Float64s(v)
		if len(v) == 0 {
			st[k] = stats{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}
			continue
		}
		q := func(p float64) float64 {
			h := p * float64(len(v)-1)
			l := int(h)
			u := min(l+1, len(v)-1)
			return v[l] + (h-float64(l))*(v[u]-v[l])
		}
		s := stats{q1: q(0.25), med: q(0.5), q3: q(0.75)}
		iqr := s.q3 - s.q1
		s.lo, s.hi = s.q1, s.q3
		for _, x := range v {
			if x >= s.q1-1.5*iqr {
				s.lo = math.Min(s.lo, x)
			}
			if x <= s.q3+1.5*iqr {
				s.hi = math.Max(s.hi, x)
			}
		}
		st[k] = s
		all = append(all, s.lo, s.hi)
		values[k] = map[string]any{"group": c, "lo": s.lo, "q1": s.q1, "median": s.med, "q3": s.q3, "hi": s.hi}
	}
	xt := x
	if xt == "" {
		xt = "group"
	}
	xenc := map[string]any{"field": "group", "type": "nominal", "title": xt}
	sp := map[string]any{
		"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
		"width":   op.Width - 80, "height": op.Height - 70,
		"data": map[string]any{"values": values},
		"layer": []any{
			map[string]any{"mark": "rule", "encoding": map[string]any{"x": xenc, "y": map[string]any{"field": "lo", "type": "quantitative", "title": y}, "y2": map[string]any{"field": "hi"}}},
			map[string]any{"mark": map[string]any{"type": "bar", "size": 28, "tooltip": true}, "encoding": map[string]any{"x": xenc, "y": map[string]any{"field": "q1", "type": "quantitative"}, "y2": map[string]any{"field": "q3"}}},
			map[string]any{"mark": map[string]any{"type": "tick", "color": "white", "size": 28}, "encoding": map[string]any{"x": xenc, "y": map[string]any{"field": "median", "type": "quantitative"}}},
		},
	}
	if op.Title != "" {
		sp["title"] = op.Title
	}
	c := newCanvas(op, op.Title, xt, y)
	c.x = scale{cats: cats}
	lo, hi := finiteRange(all)
	c.y = padded(lo, hi, false)
	c.axes()
	for k, s := range st {
		if math.IsNaN(s.med) {
			continue
		}
		l, w := c.bandX(k)
		mid := l + w/2
		c.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, mid, c.py(s.lo), mid, c.py(s.hi))
		c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#333"/>`, l+w*0.25, c.py(s.q3), w*0.5, c.py(s.q1)-c.py(s.q3), markColor)
		c.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="white" stroke-width="2"/>`, l+w*0.25, c.py(s.med), l+w*0.75, c.py(s.med))
	}
	return &Chart{spec: sp, svg: c.svg()}, nil
}

// Heatmap colours each (x, y) category pair by the mean of value, or by
// the row count when value is empty.
func Heatmap(f *data.Frame, x, y, value string, o ...Options) (*Chart, error) {
	op := opts(o)
	xs, err := labels(f, x)
	if err != nil {
		return nil, err
	}
	ys, err := labels(f, y)
	if err != nil {
		return nil, err
	}
	var vs []float64
	if value != "" {
		if vs, err = floats(f, value); err != nil {
			return nil, err
		}
	}
	xc, yc := categories(xs), categories(ys)
	xi, yi := map[string]int{}, map[string]int{}
	for i, c := range xc {
		xi[c] = i
	}
	for i, c := range yc {
		yi[c] = i
	}
	sum := make([]float64, len(xc)*len(yc))
	cnt := make([]float64, len(sum))
	for i := range xs {
		k := yi[ys[i]]*len(xc) + xi[xs[i]]
		if vs == nil {
			sum[k]++
			cnt[k] = 1
		} else if !math.IsNaN(vs[i]) {
			sum[k] += vs[i]
			cnt[k]++
		}
	}
	name := value
	if name == "" {
		name = "count"
	} else {
		name = "mean " + value
	}
	var values []map[string]any
	cell := make([]float64, len(sum))
	for k := range sum {
		cell[k] = math.NaN()
		if cnt[k] > 0 {
			cell[k] = sum[k] / cnt[k]
			values = append(values, map[string]any{x: xc[k%len(xc)], y: yc[k/len(xc)], name: cell[k]})
		}
	}
	s := spec(op, map[string]any{"type": "rect", "tooltip": true}, values, map[string]any{
		"x":     map[string]any{"field": x, "type": "nominal"},
		"y":     map[string]any{"field": y, "type": "nominal"},
		"color": map[string]any{"field": name, "type": "quantitative"},
	})
	c := newCanvas(op, op.Title, x, y)
	c.left = 90
	c.x, c.y = scale{cats: xc}, scale{cats: yc}
	c.axes()
	lo, hi := finiteRange(cell)
	for k, v := range cell {
		if math.IsNaN(v) {
			continue
		}
		t := 0.5
		if hi > lo {
			t = (v - lo) / (hi - lo)
		}
		l, w := c.bandX(k % len(xc))
		tp, h := c.bandY(k / len(xc))
		c.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="rgb(%d,%d,%d)"><title>%s</title></rect>`,
			l+1, tp+1, w-2, h-2, int(240-200*t), int(245-150*t), int(255-90*t), label(v))
		c.text(l+w/2, tp+h/2+3, "middle", strconvG(v), "")
	}
	return &Chart{spec: s, svg: c.svg()}, nil
}

func strconvG(v float64) string { return fmt.Sprintf("%.3g", v) }
