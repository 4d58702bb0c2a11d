// Package cellrt holds the compiled helpers that rewritten cells call: the
// hook that captures a cell's trailing value, builtins the interpreter
// lacks, and the reporting of panics in goroutines a cell started.
//
// Cells never name it themselves; the engine imports it into the
// interpreter under an identifier users are unlikely to choose.
package cellrt

import (
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// Runtime connects helpers to one engine. The engine keeps one per
// interpreter, so several engines may live in one process.
type Runtime struct {
	exiting atomic.Bool
	mu      sync.Mutex
	shown   [][]any
	onPanic func(cell int, at string, value any)
}

// New returns a Runtime that reports goroutine panics to onPanic, with the
// cell that started the goroutine and the position of its go statement.
func New(onPanic func(cell int, at string, value any)) *Runtime {
	return &Runtime{onPanic: onPanic}
}

// Show records the values of a cell's trailing expression.
func (r *Runtime) Show(vs ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shown = append(r.shown, vs)
}

// TakeShown returns and forgets the values recorded since the last call.
func (r *Runtime) TakeShown() [][]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.shown
	r.shown = nil
	return s
}

// SetExiting marks whether the running cell is ending through os.Exit or
// log.Fatal.
func (r *Runtime) SetExiting(v bool) { r.exiting.Store(v) }

// Exiting reports whether the running cell is ending through os.Exit or
// log.Fatal: deferred calls return at once then, as Go skips them.
func (r *Runtime) Exiting() bool { return r.exiting.Load() }

// GoPanic is called, from a deferred function wrapped around every
// goroutine a cell starts, with the value recover returned there.
func (r *Runtime) GoPanic(cell int, at string, v any) {
	if v != nil {
		r.onPanic(cell, at, v)
	}
}

// Clear implements the clear builtin for maps and slices.
func Clear(v any) {
	rv := reflect.ValueOf(v)
	if rv.IsValid() && (rv.Kind() == reflect.Map || rv.Kind() == reflect.Slice) {
		rv.Clear()
	}
}

// Unwrapped returns the errors err wraps when it wraps several, as
// errors.Join and fmt.Errorf with more than one %w do; nil otherwise. The
// interpreter cannot assert a compiled error to that interface itself.
func Unwrapped(err error) []error {
	if m, ok := err.(interface{ Unwrap() []error }); ok {
		return m.Unwrap()
	}
	return nil
}

// Inner returns the interpreter's value inside the wrapper it makes to
// hand a value to compiled code as an interface (error, fmt.Stringer, ...):
// a struct of the interpreter's package whose first field is IValue.
func Inner(v any) any {
	rv := reflect.ValueOf(v)
	for i := 0; i < 4 && rv.Kind() == reflect.Struct && rv.NumField() > 0; i++ {
		f := rv.Type().Field(0)
		if f.Name != "IValue" || !strings.HasPrefix(rv.Type().PkgPath(), "github.com/traefik/yaegi/") {
			break
		}
		inner := rv.Field(0)
		if inner.Kind() == reflect.Interface {
			inner = inner.Elem()
		}
		if !inner.IsValid() || !inner.CanInterface() {
			break
		}
		rv = inner
	}
	if !rv.IsValid() || !rv.CanInterface() {
		return v
	}
	return rv.Interface()
}
