package engine

import "go/ast"

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
	if !defers {
		return
	}
	for _, lit := range lits {
		if !called[lit] {
			r.wrapClosure(lit)
		}
	}
}

func (r *rewriter) wrapClosure(lit *ast.FuncLit) {
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
	r.add(lit.Pos(), lit.Pos(), "func() "+ts+" { return ")
	r.add(lit.End(), lit.End(), " }()")
}
