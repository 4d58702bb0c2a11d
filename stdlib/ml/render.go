package ml

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/galley-dev/galley/stdlib/display"
)

// Metric tables render as HTML; curves render as Vega-Lite charts with an
// SVG fallback for viewers that do not run Vega (nbconvert, GitHub).

func fmtMetric(name string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case name == "rows" || v == math.Trunc(v) && math.Abs(v) >= 1e3:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.4f", v)
	}
}

const tableStyle = `style="border-collapse:collapse;font-family:monospace;font-size:12px"`

func htmlTable(caption string, header []string, rows [][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<table %s>", tableStyle)
	if caption != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left;font-weight:bold">%s</caption>`, html.EscapeString(caption))
	}
	b.WriteString("<thead><tr>")
	for _, h := range header {
		fmt.Fprintf(&b, `<th style="text-align:right;padding:2px 8px;border-bottom:1px solid #999">%s</th>`, html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i, c := range r {
			align := "right"
			if i == 0 {
				align = "left"
			}
			fmt.Fprintf(&b, `<td style="text-align:%s;padding:2px 8px">%s</td>`, align, html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

// DisplayData renders the metrics as a two-column table.
func (m *Metrics) DisplayData() display.Data {
	rows := make([][]string, len(m.Names))
	for i, n := range m.Names {
		rows[i] = []string{n, fmtMetric(n, m.Values[i])}
	}
	d := display.HTML(htmlTable(m.Title, []string{"metric", "value"}, rows))
	d.Bundle[display.MIMEText] = m.String()
	return d
}

// MetricsTable lays several metric sets side by side, one column each
// (for example train and validation, or several models).
type MetricsTable struct {
	Sets []*Metrics
}

// Compare returns a table comparing metric sets; each set's Title heads
// its column.
func Compare(sets ...*Metrics) *MetricsTable { return &MetricsTable{Sets: sets} }

// DisplayData renders the comparison as an HTML table.
func (t *MetricsTable) DisplayData() display.Data {
	header := []string{"metric"}
	var names []string
	seen := map[string]bool{}
	for i, s := range t.Sets {
		title := s.Title
		if title == "" {
			title = fmt.Sprintf("#%d", i+1)
		}
		header = append(header, title)
		for _, n := range s.Names {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	var rows [][]string
	var text strings.Builder
	for _, n := range names {
		r := []string{n}
		fmt.Fprintf(&text, "%-10s", n)
		for _, s := range t.Sets {
			v := fmtMetric(n, s.Value(n))
			r = append(r, v)
			fmt.Fprintf(&text, " %10s", v)
		}
		text.WriteString("\n")
		rows = append(rows, r)
	}
	d := display.HTML(htmlTable("", header, rows))
	d.Bundle[display.MIMEText] = text.String()
	return d
}

// DisplayData renders the evaluation's metrics and confusion matrix.
func (e *Evaluation) DisplayData() display.Data {
	if e.Task == TaskMulticlass {
		return e.displayMulticlass()
	}
	md := e.Metrics.DisplayData()
	if e.Task != TaskBinary {
		return md
	}
	c := e.Confusion()
	conf := htmlTable(fmt.Sprintf("confusion at %.2f", e.Threshold), []string{"", "predicted 0", "predicted 1"}, [][]string{
		{"actual 0", fmt.Sprint(c.TN), fmt.Sprint(c.FP)},
		{"actual 1", fmt.Sprint(c.FN), fmt.Sprint(c.TP)},
	})
	h := fmt.Sprintf(`<div style="display:flex;gap:24px;align-items:flex-start">%s%s</div>`, md.Bundle[display.MIMEHTML], conf)
	d := display.HTML(h)
	d.Bundle[display.MIMEText] = e.Metrics.String() + fmt.Sprintf("\nconfusion@%.2f: TN=%d FP=%d FN=%d TP=%d", e.Threshold, c.TN, c.FP, c.FN, c.TP)
	return d
}

// DisplayData renders the model summary: kind, data, metrics.
func (m *Model) DisplayData() display.Data {
	var b strings.Builder
	fmt.Fprintf(&b, "<div><b>%s</b> %s model for <code>%s</code>", html.EscapeString(m.Kind), html.EscapeString(m.Task), html.EscapeString(m.Label))
	if m.Positive != "" {
		fmt.Fprintf(&b, " (positive class <code>%s</code>)", html.EscapeString(m.Positive))
	}
	if len(m.Classes) > 0 {
		fmt.Fprintf(&b, " (%d classes: <code>%s</code>)", len(m.Classes), html.EscapeString(strings.Join(m.Classes, ", ")))
	}
	fmt.Fprintf(&b, "<br>%d input columns → %d features; trained on %d rows in %.2fs", len(m.Schema), len(m.Pipeline.Features), m.Meta.Rows, m.Meta.Duration.Seconds())
	if m.GBM != nil {
		fmt.Fprintf(&b, "; %d trees", len(m.GBM.Trees))
	}
	b.WriteString("</div>")
	var sets []*Metrics
	if m.TrainMetrics != nil {
		sets = append(sets, m.TrainMetrics)
	}
	if m.ValidMetrics != nil {
		sets = append(sets, m.ValidMetrics)
	}
	if len(sets) > 0 {
		b.WriteString(Compare(sets...).DisplayData().Bundle[display.MIMEHTML].(string))
	}
	d := display.HTML(b.String())
	d.Bundle[display.MIMEText] = m.String()
	return d
}

// series is one line or set of points in a chart.
type series struct {
	name string
	x, y []float64
}

// lineChart builds a Vega-Lite spec and an SVG fallback for line series
// over [0,1]-like axes; diagonal draws the y = x reference.
func lineChart(title, xlabel, ylabel string, ss []series, diagonal bool, points bool) display.Data {
	var values []map[string]any
	for _, s := range ss {
		for i := range s.x {
			values = append(values, map[string]any{"x": s.x[i], "y": s.y[i], "series": s.name})
		}
	}
	mark := map[string]any{"type": "line", "point": points}
	layers := []any{map[string]any{
		"mark": mark,
		"encoding": map[string]any{
			"x":     map[string]any{"field": "x", "type": "quantitative", "title": xlabel},
			"y":     map[string]any{"field": "y", "type": "quantitative", "title": ylabel},
			"color": map[string]any{"field": "series", "type": "nominal", "title": nil},
			"order": map[string]any{"field": "x"},
		},
	}}
	if diagonal {
		layers = append(layers, map[string]any{
			"data": map[string]any{"values": []any{map[string]any{"x": 0, "y": 0}, map[string]any{"x": 1, "y": 1}}},
			"mark": map[string]any{"type": "line", "strokeDash": []int{4, 4}, "color": "#999"},
			"encoding": map[string]any{
				"x": map[string]any{"field": "x", "type": "quantitative"},
				"y": map[string]any{"field": "y", "type": "quantitative"},
			},
		})
	}
	spec := map[string]any{
		"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
		"title":   title,
		"width":   360, "height": 300,
		"data":  map[string]any{"values": values},
		"layer": layers,
	}
	return display.VegaLite(spec, svgLines(title, xlabel, ylabel, ss, diagonal))
}

var palette = []string{"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2"}

// svgLines draws series as polylines in a plain SVG.
func svgLines(title, xlabel, ylabel string, ss []series, diagonal bool) string {
	const W, H, L, R, T, B = 420.0, 340.0, 50.0, 20.0, 30.0, 40.0
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for i := range s.x {
			minX, maxX = math.Min(minX, s.x[i]), math.Max(maxX, s.x[i])
			minY, maxY = math.Min(minY, s.y[i]), math.Max(maxY, s.y[i])
		}
	}
	if diagonal {
		minX, minY, maxX, maxY = math.Min(minX, 0), math.Min(minY, 0), math.Max(maxX, 1), math.Max(maxY, 1)
	}
	if !(maxX > minX) {
		maxX = minX + 1
	}
	if !(maxY > minY) {
		maxY = minY + 1
	}
	px := func(x float64) float64 { return L + (x-minX)/(maxX-minX)*(W-L-R) }
	py := func(y float64) float64 { return H - B - (y-minY)/(maxY-minY)*(H-T-B) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`, W, H)
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="13" font-weight="bold">%s</text>`, L, html.EscapeString(title))
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`, L, T, W-L-R, H-T-B)
	for k := 0; k <= 4; k++ {
		fx := minX + (maxX-minX)*float64(k)/4
		fy := minY + (maxY-minY)*float64(k)/4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%.3g</text>`, px(fx), H-B+14, fx)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%.3g</text>`, L-4, py(fy)+4, fy)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`, (L+W-R)/2, H-6, html.EscapeString(xlabel))
	fmt.Fprintf(&b, `<text x="12" y="%.0f" text-anchor="middle" transform="rotate(-90 12 %.0f)">%s</text>`, (T+H-B)/2, (T+H-B)/2, html.EscapeString(ylabel))
	if diagonal {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 4"/>`, px(0), py(0), px(1), py(1))
	}
	for si, s := range ss {
		col := palette[si%len(palette)]
		b.WriteString(`<polyline fill="none" stroke-width="1.5" stroke="` + col + `" points="`)
		// Long curves are thinned: the fallback only needs the shape.
		step := max(1, len(s.x)/400)
		for i := 0; i < len(s.x); i += step {
			fmt.Fprintf(&b, "%.1f,%.1f ", px(s.x[i]), py(s.y[i]))
		}
		if n := len(s.x); n > 0 && (n-1)%step != 0 {
			fmt.Fprintf(&b, "%.1f,%.1f", px(s.x[n-1]), py(s.y[n-1]))
		}
		b.WriteString(`"/>`)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`, L+8, T+14+float64(si)*13, col, html.EscapeString(s.name))
	}
	b.WriteString("</svg>")
	return b.String()
}

// DisplayData renders the ROC curve.
func (c *Curve) DisplayData() display.Data {
	x, y := thin(c.FPR, c.TPR, 1000)
	d := lineChart("ROC curve", "false positive rate", "true positive rate",
		[]series{{name: fmt.Sprintf("AUC %.4f", c.AUC), x: x, y: y}}, true, false)
	d.Bundle[display.MIMEText] = fmt.Sprintf("ROC curve, AUC %.4f, %d points", c.AUC, len(c.FPR))
	return d
}

// thin keeps at most n points of a curve, always the first and last.
func thin(x, y []float64, n int) ([]float64, []float64) {
	if len(x) <= n {
		return x, y
	}
	var ox, oy []float64
	step := float64(len(x)-1) / float64(n-1)
	for k := 0; k < n; k++ {
		i := int(math.Round(float64(k) * step))
		ox = append(ox, x[i])
		oy = append(oy, y[i])
	}
	return ox, oy
}

// ROCCurves overlays several ROC curves, named by names.
func ROCCurves(names []string, curves ...*Curve) display.Data {
	var ss []series
	for i, c := range curves {
		name := fmt.Sprintf("#%d", i+1)
		if i < len(names) {
			name = names[i]
		}
		x, y := thin(c.FPR, c.TPR, 1000)
		ss = append(ss, series{name: fmt.Sprintf("%s (AUC %.4f)", name, c.AUC), x: x, y: y})
	}
	return lineChart("ROC curves", "false positive rate", "true positive rate", ss, true, false)
}

// DisplayData renders the cumulative gains chart beside the lift table.
func (t *LiftTable) DisplayData() display.Data {
	x := []float64{0}
	y := []float64{0}
	for i := range t.Bucket {
		x = append(x, float64(t.Bucket[i])/float64(len(t.Bucket)))
		y = append(y, t.Gain[i])
	}
	d := lineChart("Cumulative gains", "share of rows, highest scores first", "share of positives captured",
		[]series{{name: "model", x: x, y: y}}, true, true)
	d.Bundle[display.MIMEText] = t.String()
	return d
}

func (t *LiftTable) String() string {
	var b strings.Builder
	b.WriteString("bucket   rows    pos   rate   lift   gain  cumlift\n")
	for i := range t.Bucket {
		fmt.Fprintf(&b, "%6d %6d %6d %6.3f %6.2f %6.3f %6.2f\n", t.Bucket[i], t.Rows[i], t.Positive[i], t.Rate[i], t.Lift[i], t.Gain[i], t.CumLift[i])
	}
	return b.String()
}

// Table returns the lift table as HTML.
func (t *LiftTable) Table() display.Data {
	var rows [][]string
	for i := range t.Bucket {
		rows = append(rows, []string{fmt.Sprint(t.Bucket[i]), fmt.Sprint(t.Rows[i]), fmt.Sprint(t.Positive[i]),
			fmt.Sprintf("%.3f", t.Rate[i]), fmt.Sprintf("%.2f", t.Lift[i]), fmt.Sprintf("%.3f", t.Gain[i]), fmt.Sprintf("%.2f", t.CumLift[i])})
	}
	d := display.HTML(htmlTable("lift by bucket", []string{"bucket", "rows", "positives", "rate", "lift", "gain", "cum. lift"}, rows))
	d.Bundle[display.MIMEText] = t.String()
	return d
}

// DisplayData renders the calibration curve against the diagonal.
func (c *CalibrationCurve) DisplayData() display.Data {
	d := lineChart("Calibration", "mean predicted probability", "observed positive rate",
		[]series{{name: "model", x: c.Predicted, y: c.Observed}}, true, true)
	var b strings.Builder
	for i := range c.Predicted {
		fmt.Fprintf(&b, "predicted %.3f observed %.3f rows %d\n", c.Predicted[i], c.Observed[i], c.Rows[i])
	}
	d.Bundle[display.MIMEText] = b.String()
	return d
}

// DisplayData renders importance as a horizontal bar chart of the top 25
// features.
func (imp *Importance) DisplayData() display.Data {
	n := min(len(imp.Features), 25)
	var values []map[string]any
	var text strings.Builder
	for i := 0; i < n; i++ {
		values = append(values, map[string]any{"feature": imp.Features[i], "value": imp.Values[i]})
		fmt.Fprintf(&text, "%-30s %.4g\n", imp.Features[i], imp.Values[i])
	}
	spec := map[string]any{
		"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
		"title":   "Feature importance (" + imp.Kind + ")",
		"width":   360,
		"data":    map[string]any{"values": values},
		"mark":    "bar",
		"encoding": map[string]any{
			"y": map[string]any{"field": "feature", "type": "nominal", "sort": "-x", "title": nil},
			"x": map[string]any{"field": "value", "type": "quantitative", "title": imp.Kind},
		},
	}
	d := display.VegaLite(spec, svgBars("Feature importance ("+imp.Kind+")", imp.Features[:n], imp.Values[:n]))
	d.Bundle[display.MIMEText] = text.String()
	return d
}

func svgBars(title string, labels []string, values []float64) string {
	const rowH, L, W = 16.0, 200.0, 560.0
	H := 30 + rowH*float64(len(labels)) + 10
	maxV := 0.0
	for _, v := range values {
		maxV = math.Max(maxV, v)
	}
	if maxV == 0 {
		maxV = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`, W, H)
	fmt.Fprintf(&b, `<text x="4" y="16" font-size="13" font-weight="bold">%s</text>`, html.EscapeString(title))
	for i, l := range labels {
		y := 26 + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`, L-6, y+11, html.EscapeString(l))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="#4c78a8"/>`, L, y+2, values[i]/maxV*(W-L-60), rowH-4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%.3g</text>`, L+values[i]/maxV*(W-L-60)+4, y+11, values[i])
	}
	b.WriteString("</svg>")
	return b.String()
}

// LearningCurve plots the GBM's training and validation metric by round.
func (g *GBM) LearningCurve() display.Data {
	var tr, va series
	tr.name, va.name = "train", "valid"
	metric := ""
	for _, h := range g.History {
		metric = h.Metric
		if h.Train != 0 {
			tr.x = append(tr.x, float64(h.Round))
			tr.y = append(tr.y, h.Train)
		}
		if h.HasValid {
			va.x = append(va.x, float64(h.Round))
			va.y = append(va.y, h.Valid)
		}
	}
	ss := []series{}
	if len(tr.x) > 0 {
		ss = append(ss, tr)
	}
	if len(va.x) > 0 {
		ss = append(ss, va)
	}
	return lineChart("Learning curve", "round", metric, ss, false, false)
}
