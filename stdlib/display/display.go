// Package display is how notebook cells show rich output.
//
// A cell calls HTML, Markdown, SVG, PNG, JSON or VegaLite to publish a
// display_data message, or Show for any value that knows how to render
// itself. Show returns a handle whose Update replaces that output in place
// (update_display_data), and ClearOutput clears the cell's output area.
//
//	h := display.Show(display.Markdown("**training…**"))
//	// ... later
//	h.Update(display.Markdown("**done**"))
//
// Values render themselves by implementing Renderer. Frames, plots and metric
// tables from galley's stdlib all do, so leaving one as the last expression of
// a cell shows its HTML table or chart.
//
// The kernel installs a Publisher when it starts; outside a kernel (in tests
// or compiled programs) output goes to a Publisher that writes text/plain to
// standard output.
package display

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// Standard MIME types understood by Jupyter front ends.
const (
	MIMEText     = "text/plain"
	MIMEHTML     = "text/html"
	MIMEMarkdown = "text/markdown"
	MIMEPNG      = "image/png"
	MIMESVG      = "image/svg+xml"
	MIMEJSON     = "application/json"
	MIMEVegaLite = "application/vnd.vegalite.v5+json"
)

// Bundle maps MIME types to representations of one value. Text formats hold a
// string, image/png holds base64 text, and JSON formats hold any value that
// encodes to JSON.
type Bundle map[string]any

// Data is a renderable output: its MIME bundle plus per-type metadata.
type Data struct {
	Bundle   Bundle
	Metadata map[string]any
}

// DisplayData returns d itself, so a Data is a Renderer.
func (d Data) DisplayData() Data { return d }

// Renderer is implemented by values that render as rich output.
type Renderer interface {
	DisplayData() Data
}

// Publisher receives display events. The kernel implements it to send
// display_data, update_display_data and clear_output messages.
type Publisher interface {
	// Display publishes d. A non-empty id lets later updates replace it.
	Display(d Data, id string)
	// Update replaces every output previously displayed with id.
	Update(d Data, id string)
	// Clear clears the current cell's output; with wait true the clear
	// happens when the next output arrives, which avoids flicker.
	Clear(wait bool)
}

var (
	mu        sync.RWMutex
	publisher Publisher = textPublisher{w: os.Stdout}
)

// SetPublisher routes display events to p and returns the previous publisher.
// The kernel calls it once at start; tests may call it to capture output.
func SetPublisher(p Publisher) Publisher {
	mu.Lock()
	defer mu.Unlock()
	old := publisher
	publisher = p
	return old
}

func current() Publisher {
	mu.RLock()
	defer mu.RUnlock()
	return publisher
}

// Handle refers to one displayed output so that it can be updated in place.
type Handle struct {
	ID string
}

// Update replaces the output of h with v.
func (h Handle) Update(v any) {
	current().Update(Render(v), h.ID)
}

// Show displays v and returns a handle for updating it.
func Show(v any) Handle {
	h := Handle{ID: newID()}
	current().Display(Render(v), h.ID)
	return h
}

// Display displays v without keeping a handle.
func Display(v any) {
	current().Display(Render(v), "")
}

// ClearOutput clears the output of the running cell. With wait true the clear
// is deferred until new output arrives.
func ClearOutput(wait bool) {
	current().Clear(wait)
}

// Render returns the rich representation of v. Renderers render themselves,
// errors and other values fall back to text/plain.
func Render(v any) Data {
	switch x := v.(type) {
	case nil:
		return Data{Bundle: Bundle{MIMEText: "<nil>"}}
	case Renderer:
		d := x.DisplayData()
		if d.Bundle == nil {
			d.Bundle = Bundle{}
		}
		if _, ok := d.Bundle[MIMEText]; !ok {
			d.Bundle[MIMEText] = fmt.Sprint(v)
		}
		return d
	case error:
		return Data{Bundle: Bundle{MIMEText: x.Error()}}
	case fmt.Stringer:
		return Data{Bundle: Bundle{MIMEText: x.String()}}
	case string:
		return Data{Bundle: Bundle{MIMEText: fmt.Sprintf("%q", x)}}
	default:
		return Data{Bundle: Bundle{MIMEText: fmt.Sprintf("%v", x)}}
	}
}

// HTML is a value that renders as HTML.
func HTML(s string) Data { return Data{Bundle: Bundle{MIMEHTML: s, MIMEText: "<HTML>"}} }

// Markdown is a value that renders as Markdown.
func Markdown(s string) Data { return Data{Bundle: Bundle{MIMEMarkdown: s, MIMEText: s}} }

// SVG is a value that renders as an SVG image.
func SVG(s string) Data { return Data{Bundle: Bundle{MIMESVG: s, MIMEText: "<SVG image>"}} }

// PNG is a value that renders as a PNG image given its raw bytes.
func PNG(b []byte) Data {
	return Data{Bundle: Bundle{MIMEPNG: base64.StdEncoding.EncodeToString(b), MIMEText: "<PNG image>"}}
}

// Text is a value that renders as plain text, shown verbatim.
func Text(s string) Data { return Data{Bundle: Bundle{MIMEText: s}} }

// JSON is a value that renders as an interactive JSON tree. v must encode to
// a JSON object or array; encoding errors render as text.
func JSON(v any) Data {
	b, err := json.Marshal(v)
	if err != nil {
		return Text(fmt.Sprintf("display.JSON: %v", err))
	}
	var tree any
	_ = json.Unmarshal(b, &tree)
	return Data{Bundle: Bundle{MIMEJSON: tree, MIMEText: string(b)}}
}

// VegaLite renders a Vega-Lite v5 specification. fallbackSVG, when not
// empty, is shown by viewers that do not run Vega (nbconvert, GitHub).
func VegaLite(spec map[string]any, fallbackSVG string) Data {
	b := Bundle{MIMEVegaLite: spec, MIMEText: "<Vega-Lite chart>"}
	if fallbackSVG != "" {
		b[MIMESVG] = fallbackSVG
	}
	return Data{Bundle: b}
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// textPublisher is the publisher outside a kernel: it prints text/plain.
type textPublisher struct{ w io.Writer }

func (p textPublisher) Display(d Data, id string) { fmt.Fprintln(p.w, d.Bundle[MIMEText]) }
func (p textPublisher) Update(d Data, id string)  { fmt.Fprintln(p.w, d.Bundle[MIMEText]) }
func (p textPublisher) Clear(wait bool)           {}
