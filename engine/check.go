package engine

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"
)

// cellUnit is one cell on its way from source to interpreter input.
type cellUnit struct {
	e           *Engine
	code        string
	chunks      []chunk
	autoImports map[string]string // package name -> path, added for this cell
	// lateVars are the cell's top-level variables that its declarations
	// use, name -> type expression. They are checked as package
	// variables, as the interpreter runs them, so that a function may use
	// a variable the same cell defines.
	lateVars map[string]string
	// sess is the session the cell is checked against: the engine's, or a
	// copy in which the types the cell redefines have their earlier
	// definitions renamed (redefine.go). commit installs it.
	sess *session
	// redefined lists the types the cell redefines, leftBehind what stays
	// on their earlier definitions.
	redefined, leftBehind []string

	// Set by check.
	typed bool // false when type checking was skipped
	file  *ast.File
	tfile *token.File
	info  *types.Info
	segs  []segment
	body  *ast.BlockStmt // the statements, wrapped in a function
}

// A segment maps a chunk copied into the checked file back to the cell.
type segment struct{ fileOff, cellOff, n int }

const cellFuncName = "galley_cell"

// checkSource lays the cell out as a Go file: imports, then declarations,
// then the statements inside a function. Each chunk is preceded by a line
// directive so that positions read as the cell's own.
func (c *cellUnit) checkSource() (string, []segment) {
	var b strings.Builder
	var segs []segment
	add := func(ch chunk) {
		if ch.tuple {
			b.WriteString("_ = []any{")
		}
		b.WriteString(lineDirective(c.code, ch.start))
		segs = append(segs, segment{fileOff: b.Len(), cellOff: ch.start, n: ch.end - ch.start})
		b.WriteString(c.code[ch.start:ch.end])
		if ch.tuple {
			b.WriteString("}")
		}
		b.WriteString("\n")
	}
	b.WriteString("package main\n")
	for _, ch := range c.chunks {
		if ch.kind == importChunk {
			add(ch)
		}
	}
	names := make([]string, 0, len(c.autoImports))
	for n := range c.autoImports {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "import %s %q\n", n, c.autoImports[n])
	}
	for _, ch := range c.chunks {
		if ch.kind == declChunk {
			add(ch)
		}
	}
	b.WriteString("func " + cellFuncName + "() {\n")
	for _, ch := range c.chunks {
		if ch.kind == stmtChunk {
			add(ch)
		}
	}
	b.WriteString("}\n")
	return b.String(), segs
}

// cellOffset maps a position in the checked file to a byte offset in the
// cell, or -1 for text the layout added.
func (c *cellUnit) cellOffset(pos token.Pos) int {
	if !pos.IsValid() {
		return -1
	}
	off := c.tfile.Offset(pos)
	for _, s := range c.segs {
		if off >= s.fileOff && off <= s.fileOff+s.n {
			return s.cellOff + off - s.fileOff
		}
	}
	return -1
}

// check parses and type-checks the cell against the session, adding
// imports for packages the cell names without importing them.
func (c *cellUnit) check() error {
	e := c.e
	if c.sess == nil {
		c.sess = e.sess
	}
	superseded := false
	lateRounds, importRounds := 0, 0
	for {
		src, segs := c.checkSource()
		f, err := parseFile(e.fset, fmt.Sprintf("cell%d.go", e.cell), src)
		if err != nil {
			return compileErrors(err)
		}
		c.file, c.segs = f, segs
		c.tfile = e.fset.File(f.Pos())
		if !superseded {
			superseded = true
			if names := c.redefinedTypes(f); len(names) > 0 {
				c.sess, c.leftBehind = c.supersede(names)
				c.redefined = names
			}
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == cellFuncName && fd.Recv == nil {
				c.body = fd.Body
			}
		}

		redefined := map[string]bool{}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == c.body {
				continue
			}
			for _, k := range declKey(d) {
				redefined[k] = true
			}
		}
		for name := range c.lateVars {
			redefined[name] = true
		}
		var files []*ast.File
		if sf, err := parseFile(e.fset, "session.go", c.sess.source(redefined, c.lateVars)); err == nil {
			files = append(files, sf)
		}
		files = append(files, f)

		var errs []types.Error
		info := newInfo()
		conf := e.typesConfig(&errs)
		_, _ = conf.Check("main", e.fset, files, info)
		c.info = info

		var trailing token.Pos
		if c.body != nil && len(c.body.List) > 0 {
			if es, ok := c.body.List[len(c.body.List)-1].(*ast.ExprStmt); ok {
				trailing = es.X.Pos()
			}
		}
		// Each round can settle more types (after an import is added, say),
		// and so more variables the declarations use.
		if lateRounds < 3 && c.addLateVars(c.varsUsedByDecls()) {
			lateRounds++
			continue
		}
		var cellErrs []types.Error
		for _, te := range errs {
			if te.Pos == trailing && strings.HasSuffix(te.Msg, "is not used") {
				// The cell's value is shown, so it is used.
				continue
			}
			if te.Soft && (strings.Contains(te.Msg, "declared and not used") || strings.Contains(te.Msg, "imported and not used") || strings.Contains(te.Msg, "imported as") && strings.HasSuffix(te.Msg, "and not used")) {
				continue
			}
			if e.fset.Position(te.Pos).Filename != cellFile {
				continue
			}
			cellErrs = append(cellErrs, te)
		}
		if len(cellErrs) == 0 {
			c.typed = true
			return nil
		}
		if importRounds < 2 && c.resolveImports(cellErrs) {
			importRounds++
			continue
		}
		for _, te := range cellErrs {
			if name, ok := strings.CutPrefix(te.Msg, "undefined: "); ok && c.sess.opaque[name] {
				// The session holds a value whose type cannot be written
				// down; leave the judgement to the interpreter.
				c.typed = false
				return nil
			}
		}
		lines := make([]string, len(cellErrs))
		for i, te := range cellErrs {
			lines[i] = e.fset.Position(te.Pos).String() + ": " + c.sess.showNames(te.Msg)
		}
		return &CellError{Name: CompileError, Value: c.sess.showNames(cellErrs[0].Msg), Trace: lines}
	}
}

// varsUsedByDecls finds the variables the cell defines among its
// statements that its declarations mention, with the types the statements
// give them, where those differ from what the session holds. In Go a
// function cannot see a variable local to another, so the first check of
// such a cell reports them undefined (or binds an older session variable).
func (c *cellUnit) varsUsedByDecls() map[string]string {
	if c.body == nil || c.info == nil {
		return nil
	}
	defined := map[string]types.Object{}
	def := func(id *ast.Ident) {
		if obj := c.info.Defs[id]; obj != nil && id.Name != "_" {
			defined[id.Name] = obj
		}
	}
	eachTopLevelVar(c.body, def)
	if len(defined) == 0 {
		return nil
	}
	names := func(p string) string {
		if pkg, err := c.e.imp.Import(p); err == nil {
			return pkg.Name()
		}
		return ""
	}
	late := map[string]string{}
	for _, d := range c.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == c.body {
			continue
		}
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		ast.Inspect(d, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok || c.info.Defs[id] != nil {
				return true
			}
			obj, ok := defined[id.Name]
			if !ok {
				return true
			}
			if use := c.info.Uses[id]; use != nil {
				if v, isVar := use.(*types.Var); !isVar || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
					return true
				}
			}
			if !isWritable(obj.Type()) {
				return true
			}
			if typ, ok := c.sess.typeExpr(obj.Type(), names); ok && typ != c.sess.vars[id.Name] {
				late[id.Name] = typ
			}
			return true
		})
	}
	return late
}

// addLateVars records variables for the next check, reporting whether
// any is new or has a new type.
func (c *cellUnit) addLateVars(late map[string]string) bool {
	changed := false
	for name, typ := range late {
		if c.lateVars[name] != typ {
			if c.lateVars == nil {
				c.lateVars = map[string]string{}
			}
			c.lateVars[name] = typ
			changed = true
		}
	}
	return changed
}

// isWritable reports whether the type checker settled on a type: not one
// left invalid by an error, nor an untyped nil.
func isWritable(t types.Type) bool {
	if t == nil {
		return false
	}
	if b, ok := t.(*types.Basic); ok && (b.Kind() == types.Invalid || b.Info()&types.IsUntyped != 0) {
		return false
	}
	return true
}

// resolveImports adds imports for undefined identifiers used as package
// qualifiers, as goimports would: packages the session imported first,
// then the package whose exports include every name the cell selects.
func (c *cellUnit) resolveImports(errs []types.Error) bool {
	undefined := map[string]bool{}
	for _, te := range errs {
		if name, ok := strings.CutPrefix(te.Msg, "undefined: "); ok {
			undefined[name] = true
		}
	}
	selected := map[string][]string{}
	ast.Inspect(c.file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && undefined[id.Name] && c.info.Uses[id] == nil {
				selected[id.Name] = append(selected[id.Name], sel.Sel.Name)
			}
		}
		return true
	})
	added := false
	for name, sels := range selected {
		if _, done := c.autoImports[name]; done {
			continue
		}
		if p := c.choosePackage(name, sels); p != "" {
			c.autoImports[name] = p
			added = true
		}
	}
	return added
}

func (c *cellUnit) choosePackage(name string, sels []string) string {
	for p, n := range c.sess.imports {
		if n == name {
			return p
		}
	}
	candidates := c.e.byName[name]
	for _, p := range candidates {
		pkg, err := c.e.imp.Import(p)
		if err != nil {
			continue
		}
		all := true
		for _, s := range sels {
			if pkg.Scope().Lookup(s) == nil {
				all = false
				break
			}
		}
		if all {
			return p
		}
	}
	if len(candidates) > 0 {
		return candidates[0]
	}
	return ""
}

// importsOf lists the cell's explicit imports as path -> name.
func (c *cellUnit) importsOf() map[string]string {
	m := map[string]string{}
	for _, imp := range c.file.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := ""
		if imp.Name != nil {
			name = imp.Name.Name
		} else if pkg, err := c.e.imp.Import(p); err == nil {
			name = pkg.Name()
		}
		m[p] = name
	}
	return m
}

// commit records the cell's imports, declarations and variables in the
// session once the interpreter has accepted the cell.
func (c *cellUnit) commit() {
	c.e.sess = c.sess
	s := c.sess
	if note := c.redefinitionNote(); note != "" {
		fmt.Fprint(c.e.stderr, note)
	}
	for p, n := range c.importsOf() {
		if n != "_" && n != "." {
			s.imports[p] = n
		}
	}
	for _, d := range c.file.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		if fd, ok := d.(*ast.FuncDecl); ok && (fd.Body == c.body || isEntryFunc(fd, "init")) {
			// init functions run once and cannot be referred to.
			continue
		}
		start, end := c.cellOffset(d.Pos()), c.cellOffset(d.End())
		if start < 0 || end < 0 {
			continue
		}
		s.setDecl(declKey(d), c.code[start:end], commentAbove(c.code, start))
	}
	if c.body == nil {
		return
	}
	names := func(p string) string {
		if pkg, err := c.e.imp.Import(p); err == nil {
			return pkg.Name()
		}
		return ""
	}
	define := func(id *ast.Ident) {
		if id.Name == "_" {
			return
		}
		obj := c.info.Defs[id]
		if obj == nil {
			obj = c.info.Uses[id]
		}
		if obj == nil {
			if c.typed {
				return
			}
			s.setVar(id.Name, "")
			return
		}
		typ, _ := s.typeExpr(obj.Type(), names)
		s.setVar(id.Name, typ)
	}
	eachTopLevelVar(c.body, define)
	for _, st := range c.body.List {
		if ds, ok := st.(*ast.DeclStmt); ok {
			if gd, ok := ds.Decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				start, end := c.cellOffset(gd.Pos()), c.cellOffset(gd.End())
				if start >= 0 && end >= 0 {
					s.setDecl(declKey(gd), c.code[start:end], commentAbove(c.code, start))
				}
			}
		}
	}
}

// eachTopLevelVar calls f for each variable the cell's statements define at
// their top level, with := or var.
func eachTopLevelVar(body *ast.BlockStmt, f func(*ast.Ident)) {
	for _, st := range body.List {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if st.Tok == token.DEFINE {
				for _, l := range st.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						f(id)
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := st.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				for _, spec := range gd.Specs {
					for _, id := range spec.(*ast.ValueSpec).Names {
						f(id)
					}
				}
			}
		}
	}
}
