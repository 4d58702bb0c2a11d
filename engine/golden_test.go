package engine

import (
	"bytes"
	"context"
	"testing"

	"github.com/galley-dev/galley/engine/celltest"
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

// Transcript formats what a cell showed for golden comparison.
func Transcript(out string, d *display.Data, err error) string {
	s := celltest.Shown{Output: out}
	if d != nil {
		text, _ := d.Bundle[display.MIMEText].(string)
		s.Result = &text
	}
	if ce, ok := err.(*CellError); ok {
		s.Err = &celltest.Error{Name: ce.Ename(), Value: ce.Evalue(), Traceback: ce.Traceback()}
	} else if err != nil {
		s.Err = &celltest.Error{Value: err.Error()}
	}
	return s.Transcript()
}

func TestGolden(t *testing.T) {
	cells := celltest.RunDir(t, "../testdata/cells", func(t *testing.T) celltest.Backend {
		var out bytes.Buffer
		e, err := New(Options{Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatal(err)
		}
		return engineBackend{e: e, out: &out}
	})
	t.Logf("%d golden cells", cells)
}
