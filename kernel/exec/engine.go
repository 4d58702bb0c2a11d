// Package exec runs notebook cells: it holds one interpreter session, turns a
// cell's source into something yaegi evaluates, and renders the value of a
// trailing expression.
//
// It knows nothing about Jupyter messages or sockets; the kernel's worker
// drives an Engine and translates its results into protocol messages.
package exec

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/galley-dev/galley/stdlib/display"
)

// Options configure a new Engine.
type Options struct {
	// Stdin is what cells read from os.Stdin and fmt.Scan*. The kernel passes
	// a reader that asks the front end for input. Nil means os.Stdin.
	Stdin io.Reader
	// Stdout and Stderr receive what interpreted code prints through fmt and
	// log. Nil means the process's os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
}

// Engine is one interpreter session. Values persist across Execute calls.
// An Engine runs one cell at a time.
type Engine struct {
	in *interp.Interpreter
}

// New starts an interpreter session.
func New(opts Options) (*Engine, error) {
	io := interp.Options{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr}
	if io.Stdin == nil {
		io.Stdin = os.Stdin
	}
	if io.Stdout == nil {
		io.Stdout = os.Stdout
	}
	if io.Stderr == nil {
		io.Stderr = os.Stderr
	}
	in := interp.New(io)
	if err := in.Use(stdlib.Symbols); err != nil {
		return nil, fmt.Errorf("exec: loading standard library symbols: %w", err)
	}
	return &Engine{in: in}, nil
}

// Execute runs one cell. When the cell ends in an expression, its value is
// returned rendered; otherwise the returned Data is nil. Cancelling ctx
// interrupts the cell.
func (e *Engine) Execute(ctx context.Context, code string) (*display.Data, error) {
	v, err := e.in.EvalWithContext(ctx, code)
	if err != nil {
		return nil, err
	}
	if !v.IsValid() || (v.Kind() == reflect.Func) {
		return nil, nil
	}
	d := display.Render(v.Interface())
	return &d, nil
}

// Complete returns completions for code at cursor (a position in Unicode
// code points), and the range of code they replace.
func (e *Engine) Complete(code string, cursor int) (matches []string, start, end int) {
	return nil, cursor, cursor
}

// Inspect describes the identifier at cursor. It reports false when there is
// nothing to show.
func (e *Engine) Inspect(code string, cursor, detail int) (display.Data, bool) {
	return display.Data{}, false
}

// IsComplete tells a console whether code is ready to run: "complete",
// "incomplete" (with the indent for the next line) or "invalid".
func (e *Engine) IsComplete(code string) (status, indent string) {
	return "complete", ""
}
