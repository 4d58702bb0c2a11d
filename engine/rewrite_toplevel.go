package engine

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// Rewrites of the cell's own statements: top-level variables become
// package variables, and a trailing expression becomes the cell's value.

// typedTopLevel moves the declarations of the cell's top-level variables
// into the declarations the interpreter compiles first, leaving plain
// assignments in the statements. The interpreter mishandles var statements
// and definitions from generic calls among top-level statements, while
// typed package-level declarations are reliable. A variable the session
// already holds with the same type is assigned, not redeclared, so
// `x := x + 1` sees the old value.
func (r *rewriter) typedTopLevel() {
	if r.c.body == nil {
		return
	}
	declare := func(id *ast.Ident) (string, bool) {
		obj := r.c.info.Defs[id]
		if obj == nil {
			return "", true // assigned, not defined, by this statement
		}
		ts, ok := r.typeString(obj.Type())
		if !ok {
			return "", false
		}
		name := r.internalName(id.Name)
		if name != id.Name {
			r.renamed[obj] = name
		}
		if r.c.sess.vars[id.Name] == r.checkerType(obj.Type()) && r.hoisted[name] == "" {
			return "", true
		}
		return "var " + name + " " + ts + "\n", true
	}
	for _, st := range r.c.body.List {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if st.Tok != token.DEFINE {
				continue
			}
			var decls []string
			ok := true
			for _, l := range st.Lhs {
				id := l.(*ast.Ident)
				if id.Name == "_" {
					continue
				}
				d, named := declare(id)
				if !named {
					ok = false
					break
				}
				if d != "" {
					decls = append(decls, d)
				}
			}
			if !ok {
				continue
			}
			r.hoist(decls)
			r.add(st.TokPos, st.TokPos+2, "=")
		case *ast.DeclStmt:
			gd, isGen := st.Decl.(*ast.GenDecl)
			if !isGen || gd.Tok != token.VAR {
				continue
			}
			var decls []string
			ok := true
			for _, spec := range gd.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if id.Name == "_" {
						continue
					}
					obj := r.c.info.Defs[id]
					ts, named := r.typeString(obj.Type())
					if !named {
						ok = false
						break
					}
					name := r.internalName(id.Name)
					if name != id.Name {
						r.renamed[obj] = name
					}
					decls = append(decls, "var "+name+" "+ts+"\n")
				}
			}
			if !ok {
				continue
			}
			r.hoist(decls)
			if gd.Lparen.IsValid() {
				r.add(gd.Pos(), gd.Lparen+1, "")
				r.add(gd.Rparen, gd.Rparen+1, "")
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Values) == 0 {
					if gd.Lparen.IsValid() {
						r.add(vs.Pos(), vs.End(), "")
					} else {
						r.add(gd.Pos(), gd.End(), "")
					}
					continue
				}
				var names []string
				for _, id := range vs.Names {
					names = append(names, r.internalName(id.Name))
				}
				from := vs.Pos()
				if !gd.Lparen.IsValid() {
					from = gd.Pos()
				}
				r.add(from, vs.Values[0].Pos(), strings.Join(names, ", ")+" = ")
			}
		}
	}
}

// internalName is the interpreter's name for a session variable. A
// variable named like a package the interpreter has imported (data,
// display) would clash with the import there, though Go scoping lets the
// cell use it; such variables live under another name.
func (r *rewriter) internalName(name string) string {
	sess := r.c.sess
	if n, ok := sess.renames[name]; ok {
		return n
	}
	for _, imported := range r.c.e.imported {
		if imported == name {
			sess.renames[name] = "galley_var_" + name
			return sess.renames[name]
		}
	}
	return name
}

// renameVars points uses of renamed session variables at their
// interpreter names.
func (r *rewriter) renameVars() {
	for id, obj := range r.c.info.Uses {
		if r.c.cellOffset(id.Pos()) < 0 {
			continue
		}
		if n, ok := r.renamed[obj]; ok {
			r.add(id.Pos(), id.End(), n)
			continue
		}
		if v, ok := obj.(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
			if n, ok := r.c.sess.renames[v.Name()]; ok {
				r.add(id.Pos(), id.End(), n)
			}
		}
	}
	for id, obj := range r.c.info.Defs {
		if n, ok := r.renamed[obj]; ok && r.c.cellOffset(id.Pos()) >= 0 {
			if _, isVar := obj.(*types.Var); isVar && !r.inDeclStmt(id) {
				r.add(id.Pos(), id.End(), n)
			}
		}
	}
}

// inDeclStmt reports whether id is a name in a top-level var statement,
// whose text typedTopLevel already replaced.
func (r *rewriter) inDeclStmt(id *ast.Ident) bool {
	for _, st := range r.c.body.List {
		if ds, ok := st.(*ast.DeclStmt); ok && ds.Pos() <= id.Pos() && id.End() <= ds.End() {
			return true
		}
	}
	return false
}

func (r *rewriter) hoist(decls []string) {
	for _, d := range decls {
		name := strings.Fields(d)[1]
		r.hoisted[name] = d
		r.hoistOrder = append(r.hoistOrder, d)
	}
}

// quietCalls name packages whose printing functions (fmt.Print*,
// fmt.Fprint*, all of log) print rather than compute: their results are
// not shown when they end a cell.
var quietCalls = map[string]bool{"fmt": true, "log": true}

// printsLike reports whether t is the type of fmt's printing functions,
// variadic in any and returning (int, error): a call through a variable
// holding one (`p := fmt.Println`) prints, as the function itself does.
func printsLike(t types.Type) bool {
	sig, ok := t.(*types.Signature)
	if !ok || !sig.Variadic() || sig.Results().Len() != 2 {
		return false
	}
	last := sig.Params().At(sig.Params().Len() - 1).Type().(*types.Slice)
	return types.IsInterface(last.Elem()) && last.Elem().Underlying().(*types.Interface).Empty() &&
		types.Identical(sig.Results().At(0).Type(), types.Typ[types.Int]) &&
		sig.Results().At(1).Type().String() == "error"
}

// trailingValue passes the value of a cell's final expression to the show
// hook, so that it renders as the cell's result.
func (r *rewriter) trailingValue() {
	if r.c.body == nil || len(r.c.body.List) == 0 {
		return
	}
	last, ok := r.c.body.List[len(r.c.body.List)-1].(*ast.ExprStmt)
	if !ok || r.c.cellOffset(last.Pos()) < 0 {
		return
	}
	if call, ok := ast.Unparen(last.X).(*ast.CallExpr); ok {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if pn, ok := r.c.info.Uses[id].(*types.PkgName); ok && quietCalls[pn.Imported().Path()] &&
					(pn.Imported().Path() == "log" || strings.HasPrefix(sel.Sel.Name, "Print") || strings.HasPrefix(sel.Sel.Name, "Fprint")) {
					return
				}
			}
		}
		if printsLike(r.typeOf(call.Fun)) {
			return
		}
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
			if _, ok := r.c.info.Uses[id].(*types.Builtin); ok && (id.Name == "print" || id.Name == "println" || id.Name == "panic" || id.Name == "clear" || id.Name == "close" || id.Name == "delete" || id.Name == "copy") {
				return
			}
		}
	}
	if t := r.typeOf(last.X); t != nil {
		if tup, ok := t.(*types.Tuple); ok && tup.Len() == 0 {
			return
		}
	} else if r.c.typed {
		return
	}
	if renders(r.typeOf(last.X)) {
		r.add(last.Pos(), last.Pos(), rtName+".Show((")
		r.add(last.End(), last.End(), ").DisplayData())")
		return
	}
	r.add(last.Pos(), last.Pos(), rtName+".Show(")
	r.add(last.End(), last.End(), ")")
}
