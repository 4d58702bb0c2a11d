package engine

import (
	"go/ast"
	"go/token"
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

// programOrder returns the order in which to run the cell's statements
// when the cell is a program: it declares func main and its statements
// are all var declarations. Go initializes package variables in the order
// their dependencies need, not in the order they are written (`var total
// = base * 2` may come before `var base = 21`); a cell runs statements in
// order. Dependencies are found by name, through the functions the cell
// declares. It returns nil to keep the written order.
func (r *rewriter) programOrder(hasMain bool) []int {
	body := r.c.body
	if !hasMain || body == nil || len(body.List) < 2 {
		return nil
	}
	defines := map[string]int{}
	for i, st := range body.List {
		ds, ok := st.(*ast.DeclStmt)
		if !ok {
			return nil
		}
		gd, ok := ds.Decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			return nil
		}
		for _, spec := range gd.Specs {
			for _, id := range spec.(*ast.ValueSpec).Names {
				defines[id.Name] = i
			}
		}
	}
	funcs := map[string]*ast.FuncDecl{}
	for _, d := range r.c.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != body {
			funcs[fd.Name.Name] = fd
		}
	}
	// uses collects the statements whose variables n mentions, directly or
	// through the cell's functions.
	var uses func(n ast.Node, deps map[int]bool, seen map[string]bool)
	uses = func(n ast.Node, deps map[int]bool, seen map[string]bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			id, ok := m.(*ast.Ident)
			if !ok || seen[id.Name] {
				return true
			}
			if j, ok := defines[id.Name]; ok {
				deps[j] = true
			}
			if fd, ok := funcs[id.Name]; ok {
				seen[id.Name] = true
				uses(fd.Body, deps, seen)
			}
			return true
		})
	}
	n := len(body.List)
	deps := make([]map[int]bool, n)
	for i, st := range body.List {
		deps[i] = map[int]bool{}
		for _, spec := range st.(*ast.DeclStmt).Decl.(*ast.GenDecl).Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				uses(v, deps[i], map[string]bool{})
			}
		}
		delete(deps[i], i)
	}
	// Go's rule: repeatedly take the earliest declaration whose
	// dependencies are all initialized.
	done := make([]bool, n)
	var order []int
	for len(order) < n {
		next := -1
		for i := 0; i < n && next < 0; i++ {
			if done[i] {
				continue
			}
			ready := true
			for j := range deps[i] {
				ready = ready && done[j]
			}
			if ready {
				next = i
			}
		}
		if next < 0 {
			return nil // a cycle, which the type checker reports
		}
		done[next] = true
		order = append(order, next)
	}
	return order
}
