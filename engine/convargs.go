package engine

import (
	"fmt"
	"go/ast"
	"go/types"
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
