package exec

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/galley-dev/galley/stdlib/display"
)

var goKeywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
	"return", "select", "struct", "switch", "type", "var",
}

// Complete returns completions for code at cursor (a position in Unicode
// code points), and the range of code they replace. After a selector it
// offers the members of the value's type or of the package; otherwise
// session identifiers, packages, builtins and keywords.
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
		scope, _ := e.scopeAt(code[:wordStart-1-len(recv)] + "_ = " + recv + "\n")
		for _, name := range e.members(scope, recv) {
			if strings.HasPrefix(name, prefix) {
				matches = append(matches, name)
			}
		}
		return matches, start, end
	}

	seen := map[string]bool{}
	add := func(name string) {
		if strings.HasPrefix(name, prefix) && !seen[name] && !strings.HasPrefix(name, "galley_") && name != "_" {
			seen[name] = true
			matches = append(matches, name)
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
	sort.Strings(matches)
	return matches, start, end
}

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
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	for {
		_, tok, _ := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
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

// members lists the fields and methods of the type of expression expr, or
// the exports of the package it names.
func (e *Engine) members(scope *types.Scope, expr string) []string {
	var names []string
	if scope != nil {
		if _, obj := scope.LookupParent(expr, token.NoPos); obj != nil {
			if pn, ok := obj.(*types.PkgName); ok {
				return exportedNames(pn.Imported())
			}
		}
	}
	if !strings.ContainsAny(expr, ".()[]") {
		if p := e.packageFor(expr); p != nil && (scope == nil || lookup(scope, expr) == nil) {
			return exportedNames(p)
		}
	}
	if scope == nil {
		return nil
	}
	tv, err := types.Eval(e.fset, scopePkg(scope), token.NoPos, expr)
	if err != nil || tv.Type == nil {
		return nil
	}
	t := tv.Type
	ms := types.NewMethodSet(types.NewPointer(t))
	if _, ok := t.Underlying().(*types.Interface); ok {
		ms = types.NewMethodSet(t)
	}
	for i := 0; i < ms.Len(); i++ {
		if ms.At(i).Obj().Exported() || isMain(ms.At(i).Obj().Pkg()) {
			names = append(names, ms.At(i).Obj().Name())
		}
	}
	if st, ok := derefUnderlying(t).(*types.Struct); ok {
		for i := 0; i < st.NumFields(); i++ {
			if f := st.Field(i); f.Exported() || isMain(f.Pkg()) {
				names = append(names, f.Name())
			}
		}
	}
	sort.Strings(names)
	return names
}

func lookup(scope *types.Scope, name string) types.Object {
	_, obj := scope.LookupParent(name, token.NoPos)
	return obj
}

func isMain(p *types.Package) bool { return p != nil && p.Path() == "main" }

func derefUnderlying(t types.Type) types.Type {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		return p.Elem().Underlying()
	}
	return t.Underlying()
}

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

// Inspect describes the identifier at cursor: its declaration and, for
// packages and their members, the package it comes from. It reports false
// when there is nothing to show.
func (e *Engine) Inspect(code string, cursor, detail int) (display.Data, bool) {
	off := byteOffset(code, cursor)
	s, t := off, off
	for s > 0 {
		r, size := utf8.DecodeLastRuneInString(code[:s])
		if !isIdentRune(r) && r != '.' {
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
	expr := strings.Trim(code[s:t], ".")
	if expr == "" {
		return display.Data{}, false
	}
	scope, _ := e.scopeAt(code[:s] + "\n_ = 0\n")
	text := e.describe(scope, expr)
	if text == "" {
		return display.Data{}, false
	}
	return display.Data{Bundle: display.Bundle{
		display.MIMEText:     text,
		display.MIMEMarkdown: "```go\n" + text + "\n```",
	}}, true
}

func (e *Engine) describe(scope *types.Scope, expr string) string {
	qual := func(p *types.Package) string {
		if isMain(p) {
			return ""
		}
		return p.Name()
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
				return types.ObjectString(obj, qual) + "\n\npackage " + pkg.Path()
			}
		}
	}
	if !isSel {
		if scope != nil {
			if obj := lookup(scope, expr); obj != nil {
				if pn, ok := obj.(*types.PkgName); ok {
					return "package " + pn.Imported().Path()
				}
				return types.ObjectString(obj, qual)
			}
		}
		if p := e.packageFor(expr); p != nil {
			return "package " + p.Path()
		}
		return ""
	}
	if scope == nil {
		return ""
	}
	tv, err := types.Eval(e.fset, scopePkg(scope), token.NoPos, expr)
	if err != nil {
		return ""
	}
	// A method or field: describe it through its selection.
	base := expr[:strings.LastIndexByte(expr, '.')]
	name := expr[strings.LastIndexByte(expr, '.')+1:]
	if btv, err := types.Eval(e.fset, scopePkg(scope), token.NoPos, base); err == nil && btv.Type != nil {
		if obj, _, _ := types.LookupFieldOrMethod(btv.Type, true, scopePkg(scope), name); obj != nil {
			return types.ObjectString(obj, qual)
		}
	}
	return fmt.Sprintf("%s %s", expr, types.TypeString(tv.Type, qual))
}

// IsComplete tells a console whether code is ready to run: "complete",
// "incomplete" (with the indent for the next line) or "invalid".
func (e *Engine) IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	depth := 0
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(code))
	var s scanner.Scanner
	unterminated := false
	s.Init(file, []byte(code), func(_ token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			unterminated = true
		}
	}, 0)
	var last token.Token
	for {
		_, tok, _ := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LBRACE, token.LPAREN, token.LBRACK:
			depth++
		case token.RBRACE, token.RPAREN, token.RBRACK:
			depth--
		}
		if tok != token.SEMICOLON {
			last = tok
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
