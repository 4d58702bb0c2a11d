package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"log"

	"github.com/galley-dev/galley/engine/stdsymbols"
)

// A logger with Lshortfile or Llongfile names the file and line of its
// caller, which for a cell is the interpreter's own code (`value.go:586`).
// The rewrite passes the cell's line with each call of a log printing
// function or *log.Logger method, and cellLogger writes it where log
// would write the caller's.

// logMethods are the printing functions and methods of package log.
var logMethods = map[string]bool{
	"Print": true, "Printf": true, "Println": true,
	"Fatal": true, "Fatalf": true, "Fatalln": true,
	"Panic": true, "Panicf": true, "Panicln": true,
}

// logCall routes a call of log's printing functions through cellLogger.
func (r *rewriter) logCall(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !logMethods[sel.Sel.Name] {
		return
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "log" {
		return
	}
	line := r.c.e.fset.Position(call.Pos()).Line
	if pn, ok := r.c.info.Uses[identOf(sel.X)].(*types.PkgName); ok && pn.Imported().Path() == "log" {
		r.add(sel.X.Pos(), sel.X.End(), fmt.Sprintf("%s.LogAt(%s.Default(), %d)", rtName, pn.Name(), line))
		return
	}
	if !types.Identical(r.typeOf(sel.X), types.NewPointer(fn.Type().(*types.Signature).Recv().Type().(*types.Pointer).Elem())) {
		return
	}
	r.add(sel.X.Pos(), sel.X.Pos(), rtName+".LogAt(")
	r.add(sel.X.End(), sel.X.End(), fmt.Sprintf(", %d)", line))
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := e.(*ast.Ident)
	return id
}

// cellLogger is a *log.Logger called from a line of a cell.
type cellLogger struct {
	rt   interface{ SetExiting(bool) }
	l    *log.Logger
	line int
}

func (c cellLogger) output(s string) {
	flags := c.l.Flags()
	if flags&(log.Lshortfile|log.Llongfile) == 0 {
		c.l.Output(1, s)
		return
	}
	pos := fmt.Sprintf("%s:%d: ", cellFile, c.line)
	rest := flags &^ (log.Lshortfile | log.Llongfile | log.Lmsgprefix)
	if flags&log.Lmsgprefix != 0 {
		log.New(c.l.Writer(), "", rest).Output(1, pos+c.l.Prefix()+s)
		return
	}
	log.New(c.l.Writer(), c.l.Prefix(), rest).Output(1, pos+s)
}

func (c cellLogger) Print(v ...any)                 { c.output(fmt.Sprint(v...)) }
func (c cellLogger) Printf(format string, v ...any) { c.output(fmt.Sprintf(format, v...)) }
func (c cellLogger) Println(v ...any)               { c.output(fmt.Sprintln(v...)) }

func (c cellLogger) Fatal(v ...any)                 { c.output(fmt.Sprint(v...)); c.exit() }
func (c cellLogger) Fatalf(format string, v ...any) { c.output(fmt.Sprintf(format, v...)); c.exit() }
func (c cellLogger) Fatalln(v ...any)               { c.output(fmt.Sprintln(v...)); c.exit() }

func (c cellLogger) Panic(v ...any) { s := fmt.Sprint(v...); c.output(s); panic(s) }
func (c cellLogger) Panicf(format string, v ...any) {
	s := fmt.Sprintf(format, v...)
	c.output(s)
	panic(s)
}
func (c cellLogger) Panicln(v ...any) { s := fmt.Sprintln(v...); c.output(s); panic(s) }

// exit ends the cell as os.Exit(1) does.
func (c cellLogger) exit() {
	c.rt.SetExiting(true)
	panic(stdsymbols.Exit{Code: 1})
}
