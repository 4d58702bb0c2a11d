package engine

import (
	"go/ast"
	"go/types"
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

// renameTypeParams renames the type parameters named in type expression
// expr.
func renameTypeParams(expr string, names map[string]bool) string {
	if len(names) == 0 {
		return expr
	}
	return renameTypeIdents(expr, func(name string) (string, bool) {
		return typeParamPrefix + name, names[name]
	})
}
