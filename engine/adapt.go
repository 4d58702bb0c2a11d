package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"strings"
)

// This file adapts values of types declared in cells where they meet
// compiled code that inspects their methods. The interpreter hands such
// values to compiled code as plain structs without methods, so a compiled
// type switch or errors.As never sees what the cell declared.

const displayPath = "github.com/galley-dev/galley/stdlib/display"

// renders reports whether values of type t are display.Renderers declared
// in the session: their DisplayData method must be called by interpreted
// code, because display.Render, compiled, cannot see it.
func renders(t types.Type) bool {
	if t == nil || !declaredInCell(t) {
		return false
	}
	sel := types.NewMethodSet(t).Lookup(nil, "DisplayData")
	if sel == nil {
		return false
	}
	sig := sel.Type().(*types.Signature)
	if sig.Params().Len() != 0 || sig.Results().Len() != 1 {
		return false
	}
	n, ok := sig.Results().At(0).Type().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == displayPath && n.Obj().Name() == "Data"
}

// declaredInCell reports whether t is a named type, or a pointer to one,
// that cells declared.
func declaredInCell(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "main"
}

// displayCall makes the display functions that take any value (Show,
// Display, Render and Handle.Update) render a cell-declared Renderer, by
// passing what its DisplayData method returns.
func (r *rewriter) displayCall(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || len(call.Args) != 1 {
		return
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != displayPath {
		return
	}
	switch fn.Name() {
	case "Show", "Display", "Render", "Update":
	default:
		return
	}
	if arg := call.Args[0]; renders(r.typeOf(arg)) {
		r.add(arg.Pos(), arg.Pos(), "(")
		r.add(arg.End(), arg.End(), ").DisplayData()")
	}
}

// errorsAs runs errors.As in interpreted code when the target is a type
// declared in a cell: a helper written for the target type asserts each
// error of the chain to it, as errors.As does with reflection. The chain
// is followed with errors.Unwrap, so errors joined with errors.Join are
// searched only through their own As methods, which the helper cannot see.
func (r *rewriter) errorsAs(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || len(call.Args) != 2 {
		return
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "errors" || fn.Name() != "As" {
		return
	}
	ptr, ok := r.typeOf(call.Args[1]).(*types.Pointer)
	if !ok || !declaredInCell(ptr.Elem()) || types.IsInterface(ptr.Elem()) {
		return
	}
	ts, ok := r.typeString(ptr.Elem())
	if !ok {
		return
	}
	r.add(sel.Pos(), sel.End(), r.asHelper(ts, pkg.Name))
}

// asHelper writes an interpreted errors.As for target type ts (a type
// declared in a cell), with errorsName naming package errors, and returns
// its name.
func (r *rewriter) asHelper(ts, errorsName string) string {
	name := r.fresh("as")
	steps, _ := r.chainSteps(name, "As")
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf(`func %[1]s(err error, target *%[2]s) bool {
	for err != nil {
		if v, ok := err.(%[2]s); ok {
			*target = v
			return true
		}
		if v, ok := %[4]s.Inner(err).(%[2]s); ok {
			*target = v
			return true
		}
		if joined := %[4]s.Unwrapped(err); joined != nil {
			for _, e := range joined {
				if %[1]s(e, target) {
					return true
				}
			}
			return false
		}
%[5]s		err = %[3]s.Unwrap(err)
	}
	return false
}
`, name, ts, errorsName, rtName, steps))
	return name
}

// errorsIs runs errors.Is, errors.As with a compiled target type, and
// errors.Unwrap in interpreted code when the session declares a type with
// an Unwrap, Is or As method: compiled errors.Is cannot call methods
// of cell types, so it would stop at such a value. The helper asks compiled
// errors.Is at each step of the chain, so compiled wrappers and sentinels
// behave as before, and itself follows the cell types' Unwrap methods and
// asks their Is methods.
func (r *rewriter) errorsIs(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || call.Ellipsis.IsValid() {
		return
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "errors" {
		return
	}
	if fn.Name() == "Unwrap" && len(call.Args) == 1 {
		if h := r.unwrapHelper(pkg.Name); h != "" {
			r.add(sel.Pos(), sel.End(), h)
		}
		return
	}
	if len(call.Args) != 2 || (fn.Name() != "Is" && fn.Name() != "As") {
		return
	}
	param := "target error"
	if fn.Name() == "As" {
		ptr, ok := r.typeOf(call.Args[1]).(*types.Pointer)
		if ok && declaredInCell(ptr.Elem()) && !types.IsInterface(ptr.Elem()) {
			return // errorsAs
		}
		param = "target any"
	}
	if h := r.chainHelper(fn.Name(), param, pkg.Name); h != "" {
		r.add(sel.Pos(), sel.End(), h)
	}
}

// unwrapHelper writes an interpreted errors.Unwrap that calls the Unwrap
// method of cell types, with errorsName naming package errors, and returns
// its name, or "" when no cell type has one.
func (r *rewriter) unwrapHelper(errorsName string) string {
	var b strings.Builder
	for _, t := range r.chainTypes() {
		ts, ok := r.typeString(t)
		if !ok || !slices.Contains(chainMethods(t), "Unwrap") {
			continue
		}
		fmt.Fprintf(&b, "if x, ok := err.(%[1]s); ok {\nreturn x.Unwrap()\n} else if x, ok := %[2]s.Inner(err).(%[1]s); ok {\nreturn x.Unwrap()\n}\n", ts, rtName)
	}
	if b.Len() == 0 {
		return ""
	}
	name := r.fresh("unwrap")
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf("func %s(err error) error {\n%sreturn %s.Unwrap(err)\n}\n", name, b.String(), errorsName))
	return name
}

// chainTypes lists the session's types with a method errors.Is or
// errors.As calls (Unwrap, Is, As), as the interpreter tells them apart.
func (r *rewriter) chainTypes() []types.Type {
	if r.chainList == nil {
		var list []types.Type
		for _, t := range r.sessionTypes() {
			if len(chainMethods(t)) > 0 {
				list = append(list, t)
			}
		}
		list = distinguishable(list)
		r.chainList = &list
	}
	return *r.chainList
}

// chainMethods lists the methods of t's method set that errors.Is or
// errors.As call, by the names the helpers use: "Unwrap" (one error),
// "UnwrapAll" (several), "Is" and "As".
func chainMethods(t types.Type) []string {
	var names []string
	ms := types.NewMethodSet(t)
	want := []struct{ name, method, sig string }{
		{"Is", "Is", "func(error) bool"},
		{"As", "As", "func(interface{}) bool"},
		{"Unwrap", "Unwrap", "func() error"},
		{"UnwrapAll", "Unwrap", "func() []error"},
	}
	for _, w := range want {
		sel := ms.Lookup(nil, w.method)
		if sel == nil {
			continue
		}
		if s := sigString(sel.Type().(*types.Signature)); s == w.sig || s == strings.ReplaceAll(w.sig, "interface{}", "any") {
			names = append(names, w.name)
		}
	}
	return names
}

// sigString writes sig without parameter names, as func(error) bool.
func sigString(sig *types.Signature) string {
	list := func(t *types.Tuple) string {
		var parts []string
		for i := range t.Len() {
			parts = append(parts, types.TypeString(t.At(i).Type(), nil))
		}
		return strings.Join(parts, ", ")
	}
	s := "func(" + list(sig.Params()) + ")"
	if sig.Results().Len() == 1 {
		s += " " + list(sig.Results())
	} else if sig.Results().Len() > 1 {
		s += " (" + list(sig.Results()) + ")"
	}
	return s
}

// chainSteps writes, for the body of an interpreted errors.Is or errors.As
// named fn (name is "Is" or "As") looping over err, what each cell type
// with chain methods does: ask its Is or As method, then go on with what
// its Unwrap method returns. The interpreter tells its values apart only
// by asserting to the concrete type, on the error itself or, when it came
// back from compiled code, on the value inside the interpreter's wrapper.
func (r *rewriter) chainSteps(fn, name string) (string, bool) {
	var b strings.Builder
	any := false
	for _, t := range r.chainTypes() {
		ts, ok := r.typeString(t)
		if !ok {
			continue
		}
		methods := chainMethods(t)
		var body strings.Builder
		for _, m := range methods {
			switch m {
			case name:
				fmt.Fprintf(&body, "if x.%s(target) {\nreturn true\n}\n", name)
			case "Unwrap":
				body.WriteString("err = x.Unwrap()\ncontinue\n")
			case "UnwrapAll":
				fmt.Fprintf(&body, "for _, e := range x.Unwrap() {\nif %s(e, target) {\nreturn true\n}\n}\nreturn false\n", fn)
			}
		}
		if body.Len() == 0 {
			continue
		}
		any = true
		fmt.Fprintf(&b, "if x, ok := err.(%[1]s); ok {\n%[2]s} else if x, ok := %[3]s.Inner(err).(%[1]s); ok {\n%[2]s}\n", ts, body.String(), rtName)
	}
	return b.String(), any
}

// chainHelper writes an interpreted errors.Is or errors.As (name) whose
// second parameter is param, with errorsName naming package errors, and
// returns its name, or "" when no cell type has a method they call. Each
// error of the chain is first given to the compiled function, which
// searches it and what compiled code wraps in it.
func (r *rewriter) chainHelper(name, param, errorsName string) string {
	fn := r.fresh(strings.ToLower(name))
	steps, ok := r.chainSteps(fn, name)
	if !ok {
		return ""
	}
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf(`func %[1]s(err error, %[2]s) bool {
	if err == nil || target == nil {
		return %[3]s.%[4]s(err, target)
	}
	for err != nil {
		if %[3]s.%[4]s(err, target) {
			return true
		}
		if joined := %[5]s.Unwrapped(err); joined != nil {
			for _, e := range joined {
				if %[1]s(e, target) {
					return true
				}
			}
			return false
		}
%[6]s		err = %[3]s.Unwrap(err)
	}
	return false
}
`, fn, param, errorsName, name, rtName, steps))
	return fn
}

// compiledCallee reports whether sel names a function or method that is
// compiled code: a package function (pkg.F) or a method of a compiled type
// (logger.Printf). display's own are left to displayCall.
func (r *rewriter) compiledCallee(sel *ast.SelectorExpr) bool {
	if id, ok := sel.X.(*ast.Ident); ok {
		if pn, ok := r.c.info.Uses[id].(*types.PkgName); ok {
			return pn.Imported().Path() != displayPath
		}
	}
	s, ok := r.c.info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return false
	}
	// Methods of compiled types may come without a package from the
	// symbol tables; their receiver's named type has one.
	var pkg *types.Package
	if fn, ok := s.Obj().(*types.Func); ok {
		pkg = fn.Pkg()
	}
	if pkg == nil {
		recv := s.Recv()
		if p, ok := recv.(*types.Pointer); ok {
			recv = p.Elem()
		}
		if n, ok := types.Unalias(recv).(*types.Named); ok {
			pkg = n.Obj().Pkg()
		}
	}
	if pkg == nil {
		return false
	}
	p := pkg.Path()
	return p != "main" && p != displayPath && !slices.Contains(sourcePackages, p)
}

// errorArgs passes values of cell-declared error types to compiled
// functions and methods through an interpreted function returning error. Handed over
// directly as any, such a value loses its methods: fmt.Errorf's %w would
// not wrap it and fmt would not print its Error text. Returned as error,
// it reaches compiled code in the interpreter's error wrapper.
func (r *rewriter) errorArgs(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !r.compiledCallee(sel) {
		return
	}
	sig, ok := r.typeOf(call.Fun).(*types.Signature)
	if !ok || sig.Params().Len() == 0 || call.Ellipsis.IsValid() {
		return
	}
	if fn, ok := r.c.info.Uses[sel.Sel].(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "errors" && fn.Name() == "As" {
		// The target is a pointer to fill in, not an error to pass.
		return
	}
	errType := types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	for i, arg := range call.Args {
		n := sig.Params().Len()
		pt := sig.Params().At(min(i, n-1)).Type()
		if sig.Variadic() && i >= n-1 {
			pt = pt.(*types.Slice).Elem()
		}
		t := r.typeOf(arg)
		if !types.IsInterface(pt) || t == nil || types.IsInterface(t) || !declaredInCell(t) || !types.Implements(t, errType) {
			continue
		}
		if r.asError == "" {
			r.asError = r.fresh("error")
			r.hoistOrder = append(r.hoistOrder, "func "+r.asError+"(err error) error { return err }\n")
		}
		r.add(arg.Pos(), arg.Pos(), r.asError+"(")
		r.add(arg.End(), arg.End(), ")")
	}
}
