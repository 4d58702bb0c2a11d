package engine

import (
	"go/ast"
	"go/types"
	"sort"
	"strings"
	"unicode/utf8"
)

var goKeywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
	"return", "select", "struct", "switch", "type", "var",
}

// Complete returns completions for code at cursor (a position in Unicode
// code points), and the range of code they replace. After a selector it
// offers the members of the value's type, whatever the expression (a
// variable, a call, an index), or the exports of the package; at a key of a
// struct literal, the fields not yet given; otherwise session identifiers,
// packages, builtins and keywords. Matches come ranked: those starting with
// the typed prefix, then those starting with it in another case, then
// those containing its letters in order.
func (e *Engine) Complete(code string, cursor int) (matches []string, start, end int) {
	off := byteOffset(code, cursor)
	wordStart := off
	for wordStart > 0 {
		r, size := utf8.DecodeLastRuneInString(code[:wordStart])
		if !isIdentRune(r) {
			break
		}
		wordStart -= size
	}
	prefix := code[wordStart:off]
	start, end = utf8.RuneCountInString(code[:wordStart]), cursor

	if wordStart > 0 && code[wordStart-1] == '.' {
		// Resolve what precedes the dot in a copy of the cell where the
		// selector is cut off, so the rest need not be valid.
		recv := selectorBase(code[:wordStart-1])
		if recv == "" {
			return nil, start, end
		}
		before := code[:wordStart-1-len(recv)]
		return rank(e.selectorMembers(before, recv), prefix), start, end
	}

	var names []string
	if fields, ok := e.literalFields(code[:wordStart]); ok {
		// Field names first: they are what a literal's key can be.
		names = rank(fields, prefix)
	}
	seen := map[string]bool{}
	var others []string
	add := func(name string) {
		if !seen[name] && !strings.HasPrefix(name, "galley_") && name != "_" {
			seen[name] = true
			others = append(others, name)
		}
	}
	scope, _ := e.scopeAt(code[:wordStart] + "_ = 0\n")
	for s := scope; s != nil; s = s.Parent() {
		for _, n := range s.Names() {
			add(n)
		}
	}
	for name := range e.byName {
		add(name)
	}
	for _, k := range goKeywords {
		add(k)
	}
	return append(names, rank(others, prefix)...), start, end
}

// rank keeps the names that match prefix and orders them by relevance:
// those starting with prefix, then those starting with it in another case,
// then those holding its letters in order with the same first letter; each
// group alphabetically.
func rank(names []string, prefix string) []string {
	var exact, folded, fuzzy []string
	lower := strings.ToLower(prefix)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		ln := strings.ToLower(n)
		switch {
		case strings.HasPrefix(n, prefix):
			exact = append(exact, n)
		case strings.HasPrefix(ln, lower):
			folded = append(folded, n)
		case len(lower) > 1 && ln[0] == lower[0] && subsequence(ln, lower):
			fuzzy = append(fuzzy, n)
		}
	}
	sort.Strings(exact)
	sort.Strings(folded)
	sort.Strings(fuzzy)
	return append(append(exact, folded...), fuzzy...)
}

// subsequence reports whether the bytes of sub appear in s in order.
func subsequence(s, sub string) bool {
	i := 0
	for j := 0; j < len(s) && i < len(sub); j++ {
		if s[j] == sub[i] {
			i++
		}
	}
	return i == len(sub)
}

// selectorMembers lists what may follow "expr." at the end of the partial
// cell before: a package's exports or the members of expr's type.
func (e *Engine) selectorMembers(before, expr string) []string {
	scope, c := e.scopeAt(before + "_ = " + expr + "\n")
	if scope != nil {
		if pn, ok := lookup(scope, expr).(*types.PkgName); ok {
			return exportedNames(pn.Imported())
		}
	}
	if !strings.ContainsAny(expr, ".()[]") && (scope == nil || lookup(scope, expr) == nil) {
		if p := e.packageFor(expr); p != nil {
			return exportedNames(p)
		}
	}
	t := lastBlankType(c)
	if t == nil {
		return nil
	}
	return memberNames(t)
}

// lastBlankType returns the type of the value assigned to _ last in the
// checked cell: the expression tooling appended to the code it checks.
func lastBlankType(c *cellUnit) types.Type {
	if c == nil || c.info == nil || c.file == nil {
		return nil
	}
	var t types.Type
	last := -1
	ast.Inspect(c.file, func(n ast.Node) bool {
		a, ok := n.(*ast.AssignStmt)
		if !ok || len(a.Lhs) != 1 || len(a.Rhs) != 1 {
			return true
		}
		if id, ok := a.Lhs[0].(*ast.Ident); !ok || id.Name != "_" {
			return true
		}
		if off := c.cellOffset(a.Pos()); off > last {
			last = off
			t = c.info.TypeOf(a.Rhs[0])
		}
		return true
	})
	if t == nil || t == types.Typ[types.Invalid] {
		return nil
	}
	return t
}

// memberNames lists the methods and fields that a selector on a value of
// type t can name: the method set of *T for an addressable T, of T itself
// for pointers and interfaces, fields and methods promoted through
// embedded fields, and a type parameter's constraint's methods.
func memberNames(t types.Type) []string {
	if tp, ok := t.(*types.TypeParam); ok {
		t = tp.Constraint()
	}
	var names []string
	seen := map[string]bool{}
	add := func(obj types.Object) {
		if (obj.Exported() || isMain(obj.Pkg())) && !seen[obj.Name()] {
			seen[obj.Name()] = true
			names = append(names, obj.Name())
		}
	}
	ms := types.NewMethodSet(t)
	if _, isPtr := t.Underlying().(*types.Pointer); !isPtr && !types.IsInterface(t) {
		ms = types.NewMethodSet(types.NewPointer(t))
	}
	for i := 0; i < ms.Len(); i++ {
		add(ms.At(i).Obj())
	}
	// Fields, breadth first through embedded structs: the shallower of
	// two fields of one name is the one a selector reaches.
	visited := map[types.Type]bool{}
	for level := []types.Type{t}; len(level) > 0; {
		var next []types.Type
		for _, lt := range level {
			st, ok := derefUnderlying(lt).(*types.Struct)
			if !ok {
				continue
			}
			for i := 0; i < st.NumFields(); i++ {
				f := st.Field(i)
				add(f)
				if f.Embedded() && !visited[f.Type()] {
					visited[f.Type()] = true
					next = append(next, f.Type())
				}
			}
		}
		level = next
	}
	sort.Strings(names)
	return names
}

func derefUnderlying(t types.Type) types.Type {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		return p.Elem().Underlying()
	}
	return t.Underlying()
}

// literalFields returns the fields of the struct literal whose key the
// partial cell before ends at ("P{" or "P{A: 1, "), leaving out those
// already given; ok is false elsewhere.
func (e *Engine) literalFields(before string) (fields []string, ok bool) {
	trimmed := strings.TrimRight(before, " \t\n")
	if trimmed == "" || (trimmed[len(trimmed)-1] != '{' && trimmed[len(trimmed)-1] != ',') {
		return nil, false
	}
	_, c := e.scopeAt(before + "\n")
	if c == nil || c.info == nil || c.file == nil {
		return nil, false
	}
	// The innermost literal open at the end of before.
	var lit *ast.CompositeLit
	at := len(before)
	ast.Inspect(c.file, func(n ast.Node) bool {
		cl, isLit := n.(*ast.CompositeLit)
		if !isLit {
			return true
		}
		open, close := c.cellOffset(cl.Lbrace), c.cellOffset(cl.Rbrace)
		if open >= 0 && open < at && (close < 0 || close >= at) && (lit == nil || open > c.cellOffset(lit.Lbrace)) {
			lit = cl
		}
		return true
	})
	if lit == nil {
		return nil, false
	}
	st, isStruct := derefUnderlying(c.info.TypeOf(lit)).(*types.Struct)
	if !isStruct {
		return nil, false
	}
	given := map[string]bool{}
	for _, el := range lit.Elts {
		if kv, isKV := el.(*ast.KeyValueExpr); isKV {
			if id, isID := kv.Key.(*ast.Ident); isID {
				given[id.Name] = true
			}
		}
	}
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if !given[f.Name()] && (f.Exported() || isMain(f.Pkg())) {
			fields = append(fields, f.Name())
		}
	}
	return fields, true
}

// exprType returns the type of expr at the end of the partial cell before,
// or nil.
func (e *Engine) exprType(before, expr string) types.Type {
	_, c := e.scopeAt(before + "_ = " + expr + "\n")
	return lastBlankType(c)
}
