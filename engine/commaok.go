package engine

import (
	"go/ast"
	"go/token"
	"go/types"
)

// blankCommaOk gives the discarded value of a comma-ok receive, type
// assertion or map index a variable: the interpreter stores the channel
// itself into `_` in `_, ok = <-ch` and fails with "reflect.Set: value of
// type int is not assignable to type chan int", and `_, ok = err.(T)`
// fails with "reflect: call of reflect.Value.Elem on struct Value".
// Top-level `_, ok := <-ch` becomes such an assignment once its variables
// are hoisted. The value goes to a package variable of the
// element's type instead, which nothing reads.
func (r *rewriter) blankCommaOk(n *ast.AssignStmt) {
	if len(n.Lhs) != 2 || len(n.Rhs) != 1 {
		return
	}
	blank, ok := n.Lhs[0].(*ast.Ident)
	if !ok || blank.Name != "_" {
		return
	}
	var t types.Type
	switch rhs := ast.Unparen(n.Rhs[0]).(type) {
	case *ast.UnaryExpr:
		if rhs.Op != token.ARROW {
			return
		}
		if ct := r.typeOf(rhs.X); ct != nil {
			if ch, ok := ct.Underlying().(*types.Chan); ok {
				t = ch.Elem()
			}
		}
	case *ast.TypeAssertExpr, *ast.IndexExpr:
		t = r.typeOf(rhs)
		if tup, ok := t.(*types.Tuple); ok && tup.Len() == 2 {
			t = tup.At(0).Type()
		}
	}
	if t == nil {
		return
	}
	if r.commStmts[n] {
		// In a select case the interpreter fails either way ("reflect.Select:
		// invalid Dir" with a variable).
		return
	}
	if n.Tok == token.DEFINE && !r.topLevel(n) {
		return // a definition in a function is handled well
	}
	ts, ok := r.typeString(t)
	if !ok {
		return
	}
	name := r.fresh("blank")
	r.hoistOrder = append(r.hoistOrder, "var "+name+" "+ts+"\n")
	r.add(blank.Pos(), blank.End(), name)
}

// topLevel reports whether st is one of the cell's own statements.
func (r *rewriter) topLevel(st ast.Stmt) bool {
	if r.c.body == nil {
		return false
	}
	for _, s := range r.c.body.List {
		if s == st {
			return true
		}
	}
	return false
}
