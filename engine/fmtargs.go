package engine

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"strconv"
	"strings"
)

// The interpreter builds the types cells declare without names or methods,
// so compiled fmt would print a cell's `P{x: 1}` as `{Xx:1}`, `%T` as
// `struct { Xx int }`, and would never call its String, Error, Format or
// GoString method. Where a cell passes such a value to fmt's or log's
// printing functions, the rewrite passes a description of it instead
// (cellrt.Value), built by an interpreted function written for the
// argument's static type; `%T` of such an argument becomes the type's name
// in the format string.

// printFuncs are the printing functions and methods of fmt and log whose
// arguments are described, with the index of their format argument (-1
// when they have none).
var printFuncs = map[string]int{
	"Print": -1, "Println": -1, "Printf": 0,
	"Sprint": -1, "Sprintln": -1, "Sprintf": 0,
	"Fprint": -1, "Fprintln": -1, "Fprintf": 1,
	"Append": -1, "Appendln": -1, "Appendf": 1,
	"Errorf": 0,
	"Fatal":  -1, "Fatalln": -1, "Fatalf": 0,
	"Panic": -1, "Panicln": -1, "Panicf": 0,
}

// fmtMethods are the methods fmt looks for, with the signature each must have.
var fmtMethods = map[string]string{
	"String":   "func() string",
	"Error":    "func() string",
	"GoString": "func() string",
	"Format":   "func(f fmt.State, verb rune)",
}

// printArgs describes the cell-declared values passed to fmt and log.
func (r *rewriter) printArgs(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || call.Ellipsis.IsValid() || r.plain {
		return
	}
	fn, ok := r.c.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || (fn.Pkg().Path() != "fmt" && fn.Pkg().Path() != "log") {
		return
	}
	formatAt, ok := printFuncs[fn.Name()]
	if !ok {
		return
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || !sig.Variadic() {
		return
	}
	first := sig.Params().Len() - 1 // the variadic arguments start here
	if formatAt >= 0 && formatAt != first-1 {
		return
	}
	verbsKnown := true
	if formatAt >= 0 && formatAt < len(call.Args) {
		verbsKnown = r.typeVerbs(call.Args[formatAt], call.Args[first:])
	}
	for _, arg := range call.Args[min(first, len(call.Args)):] {
		if r.typeVerbArgs[arg] {
			continue
		}
		t := r.typeOf(arg)
		if t == nil || r.keepsErrorWrapper(t) {
			continue
		}
		if types.IsInterface(t) && !verbsKnown {
			// It might be printed with %T, which would name the
			// description's type.
			continue
		}
		conv := r.fmtConv(t, true, true)
		if conv == "" {
			continue
		}
		r.add(arg.Pos(), arg.Pos(), conv+"(")
		r.add(arg.End(), arg.End(), ")")
	}
}

// keepsErrorWrapper reports whether errorArgs hands values of t to compiled
// code as errors: those must stay errors, for %w to wrap them.
func (r *rewriter) keepsErrorWrapper(t types.Type) bool {
	errType := types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	return !types.IsInterface(t) && declaredInCell(t) && types.Implements(t, errType)
}

// typeVerbs writes `%T` of arguments whose type a cell declared into the
// format string, as the type's name: the interpreter's type would print its
// structure. Only constant formats without explicit argument indexes are
// rewritten; it reports whether the format was such.
func (r *rewriter) typeVerbs(format ast.Expr, args []ast.Expr) bool {
	tv, ok := r.c.info.Types[format]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return false
	}
	f := constant.StringVal(tv.Value)
	verbs, ok := formatVerbs(f)
	if !ok {
		return false
	}
	var b strings.Builder
	at, changed := 0, false
	for _, v := range verbs {
		if v.verb != 'T' || v.arg >= len(args) {
			continue
		}
		t := r.typeOf(args[v.arg])
		if t == nil || r.keepsErrorWrapper(t) {
			continue
		}
		if types.IsInterface(t) {
			// The dynamic type is named by an interpreted type switch.
			fn := r.typeNameFunc(t)
			if fn == "" {
				if r.typeVerbArgs == nil {
					r.typeVerbArgs = map[ast.Expr]bool{}
				}
				r.typeVerbArgs[args[v.arg]] = true // printed as it is
				continue
			}
			b.WriteString(f[at:v.off])
			b.WriteString("s")
			at = v.off + 1
			changed = true
			r.add(args[v.arg].Pos(), args[v.arg].Pos(), fn+"(")
			r.add(args[v.arg].End(), args[v.arg].End(), ")")
		} else {
			if !mentionsCellType(t) {
				continue
			}
			b.WriteString(f[at:v.off])
			b.WriteString("s")
			at = v.off + 1
			changed = true
			name := reflectTypeName(t)
			// The argument stays, evaluated as Go would, for rewrites
			// inside it to apply.
			r.add(args[v.arg].Pos(), args[v.arg].Pos(), rtName+".TypeName("+strconv.Quote(r.c.sess.showNames(name))+", ")
			r.add(args[v.arg].End(), args[v.arg].End(), ")")
		}
		if r.typeVerbArgs == nil {
			r.typeVerbArgs = map[ast.Expr]bool{}
		}
		r.typeVerbArgs[args[v.arg]] = true
	}
	if !changed {
		return true
	}
	b.WriteString(f[at:])
	r.add(format.Pos(), format.End(), strconv.Quote(b.String()))
	return true
}

// typeNameFunc returns an interpreted function naming the dynamic type of
// a value of interface type t as %T does, or "" when no type a cell
// declared can be in it.
func (r *rewriter) typeNameFunc(t types.Type) string {
	cases := r.ifaceCases(t)
	ts, ok := r.typeString(t)
	if len(cases) == 0 || !ok {
		return ""
	}
	var b strings.Builder
	// The interpreter matches cell types only in a switch that binds.
	b.WriteString("switch x := v.(type) {\n")
	for _, c := range cases {
		cs, ok := r.typeString(c)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "case %s:\n_ = x\nreturn %q\n", cs, r.c.sess.showNames(reflectTypeName(c)))
	}
	fmt.Fprintf(&b, "}\nreturn %s.TypeOf(v)\n", rtName)
	name := r.fresh("typename")
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf("func %s(v %s) string {\n%s}\n", name, ts, b.String()))
	return name
}

// ifaceCases lists the types a value of interface type t is matched
// against to be described: for an empty interface the session's types with
// fmt methods, for an interface a cell declared every session type that
// implements it.
func (r *rewriter) ifaceCases(t types.Type) []types.Type {
	iface, ok := t.Underlying().(*types.Interface)
	if !ok {
		return nil
	}
	if iface.Empty() {
		return r.anyCases()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "main" || n.Obj().Parent() != n.Obj().Pkg().Scope() {
		return nil
	}
	var list []types.Type
	for _, c := range r.sessionTypes() {
		if types.Implements(c, iface) {
			list = append(list, c)
		}
	}
	list = distinguishable(list)
	if len(list) > 64 {
		return nil
	}
	return list
}

type formatVerb struct {
	off  int  // of the verb letter in the format
	verb rune // the verb letter
	arg  int  // the argument it prints
}

// formatVerbs finds the verbs of a Printf format and the arguments they
// consume; ok is false for formats with explicit argument indexes.
func formatVerbs(f string) (verbs []formatVerb, ok bool) {
	arg := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		for ; i < len(f); i++ {
			c := f[i]
			switch {
			case c == '[':
				return nil, false
			case c == '*':
				arg++
			case strings.IndexByte("+-# 0.", c) >= 0 || c >= '0' && c <= '9':
			default:
				if c != '%' {
					verbs = append(verbs, formatVerb{off: i, verb: rune(c), arg: arg})
					arg++
				}
				goto next
			}
		}
	next:
	}
	return verbs, true
}

// mentionsCellType reports whether t is or contains a type a cell declared.
func mentionsCellType(t types.Type) bool {
	found := false
	walkNamed(t, func(n *types.Named) {
		if n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "main" {
			found = true
		}
	})
	return found
}

// fmtConv returns the name of an interpreted function that describes a
// value of type t to fmt, writing it if needed, or "" when fmt prints t
// correctly as it is. methods is false for unexported struct fields, whose
// methods fmt does not call. An interface value is described only when it
// is an argument itself (top): the interpreter hands the elements of a
// []any to interpreted code in a form that compiled code cannot print.
func (r *rewriter) fmtConv(t types.Type, methods, top bool) string {
	t = types.Unalias(t)
	if iface, isIface := t.(*types.Interface); isIface && iface.Empty() && !top {
		return ""
	}
	if !r.needsConv(t, map[types.Type]bool{}) {
		return ""
	}
	key := types.TypeString(t, nil) + fmt.Sprint(methods)
	if name, ok := r.convs[key]; ok {
		return name
	}
	ts, ok := r.typeString(t)
	if !ok {
		return ""
	}
	name := r.fresh("fmt")
	if r.convs == nil {
		r.convs = map[string]string{}
	}
	r.convs[key] = name
	body, ok := r.convBody(t, methods)
	if !ok {
		r.convs[key] = ""
		return ""
	}
	r.hoistOrder = append(r.hoistOrder, fmt.Sprintf("func %s(v %s) any {\n%s}\n", name, ts, body))
	return name
}

// needsConv reports whether fmt would print a value of type t differently
// from Go: t is or holds a type a cell declared, or is an empty interface
// that may hold one with fmt methods.
func (r *rewriter) needsConv(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch u := types.Unalias(t).(type) {
	case *types.Named:
		if types.IsInterface(u) {
			return len(r.ifaceCases(u)) > 0
		}
		if u.Obj().Pkg() != nil && u.Obj().Pkg().Path() == "main" && u.Obj().Parent() == u.Obj().Pkg().Scope() {
			return true
		}
		return false
	case *types.Pointer:
		return r.needsConv(u.Elem(), seen)
	case *types.Slice:
		return r.needsConv(u.Elem(), seen)
	case *types.Array:
		return r.needsConv(u.Elem(), seen)
	case *types.Map:
		return r.needsConv(u.Key(), seen) || r.needsConv(u.Elem(), seen)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if r.needsConv(u.Field(i).Type(), seen) {
				return true
			}
		}
	case *types.Interface:
		return u.Empty() && len(seen) == 1 && len(r.anyCases()) > 0
	}
	return false
}

// anyCases lists the session's types with fmt methods, the cases an
// empty interface value is matched against.
func (r *rewriter) anyCases() []types.Type {
	if r.fmtTypes != nil {
		return *r.fmtTypes
	}
	var list []types.Type
	for _, t := range r.sessionTypes() {
		if len(r.methodsOf(t)) > 0 {
			list = append(list, t)
		}
	}
	list = distinguishable(list)
	if len(list) > 64 {
		list = nil
	}
	r.fmtTypes = &list
	return list
}

// distinguishable keeps the types whose values the interpreter tells apart
// in a type switch. It builds a cell's types from their structure, so a
// `type Weekday int` matches every int held in an interface, and two
// struct types of the same fields match each other's values: only struct
// types (and pointers to them) whose structure no other has are kept.
func distinguishable(list []types.Type) []types.Type {
	structOf := func(t types.Type) (types.Type, bool) {
		ptr := false
		if p, ok := t.(*types.Pointer); ok {
			t, ptr = p.Elem(), true
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok {
			return nil, false
		}
		if ptr {
			return types.NewPointer(st), true
		}
		return st, true
	}
	var out []types.Type
	for i, t := range list {
		st, ok := structOf(t)
		if !ok {
			continue
		}
		unique := true
		for j, u := range list {
			if other, ok := structOf(u); ok && i != j && types.Identical(st, other) {
				unique = false
				break
			}
		}
		if unique {
			out = append(out, t)
		}
	}
	return out
}

// sessionTypes lists the named types cells declared, and pointers to them,
// leaving out generic types and interfaces.
func (r *rewriter) sessionTypes() []types.Type {
	if r.c.info == nil {
		return nil
	}
	var scope *types.Scope
	for _, obj := range r.c.info.Defs {
		if obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == "main" {
			scope = obj.Pkg().Scope()
			break
		}
	}
	if scope == nil {
		return nil
	}
	var list []types.Type
	for _, name := range scope.Names() {
		tn, ok := scope.Lookup(name).(*types.TypeName)
		if !ok || tn.IsAlias() || strings.HasPrefix(name, "galley_") {
			continue
		}
		n, ok := tn.Type().(*types.Named)
		if !ok || n.TypeParams().Len() > 0 || types.IsInterface(n) {
			continue
		}
		list = append(list, n, types.NewPointer(n))
	}
	return list
}

// methodsOf lists the fmt methods in t's method set.
func (r *rewriter) methodsOf(t types.Type) []string {
	var names []string
	ms := types.NewMethodSet(t)
	for _, m := range []string{"Format", "Error", "String", "GoString"} {
		sel := ms.Lookup(nil, m)
		if sel == nil {
			continue
		}
		sig := sel.Type().(*types.Signature)
		if types.TypeString(sig, func(p *types.Package) string { return p.Name() }) == fmtMethods[m] ||
			m == "Format" && sig.Params().Len() == 2 && sig.Results().Len() == 0 {
			names = append(names, m)
		}
	}
	return names
}

// convBody writes the body of the describing function for t.
func (r *rewriter) convBody(t types.Type, methods bool) (string, bool) {
	var b strings.Builder
	if _, ok := t.Underlying().(*types.Interface); ok {
		b.WriteString("switch x := v.(type) {\n")
		for _, c := range r.ifaceCases(t) {
			conv := r.fmtConv(c, true, false)
			ts, ok := r.typeString(c)
			if conv == "" || !ok {
				continue
			}
			fmt.Fprintf(&b, "case %s:\nreturn %s(x)\n", ts, conv)
		}
		b.WriteString("}\nreturn v\n")
		return b.String(), true
	}
	name := reflectTypeName(t)
	fmt.Fprintf(&b, "x := %s.Value{Type: %q, Raw: v}\n", rtName, r.c.sess.showNames(name))
	elem := func(et types.Type, expr string, methods bool) (string, bool) {
		if conv := r.fmtConv(et, methods, false); conv != "" {
			return conv + "(" + expr + ")", true
		}
		if _, ok := r.typeString(et); !ok {
			return "", false
		}
		return "any(" + expr + ")", true
	}
	switch u := t.Underlying().(type) {
	case *types.Struct:
		fmt.Fprintf(&b, "x.Kind = %s.Struct\n", rtName)
		var names, elems []string
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if f.Name() == "_" {
				return "", false
			}
			e, ok := elem(f.Type(), "v."+f.Name(), f.Exported())
			if !ok {
				return "", false
			}
			names = append(names, strconv.Quote(f.Name()))
			elems = append(elems, e)
		}
		fmt.Fprintf(&b, "x.Names = []string{%s}\nx.Elems = []any{%s}\n", strings.Join(names, ", "), strings.Join(elems, ", "))
	case *types.Slice, *types.Array:
		kind := "Slice"
		var et types.Type
		if s, ok := u.(*types.Slice); ok {
			et = s.Elem()
			b.WriteString("x.Nil = v == nil\n")
		} else {
			kind, et = "Array", u.(*types.Array).Elem()
		}
		e, ok := elem(et, "e", true)
		if !ok {
			return "", false
		}
		fmt.Fprintf(&b, "x.Kind = %s.%s\nfor _, e := range v {\nx.Elems = append(x.Elems, %s)\n}\n", rtName, kind, e)
	case *types.Map:
		k, ok1 := elem(u.Key(), "k", true)
		e, ok2 := elem(u.Elem(), "e", true)
		if !ok1 || !ok2 {
			return "", false
		}
		fmt.Fprintf(&b, "x.Kind = %s.Map\nx.Nil = v == nil\nfor k, e := range v {\nx.Keys = append(x.Keys, %s)\nx.Elems = append(x.Elems, %s)\n}\n", rtName, k, e)
	case *types.Pointer:
		e, ok := elem(u.Elem(), "*v", true)
		if !ok {
			return "", false
		}
		fmt.Fprintf(&b, "x.Kind = %s.Pointer\nx.Nil = v == nil\nif v != nil {\nx.Elem = func() any { return %s }\n}\n", rtName, e)
	}
	if methods {
		ms := types.NewMethodSet(t)
		for _, m := range r.methodsOf(t) {
			// A method with a value receiver cannot be called on a nil
			// pointer; one with a pointer receiver is, as fmt does.
			nilCheck := ""
			if _, ok := t.Underlying().(*types.Pointer); ok {
				recv := ms.Lookup(nil, m).Obj().Type().(*types.Signature).Recv().Type()
				if _, ptrRecv := recv.(*types.Pointer); !ptrRecv {
					nilCheck = "v != nil && "
				}
			}
			switch m {
			case "Format":
				fmt.Fprintf(&b, "if %strue {\nx.FormatFunc = func(f %s.State, c rune) { v.Format(f, c) }\n}\n", nilCheck, r.fmtPkg())
			default:
				fmt.Fprintf(&b, "if %strue {\nx.%sFunc = v.%s\n}\n", nilCheck, m, m)
			}
		}
	}
	b.WriteString("return x\n")
	return b.String(), true
}

// fmtPkg names package fmt in the rewritten cell.
func (r *rewriter) fmtPkg() string {
	name := "fmt"
	if n, ok := r.c.sess.imports["fmt"]; ok {
		name = n
	}
	r.needs["fmt"] = name
	return name
}

// reflectTypeName writes t as reflect (and so %T) names it: package names
// as qualifiers, and type arguments without spaces (main.Pair[string,int]).
func reflectTypeName(t types.Type) string {
	s := types.TypeString(t, func(p *types.Package) string { return p.Name() })
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ' ':
			if depth > 0 && i > 0 && s[i-1] == ',' {
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
