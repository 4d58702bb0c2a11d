package engine

import (
	"github.com/galley-dev/galley/engine/cellrt"
	"go/ast"
	"go/token"
	"reflect"
	"strings"
)

// The interpreter builds each type a cell declares as an unnamed type
// (reflect.StructOf and friends), so a panic value or error of such a type
// would be named by its structure. After a cell's declarations run, the
// engine asks the interpreter for the reflect.Type of each named type the
// cell declared and remembers the name users wrote.

// declaredTypes lists the non-generic named types declared at the top of f.
func declaredTypes(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			if ts.TypeParams == nil && !ts.Assign.IsValid() && ts.Name.Name != "_" {
				names = append(names, ts.Name.Name)
			}
		}
	}
	return names
}

// recordTypes learns the reflect.Type the interpreter made for each of
// names, just declared.
func (e *Engine) recordTypes(names []string) {
	for _, name := range names {
		in := name
		if n, ok := e.sess.typeNames[name]; ok {
			in = n
		}
		// A nil pointer of the type comes back as the interpreter's own
		// value, not wrapped for compiled code as an interface would be.
		v, err := e.in.Eval("(*" + in + ")(nil)")
		if err != nil || !v.IsValid() || v.Kind() != reflect.Pointer {
			continue
		}
		if e.cellTypes == nil {
			e.cellTypes = map[reflect.Type]string{}
		}
		e.cellTypes[v.Type().Elem()] = "main." + name
	}
}

// cellText is what v, a value of a type a cell declared, says of itself
// through the Error or String method the cell gave it, which compiled code
// cannot see on the interpreter's bare value.
func (e *Engine) cellText(v any) (string, bool) {
	t := reflect.TypeOf(v)
	name, ok := e.cellTypeName(t)
	if !ok {
		return "", false
	}
	in := strings.TrimPrefix(strings.TrimPrefix(name, "*"), "main.")
	if n, ok := e.sess.typeNames[in]; ok {
		in = n
	}
	if strings.HasPrefix(name, "*") {
		in = "*" + in
	}
	e.held = v
	defer func() { e.held = nil }()
	for _, m := range []string{"Error", "String"} {
		r, err := e.in.Eval("galley_held().(" + in + ")." + m + "()")
		if err == nil && r.IsValid() && r.Kind() == reflect.String {
			return r.String(), true
		}
	}
	return "", false
}

// cellTypeName names t, or a pointer to it, when a cell declared it.
func (e *Engine) cellTypeName(t reflect.Type) (string, bool) {
	if len(e.cellTypes) == 0 {
		return "", false
	}
	if n, ok := e.cellTypes[t]; ok {
		return n, true
	}
	if t.Kind() == reflect.Pointer {
		if n, ok := e.cellTypes[t.Elem()]; ok {
			return "*" + n, true
		}
	}
	return "", false
}

// unwrapped returns the interpreter's value inside the wrapper it makes to
// hand a value to compiled code as an interface (see cellrt.Inner).
func unwrapped(v any) any { return cellrt.Inner(v) }
