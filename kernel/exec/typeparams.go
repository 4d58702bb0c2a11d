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
	walkType(t, func(t types.Type) bool {
		if tp, ok := t.(*types.TypeParam); ok {
			if names == nil {
				names = map[string]bool{}
			}
			names[tp.Obj().Name()] = true
		}
		return true
	})
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
