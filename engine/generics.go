package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"path"
	"reflect"
	"sort"
	"strings"
)

// The interpreter cannot bind generic functions of compiled packages, so
// the symbol tables lack the generic API of packages that are otherwise
// compiled (errors.AsType, sync.OnceValue, rand.N, reflect.TypeFor). Each
// is declared for the type checker in its package, and implemented in the
// prelude as an interpreted generic function that rewritten cells call.

// A stdGeneric is a generic function added to a compiled package.
type stdGeneric struct {
	path, name string
	// decl is its declaration for the type checker, in its package.
	decl string
}

var stdGenerics = []stdGeneric{
	{"errors", "AsType", "func AsType[E error](err error) (E, bool) { var e E; return e, As(err, &e) }"},
	{"sync", "OnceValue", "func OnceValue[T any](f func() T) func() T { return nil }"},
	{"sync", "OnceValues", "func OnceValues[T1, T2 any](f func() (T1, T2)) func() (T1, T2) { return nil }"},
	{"math/rand/v2", "N", "func N[Int interface{ ~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr }](n Int) Int { return n }"},
	{"reflect", "TypeFor", "func TypeFor[T any]() Type { return TypeOf((*T)(nil)).Elem() }"},
}

// stdGenericName is the prelude's function implementing g.
func stdGenericName(path, name string) string {
	return "galley_" + strings.NewReplacer("/", "_", ".", "_").Replace(path) + "_" + name
}

// addStdGenerics declares the generic functions of package p in pkg, for
// the type checker.
func (im *symbolImporter) addStdGenerics(pkg *types.Package) {
	var decls []string
	for _, g := range stdGenerics {
		if g.path == pkg.Path() && pkg.Scope().Lookup(g.name) == nil {
			decls = append(decls, g.decl)
		}
	}
	if len(decls) == 0 {
		return
	}
	src := "package " + pkg.Name() + "\n" + strings.Join(decls, "\n") + "\n"
	f, err := parseFile(im.fset, pkg.Path()+"_generic.go", src)
	if err != nil {
		return
	}
	conf := types.Config{Importer: im, Error: func(error) {}}
	_ = types.NewChecker(&conf, im.fset, pkg, nil).Files([]*ast.File{f})
}

// stdGenericCall points a use of such a function at its implementation.
func (r *rewriter) stdGenericCall(sel *ast.SelectorExpr) {
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return
	}
	if fn.Pkg().Path() == "errors" && fn.Name() == "AsType" {
		return // asTypeCall
	}
	for _, g := range stdGenerics {
		if g.path == fn.Pkg().Path() && g.name == fn.Name() {
			r.add(sel.Pos(), sel.End(), stdGenericName(g.path, g.name))
			return
		}
	}
}

// asTypeCall turns errors.AsType[E](err) into a call of a function
// written for E: errors.As for compiled types, and for types declared in
// cells the interpreted search errorsAs uses.
func (r *rewriter) asTypeCall(call *ast.CallExpr) {
	ix, ok := call.Fun.(*ast.IndexExpr)
	if !ok {
		return
	}
	sel, ok := ix.X.(*ast.SelectorExpr)
	if !ok {
		return
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "errors" || fn.Name() != "AsType" {
		return
	}
	inst, ok := r.c.info.Instances[sel.Sel]
	if !ok || inst.TypeArgs.Len() != 1 {
		return
	}
	target := inst.TypeArgs.At(0)
	ts, ok := r.typeString(target)
	if !ok {
		r.errorf(call.Pos(), "errors.AsType with a type that cannot be named in a cell is not supported")
		return
	}
	as := pkg.Name + ".As"
	if declaredInCell(target) && !types.IsInterface(target) {
		as = r.asHelper(ts, pkg.Name)
	}
	name := r.fresh("astype")
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf("func %s(err error) (%s, bool) {\nvar target %s\nok := %s(err, &target)\nreturn target, ok\n}\n", name, ts, ts, as))
	r.add(call.Fun.Pos(), call.Fun.End(), name)
}

// stdGenericSources implement them, by import path, in the interpreter's
// main package; their type parameters have names no cell would use (see
// prelude). Each is loaded when its package is in the symbol tables.
var stdGenericSources = map[string]string{
	"sync": `import galley_sync "sync"

func galley_sync_OnceValue[galley_T any](f func() galley_T) func() galley_T {
	var once galley_sync.Once
	var v galley_T
	return func() galley_T {
		once.Do(func() { v = f() })
		return v
	}
}

func galley_sync_OnceValues[galley_T1, galley_T2 any](f func() (galley_T1, galley_T2)) func() (galley_T1, galley_T2) {
	var once galley_sync.Once
	var v1 galley_T1
	var v2 galley_T2
	return func() (galley_T1, galley_T2) {
		once.Do(func() { v1, v2 = f() })
		return v1, v2
	}
}
`,
	"math/rand/v2": `func galley_math_rand_v2_N[galley_I galley_cmp.Ordered](n galley_I) galley_I {
	if n <= 0 {
		panic("invalid argument to N")
	}
	return galley_I(galley_rt.Int64N(int64(n)))
}
`,
	"reflect": `import galley_reflect "reflect"

func galley_reflect_TypeFor[galley_T any]() galley_reflect.Type {
	return galley_reflect.TypeOf((*galley_T)(nil)).Elem()
}
`,
}

// loadStdGenerics interprets the implementations whose packages exports
// holds.
func (e *Engine) loadStdGenerics(exports map[string]map[string]reflect.Value) error {
	have := map[string]bool{}
	for k := range exports {
		have[path.Dir(k)] = true
	}
	paths := make([]string, 0, len(stdGenericSources))
	for p := range stdGenericSources {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !have[p] {
			continue
		}
		if _, err := e.in.Eval(sourceHeader + stdGenericSources[p]); err != nil {
			return fmt.Errorf("engine: loading generic functions of %s: %w", p, err)
		}
	}
	return nil
}
