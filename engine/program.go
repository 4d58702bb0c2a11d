package engine

import (
	"go/ast"
	"go/types"
)

// A cell may hold a whole program: a package clause, imports,
// declarations, init functions and func main. It runs as `go run` would:
// package variables first (they are the cell's statements), then the init
// functions in order, then main, once. The interpreter runs any function
// named main whenever it executes code that declares one, and again in
// later cells, so main and init are known to it by other names and called
// by the cell itself.

// mainName is the interpreter's name for a cell's func main.
const mainName = "galley_main"

// isEntryFunc reports whether fd is a package-level func main or init.
func isEntryFunc(fd *ast.FuncDecl, name string) bool {
	return fd.Recv == nil && fd.Name.Name == name
}

// entryFuncs renames the cell's func main and init functions and returns
// the calls that run them, in the order Go runs them.
func (r *rewriter) entryFuncs() []string {
	var inits []string
	var main string
	for _, d := range r.c.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == r.c.body {
			continue
		}
		switch {
		case isEntryFunc(fd, "init"):
			name := r.fresh("init")
			r.add(fd.Name.Pos(), fd.Name.End(), name)
			inits = append(inits, name+"()")
		case isEntryFunc(fd, "main"):
			r.add(fd.Name.Pos(), fd.Name.End(), mainName)
			main = mainName + "()"
		}
	}
	if main != "" {
		inits = append(inits, main)
	}
	return inits
}

// mainIdent points a use of func main (calling it again, from a later
// cell say) at its interpreter name.
func (r *rewriter) mainIdent(id *ast.Ident) {
	if id.Name != "main" {
		return
	}
	fn, ok := r.c.info.Uses[id].(*types.Func)
	if ok && fn.Pkg() != nil && fn.Parent() == fn.Pkg().Scope() {
		r.add(id.Pos(), id.End(), mainName)
	}
}
