package engine

import (
	"go/ast"
	"go/types"
	"strings"
)

// A function literal held in a variable cannot be called while the
// function that created it runs its deferred calls: when such a closure
// returns, the interpreter locks the frame it was created in, and that
// frame stays locked for as long as its deferred calls run. So `fn :=
// func() { ... }; defer fn()`, or a deferred function calling fn, runs
// the call and then waits forever.
//
// A closure created one frame further in is free of this: in functions
// that defer, `fn := func(x int) { ... }` becomes
// `fn := func() func(x int) { return func(x int) { ... } }()`, and so does
// any literal stored or passed on. The literal still captures the same
// variables; only the frame it is made in changes.

// deferSafeClosures wraps the function literals made by every function of
// the cell, its statements included, that has a defer statement of its
// own, except literals called where they stand (`defer func() { ... }()`),
// which the interpreter runs without the lock.
func (r *rewriter) deferSafeClosures() {
	ast.Inspect(r.c.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil {
				r.deferSafeBody(n.Body)
			}
		case *ast.FuncLit:
			r.deferSafeBody(n.Body)
		}
		return true
	})
}

func (r *rewriter) deferSafeBody(body *ast.BlockStmt) {
	defers := false
	called := map[ast.Node]bool{}
	var lits []*ast.FuncLit
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.DeferStmt:
			defers = true
		case *ast.CallExpr:
			called[ast.Unparen(n.Fun)] = true
		case *ast.FuncLit:
			lits = append(lits, n)
			return false // its body is a frame of its own
		}
		return true
	})
	captured := r.loopCaptures(body)
	for _, lit := range lits {
		params, args := captured[lit][0], captured[lit][1]
		if defers && !called[lit] || len(params) > 0 {
			r.wrapClosure(lit, params, args)
		}
	}
}

// loopCaptures finds the function literals of body handed to compiled
// code inside a loop (wg.Go(func() { use(i) })), with the variables of
// the loop's iteration they capture, as parameters and arguments. The
// interpreter lets compiled code call such a literal with the variables
// of its frame as they are by then, so every call would see the last
// iteration's values; passed in as arguments, they are the iteration's own.
// Variables the literal assigns, or the loop assigns after making it, are
// left shared, as the closure must see those assignments.
func (r *rewriter) loopCaptures(body *ast.BlockStmt) map[*ast.FuncLit][2][]string {
	found := map[*ast.FuncLit][2][]string{}
	ast.PreorderStack(body, nil, func(n ast.Node, stack []ast.Node) bool {
		lit, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		if len(stack) == 0 {
			return false
		}
		call, ok := stack[len(stack)-1].(*ast.CallExpr)
		if !ok || ast.Unparen(call.Fun) == lit {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !r.compiledCallee(sel) {
			return false
		}
		var loop ast.Node
		var loopBody *ast.BlockStmt
		for i := len(stack) - 1; i >= 0 && loop == nil; i-- {
			switch l := stack[i].(type) {
			case *ast.ForStmt:
				loop, loopBody = l, l.Body
			case *ast.RangeStmt:
				loop, loopBody = l, l.Body
			}
		}
		if loop == nil {
			return false
		}
		var params, args []string
		seen := map[types.Object]bool{}
		ast.Inspect(lit.Body, func(m ast.Node) bool {
			id, ok := m.(*ast.Ident)
			if !ok {
				return true
			}
			v, ok := r.c.info.Uses[id].(*types.Var)
			if !ok || seen[v] || v.IsField() || v.Pos() < loop.Pos() || v.Pos() >= loop.End() || (v.Pos() >= lit.Pos() && v.Pos() < lit.End()) {
				return true
			}
			seen[v] = true
			if assigns(lit.Body, v.Name()) || assignsAfter(loopBody, v.Name(), lit.End()) {
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
		if len(params) > 0 {
			found[lit] = [2][]string{params, args}
		}
		return false
	})
	return found
}

// wrapClosure moves lit one frame further in, in a function literal
// taking params that is called with args where lit was.
func (r *rewriter) wrapClosure(lit *ast.FuncLit, params, args []string) {
	t := r.typeOf(lit)
	if t == nil {
		return
	}
	ts, ok := r.typeString(t)
	if !ok {
		// A type local to the function: the literal's own text names it,
		// unless a rewrite changes that text.
		start, end := r.c.cellOffset(lit.Type.Pos()), r.c.cellOffset(lit.Type.End())
		if start < 0 || end < 0 {
			return
		}
		for _, ed := range r.edits {
			if ed.start < end && ed.end > start {
				return
			}
		}
		ts = r.c.code[start:end]
	}
	r.add(lit.Pos(), lit.Pos(), "func("+strings.Join(params, ", ")+") "+ts+" { return ")
	r.add(lit.End(), lit.End(), " }("+strings.Join(args, ", ")+")")
}
