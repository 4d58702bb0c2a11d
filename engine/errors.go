package engine

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"

	"github.com/galley-dev/galley/engine/stdsymbols"
)

// CellError is why a cell failed: a compile error, a panic, os.Exit or an
// interrupt. The kernel reports it as an execute_reply error.
type CellError struct {
	// Name is the Go type of the error or panic value ("runtime.Error",
	// "*fs.PathError", "string"), or CompileError, Exit or Interrupted.
	Name string
	// Value is the error message or the printed panic value.
	Value string
	// Trace lists positions in the cell ("cell:3:5: ...") from the error
	// outwards.
	Trace []string
	// Err is the panic value when it was an error, for errors.Is and As.
	Err error
}

// Kinds of CellError that are not Go types.
const (
	CompileError = "CompileError"
	ExitError    = "Exit"
	Interrupted  = "Interrupted"
)

func (e *CellError) Error() string {
	if len(e.Trace) > 0 && e.Name == CompileError {
		return strings.Join(e.Trace, "\n")
	}
	return e.Name + ": " + e.Value
}

func (e *CellError) Unwrap() error { return e.Err }

// Ename is the Jupyter error name.
func (e *CellError) Ename() string { return e.Name }

// Evalue is the Jupyter error value.
func (e *CellError) Evalue() string { return e.Value }

// ANSI colours of a traceback, as IPython colours its own: the error's
// name in red, positions in green.
const (
	ansiRed   = "\x1b[0;31m"
	ansiGreen = "\x1b[0;32m"
	ansiReset = "\x1b[0m"
)

// Traceback is the Jupyter traceback, which is what front ends show. A
// compile error lists its positions. A failure at run time starts with
// "Name: value", as Python's do, then the cell's own position and the
// functions it called, outermost first.
func (e *CellError) Traceback() []string {
	if e.Name == CompileError && len(e.Trace) > 0 {
		return e.Trace
	}
	tb := []string{ansiRed + e.Name + ansiReset + ": " + e.Value}
	for _, l := range e.Trace {
		if pos, rest, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(pos, cellFile+":") {
			l = ansiGreen + pos + ansiReset + ": " + rest
		}
		tb = append(tb, l)
	}
	return tb
}

// frame is one line the interpreter printed while a panic unwound a
// function: its position and name ("main.f"), and the goroutine that
// printed it.
type frame struct {
	g       uint64
	pos, fn string
}

// goPanic is a panic recovered in a goroutine a cell started.
type goPanic struct {
	value  any
	at     string  // position of the go statement
	frames []frame // what the goroutine unwound, innermost first
}

// goroutineID returns the running goroutine's number, which tells the
// frames of concurrent panics apart. Go does not expose it otherwise; it
// is read only while a panic unwinds.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		n, _ := strconv.ParseUint(string(b[:i]), 10, 64)
		return n
	}
	return 0
}

// trace turns the frames of one unwinding, innermost first, into
// traceback lines, outermost first. For the running cell's own statements
// p (nil when they did not run) gives the position of the statement that
// failed: the interpreter reports only where each function started.
func (e *Engine) trace(p *program, frames []frame) []string {
	if len(frames) == 0 {
		return nil
	}
	g := frames[len(frames)-1].g
	cellFn := fmt.Sprintf("%s%d", cellFuncName, e.cell)
	var lines []string
	for i := len(frames) - 1; i >= 0; i-- {
		f := frames[i]
		if f.g != g {
			continue
		}
		name := strings.TrimPrefix(f.fn, "main.")
		base, lit := name, false
		for strings.HasSuffix(base, ".func") {
			base, lit = strings.TrimSuffix(base, ".func"), true
		}
		pos, where := f.pos, "in "+base
		switch {
		case base == cellFn:
			where = "in this cell"
			if !lit && p != nil {
				if at, ok := e.statementPos(p); ok {
					pos = at
				}
			}
		case strings.HasPrefix(base, cellFuncName):
			where = "in an earlier cell"
		}
		if lit {
			where = "in a function literal " + where
		}
		if lit || !strings.HasPrefix(base, cellFuncName) {
			// Only the cell's own statements record where they are; a
			// function's frame has the position of its first statement.
			where += " (body starts here)"
		}
		lines = append(lines, pos+": "+where)
	}
	return lines
}

// statementPos is the position of the top-level statement of p that ran
// last.
func (e *Engine) statementPos(p *program) (string, bool) {
	v, ok := e.in.Globals()[posVar]
	if !ok || !v.IsValid() || !v.CanInt() {
		return "", false
	}
	n := int(v.Int())
	if n < 1 || n > len(p.stmtPos) {
		return "", false
	}
	return p.stmtPos[n-1], true
}

// panicError describes a panic value the way Go names it.
func (e *Engine) panicError(v any, trace []string) *CellError {
	// The interpreter panics with the reflect.Value of an interpreted
	// panic's argument.
	if rv, ok := v.(reflect.Value); ok && rv.IsValid() && rv.CanInterface() {
		v = rv.Interface()
	}
	if s, ok := v.(string); ok && strings.HasPrefix(s, "reflect: ") && strings.Contains(s, "index out of range") {
		// Interpreted indexing goes through reflect, whose bounds check
		// is a runtime error in compiled Go.
		return &CellError{Name: "runtime.Error", Value: "runtime error: index out of range", Trace: trace}
	}
	if ve, ok := v.(*reflect.ValueError); ok && strings.Contains(ve.Error(), "zero Value") {
		// The interpreter dereferences nil pointers through reflect.
		return &CellError{Name: "runtime.Error", Value: "runtime error: invalid memory address or nil pointer dereference", Trace: trace, Err: ve}
	}
	if e, ok := v.(stdsymbols.Exit); ok {
		return &CellError{Name: ExitError, Value: e.Error(), Trace: trace, Err: e}
	}
	ce := &CellError{Name: e.typeName(v), Value: fmt.Sprint(v), Trace: trace}
	if err, ok := v.(error); ok {
		ce.Err = err
		ce.Value = err.Error()
	} else if text, ok := e.cellText(unwrapped(v)); ok {
		ce.Value = text
	}
	if _, ok := v.(runtime.Error); ok {
		ce.Name = "runtime.Error"
	}
	return ce
}

// typeName names v's type as Go would. The interpreter builds the types
// cells declare without their names, so those are looked up among the
// types cells declared.
func (e *Engine) typeName(v any) string {
	if v == nil {
		return "nil"
	}
	if n, ok := e.cellTypeName(reflect.TypeOf(unwrapped(v))); ok {
		return n
	}
	t := reflect.TypeOf(v)
	if t.Name() == "" && t.Kind() == reflect.Struct {
		return "struct"
	}
	return t.String()
}

// runError converts what the interpreter returned for a failed cell.
func (e *Engine) runError(err error, trace []string) *CellError {
	var p interp.Panic
	if errors.As(err, &p) {
		return e.panicError(p.Value, trace)
	}
	var ce *CellError
	if errors.As(err, &ce) {
		return ce
	}
	// The interpreter's own compile errors carry "cell:L:C: " positions
	// through the line directives.
	msg := err.Error()
	return &CellError{Name: CompileError, Value: stripPos(msg), Trace: strings.Split(msg, "\n"), Err: err}
}

// stripPos removes a leading "file:line:col: " from msg.
func stripPos(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	parts := strings.SplitN(first, ": ", 2)
	if len(parts) == 2 && strings.Count(parts[0], ":") >= 1 {
		return parts[1]
	}
	return first
}
