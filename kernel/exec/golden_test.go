package exec

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/galley-dev/galley/kernel/exec/celltest"
	"github.com/galley-dev/galley/stdlib/display"
)

// engineBackend runs golden sessions in-process.
type engineBackend struct {
	e   *Engine
	out *bytes.Buffer
}

func (b engineBackend) Run(ctx context.Context, code string) string {
	b.out.Reset()
	d, err := b.e.Execute(ctx, code)
	return Transcript(b.out.String(), d, err)
}

// Transcript formats what a cell showed for golden comparison: output,
// then the text/plain result, then "error: Name: value" and the traceback.
func Transcript(out string, d *display.Data, err error) string {
	var b strings.Builder
	b.WriteString(out)
	if d != nil {
		b.WriteString(strings.TrimSpace(fmtText(d)) + "\n")
	}
	if ce, ok := err.(*CellError); ok {
		b.WriteString("error: " + ce.Ename() + ": " + ce.Evalue() + "\n")
		for _, l := range ce.Traceback() {
			if strings.HasPrefix(l, cellFile+":") {
				b.WriteString("  " + l + "\n")
			}
		}
	} else if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
	}
	return b.String()
}

func fmtText(d *display.Data) string {
	s, _ := d.Bundle[display.MIMEText].(string)
	return s
}

func TestGolden(t *testing.T) {
	var cells int
	cells = celltest.RunDir(t, "../../testdata/cells", func(t *testing.T) celltest.Backend {
		var out bytes.Buffer
		e, err := New(Options{Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatal(err)
		}
		return engineBackend{e: e, out: &out}
	})
	t.Logf("%d golden cells", cells)
}
