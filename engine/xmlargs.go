package engine

import (
	"fmt"
	"go/ast"
	"go/types"
	"reflect"
	"strconv"
	"strings"
)

// encoding/xml meets the interpreter's version of a cell's types: structs
// without a name (xml refuses them: "unsupported type"), unexported fields
// exported as Xname, and no MarshalXML or MarshalText methods. Where a
// cell passes such a value to xml.Marshal, xml.MarshalIndent or
// (*xml.Encoder).Encode or EncodeElement, the rewrite passes what xml
// should see instead, built by an interpreted function written for the
// argument's static type: structs become a struct made at run time of
// their exported fields with their tags (cellrt.XMLStruct), and marshaler
// methods are handed over as cellrt.MarshalXMLFunc or XMLTextFunc.

// xmlArgs rewrites the value argument of xml's encoding calls.
func (r *rewriter) xmlArgs(call *ast.CallExpr) {
	arg, t, ok := r.convArg(call, []string{"encoding/xml"}, map[string]int{"Marshal": 0, "MarshalIndent": 0, "Encode": 0, "EncodeElement": 0})
	if !ok {
		return
	}
	if conv := r.xmlConv(t); conv != "" {
		r.wrapArg(arg, conv, "")
	}
}

// xmlConv returns the name of an interpreted function turning a value of
// type t into what xml should encode, or "" when t needs nothing or cannot
// be handled.
func (r *rewriter) xmlConv(t types.Type) string {
	return r.convFunc("xml", t, "", "", r.xmlBody)
}

// xmlTypeName is the name xml gives elements of type t when nothing else
// names them: the named type's own, "" for others.
func xmlTypeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok && n.TypeArgs().Len() == 0 {
		return n.Obj().Name()
	}
	return ""
}

func (r *rewriter) xmlBody(t types.Type) (string, bool) {
	nilCheck := nilPointerCheck(t)
	ms := types.NewMethodSet(t)
	if sel := ms.Lookup(nil, "MarshalXML"); sel != nil && sigString(sel.Type().(*types.Signature)) == "func(*encoding/xml.Encoder, encoding/xml.StartElement) error" {
		return fmt.Sprintf("%sreturn %s.MarshalXMLFunc{TypeName: %q, F: v.MarshalXML}\n", nilCheck, rtName, xmlTypeName(t)), true
	}
	if sel := ms.Lookup(nil, "MarshalText"); sel != nil && textMarshaler(sel.Type().(*types.Signature)) {
		return fmt.Sprintf("%sreturn %s.XMLTextFunc{TypeName: %q, F: v.MarshalText}\n", nilCheck, rtName, xmlTypeName(t)), true
	}
	elem := convElem(r.xmlConv, "")
	var b strings.Builder
	switch u := t.Underlying().(type) {
	case *types.Struct:
		typeName := xmlTypeName(t)
		if typeName == "" {
			return "", false
		}
		var names, tags, vals []string
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if f.Embedded() {
				return "", false // xml flattens embedded structs
			}
			tag := reflect.StructTag(u.Tag(i)).Get("xml")
			if !f.Exported() || tag == "-" {
				continue
			}
			v, ok := elem(f.Type(), "v."+f.Name())
			if !ok {
				return "", false
			}
			names = append(names, strconv.Quote(f.Name()))
			if tag != "" {
				tag = `xml:"` + tag + `"`
			}
			tags = append(tags, strconv.Quote(tag))
			vals = append(vals, v)
		}
		fmt.Fprintf(&b, "return %s.XMLStruct(%q, []string{%s}, []string{%s}, []any{%s})\n",
			rtName, typeName, strings.Join(names, ", "), strings.Join(tags, ", "), strings.Join(vals, ", "))
	case *types.Slice, *types.Array:
		if !listBody(&b, u, elem) {
			return "", false
		}
	case *types.Pointer:
		if !pointerBody(&b, u, elem, "nil") {
			return "", false
		}
	case *types.Map:
		return "", false // xml refuses maps
	default:
		b.WriteString("return v\n")
	}
	return b.String(), true
}

// textMarshaler reports whether sig is MarshalText's, func() ([]byte,
// error); compiled types write []byte as []uint8.
func textMarshaler(sig *types.Signature) bool {
	s := sigString(sig)
	return s == "func() ([]byte, error)" || s == "func() ([]uint8, error)"
}
