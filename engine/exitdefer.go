package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"strings"
)

// os.Exit and log.Fatal end a cell by panicking, since the process must
// live on; unwinding would run the deferred calls that Go's os.Exit skips.
// The engine marks the cell as exiting before the panic, and the rewrite
// makes deferred calls return at once when it is marked: a deferred
// function literal checks first thing (recover still works in it, being
// called by the deferral), and a deferred call of compiled code runs
// inside a literal that checks, its arguments evaluated at the defer
// statement as Go evaluates them. A deferred method call on a local
// variable is handled the same way, its receiver evaluated at the defer
// statement too. A deferred call of a function a cell declared is left as
// it is: the function may call recover, which works only when the deferral
// calls it directly.
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
	if !ok {
		return
	}
	// A method's receiver is evaluated at the defer statement, as Go does:
	// left in the literal, a variable of a loop's iteration would be read
	// when the function returns, and every call would get the last one.
	// Only variables of a loop's iteration are passed: the interpreter
	// gives a goroutine's closure its own copy of a variable whose address
	// is taken (`&wg`), so elsewhere the receiver stays where it is.
	method := false
	var recvType types.Type
	addr := false
	if s, ok := r.c.info.Selections[sel]; ok && s.Kind() == types.MethodVal {
		// Only a local variable's text can move as it is: package
		// variables, and the cell's own top-level variables, may be known
		// to the interpreter by another name.
		if id, ok := sel.X.(*ast.Ident); ok {
			loop := r.loopDefers[ds]
			if v, ok := r.c.info.Uses[id].(*types.Var); ok && loop != nil && v.Pos() > loop.Pos() && v.Pos() < loop.End() && v.Parent() != r.cellScope() {
				method = true
				recvType = v.Type()
				if _, isPtr := s.Obj().Type().(*types.Signature).Recv().Type().(*types.Pointer); isPtr && !types.IsInterface(recvType) {
					if _, ok := recvType.Underlying().(*types.Pointer); !ok {
						// A pointer method of an addressable value takes
						// its address, as Go does.
						recvType, addr = types.NewPointer(recvType), true
					}
				}
			}
		}
	}
	if !method && !r.compiledCallee(sel) {
		return
	}
	params, args, ok := r.callParams(call)
	if !ok {
		return
	}
	recvParam, recvArg := "", ""
	if method {
		ts, ok := r.typeString(recvType)
		if !ok {
			return
		}
		recv := r.fresh("recv")
		recvParam, recvArg = recv+" "+ts, exprText(r.c, sel.X)
		if addr {
			recvArg = "&" + recvArg
		}
		params = append([]string{recvParam}, params...)
		// The receiver's text moves into the call's arguments; the
		// literal calls the method on the parameter.
		r.add(sel.X.Pos(), sel.X.End(), recv)
	}
	inner := strings.Join(args, ", ")
	if call.Ellipsis.IsValid() {
		inner += "..."
	}
	r.add(ds.Defer, call.Pos(), fmt.Sprintf("defer func(%s) { %s", strings.Join(params, ", "), guard))
	if len(call.Args) == 0 {
		r.add(call.End(), call.End(), " }("+recvArg+")")
		return
	}
	r.add(call.Lparen, call.Lparen, "("+inner+") }")
	if recvArg != "" {
		r.add(call.Lparen, call.Lparen+1, "("+recvArg+", ")
	}
}

// cellScope is the scope of the cell's own statements, whose variables
// become package variables.
func (r *rewriter) cellScope() *types.Scope {
	for _, d := range r.c.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && r.c.body != nil && fd.Body == r.c.body {
			return r.c.info.Scopes[fd.Type]
		}
	}
	return nil
}

// loopDefersIn records the defer statements of a loop's body, outside
// function literals, for exitDefer.
func (r *rewriter) loopDefersIn(loop ast.Node, body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			if r.loopDefers == nil {
				r.loopDefers = map[*ast.DeferStmt]ast.Node{}
			}
			r.loopDefers[n] = loop // inner loops come later and win
		}
		return true
	})
}
