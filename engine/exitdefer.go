package engine

import (
	"fmt"
	"go/ast"
	"strings"
)

// os.Exit and log.Fatal end a cell by panicking, since the process must
// live on; unwinding would run the deferred calls that Go's os.Exit skips.
// The engine marks the cell as exiting before the panic, and the rewrite
// makes deferred calls return at once when it is marked: a deferred
// function literal checks first thing (recover still works in it, being
// called by the deferral), and a deferred call of compiled code runs
// inside a literal that checks, its arguments evaluated at the defer
// statement as Go evaluates them. A deferred call of a function a cell
// declared is left as it is: the function may call recover, which works
// only when the deferral calls it directly.
func (r *rewriter) exitDefer(ds *ast.DeferStmt) {
	call := ds.Call
	guard := "if " + rtName + ".Exiting() { return }; "
	if lit, ok := call.Fun.(*ast.FuncLit); ok {
		if lit.Type.Results != nil && len(lit.Type.Results.List) > 0 {
			return
		}
		r.add(lit.Body.Lbrace+1, lit.Body.Lbrace+1, guard)
		return
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !r.compiledCallee(sel) {
		return
	}
	params, args, ok := r.callParams(call)
	if !ok {
		return
	}
	if len(call.Args) == 0 {
		r.add(ds.Defer, call.Pos(), "defer func() { "+guard)
		r.add(call.End(), call.End(), " }()")
		return
	}
	inner := strings.Join(args, ", ")
	if call.Ellipsis.IsValid() {
		inner += "..."
	}
	r.add(ds.Defer, call.Pos(), fmt.Sprintf("defer func(%s) { %s", strings.Join(params, ", "), guard))
	r.add(call.Lparen, call.Lparen, "("+inner+") }")
}
