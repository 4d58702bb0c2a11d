package engine

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"strconv"
	"strings"
)

// Rewrites of calls: builtins the interpreter lacks, go statements, and
// inferred type arguments spelled out.

// builtinCall rewrites the builtins the interpreter lacks: min, max, clear
// and new with an expression argument.
func (r *rewriter) builtinCall(call *ast.CallExpr) {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return
	}
	b, ok := r.c.info.Uses[id].(*types.Builtin)
	if !ok {
		return
	}
	tv := r.c.info.Types[call]
	switch b.Name() {
	case "min", "max":
		if tv.Value != nil {
			r.add(call.Pos(), call.End(), r.constText(tv))
			return
		}
		ts, ok := r.typeString(tv.Type)
		if !ok {
			r.errorf(call.Pos(), "%s of values whose type cannot be named in a cell is not supported", b.Name())
			return
		}
		r.add(id.Pos(), id.End(), "galley_"+b.Name()+"["+ts+"]")
	case "clear":
		r.add(id.Pos(), id.End(), rtName+".Clear")
	case "new":
		if len(call.Args) != 1 || r.c.info.Types[call.Args[0]].IsType() {
			return
		}
		ptr, ok := tv.Type.(*types.Pointer)
		if !ok {
			return
		}
		ts, ok := r.typeString(ptr.Elem())
		if !ok {
			r.errorf(call.Pos(), "new of a value whose type cannot be named in a cell is not supported")
			return
		}
		r.add(id.Pos(), id.End(), "galley_new["+ts+"]")
	}
}

// constText writes a constant so the interpreter reads the same value.
func (r *rewriter) constText(tv types.TypeAndValue) string {
	var lit string
	switch tv.Value.Kind() {
	case constant.Float:
		f, _ := constant.Float64Val(tv.Value)
		lit = strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(lit, ".eEn") {
			lit += ".0"
		}
	default:
		lit = tv.Value.ExactString()
	}
	if b, ok := tv.Type.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return lit
	}
	ts, ok := r.typeString(tv.Type)
	if !ok {
		return lit
	}
	return ts + "(" + lit + ")"
}

// goStmt wraps the goroutine in a recover that reports its panic on the
// cell instead of ending the process. Arguments are still evaluated when
// the go statement runs, by passing them as parameters.
func (r *rewriter) goStmt(n *ast.GoStmt) {
	call := n.Call
	params, args, typed := r.callParams(call)
	at := r.c.e.fset.Position(n.Go)
	recoverer := fmt.Sprintf("defer func() { if r := recover(); r != nil { %s.GoPanic(%d, %q, r) } }(); ", rtName, r.c.e.cell, fmt.Sprintf("%s:%d:%d", at.Filename, at.Line, at.Column))
	if !typed || len(call.Args) == 0 {
		r.add(n.Go, call.Pos(), "go func() { "+recoverer)
		r.add(call.End(), call.End(), " }()")
		return
	}
	inner := strings.Join(args, ", ")
	if call.Ellipsis.IsValid() {
		inner += "..."
	}
	r.add(n.Go, call.Pos(), fmt.Sprintf("go func(%s) { %s", strings.Join(params, ", "), recoverer))
	r.add(call.Lparen, call.Lparen, "("+inner+") }")
}

// callParams names and types a parameter for each argument of call, for a
// function literal to receive the arguments evaluated where call was.
func (r *rewriter) callParams(call *ast.CallExpr) (params, args []string, ok bool) {
	sig, _ := r.typeOf(call.Fun).(*types.Signature)
	for i, a := range call.Args {
		var t types.Type
		if sig != nil && sig.Params().Len() > 0 {
			switch {
			case sig.Variadic() && i >= sig.Params().Len()-1 && !call.Ellipsis.IsValid():
				t = sig.Params().At(sig.Params().Len() - 1).Type().(*types.Slice).Elem()
			case i < sig.Params().Len():
				t = sig.Params().At(i).Type()
			}
		}
		if t == nil {
			t = types.Default(r.typeOf(a))
		}
		ts, ok := "", t != nil
		if ok {
			ts, ok = r.typeString(t)
		}
		if !ok {
			return nil, nil, false
		}
		p := r.fresh("a")
		params = append(params, p+" "+ts)
		args = append(args, p)
	}
	return params, args, true
}

// explicitInstances spells out inferred type arguments: the interpreter
// instantiates generic functions reliably only when told the types.
func (r *rewriter) explicitInstances() {
	explicit := map[*ast.Ident]bool{}
	mark := func(x ast.Expr) {
		switch x := x.(type) {
		case *ast.Ident:
			explicit[x] = true
		case *ast.SelectorExpr:
			explicit[x.Sel] = true
		}
	}
	ast.Inspect(r.c.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IndexExpr:
			mark(n.X)
		case *ast.IndexListExpr:
			mark(n.X)
		}
		return true
	})
	for id, inst := range r.c.info.Instances {
		if explicit[id] || r.c.cellOffset(id.Pos()) < 0 {
			continue
		}
		if _, ok := r.c.info.Uses[id].(*types.Func); !ok {
			continue
		}
		var targs []string
		for i := 0; i < inst.TypeArgs.Len(); i++ {
			ts, ok := r.typeString(inst.TypeArgs.At(i))
			if !ok {
				targs = nil
				break
			}
			targs = append(targs, ts)
		}
		if targs != nil {
			r.add(id.End(), id.End(), "["+strings.Join(targs, ", ")+"]")
		}
	}
}
