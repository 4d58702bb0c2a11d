package exec

import (
	"go/ast"
	"go/scanner"
	"go/token"
	"go/types"
	"strings"
)

// The interpreter lets the names of a generic declaration's type
// parameters leak into the package scope, so `func Map[T, U any]` in one
// cell breaks `type T struct{...}` in a later one. Type parameters declared
// in cells therefore reach the interpreter under names no cell would use.

const typeParamPrefix = "galley_tp_"

// typeParamIdent renames id when it names a type parameter.
func (r *rewriter) typeParamIdent(id *ast.Ident) {
	obj := r.c.info.ObjectOf(id)
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return
	}
	if _, ok := tn.Type().(*types.TypeParam); !ok {
		return
	}
	r.add(id.Pos(), id.End(), typeParamPrefix+id.Name)
}

// typeParamsOf lists the names of the type parameters t mentions.
func typeParamsOf(t types.Type) map[string]bool {
	var names map[string]bool
	seen := map[types.Type]bool{}
	var walk func(types.Type)
	walk = func(t types.Type) {
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.TypeParam:
			if names == nil {
				names = map[string]bool{}
			}
			names[t.Obj().Name()] = true
		case *types.Alias:
			for i := 0; i < t.TypeArgs().Len(); i++ {
				walk(t.TypeArgs().At(i))
			}
		case *types.Named:
			for i := 0; i < t.TypeArgs().Len(); i++ {
				walk(t.TypeArgs().At(i))
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				walk(t.Field(i).Type())
			}
		case *types.Signature:
			walk(t.Params())
			walk(t.Results())
		case *types.Tuple:
			for i := 0; i < t.Len(); i++ {
				walk(t.At(i).Type())
			}
		case *types.Interface:
			for i := 0; i < t.NumEmbeddeds(); i++ {
				walk(t.EmbeddedType(i))
			}
			for i := 0; i < t.NumExplicitMethods(); i++ {
				walk(t.ExplicitMethod(i).Type())
			}
		case *types.Union:
			for i := 0; i < t.Len(); i++ {
				walk(t.Term(i).Type())
			}
		}
	}
	walk(t)
	return names
}

// renameTypeParams renames the identifiers in type expression expr that
// are type parameter names, leaving qualified names (pkg.T) alone.
func renameTypeParams(expr string, names map[string]bool) string {
	if len(names) == 0 {
		return expr
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(expr))
	s.Init(file, []byte(expr), nil, 0)
	var b strings.Builder
	at, prev := 0, token.ILLEGAL
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		if tok == token.IDENT && names[lit] && prev != token.PERIOD {
			b.WriteString(expr[at:off])
			b.WriteString(typeParamPrefix + lit)
			at = off + len(lit)
		}
		prev = tok
	}
	b.WriteString(expr[at:])
	return b.String()
}
