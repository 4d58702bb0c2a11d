package plot

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
)

func TestCharts(t *testing.T) {
	f, err := data.New(
		data.Strings("g", []string{"a", "b", "a", "c", "b", "a"}),
		data.Strings("h", []string{"x", "y", "y", "x", "x", "y"}),
		data.Float64s("v", []float64{1, 2, 3, 4, 5, 6}),
		data.Ints("n", []int{3, 1, 4, 1, 5, 9}),
	)
	if err != nil {
		t.Fatal(err)
	}
	charts := map[string]func() (*Chart, error){
		"histogram": func() (*Chart, error) { return Histogram(f, "v", Options{Bins: 4, Title: "V"}) },
		"bar":       func() (*Chart, error) { return Bar(f, "g", "") },
		"bar sum":   func() (*Chart, error) { return Bar(f, "g", "v") },
		"line":      func() (*Chart, error) { return Line(f, "n", "v", Options{Color: "g"}) },
		"scatter":   func() (*Chart, error) { return Scatter(f, "n", "v", Options{MaxPoints: 3}) },
		"box":       func() (*Chart, error) { return Box(f, "g", "v") },
		"box one":   func() (*Chart, error) { return Box(f, "", "n") },
		"heatmap":   func() (*Chart, error) { return Heatmap(f, "g", "h", "v") },
		"waterfall": func() (*Chart, error) { return Waterfall(f, "g", "v", -2) },
	}
	for name, make := range charts {
		t.Run(name, func(t *testing.T) {
			c, err := make()
			if err != nil {
				t.Fatal(err)
			}
			d := c.DisplayData()
			if _, err := json.Marshal(d.Bundle[display.MIMEVegaLite]); err != nil {
				t.Fatal(err)
			}
			svg, _ := d.Bundle[display.MIMESVG].(string)
			if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
				t.Fatalf("fallback SVG is not well-formed: %v", err)
			}
			if !strings.Contains(svg, "<line") || !(strings.Contains(svg, "<rect x") || strings.Contains(svg, "<circle") || strings.Contains(svg, "<polyline")) {
				t.Errorf("SVG lacks axes or marks")
			}
		})
	}
	for _, bad := range []func() (*Chart, error){
		func() (*Chart, error) { return Histogram(f, "nope") },
		func() (*Chart, error) { return Histogram(f, "g") },
		func() (*Chart, error) { return Scatter(f, "v", "g") },
	} {
		if _, err := bad(); err == nil {
			t.Error("want error")
		}
	}
}

func TestWaterfallRunsFromStartToTotal(t *testing.T) {
	f, err := data.New(data.Strings("feature", []string{"tenure", "contract", "tenure"}), data.Float64s("contribution", []float64{0.5, -0.25, 1}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Waterfall(f, "feature", "contribution", -1)
	if err != nil {
		t.Fatal(err)
	}
	values := c.Spec()["data"].(map[string]any)["values"].([]map[string]any)
	want := []struct {
		step     string
		from, to float64
		kind     string
	}{{"start", 0, -1, "start"}, {"tenure", -1, -0.5, "increase"}, {"contract", -0.5, -0.75, "decrease"}, {"tenure (2)", -0.75, 0.25, "increase"}, {"total", 0, 0.25, "total"}}
	if len(values) != len(want) {
		t.Fatalf("%d bars, want %d", len(values), len(want))
	}
	for i, w := range want {
		v := values[i]
		if v["step"] != w.step || v["from"] != w.from || v["to"] != w.to || v["kind"] != w.kind {
			t.Errorf("bar %d = %v, want %+v", i, v, w)
		}
	}
	if _, err := Waterfall(f, "feature", "contribution", math.NaN()); err == nil {
		t.Error("NaN start accepted")
	}
	if _, err := Waterfall(f, "nope", "contribution", 0); err == nil {
		t.Error("missing column accepted")
	}
}

func TestTickLabelsHaveNoFloatNoise(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0.1 + 0.2 + 0.3, "0.6"}, {3 * 0.1, "0.3"}, {1000, "1000"}, {-0.25, "-0.25"}, {0, "0"}} {
		if got := label(c.v); got != c.want {
			t.Errorf("label(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestLegend: a chart coloured by a column names each colour in a legend;
// colours go to groups in the order they appear in the data, not along x
// (v2 starts further left here), so that two charts of the same groups
// colour them alike. An uncoloured chart has no legend.
func TestLegend(t *testing.T) {
	f, err := data.New(data.Float64s("x", []float64{1, 2, 0, 3}), data.Float64s("y", []float64{0, 1, 1, 0}), data.Strings("run", []string{"v1", "v1", "v2", "v2"}))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	c, err := Line(f, "x", "y", Options{Color: "run"})
	if err != nil {
		t.Fatal(err)
	}
	svg := c.SVG()
	v1 := strings.Index(svg, `fill="`+palette[0]+`"/><text`)
	v2 := strings.Index(svg, `fill="`+palette[1]+`"/><text`)
	if v1 < 0 || v2 < v1 || !strings.Contains(svg[v1:], ">v1</text>") || !strings.Contains(svg[v2:], ">v2</text>") {
		t.Errorf("legend missing or out of order in %s", svg)
	}
	c, err = Line(f, "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.SVG(), ">v1</text>") {
		t.Errorf("an uncoloured chart has a legend")
	}
}
