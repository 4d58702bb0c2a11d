package engine

import (
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/galley-dev/galley/engine/apidoc"
	"github.com/galley-dev/galley/stdlib/display"
)

func byteOffset(s string, runes int) int {
	off := 0
	for i := 0; i < runes && off < len(s); i++ {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// selectorBase returns the expression before a dot: identifiers, selectors,
// calls and index expressions, scanning back over balanced brackets.
func selectorBase(s string) string {
	i := len(s)
	depth := 0
	for i > 0 {
		c := s[i-1]
		switch {
		case c == ')' || c == ']':
			depth++
		case (c == '(' || c == '[') && depth > 0:
			depth--
		case depth > 0 || c == '.' || isIdentRune(rune(c)):
		default:
			return strings.TrimSpace(s[i:])
		}
		i--
	}
	return strings.TrimSpace(s)
}

// scopeAt type-checks a partial cell, closing the brackets left open, and
// returns the innermost scope at its end, ignoring errors.
func (e *Engine) scopeAt(partial string) (*types.Scope, *cellUnit) {
	partial += closers(partial)
	chunks, err := splitCell(partial)
	if err != nil || len(chunks) == 0 {
		return nil, nil
	}
	c := &cellUnit{e: e, code: partial, chunks: chunks, autoImports: map[string]string{}}
	_ = c.check()
	if c.info == nil || c.body == nil {
		return nil, c
	}
	for _, d := range c.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == c.body {
			if fs := c.info.Scopes[fd.Type]; fs != nil {
				return fs.Innermost(lastStmtPos(c.body)), c
			}
		}
	}
	return nil, c
}

// closers returns the brackets that close those src leaves open.
func closers(src string) string {
	var open []byte
	for _, t := range scanTokens("", src, nil) {
		switch t.tok {
		case token.LBRACE:
			open = append(open, '}')
		case token.LPAREN:
			open = append(open, ')')
		case token.LBRACK:
			open = append(open, ']')
		case token.RBRACE, token.RPAREN, token.RBRACK:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
	var b strings.Builder
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("\n")
		b.WriteByte(open[i])
	}
	return b.String()
}

func lastStmtPos(b *ast.BlockStmt) token.Pos {
	pos := b.Lbrace
	ast.Inspect(b, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && len(a.Lhs) == 1 {
			if id, ok := a.Lhs[0].(*ast.Ident); ok && id.Name == "_" {
				pos = a.Pos()
			}
		}
		return true
	})
	return pos
}

func lookup(scope *types.Scope, name string) types.Object {
	_, obj := scope.LookupParent(name, token.NoPos)
	return obj
}

func isMain(p *types.Package) bool { return p != nil && p.Path() == "main" }

// scopePkg finds the package a scope belongs to, for types.Eval.
func scopePkg(scope *types.Scope) *types.Package {
	s := scope
	for s.Parent() != nil && s.Parent() != types.Universe {
		s = s.Parent()
	}
	for _, n := range s.Names() {
		if obj := s.Lookup(n); obj.Pkg() != nil {
			return obj.Pkg()
		}
	}
	return types.NewPackage("main", "main")
}

func (e *Engine) packageFor(name string) *types.Package {
	for p, n := range e.sess.imports {
		if n == name {
			if pkg, err := e.imp.Import(p); err == nil {
				return pkg
			}
		}
	}
	if paths := e.byName[name]; len(paths) > 0 {
		if pkg, err := e.imp.Import(paths[0]); err == nil {
			return pkg
		}
	}
	return nil
}

func exportedNames(p *types.Package) []string {
	var names []string
	for _, n := range p.Scope().Names() {
		if token.IsExported(n) {
			names = append(names, n)
		}
	}
	return names
}

// Inspect describes the identifier at cursor: its declaration, with
// parameter names, and its doc comment. Compiled packages are described
// from the table apidoc extracts from their source; what cells declare,
// from the cells' own text. detail 0 shortens a package's doc to its first
// paragraph. It reports false when there is nothing to show.
func (e *Engine) Inspect(code string, cursor, detail int) (display.Data, bool) {
	off := byteOffset(code, cursor)
	s, t := off, off
	for s > 0 {
		r, size := utf8.DecodeLastRuneInString(code[:s])
		if !isIdentRune(r) {
			break
		}
		s -= size
	}
	for t < len(code) {
		r, size := utf8.DecodeRuneInString(code[t:])
		if !isIdentRune(r) {
			break
		}
		t += size
	}
	expr := code[s:t]
	if s > 0 && code[s-1] == '.' {
		// A selector on any expression: a name, a call, an index.
		if base := selectorBase(code[:s-1]); base != "" {
			expr = base + "." + expr
			s -= 1 + len(base)
		}
	}
	expr = strings.Trim(expr, ".")
	if expr == "" {
		return display.Data{}, false
	}
	scope, c := e.scopeAt(code[:s] + "\n_ = 0\n")
	d := e.describe(scope, c, code[:s]+"\n", expr)
	if d.decl == "" {
		return display.Data{}, false
	}
	if c != nil && c.sess != nil {
		d.decl = c.sess.showNames(d.decl)
	}
	if d.pkg && detail == 0 {
		d.doc, _, _ = strings.Cut(d.doc, "\n\n")
	}
	text, md := d.decl, "```go\n"+d.decl+"\n```"
	if d.doc != "" {
		var p comment.Parser
		var pr comment.Printer
		parsed := p.Parse(d.doc)
		text += "\n\n" + strings.TrimSpace(string(pr.Text(parsed)))
		md += "\n\n" + strings.TrimSpace(string(pr.Markdown(parsed)))
	}
	return display.Data{Bundle: display.Bundle{
		display.MIMEText:     text,
		display.MIMEMarkdown: md,
	}}, true
}

// description is what Inspect shows: a declaration and its doc comment.
type description struct {
	decl, doc string
	pkg       bool // describes a package
}

func (e *Engine) describe(scope *types.Scope, c *cellUnit, before, expr string) description {
	qual := func(p *types.Package) string {
		if isMain(p) {
			return ""
		}
		return p.Name()
	}
	// object describes a package-level object of pkg, or a member name of
	// the type named owner in pkg.
	object := func(obj types.Object, pkg *types.Package, owner string) description {
		name := obj.Name()
		if owner != "" {
			name = owner + "." + name
		}
		if isMain(pkg) {
			return description{decl: types.ObjectString(obj, qual), doc: e.cellDoc(c, name)}
		}
		if ent, ok := apidoc.Lookup(pkg.Path(), name); ok {
			decl := ent.Decl
			if owner == "" {
				decl = qualifyDecl(decl, pkg.Name(), obj.Name())
			}
			return description{decl: decl, doc: ent.Doc}
		}
		return description{decl: types.ObjectString(obj, qual)}
	}
	describePkg := func(p *types.Package) description {
		d := description{decl: "package " + p.Path(), pkg: true}
		if ent, ok := apidoc.Lookup(p.Path(), ""); ok {
			d.doc = ent.Doc
		}
		return d
	}

	pkgName, member, isSel := strings.Cut(expr, ".")
	if isSel && !strings.Contains(member, ".") {
		var pkg *types.Package
		if scope != nil {
			if pn, ok := lookup(scope, pkgName).(*types.PkgName); ok {
				pkg = pn.Imported()
			}
		}
		if pkg == nil && (scope == nil || lookup(scope, pkgName) == nil) {
			pkg = e.packageFor(pkgName)
		}
		if pkg != nil {
			if obj := pkg.Scope().Lookup(member); obj != nil {
				return object(obj, pkg, "")
			}
		}
	}
	if !isSel {
		if scope != nil {
			if obj := lookup(scope, expr); obj != nil {
				if pn, ok := obj.(*types.PkgName); ok {
					return describePkg(pn.Imported())
				}
				if obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() {
					return object(obj, obj.Pkg(), "")
				}
				return description{decl: types.ObjectString(obj, qual)}
			}
		}
		if p := e.packageFor(expr); p != nil {
			return describePkg(p)
		}
		return description{}
	}
	if scope == nil {
		return description{}
	}
	pkg := scopePkg(scope)
	// A method or field: describe it through the type that declares it.
	// The base is typed where it stands in the cell, so locals, calls
	// and index expressions work.
	base := expr[:strings.LastIndexByte(expr, '.')]
	name := expr[strings.LastIndexByte(expr, '.')+1:]
	if bt := e.exprType(before, base); bt != nil {
		if tp, ok := bt.(*types.TypeParam); ok {
			bt = tp.Constraint()
		}
		if obj, index, _ := types.LookupFieldOrMethod(bt, true, pkg, name); obj != nil {
			if owner := declaringType(bt, index); owner != nil && owner.Obj().Pkg() != nil {
				return object(obj, owner.Obj().Pkg(), owner.Obj().Name())
			}
			return description{decl: types.ObjectString(obj, qual)}
		}
	}
	t := e.exprType(before, expr)
	if t == nil {
		return description{}
	}
	return description{decl: fmt.Sprintf("%s %s", expr, types.TypeString(t, qual))}
}

// declaringType follows the embedded fields on a selection's path from t
// to the named type whose field or method the selection ends at.
func declaringType(t types.Type, index []int) *types.Named {
	for i, idx := range index {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		if i == len(index)-1 {
			break
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok || idx >= st.NumFields() {
			return nil
		}
		t = st.Field(idx).Type()
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, _ := t.(*types.Named)
	if named != nil {
		named = named.Origin()
	}
	return named
}

// qualifyDecl names the package in a declaration from the table:
// "func ToUpper(s string) string" becomes "func strings.ToUpper(s string) string".
func qualifyDecl(decl, pkgName, name string) string {
	for _, kw := range []string{"func ", "type ", "const ", "var "} {
		if rest, ok := strings.CutPrefix(decl, kw+name); ok {
			return kw + pkgName + "." + name + rest
		}
	}
	return decl
}

// cellDoc returns the comment above the declaration of key ("f", "T" or
// "T.M") in the cell being inspected, or else in the cell that declared it.
func (e *Engine) cellDoc(c *cellUnit, key string) string {
	if c != nil && c.file != nil {
		for _, d := range c.file.Decls {
			if !slices.Contains(declKey(d), key) {
				continue
			}
			if off := c.cellOffset(d.Pos()); off >= 0 {
				return commentAbove(c.code, off)
			}
		}
	}
	return e.sess.docOf(key)
}

// IsComplete tells a console whether code is ready to run: "complete",
// "incomplete" (with the indent for the next line) or "invalid".
func (e *Engine) IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	depth := 0
	unterminated := false
	var last token.Token
	for _, t := range scanTokens("", code, func(_ token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			unterminated = true
		}
	}) {
		switch t.tok {
		case token.LBRACE, token.LPAREN, token.LBRACK:
			depth++
		case token.RBRACE, token.RPAREN, token.RBRACK:
			depth--
		}
		if t.tok != token.SEMICOLON {
			last = t.tok
		}
	}
	switch {
	case unterminated:
		return "incomplete", ""
	case depth < 0:
		return "invalid", ""
	case depth > 0:
		return "incomplete", strings.Repeat("\t", depth)
	}
	switch last {
	case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR,
		token.LAND, token.LOR, token.COMMA, token.ASSIGN, token.DEFINE, token.PERIOD, token.ARROW:
		return "incomplete", "\t"
	}
	if chunks, err := splitCell(code); err == nil && len(chunks) > 0 {
		c := &cellUnit{e: e, code: code, chunks: chunks}
		src, _ := c.checkSource()
		if _, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution); err != nil {
			return "invalid", ""
		}
	}
	return "complete", ""
}
