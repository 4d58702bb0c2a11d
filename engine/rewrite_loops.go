package engine

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// Rewrites of loops: range over integers and functions, and Go 1.22
// per-iteration variables for the closures and deferred calls a loop makes.

// rangeStmt rewrites range over integers and functions, which the
// interpreter does not know, and gives range loops per-iteration variables.
func (r *rewriter) rangeStmt(n *ast.RangeStmt) {
	t := r.typeOf(n.X)
	if t == nil {
		return
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Info()&types.IsInteger != 0 {
			r.rangeInt(n, types.Default(t))
		}
	case *types.Signature:
		r.rangeFunc(n, u)
	default:
		r.copyLoopVars(n.Body, n.Tok == token.DEFINE, nil, n.Key, n.Value)
	}
}

func (r *rewriter) rangeInt(n *ast.RangeStmt, t types.Type) {
	ts, ok := r.typeString(t)
	if !ok {
		ts = "int"
	}
	i, limit := r.fresh("i"), r.fresh("n")
	var prefix string
	if id, ok := n.Key.(*ast.Ident); ok && n.Tok == token.DEFINE && id.Name != "_" {
		i = id.Name
	} else if n.Key != nil && n.Tok == token.ASSIGN {
		prefix = exprText(r.c, n.Key) + " = " + i + "; "
	}
	r.add(n.For, n.X.Pos(), fmt.Sprintf("for %s, %s := %s(0), %s(", i, limit, ts, ts))
	r.add(n.X.End(), n.Body.Lbrace+1, fmt.Sprintf("); %s < %s; %s++ {%s", i, limit, i, prefix))
	if n.Tok == token.DEFINE && captures(n.Body, i) && !assigns(n.Body, i) {
		loop := r.fresh("lv")
		r.edits[len(r.edits)-2].text = fmt.Sprintf("for %s, %s := %s(0), %s(", loop, limit, ts, ts)
		r.edits[len(r.edits)-1].text = fmt.Sprintf("); %s < %s; %s++ {%s := %s; %s", loop, limit, loop, i, loop, prefix)
	}
}

func exprText(c *cellUnit, e ast.Expr) string {
	s, end := c.cellOffset(e.Pos()), c.cellOffset(e.End())
	if s < 0 || end < 0 {
		return "_"
	}
	return c.code[s:end]
}

// rangeFunc turns `for k, v := range seq { body }` into
// `seq(func(k K, v V) bool { body; return true })`, with continue and
// break becoming returns from the yield function.
func (r *rewriter) rangeFunc(n *ast.RangeStmt, sig *types.Signature) {
	if sig.Params().Len() != 1 {
		return
	}
	yield, ok := sig.Params().At(0).Type().Underlying().(*types.Signature)
	if !ok {
		return
	}
	vars := []ast.Expr{n.Key, n.Value}
	var params []string
	var assign []string
	for i := 0; i < yield.Params().Len(); i++ {
		ts, ok := r.typeString(yield.Params().At(i).Type())
		if !ok {
			r.errorf(n.For, "cannot range over %s: its element type cannot be named in a cell", exprText(r.c, n.X))
			return
		}
		name := "_"
		if i < len(vars) && vars[i] != nil {
			if n.Tok == token.DEFINE {
				name = vars[i].(*ast.Ident).Name
			} else {
				name = r.fresh("v")
				assign = append(assign, exprText(r.c, vars[i])+" = "+name+"; ")
			}
		}
		params = append(params, name+" "+ts)
	}
	if !r.yieldBody(n.Body) {
		return
	}
	r.add(n.For, n.X.Pos(), "")
	r.add(n.X.End(), n.Body.Lbrace+1, fmt.Sprintf("(func(%s) bool {%s", strings.Join(params, ", "), strings.Join(assign, "")))
	r.add(n.Body.Rbrace, n.Body.Rbrace+1, "; return true})")
}

// yieldBody rewrites the branch statements of a range-over-func body that
// leave the loop, reporting those the rewrite cannot express.
func (r *rewriter) yieldBody(body *ast.BlockStmt) bool {
	ok := true
	var visit func(n ast.Node, inLoop, inSwitch bool)
	visit = func(n ast.Node, inLoop, inSwitch bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			switch m := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				if m != n {
					visit(m.Body, true, inSwitch)
					return false
				}
			case *ast.RangeStmt:
				if m != n {
					visit(m.Body, true, inSwitch)
					return false
				}
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if m != n {
					var b *ast.BlockStmt
					switch s := m.(type) {
					case *ast.SwitchStmt:
						b = s.Body
					case *ast.TypeSwitchStmt:
						b = s.Body
					case *ast.SelectStmt:
						b = s.Body
					}
					visit(b, inLoop, true)
					return false
				}
			case *ast.ReturnStmt:
				r.errorf(m.Pos(), "return inside a range-over-func loop is not supported; collect the values first (slices.Collect) and range over the slice")
				ok = false
			case *ast.BranchStmt:
				if m.Label != nil {
					r.errorf(m.Pos(), "labeled %s inside a range-over-func loop is not supported; collect the values first (slices.Collect)", m.Tok)
					ok = false
					return false
				}
				switch {
				case m.Tok == token.CONTINUE && !inLoop:
					r.add(m.Pos(), m.End(), "return true")
				case m.Tok == token.BREAK && !inLoop && !inSwitch:
					r.add(m.Pos(), m.End(), "return false")
				case m.Tok == token.GOTO:
					r.errorf(m.Pos(), "goto inside a range-over-func loop is not supported")
					ok = false
				}
			}
			return true
		})
	}
	visit(body, false, false)
	return ok
}

// forStmt gives three-clause loops Go 1.22 per-iteration variables where it
// matters: when a closure in the body captures one and the body does not
// assign it. The loop runs on a renamed variable and each iteration copies
// it into a fresh one with the user's name.
func (r *rewriter) forStmt(n *ast.ForStmt) {
	init, ok := n.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE {
		return
	}
	r.copyLoopVars(n.Body, true, []ast.Node{n.Init, n.Cond, n.Post}, init.Lhs...)
}

func (r *rewriter) copyLoopVars(body *ast.BlockStmt, define bool, header []ast.Node, vars ...ast.Expr) {
	if !define {
		return
	}
	var copies []string
	for _, v := range vars {
		id, ok := v.(*ast.Ident)
		if !ok || id.Name == "_" || !captures(body, id.Name) || assigns(body, id.Name) || redeclares(body, id.Name) {
			continue
		}
		obj := r.c.info.Defs[id]
		renamed := r.fresh("lv")
		r.add(id.Pos(), id.End(), renamed)
		for _, h := range header {
			if h == nil || reflectNil(h) {
				continue
			}
			ast.Inspect(h, func(m ast.Node) bool {
				if use, ok := m.(*ast.Ident); ok && use != id && obj != nil && r.c.info.Uses[use] == obj {
					r.add(use.Pos(), use.End(), renamed)
				}
				return true
			})
		}
		copies = append(copies, id.Name+" := "+renamed+"; ")
	}
	if len(copies) > 0 {
		r.add(body.Lbrace+1, body.Lbrace+1, strings.Join(copies, ""))
	}
}

// redeclares reports whether body's own statements define name again, as
// the `v := v` written for Go before 1.22 does: a copy the loop's body
// already makes.
func redeclares(body *ast.BlockStmt, name string) bool {
	for _, st := range body.List {
		if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// deferredCaptures passes the variables of a loop's iteration that a
// deferred function literal captures as arguments: `defer func() { use(v)
// }()` becomes `defer func(v T) { use(v) }(v)`. The interpreter resolves
// the captured variables of a deferred literal when the function returns,
// so every deferred call would see the last iteration's values; arguments
// are evaluated when the defer statement runs. Variables assigned after
// the defer statement are left alone, since the closure must see those
// assignments.
func (r *rewriter) deferredCaptures(loop ast.Node, body *ast.BlockStmt) {
	info := r.c.info
	ast.Inspect(body, func(n ast.Node) bool {
		ds, ok := n.(*ast.DeferStmt)
		if !ok || r.deferred[ds] {
			return true
		}
		lit, ok := ds.Call.Fun.(*ast.FuncLit)
		if !ok {
			return true
		}
		if r.deferred == nil {
			r.deferred = map[*ast.DeferStmt]bool{}
		}
		r.deferred[ds] = true
		var params, args []string
		seen := map[types.Object]bool{}
		ast.Inspect(lit.Body, func(m ast.Node) bool {
			id, ok := m.(*ast.Ident)
			if !ok {
				return true
			}
			v, ok := info.Uses[id].(*types.Var)
			if !ok || seen[v] || v.IsField() || v.Pos() < loop.Pos() || v.Pos() >= loop.End() || (v.Pos() >= lit.Pos() && v.Pos() < lit.End()) {
				return true
			}
			seen[v] = true
			if assignsAfter(body, v.Name(), ds.End()) || assigns(lit.Body, v.Name()) {
				return true
			}
			ts, ok := r.typeString(v.Type())
			if !ok {
				return true
			}
			params = append(params, v.Name()+" "+ts)
			args = append(args, v.Name())
			return true
		})
		if len(params) == 0 {
			return true
		}
		sep := func(fl []ast.Expr) string {
			if len(fl) > 0 {
				return ", "
			}
			return ""
		}
		var litParams []ast.Expr
		if lit.Type.Params != nil {
			for _, f := range lit.Type.Params.List {
				litParams = append(litParams, f.Type)
			}
		}
		r.add(lit.Type.Params.Opening+1, lit.Type.Params.Opening+1, strings.Join(params, ", ")+sep(litParams))
		r.add(ds.Call.Lparen+1, ds.Call.Lparen+1, strings.Join(args, ", ")+sep(ds.Call.Args))
		return true
	})
}

// reflectNil reports whether an ast.Node interface holds a nil pointer, as
// optional parts of statements do.
func reflectNil(n ast.Node) bool {
	switch n := n.(type) {
	case ast.Stmt:
		return n == nil || fmt.Sprint(n) == "<nil>"
	case ast.Expr:
		return n == nil || fmt.Sprint(n) == "<nil>"
	}
	return false
}

// captures reports whether a function literal or go statement in body
// mentions name.
func captures(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt:
			ast.Inspect(n, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok && id.Name == name {
					found = true
				}
				return !found
			})
			return false
		}
		return !found
	})
	return found
}

// assigns reports whether body assigns to name or takes its address.
func assigns(body *ast.BlockStmt, name string) bool {
	return assignsAfter(body, name, token.NoPos)
}

// assignsAfter reports whether body assigns to name, or takes its address,
// after pos.
func assignsAfter(body *ast.BlockStmt, name string, pos token.Pos) bool {
	is := func(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == name && id.Pos() > pos }
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, l := range n.Lhs {
					found = found || is(l)
				}
			}
		case *ast.IncDecStmt:
			found = found || is(n.X)
		case *ast.UnaryExpr:
			found = found || n.Op == token.AND && is(n.X)
		}
		return !found
	})
	return found
}
