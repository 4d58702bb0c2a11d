package engine

import "go/ast"

// typeSwitch binds the value of a type switch that has no binding
// (`switch v.(type)`). The interpreter matches the cases of a struct type
// declared in a cell only when the switch binds its value; with a binding
// every clause sees, and marks as used, the same cases behave.
func (r *rewriter) typeSwitch(n *ast.TypeSwitchStmt) {
	es, ok := n.Assign.(*ast.ExprStmt)
	if !ok {
		return
	}
	name := r.fresh("ts")
	r.add(es.Pos(), es.Pos(), name+" := ")
	for _, s := range n.Body.List {
		cc := s.(*ast.CaseClause)
		r.add(cc.Colon+1, cc.Colon+1, " _ = "+name+";")
	}
}
