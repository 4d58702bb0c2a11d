package plot

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// canvas draws the static SVG fallback: a plot area with axes, and marks
// placed through x and y scales.
type canvas struct {
	b              strings.Builder
	w, h           float64
	left, right    float64
	top, bottom    float64
	x, y           scale
	title          string
	xLabel, yLabel string
}

// scale maps data to pixels: linear for numbers, bands for categories.
type scale struct {
	lo, hi float64
	cats   []string
}

func (s scale) band() bool { return s.cats != nil }

func (c *canvas) px(v float64) float64 {
	return c.left + (v-c.x.lo)/(c.x.hi-c.x.lo)*(c.w-c.left-c.right)
}

func (c *canvas) py(v float64) float64 {
	return c.h - c.bottom - (v-c.y.lo)/(c.y.hi-c.y.lo)*(c.h-c.top-c.bottom)
}

// bandX returns the left edge and width of category i on the x axis.
func (c *canvas) bandX(i int) (float64, float64) {
	w := (c.w - c.left - c.right) / float64(len(c.x.cats))
	return c.left + float64(i)*w, w
}

func (c *canvas) bandY(i int) (float64, float64) {
	h := (c.h - c.top - c.bottom) / float64(len(c.y.cats))
	return c.top + float64(i)*h, h
}

func newCanvas(o Options, title, xl, yl string) *canvas {
	c := &canvas{w: float64(o.Width), h: float64(o.Height), left: 56, right: 16, top: 28, bottom: 44, title: title, xLabel: xl, yLabel: yl}
	return c
}

// nice returns rounded tick values covering [lo, hi].
func nice(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, v)
	}
	return ticks
}

// padded extends a numeric range a little and snaps it to nice ticks.
func padded(lo, hi float64, zero bool) scale {
	if zero {
		lo = math.Min(lo, 0)
	}
	if math.IsInf(lo, 0) || math.IsNaN(lo) {
		lo, hi = 0, 1
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	t := nice(lo, hi, 5)
	step := (hi - lo) / 5
	if len(t) > 1 {
		step = t[1] - t[0]
	}
	return scale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step}
}

func label(v float64) string {
	if math.Abs(v) >= 1e6 || (v != 0 && math.Abs(v) < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	// Ticks are multiples of a step summed in floating point: 12
	// significant digits drop the noise (0.6000000000000001) before
	// printing the shortest form.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func (c *canvas) printf(format string, args ...any) { fmt.Fprintf(&c.b, format, args...) }

func (c *canvas) text(x, y float64, anchor, s string, extra string) {
	c.printf(`<text x="%.1f" y="%.1f" text-anchor="%s" font-size="10" fill="#444"%s>%s</text>`, x, y, anchor, extra, html.EscapeString(s))
}

// axes draws both axes with ticks, labels and light grid lines.
func (c *canvas) axes() {
	x0, x1 := c.left, c.w-c.right
	y0, y1 := c.h-c.bottom, c.top
	c.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888"/>`, x0, y0, x1, y0)
	c.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888"/>`, x0, y0, x0, y1)
	if c.x.band() {
		step := max(1, len(c.x.cats)/12)
		for i, cat := range c.x.cats {
			if i%step != 0 {
				continue
			}
			l, w := c.bandX(i)
			c.text(l+w/2, y0+14, "middle", shorten(cat, 14), "")
		}
	} else {
		for _, t := range nice(c.x.lo, c.x.hi, 6) {
			x := c.px(t)
			c.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888"/>`, x, y0, x, y0+4)
			c.text(x, y0+14, "middle", label(t), "")
		}
	}
	if c.y.band() {
		for i, cat := range c.y.cats {
			t, h := c.bandY(i)
			c.text(x0-4, t+h/2+3, "end", shorten(cat, 10), "")
		}
	} else {
		for _, t := range nice(c.y.lo, c.y.hi, 5) {
			y := c.py(t)
			c.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, x0, y, x1, y)
			c.text(x0-4, y+3, "end", label(t), "")
		}
	}
	c.text((x0+x1)/2, c.h-8, "middle", c.xLabel, "")
	c.text(12, (y0+y1)/2, "middle", c.yLabel, fmt.Sprintf(` transform="rotate(-90 12 %.1f)"`, (y0+y1)/2))
	if c.title != "" {
		c.printf(`<text x="%.1f" y="16" text-anchor="middle" font-size="12" font-weight="bold" fill="#222">%s</text>`, c.w/2, html.EscapeString(c.title))
	}
}

// Legends list at most maxLegend groups, each name cut to legendChars.
const (
	maxLegend   = 10
	legendChars = 18
)

// legendSpace widens the right margin to hold a legend of names.
func (c *canvas) legendSpace(names []string) {
	if len(names) == 0 {
		return
	}
	longest := 0
	for _, n := range names[:min(len(names), maxLegend)] {
		longest = max(longest, len([]rune(shorten(n, legendChars))))
	}
	c.right += 24 + 6*float64(longest)
}

// legend draws a swatch and the name of each group in the right margin,
// in colour order.
func (c *canvas) legend(names []string, color map[string]string) {
	if len(names) == 0 {
		return
	}
	x := c.w - c.right + 12
	for k, n := range names {
		y := c.top + 4 + float64(k)*14
		if k == maxLegend {
			c.text(x, y+8, "start", fmt.Sprintf("… %d more", len(names)-k), "")
			break
		}
		c.printf(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, x, y, color[n])
		c.text(x+14, y+9, "start", shorten(n, legendChars), "")
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (c *canvas) svg() string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif"><rect width="100%%" height="100%%" fill="white"/>%s</svg>`,
		c.w, c.h, c.w, c.h, c.b.String())
}

const markColor = "#4c78a8"

var palette = []string{"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"}
