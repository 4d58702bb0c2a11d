package engine

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// Generic type aliases (type Set[T comparable] = map[T]struct{}) are beyond
// the interpreter: it rejects some declarations and crashes on instances of
// others. go/types understands them fully, so the cell keeps them for type
// checking while the interpreter sees neither the declaration nor the
// alias: every instance is written out as the type it stands for.

// genericAliasDecl blanks the declaration of a generic alias, keeping its
// lines so positions stay put. It reports whether d was one.
func (r *rewriter) genericAliasDecl(d *ast.GenDecl) bool {
	if d.Tok != token.TYPE {
		return false
	}
	for _, s := range d.Specs {
		ts := s.(*ast.TypeSpec)
		if !ts.Assign.IsValid() || ts.TypeParams == nil {
			return false
		}
	}
	start, end := r.c.cellOffset(d.Pos()), r.c.cellOffset(d.End())
	if start < 0 || end < 0 {
		return false
	}
	r.add(d.Pos(), d.End(), strings.Repeat("\n", strings.Count(r.c.code[start:end], "\n")))
	return true
}

// genericAlias replaces an instance of a generic alias, such as Set[int],
// with the type it stands for. It reports whether e was such an instance,
// whose inside then needs no further rewriting.
func (r *rewriter) genericAlias(e ast.Expr) bool {
	var x ast.Expr
	switch n := e.(type) {
	case *ast.IndexExpr:
		x = n.X
	case *ast.IndexListExpr:
		x = n.X
	default:
		return false
	}
	tv, ok := r.c.info.Types[e]
	if !ok || !tv.IsType() {
		return false
	}
	var id *ast.Ident
	switch x := x.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	default:
		return false
	}
	tn, ok := r.c.info.Uses[id].(*types.TypeName)
	if !ok {
		return false
	}
	if a, ok := tn.Type().(*types.Alias); !ok || a.TypeParams().Len() == 0 {
		return false
	}
	text, ok := r.typeString(tv.Type)
	if !ok {
		r.errorf(e.Pos(), "%s stands for a type that cannot be named here; write the type out", exprText(r.c, e))
		return true
	}
	r.add(e.Pos(), e.End(), text)
	return true
}

// hasGenericAlias reports whether t mentions an instance of a generic
// alias anywhere.
func hasGenericAlias(t types.Type) bool {
	found := false
	walkType(t, func(t types.Type) bool {
		if a, ok := t.(*types.Alias); ok && a.TypeArgs().Len() > 0 {
			found = true
		}
		return !found
	})
	return found
}

// expandGenericAliases returns t with every instance of a generic alias
// replaced by the type it stands for, so that types.TypeString writes
// source the interpreter accepts. Types without such instances come back
// unchanged.
func expandGenericAliases(t types.Type) types.Type {
	if !hasGenericAlias(t) {
		return t
	}
	var x func(types.Type) types.Type
	x = func(t types.Type) types.Type {
		switch t := t.(type) {
		case *types.Alias:
			if t.TypeArgs().Len() > 0 {
				return x(types.Unalias(t))
			}
			return t
		case *types.Named:
			if t.TypeArgs().Len() == 0 {
				return t
			}
			args := make([]types.Type, t.TypeArgs().Len())
			for i := range args {
				args[i] = x(t.TypeArgs().At(i))
			}
			if inst, err := types.Instantiate(nil, t.Origin(), args, false); err == nil {
				return inst
			}
			return t
		case *types.Pointer:
			return types.NewPointer(x(t.Elem()))
		case *types.Slice:
			return types.NewSlice(x(t.Elem()))
		case *types.Array:
			return types.NewArray(x(t.Elem()), t.Len())
		case *types.Map:
			return types.NewMap(x(t.Key()), x(t.Elem()))
		case *types.Chan:
			return types.NewChan(t.Dir(), x(t.Elem()))
		case *types.Struct:
			fields := make([]*types.Var, t.NumFields())
			tags := make([]string, t.NumFields())
			for i := range fields {
				f := t.Field(i)
				fields[i] = types.NewField(f.Pos(), f.Pkg(), f.Name(), x(f.Type()), f.Embedded())
				tags[i] = t.Tag(i)
			}
			return types.NewStruct(fields, tags)
		case *types.Signature:
			return types.NewSignatureType(nil, nil, nil, tuple(t.Params(), x), tuple(t.Results(), x), t.Variadic())
		}
		return t
	}
	return x(t)
}

func tuple(t *types.Tuple, x func(types.Type) types.Type) *types.Tuple {
	if t == nil {
		return nil
	}
	vars := make([]*types.Var, t.Len())
	for i := range vars {
		v := t.At(i)
		vars[i] = types.NewParam(v.Pos(), v.Pkg(), v.Name(), x(v.Type()))
	}
	return types.NewTuple(vars...)
}
