package engine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
)

// Lookup returns the value of a package-level function or variable that
// the cells so far defined, as the interpreter holds it. The server binds a
// recipe's entry points (Load, Train, Score, ...) this way after running
// its cells.
func (e *Engine) Lookup(name string) (v reflect.Value, err error) {
	if !e.defines(name) {
		return reflect.Value{}, fmt.Errorf("no cell defines %s", name)
	}
	if n, ok := e.sess.renames[name]; ok {
		name = n
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reading %s: %v", name, r)
		}
	}()
	return e.in.Eval(name)
}

// defines reports whether the session holds a declaration or variable
// called name.
func (e *Engine) defines(name string) bool {
	if _, ok := e.sess.vars[name]; ok {
		return true
	}
	for _, d := range e.sess.decls {
		if d.defines(name) {
			return true
		}
	}
	return false
}

// TypeName names the type of v when a cell declared it: "main.T", or
// "*main.T" for a pointer to one. New reads such a name back.
func (e *Engine) TypeName(v any) (string, bool) {
	if v == nil {
		return "", false
	}
	return e.cellTypeName(reflect.TypeOf(unwrapped(v)))
}

// New returns a pointer to a new zero value of the cell type named as
// TypeName names it (the leading "*" is ignored): what the server decodes
// a saved model into.
func (e *Engine) New(typeName string) (v reflect.Value, err error) {
	name := strings.TrimPrefix(strings.TrimPrefix(typeName, "*"), "main.")
	if !e.defines(name) {
		return reflect.Value{}, fmt.Errorf("no cell declares type %s", name)
	}
	if n, ok := e.sess.typeNames[name]; ok {
		name = n
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("making a %s: %v", name, r)
		}
	}()
	v, err = e.in.Eval("new(" + name + ")")
	if err != nil {
		return reflect.Value{}, err
	}
	if v.Kind() != reflect.Pointer {
		return reflect.Value{}, fmt.Errorf("%s is not a type", name)
	}
	return v, nil
}

// Call runs f, compiled code that calls functions the cells defined, as a
// cell runs: a panic in those functions, or in a goroutine they started
// while f ran, becomes a *CellError naming the panic and where it happened.
// Cancelling ctx does not stop f; f should watch ctx itself.
func (e *Engine) Call(ctx context.Context, f func() error) (err error) {
	e.cell++
	e.mu.Lock()
	e.running = e.cell
	e.calling = true
	e.goPanics = nil
	e.frames = nil
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = 0
		e.calling = false
		frames := e.frames
		panics := e.goPanics
		e.mu.Unlock()
		if r := recover(); r != nil {
			err = e.panicError(r, e.trace(nil, frames))
		}
		if err == nil && len(panics) > 0 {
			gp := panics[0]
			err = e.panicError(gp.value, append([]string{gp.at + ": in a goroutine"}, e.trace(nil, gp.frames)...))
		}
	}()
	return f()
}
