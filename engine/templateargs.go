package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"strconv"
	"strings"
)

// text/template and html/template look up `{{.Name}}` as a method, then a
// field, of the value they are given, by reflection; the interpreter's
// version of a cell's struct has the fields but none of the methods. Where
// a cell passes such a value to (*Template).Execute or ExecuteTemplate,
// the rewrite passes a struct made at run time (cellrt.TemplateStruct)
// holding the exported fields and, as fields named after them, the results
// of the methods a template can call without arguments. Those methods are
// called once, when Execute is, whether or not the template uses them.

// templateDepth bounds how deep values are described, for data that
// refers to itself through pointers.
const templateDepth = 8

// templateArgs rewrites the data argument of the templates' Execute calls.
func (r *rewriter) templateArgs(call *ast.CallExpr) {
	pkgs := []string{"text/template", "html/template"}
	arg, t, ok := r.convArg(call, pkgs, map[string]int{"Execute": 1, "ExecuteTemplate": 2})
	if !ok {
		return
	}
	if conv := r.templateConv(t); conv != "" {
		r.wrapArg(arg, conv, ", 0")
	}
}

// templateConv returns the name of an interpreted function turning a value
// of type t into what a template should see, or "" when t needs nothing or
// cannot be handled.
func (r *rewriter) templateConv(t types.Type) string {
	return r.convFunc("template", t, ", d int", fmt.Sprintf("if d > %d {\nreturn v\n}\n", templateDepth), r.templateBody)
}

func (r *rewriter) templateBody(t types.Type) (string, bool) {
	elem := convElem(r.templateConv, ", d+1")
	var b strings.Builder
	// A cell's struct, or a pointer to one, is described with its methods;
	// other pointers by what they point to.
	var st *types.Struct
	if declaredInCell(t) {
		if p, ok := t.(*types.Pointer); ok {
			st, _ = p.Elem().Underlying().(*types.Struct)
			b.WriteString("if v == nil {\nreturn v\n}\n")
		} else {
			st, _ = t.Underlying().(*types.Struct)
		}
	}
	u := t.Underlying()
	if st != nil {
		u = st
	}
	switch u := u.(type) {
	case *types.Pointer:
		if !pointerBody(&b, u, elem, "v") {
			return "", false
		}
	case *types.Struct:
		if st == nil {
			return "", false // a struct type without a name
		}
		var names, vals, oks []string
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			if f.Embedded() {
				return "", false // promoted fields and methods
			}
			if !f.Exported() {
				continue
			}
			v, ok := elem(f.Type(), "v."+f.Name())
			if !ok {
				return "", false
			}
			names = append(names, strconv.Quote(f.Name()))
			vals = append(vals, v)
			oks = append(oks, "true")
		}
		ms := types.NewMethodSet(t)
		for i := range ms.Len() {
			m := ms.At(i).Obj()
			sig := m.Type().(*types.Signature)
			if !m.Exported() || sig.Params().Len() != 0 || sig.Results().Len() == 0 || sig.Results().Len() > 2 {
				continue
			}
			if sig.Results().Len() == 2 && !types.Identical(sig.Results().At(1).Type(), types.Universe.Lookup("error").Type()) {
				continue
			}
			// A method that panics or fails is left out: the template
			// reports it only if it uses it.
			res := "x"
			if sig.Results().Len() == 2 {
				res = "x, err"
			}
			fmt.Fprintf(&b, "var m%[1]d any\nok%[1]d := false\nfunc() {\ndefer func() { recover() }()\n", i)
			if sig.Results().Len() == 2 {
				fmt.Fprintf(&b, "%s := v.%s()\nif err != nil {\nreturn\n}\nm%d, ok%d = x, true\n}()\n", res, m.Name(), i, i)
			} else {
				fmt.Fprintf(&b, "%s := v.%s()\nm%d, ok%d = x, true\n}()\n", res, m.Name(), i, i)
			}
			names = append(names, strconv.Quote(m.Name()))
			vals = append(vals, fmt.Sprintf("m%d", i))
			oks = append(oks, fmt.Sprintf("ok%d", i))
		}
		fmt.Fprintf(&b, "return %s.TemplateStruct([]string{%s}, []any{%s}, []bool{%s})\n",
			rtName, strings.Join(names, ", "), strings.Join(vals, ", "), strings.Join(oks, ", "))
	case *types.Slice, *types.Array:
		if !listBody(&b, u, elem) {
			return "", false
		}
	case *types.Map:
		if !isStringKind(u.Key()) || !mapBody(&b, u, elem, stringKey) {
			return "", false
		}
	default:
		b.WriteString("return v\n")
	}
	return b.String(), true
}
