package data

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/galley-dev/galley/stdlib/display"
)

// Report is an exploratory profile of a frame, one entry per column. It
// renders as an HTML table in a notebook.
type Report struct {
	Rows    int
	Label   string
	Columns []ColumnProfile
}

// ColumnProfile summarises one column.
type ColumnProfile struct {
	Name     string
	Type     DType
	Nulls    int
	NullPct  float64 // share of rows that are null, in percent
	Distinct int
	// Numeric columns.
	Min, Max, Mean, Std float64
	Hist                []int // counts in equal-width bins between Min and Max
	// String and bool columns: the most frequent values.
	Top []ValueCount
	// Association with the label: "AUC" (numeric feature, binary label),
	// "corr" (numeric feature and label) or "rate" (category target rates).
	AssocKind string
	Assoc     float64
	Rates     []ValueCount // per category: Rate is the label's positive rate
}

// ValueCount is a value with its count and, in Rates, the target rate.
type ValueCount struct {
	Value string
	Count int
	Rate  float64
}

// Profile computes a per-column profile of f. When label names a column,
// each other column's association with it is measured: for a binary label
// (Yes/No, 0/1, true/false) numeric columns get an AUC and categories their
// positive rate; for a numeric label numeric columns get a correlation.
func Profile(f *Frame, label string) (*Report, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	rep := &Report{Rows: f.nrows, Label: label, Columns: make([]ColumnProfile, len(f.schema))}
	var y []float64 // label as 1/0 (binary) or value; NaN when null
	binary := false
	if label != "" {
		c, err := f.Column(label)
		if err != nil {
			return nil, fmt.Errorf("profile label: %w", err)
		}
		y, binary = labelValues(c)
	}
	parallel(len(f.schema), func(k int) {
		rep.Columns[k] = profileColumn(&Column{field: f.schema[k], arr: f.col(k)}, y, binary, f.schema[k].Name == label)
	})
	return rep, nil
}

// labelValues encodes the label: binary labels as 1 (positive) and 0.
func labelValues(c *Column) ([]float64, bool) {
	n := c.Len()
	y := make([]float64, n)
	if c.DType() == String {
		codes, levels, _ := c.Codes()
		if len(levels) != 2 {
			return nil, false
		}
		pos := 1
		switch strings.ToLower(levels[0]) {
		case "yes", "true", "1", "y", "positive":
			pos = 0
		}
		for i, code := range codes {
			switch {
			case code < 0:
				y[i] = math.NaN()
			case int(code) == pos:
				y[i] = 1
			}
		}
		return y, true
	}
	vals, err := c.ToFloat64s()
	if err != nil {
		return nil, false
	}
	distinct := map[float64]bool{}
	for _, v := range vals {
		if !math.IsNaN(v) {
			distinct[v] = true
		}
	}
	binary := len(distinct) == 2 && distinct[0] && distinct[1]
	return vals, binary
}

func profileColumn(c *Column, y []float64, binary, isLabel bool) ColumnProfile {
	n := c.Len()
	p := ColumnProfile{Name: c.Name(), Type: c.DType(), Nulls: c.NullCount()}
	if n > 0 {
		p.NullPct = 100 * float64(p.Nulls) / float64(n)
	}
	codes, card, _ := codeKeys([]arrow.Array{c.arr})
	p.Distinct = card
	if c.DType() == Int64 || c.DType() == Float64 || c.DType() == Timestamp {
		x, _ := c.ToFloat64s()
		numericProfile(&p, x)
		if y != nil && !isLabel {
			if binary {
				p.AssocKind, p.Assoc = "AUC", auc(x, y)
			} else {
				p.AssocKind, p.Assoc = "corr", corr(x, y)
			}
		}
		if p.Distinct > 20 || c.DType() == Timestamp {
			return p
		}
	}
	// Categories: top values and, with a binary label, positive rates.
	counts := make([]int, card)
	pos := make([]float64, card)
	seen := make([]int, card)
	first := make([]int, card)
	for i := range first {
		first[i] = -1
	}
	for i, code := range codes {
		if code < 0 {
			continue
		}
		counts[code]++
		if first[code] < 0 {
			first[code] = i
		}
		if binary && y != nil && !math.IsNaN(y[i]) {
			pos[code] += y[i]
			seen[code]++
		}
	}
	order := make([]int, card)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return counts[order[a]] > counts[order[b]] })
	for _, code := range order[:min(len(order), 10)] {
		vc := ValueCount{Value: formatValue(c.Value(first[code])), Count: counts[code], Rate: math.NaN()}
		if seen[code] > 0 {
			vc.Rate = pos[code] / float64(seen[code])
		}
		p.Top = append(p.Top, vc)
	}
	// Identifier-like columns have no meaningful per-category rate.
	if binary && y != nil && !isLabel && p.AssocKind == "" && card <= 50 {
		p.AssocKind = "rate"
		p.Rates = p.Top
		// Spread of target rates across categories, as one number.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range p.Rates {
			if !math.IsNaN(r.Rate) {
				lo, hi = math.Min(lo, r.Rate), math.Max(hi, r.Rate)
			}
		}
		p.Assoc = hi - lo
	}
	return p
}

func numericProfile(p *ColumnProfile, x []float64) {
	p.Min, p.Max = math.Inf(1), math.Inf(-1)
	var sum, sq float64
	n := 0
	for _, v := range x {
		if math.IsNaN(v) {
			continue
		}
		n++
		p.Min, p.Max = math.Min(p.Min, v), math.Max(p.Max, v)
		d := v - p.Mean
		p.Mean += d / float64(n)
		sq += d * (v - p.Mean)
		sum += v
	}
	if n == 0 {
		p.Min, p.Max, p.Mean = math.NaN(), math.NaN(), math.NaN()
		return
	}
	if n > 1 {
		p.Std = math.Sqrt(sq / float64(n-1))
	}
	const bins = 20
	p.Hist = make([]int, bins)
	w := (p.Max - p.Min) / bins
	for _, v := range x {
		if math.IsNaN(v) {
			continue
		}
		b := 0
		if w > 0 {
			b = min(int((v-p.Min)/w), bins-1)
		}
		p.Hist[b]++
	}
}

// auc is the probability that a random positive scores above a random
// negative (Mann–Whitney U with tied ranks averaged).
func auc(x, y []float64) float64 {
	idx := make([]int, 0, len(x))
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	var rankSum, npos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += rank
				npos++
			}
		}
		i = j
	}
	nneg := float64(len(idx)) - npos
	if npos == 0 || nneg == 0 {
		return math.NaN()
	}
	return (rankSum - npos*(npos+1)/2) / (npos * nneg)
}

func corr(x, y []float64) float64 {
	var n, mx, my float64
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		n++
		mx += x[i]
		my += y[i]
	}
	if n < 2 {
		return math.NaN()
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

// sparkline draws counts as a tiny inline SVG bar chart.
func sparkline(counts []int) string {
	if len(counts) == 0 {
		return ""
	}
	const w, h = 100.0, 24.0
	top := 1
	for _, c := range counts {
		top = max(top, c)
	}
	bw := w / float64(len(counts))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g">`, w, h, w, h)
	for i, c := range counts {
		bh := h * float64(c) / float64(top)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4c78a8"/>`, float64(i)*bw, h-bh, bw*0.9, bh)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func (p ColumnProfile) stats() string {
	if p.Hist != nil {
		return fmt.Sprintf("min %s · max %s · mean %s · std %s", fv(p.Min), fv(p.Max), fv(p.Mean), fv(p.Std))
	}
	var parts []string
	for _, t := range p.Top[:min(len(p.Top), 4)] {
		parts = append(parts, fmt.Sprintf("%s (%d)", t.Value, t.Count))
	}
	return strings.Join(parts, ", ")
}

func (p ColumnProfile) assoc() string {
	switch p.AssocKind {
	case "AUC", "corr":
		return fmt.Sprintf("%s %.3f", p.AssocKind, p.Assoc)
	case "rate":
		var parts []string
		for _, r := range p.Rates[:min(len(p.Rates), 4)] {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", r.Value, 100*r.Rate))
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

func fv(x float64) string { return formatValue(x) }

// String renders the profile as a text table.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Profile: %d rows, %d columns", r.Rows, len(r.Columns))
	if r.Label != "" {
		fmt.Fprintf(&b, ", label %q", r.Label)
	}
	b.WriteByte('\n')
	for _, p := range r.Columns {
		fmt.Fprintf(&b, "%-20s %-9s null %5.1f%%  distinct %-6d %s", p.Name, p.Type, p.NullPct, p.Distinct, p.stats())
		if a := p.assoc(); a != "" {
			fmt.Fprintf(&b, "  [%s]", a)
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// DisplayData renders the profile as an HTML table with sparklines.
func (r *Report) DisplayData() display.Data {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="galley-profile"><p><b>%d rows × %d columns</b>`, r.Rows, len(r.Columns))
	if r.Label != "" {
		fmt.Fprintf(&b, ` · label <code>%s</code>`, html.EscapeString(r.Label))
	}
	b.WriteString(`</p><table style="border-collapse:collapse;font-size:12px"><thead><tr>`)
	for _, h := range []string{"column", "type", "null %", "distinct", "distribution", "summary", "vs label"} {
		fmt.Fprintf(&b, `<th style="text-align:left;padding:2px 8px">%s</th>`, h)
	}
	b.WriteString("</tr></thead><tbody>")
	for _, p := range r.Columns {
		dist := sparkline(p.Hist)
		if dist == "" && len(p.Top) > 0 {
			counts := make([]int, len(p.Top))
			for i, t := range p.Top {
				counts[i] = t.Count
			}
			dist = sparkline(counts)
		}
		nullStyle := ""
		if p.NullPct > 0 {
			nullStyle = "color:#c0392b"
		}
		fmt.Fprintf(&b, `<tr><td style="padding:2px 8px"><b>%s</b></td><td style="padding:2px 8px;color:#888">%s</td><td style="padding:2px 8px;%s">%.1f</td><td style="padding:2px 8px">%d</td><td style="padding:2px 8px">%s</td><td style="padding:2px 8px">%s</td><td style="padding:2px 8px">%s</td></tr>`,
			html.EscapeString(p.Name), p.Type, nullStyle, p.NullPct, p.Distinct, dist, html.EscapeString(p.stats()), html.EscapeString(p.assoc()))
	}
	b.WriteString("</tbody></table></div>")
	return display.Data{Bundle: display.Bundle{display.MIMEHTML: b.String(), display.MIMEText: r.String()}}
}
