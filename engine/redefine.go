package engine

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"sort"
	"strings"
)

// Redefining a type with a different structure. The interpreter keeps the
// first definition of a type name for good, so a cell that declares T anew
// hands the interpreter a fresh name for it (galley_T_7) and rewrites every
// mention of T to that name; the type checker keeps reading the user's T.
//
// As in Go, the new T is a new type: it has only the methods declared with
// or after it. What earlier cells declared against the old T (its methods,
// functions and types whose declarations mention it, variables holding its
// values) keeps running on the old type in the interpreter. For the checker
// to agree, those declarations are renamed in the session to a fresh name
// for the earlier definition (galley_was_T_6), which users read as
// "T (earlier definition)". Running their cells again moves them to the new
// T; a note on stderr lists them.
//
// Redefining T with the same text changes nothing, so running a cell again
// keeps its values and methods.

// earlierSuffix follows a redefined type's name where galley shows its
// earlier definition.
const earlierSuffix = " (earlier definition)"

// redefinedTypes lists the types the cell declares that the session holds
// with another definition.
func (c *cellUnit) redefinedTypes(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			start, end := c.cellOffset(ts.Pos()), c.cellOffset(ts.End())
			if start < 0 || end < 0 {
				continue
			}
			old, ok := c.sess.typeSpecText(ts.Name.Name)
			if ok && !sameTokens(old, c.code[start:end]) {
				names = append(names, ts.Name.Name)
			}
		}
	}
	return names
}

// typeSpecText returns the text of the session's declaration of type name,
// from the name to the end of its type.
func (s *session) typeSpecText(name string) (string, bool) {
	for i := len(s.decls) - 1; i >= 0; i-- {
		d := s.decls[i]
		if !d.defines(name) || !strings.HasPrefix(d.text, "type") {
			continue
		}
		const header = "package p\n"
		f, err := parseFile(token.NewFileSet(), "", header+d.text)
		if err != nil || len(f.Decls) == 0 {
			return "", false
		}
		for _, spec := range f.Decls[0].(*ast.GenDecl).Specs {
			if ts, ok := spec.(*ast.TypeSpec); ok && ts.Name.Name == name {
				start, end := int(ts.Pos()-f.FileStart)-len(header), int(ts.End()-f.FileStart)-len(header)
				return d.text[start:end], true
			}
		}
	}
	return "", false
}

// sameTokens reports whether two pieces of source read the same, whatever
// their spacing, comments and line breaks.
func sameTokens(a, b string) bool {
	ta, tb := tokens(a), tokens(b)
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if ta[i] != tb[i] {
			return false
		}
	}
	return true
}

func tokens(src string) []string {
	var out []string
	for _, t := range scanTokens("", src, nil) {
		if t.tok != token.SEMICOLON {
			out = append(out, t.tok.String()+" "+t.lit)
		}
	}
	return out
}

// supersede returns a copy of the session in which the earlier definitions
// of names, and everything that mentions them, go by fresh names; the
// cell's new definitions get fresh names in the interpreter. It also
// returns the keys of the declarations and variables left on an earlier
// definition, as users name them.
func (c *cellUnit) supersede(names []string) (*session, []string) {
	e := c.e
	s := e.sess.clone()
	was := map[string]string{} // user's name -> checker name of the earlier definition
	for _, n := range names {
		e.fresh++
		earlier := fmt.Sprintf("galley_was_%s_%d", n, e.fresh)
		e.fresh++
		current := fmt.Sprintf("galley_%s_%d", n, e.fresh)
		old := n
		if in, ok := s.typeNames[n]; ok {
			old = in
		}
		was[n] = earlier
		s.typeNames[earlier] = old
		s.typeNames[n] = current
		s.shown[earlier] = n + earlierSuffix
		if old != n {
			s.shown[old] = n + earlierSuffix
		}
		s.shown[current] = n
	}

	src, spans := s.render(nil, nil)
	f, err := parseFile(e.fset, "session.go", src)
	if err != nil {
		return s, nil
	}
	var errs []types.Error
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	_, _ = e.typesConfig(&errs).Check("main", e.fset, []*ast.File{f}, info)
	tf := e.fset.File(f.Pos())

	// Edits per span, as offsets into the span's text.
	edits := map[int][]edit{}
	rename := func(id *ast.Ident, obj types.Object) {
		tn, ok := obj.(*types.TypeName)
		if !ok || tn.Pkg() == nil || tn.Parent() != tn.Pkg().Scope() || was[tn.Name()] == "" {
			return
		}
		off := tf.Offset(id.Pos())
		for i, sp := range spans {
			if off >= sp.start && off < sp.end {
				edits[i] = append(edits[i], edit{off - sp.start, off - sp.start + len(id.Name), was[tn.Name()]})
				return
			}
		}
	}
	for id, obj := range info.Defs {
		rename(id, obj)
	}
	for id, obj := range info.Uses {
		rename(id, obj)
	}

	var left []string
	for i, eds := range edits {
		sp := spans[i]
		sort.Slice(eds, func(a, b int) bool { return eds[a].start < eds[b].start })
		text := s.vars[sp.varName]
		if sp.decl >= 0 {
			text = s.decls[sp.decl].text
		}
		var b strings.Builder
		at := 0
		for _, ed := range eds {
			if ed.start < at {
				continue
			}
			b.WriteString(text[at:ed.start] + ed.text)
			at = ed.end
		}
		b.WriteString(text[at:])
		if sp.decl < 0 {
			s.vars[sp.varName] = b.String()
			left = append(left, sp.varName)
			continue
		}
		d := &s.decls[sp.decl]
		d.text = b.String()
		d.keys = append([]string(nil), d.keys...)
		for k, key := range d.keys {
			base, method, _ := strings.Cut(key, ".")
			if w, ok := was[base]; ok {
				if method == "" {
					d.keys[k] = w
					continue
				}
				d.keys[k] = w + "." + method
			}
			if base != key || was[key] == "" {
				left = append(left, key)
			}
		}
	}
	sort.Strings(left)
	return s, left
}

// typeNameIdent points a mention of a type the interpreter knows by
// another name at that name, and likewise an embedded field of such a
// type, which the interpreter names after its type.
func (r *rewriter) typeNameIdent(id *ast.Ident) {
	names := r.c.sess.typeNames
	if len(names) == 0 {
		return
	}
	obj := r.c.info.Uses[id]
	if obj == nil {
		obj = r.c.info.Defs[id]
	}
	var name string
	switch o := obj.(type) {
	case *types.TypeName:
		if o.Pkg() == nil || o.Pkg().Path() != "main" || o.Parent() != o.Pkg().Scope() {
			return
		}
		name = o.Name()
	case *types.Var:
		if !o.Embedded() {
			return
		}
		t := o.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		n, ok := types.Unalias(t).(*types.Named)
		if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "main" || n.Obj().Name() != o.Name() {
			return
		}
		name = o.Name()
	default:
		return
	}
	if in, ok := names[name]; ok {
		r.add(id.Pos(), id.End(), in)
	}
}

// interpTypeNames rewrites the type names in a type expression written by
// the checker to the interpreter's names.
func (s *session) interpTypeNames(expr string) string {
	if len(s.typeNames) == 0 {
		return expr
	}
	return renameTypeIdents(expr, func(name string) (string, bool) {
		in, ok := s.typeNames[name]
		return in, ok
	})
}

// renameTypeIdents renames the unqualified type names in type expression
// expr for which rename says so. A qualified name (pkg.T) is left alone,
// and so is a name followed by a type: a field or parameter name.
func renameTypeIdents(expr string, rename func(string) (string, bool)) string {
	toks := scanTokens("", expr, nil)
	var b strings.Builder
	at := 0
	for i, t := range toks {
		if t.tok != token.IDENT || i > 0 && toks[i-1].tok == token.PERIOD {
			continue
		}
		in, ok := rename(t.lit)
		if !ok {
			continue
		}
		if i+1 < len(toks) {
			switch toks[i+1].tok {
			case token.IDENT, token.MUL, token.FUNC, token.MAP, token.CHAN, token.STRUCT, token.INTERFACE,
				token.LPAREN, token.ELLIPSIS, token.ARROW:
				continue
			}
		}
		b.WriteString(expr[at:t.off] + in)
		at = t.off + len(t.lit)
	}
	b.WriteString(expr[at:])
	return b.String()
}

var madeUpName = regexp.MustCompile(`\bgalley_\w+`)

// showNames rewrites the names galley made up for types in a message to
// the names users wrote.
func (s *session) showNames(msg string) string {
	if len(s.shown) == 0 {
		return msg
	}
	return madeUpName.ReplaceAllStringFunc(msg, func(n string) string {
		if shown, ok := s.shown[n]; ok {
			return shown
		}
		return n
	})
}

// showErrorNames applies showNames to what a CellError says.
func (s *session) showErrorNames(err error) error {
	ce, ok := err.(*CellError)
	if !ok || len(s.shown) == 0 {
		return err
	}
	ce.Value = s.showNames(ce.Value)
	for i, l := range ce.Trace {
		ce.Trace[i] = s.showNames(l)
	}
	return ce
}

// redefinitionNote tells which declarations stay on the earlier definition
// of the types a cell redefined, leaving out those the cell declares anew.
func (c *cellUnit) redefinitionNote() string {
	if len(c.redefined) == 0 || len(c.leftBehind) == 0 {
		return ""
	}
	again := map[string]bool{}
	for _, d := range c.file.Decls {
		for _, k := range declKey(d) {
			again[k] = true
		}
	}
	for _, name := range c.topLevelVars() {
		again[name] = true
	}
	var left []string
	for _, k := range c.leftBehind {
		if !again[k] {
			left = append(left, k)
		}
	}
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("note: %s redefined; still using the earlier definition until their cells run again: %s\n",
		strings.Join(c.redefined, ", "), strings.Join(left, ", "))
}

// topLevelVars lists the variables the cell's statements define.
func (c *cellUnit) topLevelVars() []string {
	if c.body == nil {
		return nil
	}
	var names []string
	eachTopLevelVar(c.body, func(id *ast.Ident) { names = append(names, id.Name) })
	return names
}
