package engine

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
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

// Traceback is the Jupyter traceback: one line per position.
func (e *CellError) Traceback() []string {
	if len(e.Trace) == 0 {
		return []string{e.Name + ": " + e.Value}
	}
	return e.Trace
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
