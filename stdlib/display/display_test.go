package display_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/stdlib/display"
)

// recorder is a Publisher that keeps every event.
type recorder struct {
	events []string
	data   []display.Data
	ids    []string
}

func (r *recorder) Display(d display.Data, id string) {
	r.events = append(r.events, "display")
	r.data = append(r.data, d)
	r.ids = append(r.ids, id)
}

func (r *recorder) Update(d display.Data, id string) {
	r.events = append(r.events, "update")
	r.data = append(r.data, d)
	r.ids = append(r.ids, id)
}

func (r *recorder) Clear(wait bool) {
	if wait {
		r.events = append(r.events, "clear-wait")
	} else {
		r.events = append(r.events, "clear")
	}
}

func capture(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	old := display.SetPublisher(r)
	t.Cleanup(func() { display.SetPublisher(old) })
	return r
}

type table struct{}

func (table) DisplayData() display.Data {
	return display.Data{Bundle: display.Bundle{display.MIMEHTML: "<table></table>"}}
}

func (table) String() string { return "table" }

func TestShowUpdateClear(t *testing.T) {
	r := capture(t)
	h := display.Show(display.Markdown("**training**"))
	h.Update(display.Markdown("**done**"))
	display.Display(display.HTML("<b>x</b>"))
	display.ClearOutput(true)
	display.ClearOutput(false)

	want := []string{"display", "update", "display", "clear-wait", "clear"}
	if strings.Join(r.events, ",") != strings.Join(want, ",") {
		t.Fatalf("events = %v, want %v", r.events, want)
	}
	if h.ID == "" || r.ids[0] != h.ID || r.ids[1] != h.ID {
		t.Errorf("Show and Update must share the handle's id: handle %q, ids %q", h.ID, r.ids)
	}
	if r.ids[2] != "" {
		t.Errorf("Display without a handle sent id %q", r.ids[2])
	}
	if got := r.data[1].Bundle[display.MIMEMarkdown]; got != "**done**" {
		t.Errorf("update carried %v", got)
	}
	if h2 := display.Show(display.Text("again")); h2.ID == h.ID {
		t.Error("two Show calls returned the same display id")
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		v    any
		mime string
		want string
	}{
		{"nil", nil, display.MIMEText, "<nil>"},
		{"string is quoted", "hi", display.MIMEText, `"hi"`},
		{"int", 42, display.MIMEText, "42"},
		{"error", errors.New("boom"), display.MIMEText, "boom"},
		{"renderer keeps its html", table{}, display.MIMEHTML, "<table></table>"},
		{"renderer gets a text fallback", table{}, display.MIMEText, "table"},
		{"svg", display.SVG("<svg/>"), display.MIMESVG, "<svg/>"},
		{"markdown", display.Markdown("# t"), display.MIMEMarkdown, "# t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := display.Render(tt.v)
			if got, _ := d.Bundle[tt.mime].(string); got != tt.want {
				t.Errorf("Render(%v)[%s] = %q, want %q", tt.v, tt.mime, got, tt.want)
			}
		})
	}
}

func TestPNGIsBase64(t *testing.T) {
	raw := []byte{0x89, 'P', 'N', 'G', 0, 1, 2}
	d := display.PNG(raw)
	s, _ := d.Bundle[display.MIMEPNG].(string)
	got, err := base64.StdEncoding.DecodeString(s)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("PNG bundle %q does not decode to the input: %v", s, err)
	}
}

func TestJSONAndVegaLite(t *testing.T) {
	d := display.JSON(map[string]int{"a": 1})
	tree, ok := d.Bundle[display.MIMEJSON].(map[string]any)
	if !ok || tree["a"] != float64(1) {
		t.Errorf("JSON bundle = %#v", d.Bundle[display.MIMEJSON])
	}
	bad := display.JSON(func() {})
	if s, _ := bad.Bundle[display.MIMEText].(string); !strings.Contains(s, "display.JSON") {
		t.Errorf("unencodable JSON should explain itself, got %q", s)
	}
	spec := map[string]any{"mark": "bar"}
	v := display.VegaLite(spec, "<svg/>")
	if v.Bundle[display.MIMESVG] != "<svg/>" || v.Bundle[display.MIMEVegaLite] == nil {
		t.Errorf("VegaLite bundle = %#v", v.Bundle)
	}
	if _, ok := display.VegaLite(spec, "").Bundle[display.MIMESVG]; ok {
		t.Error("VegaLite without a fallback must not carry an empty SVG")
	}
}

func TestLive(t *testing.T) {
	r := capture(t)
	live := display.NewLive(time.Hour)
	live.Report(display.Text("1"), false)
	live.Report(display.Text("2"), false) // within the interval: not shown
	live.Report(display.Text("3"), true)  // final: always shown
	live.Report(display.Text("4"), false) // after the final one: a new output
	if got := strings.Join(r.events, " "); got != "display update display" {
		t.Fatalf("events %q, want display update display", got)
	}
	if got := r.data[1].Bundle[display.MIMEText]; got != "3" || r.ids[1] != r.ids[0] || r.ids[2] == r.ids[0] {
		t.Errorf("update = %v (ids %v), want the final report on the first output, then a new one", got, r.ids)
	}
	bar := display.ProgressBar(1.5, "a<b")
	if bar.Bundle[display.MIMEText] != "a<b" || !strings.Contains(bar.Bundle[display.MIMEHTML].(string), "width:100%") ||
		!strings.Contains(bar.Bundle[display.MIMEHTML].(string), "a&lt;b") {
		t.Errorf("bar = %v", bar.Bundle)
	}
}
