package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"reflect"
	"strconv"
	"strings"
)

// encoding/json meets the interpreter's version of a cell's types: their
// unexported fields exported as Xname, and no MarshalJSON or MarshalText
// methods. Where a cell passes such a value to json.Marshal,
// json.MarshalIndent or (*json.Encoder).Encode, the rewrite passes what
// json should see instead, built by an interpreted function written for
// the argument's static type: structs become cellrt.JSONObject with their
// exported fields under their JSON names, and marshaler methods are handed
// over as cellrt.MarshalJSONFunc or MarshalTextFunc.

// jsonArgs rewrites the value argument of json's encoding calls.
func (r *rewriter) jsonArgs(call *ast.CallExpr) {
	arg, t, ok := r.convArg(call, []string{"encoding/json"}, map[string]int{"Marshal": 0, "MarshalIndent": 0, "Encode": 0})
	if !ok {
		return
	}
	if conv := r.jsonConv(t); conv != "" {
		r.wrapArg(arg, conv, "")
	}
}

// jsonConv returns the name of an interpreted function turning a value of
// type t into what json should encode, or "" when t needs nothing or
// cannot be handled.
func (r *rewriter) jsonConv(t types.Type) string {
	return r.convFunc("json", t, "", "", r.jsonBody)
}

func (r *rewriter) jsonBody(t types.Type) (string, bool) {
	ms := types.NewMethodSet(t)
	for _, m := range []string{"MarshalJSON", "MarshalText"} {
		if sel := ms.Lookup(nil, m); sel != nil {
			sig := sel.Type().(*types.Signature)
			if sig.Params().Len() == 0 && sig.Results().Len() == 2 {
				return fmt.Sprintf("%sreturn %s.%sFunc(v.%s)\n", nilPointerCheck(t), rtName, m, m), true
			}
		}
	}
	elem := convElem(r.jsonConv, "")
	var b strings.Builder
	switch u := t.Underlying().(type) {
	case *types.Struct:
		var names, vals, omit, raw []string
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if f.Embedded() {
				return "", false // json flattens embedded structs
			}
			if !f.Exported() {
				continue
			}
			name, opts, _ := strings.Cut(reflect.StructTag(u.Tag(i)).Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			if strings.Contains(","+opts+",", ",string,") {
				return "", false
			}
			if name == "" {
				name = f.Name()
			}
			v, ok := elem(f.Type(), "v."+f.Name())
			if !ok {
				return "", false
			}
			names = append(names, strconv.Quote(name))
			vals = append(vals, v)
			omit = append(omit, strconv.FormatBool(strings.Contains(","+opts+",", ",omitempty,")))
			raw = append(raw, "v."+f.Name())
		}
		fmt.Fprintf(&b, "return %s.JSONObject{Names: []string{%s}, Vals: []any{%s}, OmitEmpty: []bool{%s}, Raw: []any{%s}}\n",
			rtName, strings.Join(names, ", "), strings.Join(vals, ", "), strings.Join(omit, ", "), strings.Join(raw, ", "))
	case *types.Slice, *types.Array:
		if !listBody(&b, u, elem) {
			return "", false
		}
	case *types.Map:
		if mentionsCellType(u.Key()) && !isStringKind(u.Key()) {
			return "", false
		}
		key := func() string {
			if isStringKind(u.Key()) {
				return "string(k)"
			}
			// json writes other keys as their decimal text.
			return r.fmtPkg() + ".Sprint(k)"
		}
		if !mapBody(&b, u, elem, key) {
			return "", false
		}
	case *types.Pointer:
		if !pointerBody(&b, u, elem, "nil") {
			return "", false
		}
	default:
		b.WriteString("return v\n")
	}
	return b.String(), true
}

func isStringKind(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}
