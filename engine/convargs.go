package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"strings"
)

// Compiled packages that read values by reflection (encoding/json,
// encoding/xml, the template packages) see the interpreter's version of a
// cell's types, not the declared one. Where a cell hands such a package a
// value of a cell type, the rewrites pass what the package should see
// instead, made by an interpreted function written for the argument's
// static type. This file holds what those rewrites share: finding the
// argument of a call into one of the packages, and writing each converting
// function once per type.

// convArg returns the argument at index of call when call is a call of one
// of names in one of pkgs and the argument's type mentions a cell type.
func (r *rewriter) convArg(call *ast.CallExpr, pkgs []string, names map[string]int) (ast.Expr, types.Type, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || r.plain {
		return nil, nil, false
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return nil, nil, false
	}
	inPkg := false
	for _, p := range pkgs {
		inPkg = inPkg || fn.Pkg().Path() == p
	}
	at, named := names[fn.Name()]
	if !inPkg || !named || len(call.Args) <= at {
		return nil, nil, false
	}
	arg := call.Args[at]
	t := r.typeOf(arg)
	if t == nil || !mentionsCellType(t) {
		return nil, nil, false
	}
	return arg, t, true
}

// wrapArg passes arg through the function conv, with extra arguments after
// it (such as ", 0").
func (r *rewriter) wrapArg(arg ast.Expr, conv, extra string) {
	r.add(arg.Pos(), arg.Pos(), conv+"(")
	r.add(arg.End(), arg.End(), extra+")")
}

// convFunc returns the name of the interpreted function of the given kind
// ("json", "xml", "template") for values of type t, writing it the first
// time: params are its parameters after v, prologue starts its body, and
// body writes the rest. It returns "" when t needs no conversion or body
// cannot handle it.
func (r *rewriter) convFunc(kind string, t types.Type, params, prologue string, body func(types.Type) (string, bool)) string {
	t = types.Unalias(t)
	if !mentionsCellType(t) {
		return ""
	}
	key := kind + " " + types.TypeString(t, nil)
	if name, ok := r.convs[key]; ok {
		return name
	}
	ts, ok := r.typeString(t)
	if !ok {
		return ""
	}
	if r.convs == nil {
		r.convs = map[string]string{}
	}
	name := r.fresh(kind)
	// Recorded before the body is written: a type that refers to itself
	// calls the function being written.
	r.convs[key] = name
	b, ok := body(t)
	if !ok {
		r.convs[key] = ""
		return ""
	}
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf("func %s(v %s%s) any {\n%s%s}\n", name, ts, params, prologue, b))
	return name
}

// elemFunc says how a converting function's body passes on an element
// expr of type et, or false when it cannot.
type elemFunc func(et types.Type, expr string) (string, bool)

// convElem is the elemFunc of a kind of conversion: an element goes
// through conv's function for its type, with extra arguments after it,
// or as it is when its type needs none.
func convElem(conv func(types.Type) string, extra string) elemFunc {
	return func(et types.Type, expr string) (string, bool) {
		if c := conv(et); c != "" {
			return c + "(" + expr + extra + ")", true
		}
		if mentionsCellType(et) {
			return "", false
		}
		return expr, true
	}
}

// nilPointerCheck starts a body that returns nil for a nil pointer v, when
// t is a pointer type.
func nilPointerCheck(t types.Type) string {
	if _, ok := t.Underlying().(*types.Pointer); ok {
		return "if v == nil {\nreturn nil\n}\n"
	}
	return ""
}

// listBody writes the body converting a slice or array u into []any of
// its converted elements; a nil slice becomes nil.
func listBody(b *strings.Builder, u types.Type, elem elemFunc) bool {
	var et types.Type
	if s, ok := u.(*types.Slice); ok {
		et = s.Elem()
		b.WriteString("if v == nil {\nreturn nil\n}\n")
	} else {
		et = u.(*types.Array).Elem()
	}
	e, ok := elem(et, "e")
	if !ok {
		return false
	}
	fmt.Fprintf(b, "out := []any{}\nfor _, e := range v {\nout = append(out, %s)\n}\nreturn out\n", e)
	return true
}

// mapBody writes the body converting a map u into map[string]any of its
// converted elements under the string key returns for the key k (such as
// "string(k)"), asked only once the elements can be converted; a nil map
// becomes nil.
func mapBody(b *strings.Builder, u *types.Map, elem elemFunc, key func() string) bool {
	e, ok := elem(u.Elem(), "e")
	if !ok {
		return false
	}
	fmt.Fprintf(b, "if v == nil {\nreturn nil\n}\nout := map[string]any{}\nfor k, e := range v {\nout[%s] = %s\n}\nreturn out\n", key(), e)
	return true
}

// stringKey is the key of a map whose keys are strings, for mapBody.
func stringKey() string { return "string(k)" }

// pointerBody writes the body converting what the pointer u points to; a
// nil pointer becomes nilResult.
func pointerBody(b *strings.Builder, u *types.Pointer, elem elemFunc, nilResult string) bool {
	e, ok := elem(u.Elem(), "*v")
	if !ok {
		return false
	}
	fmt.Fprintf(b, "if v == nil {\nreturn %s\n}\nreturn %s\n", nilResult, e)
	return true
}
