package engine

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"
)

// An edit replaces cell[start:end] with text. Edits never overlap: each
// rewrite touches only the tokens around the code it keeps, so nested
// rewrites compose.
type edit struct {
	start, end int
	text       string
}

// rewriter collects the edits that turn a type-checked cell into source
// the interpreter runs with Go 1.26 meaning.
type rewriter struct {
	c     *cellUnit
	edits []edit
	errs  []string
	// imports the rewritten text needs: path -> name
	needs map[string]string
	// variable declarations moved ahead of the statements
	hoisted    map[string]string
	hoistOrder []string
	// renamed maps variables this cell defines to their interpreter names
	renamed map[types.Object]string
	// asError names the helper errorArgs declared for this cell, if any
	asError string
	// deferred holds the defer statements deferredCaptures handled
	deferred map[*ast.DeferStmt]bool
	// convs names the functions describing values to fmt, by type
	convs map[string]string
	// fmtTypes lists the session's types with fmt methods, once known
	fmtTypes *[]types.Type
	// chainList lists the session's types with a method errors.Is or
	// errors.As calls, once known.
	chainList *[]types.Type
	// typeVerbArgs are the arguments printed with %T, replaced by their
	// type's name
	typeVerbArgs map[ast.Expr]bool
	// commStmts are the statements of select cases
	commStmts map[ast.Stmt]bool
	// plain leaves out the descriptions of values for fmt and json
	plain bool
	// loopDefers maps the defer statements in loops to the innermost loop
	loopDefers map[*ast.DeferStmt]ast.Node
}

func (r *rewriter) add(start, end token.Pos, text string) {
	s, e := r.c.cellOffset(start), r.c.cellOffset(end)
	if s < 0 || e < 0 {
		return
	}
	r.edits = append(r.edits, edit{s, e, text})
}

func (r *rewriter) errorf(pos token.Pos, format string, args ...any) {
	r.errs = append(r.errs, r.c.e.fset.Position(pos).String()+": "+fmt.Sprintf(format, args...))
}

func (r *rewriter) fresh(prefix string) string {
	r.c.e.fresh++
	return fmt.Sprintf("galley_%s%d", prefix, r.c.e.fresh)
}

// typeString writes t for the interpreter, naming packages as the session
// imports them.
func (r *rewriter) typeString(t types.Type) (string, bool) {
	s := r.c.sess
	before := len(s.imports)
	t = expandGenericAliases(t)
	expr, ok := s.typeExpr(t, r.pkgName)
	expr = s.interpTypeNames(renameTypeParams(expr, typeParamsOf(t)))
	if len(s.imports) != before || ok {
		for p, n := range s.imports {
			if strings.Contains(expr, n+".") {
				r.needs[p] = n
			}
		}
	}
	return expr, ok
}

// checkerType writes t as the session records variable types.
func (r *rewriter) checkerType(t types.Type) string {
	expr, _ := r.c.sess.typeExpr(t, r.pkgName)
	return expr
}

// pkgName names package p in source the rewrite writes, for a package the
// session has not imported yet: the name the cell imports it under
// (`import str "strings"`), else the package's own.
func (r *rewriter) pkgName(p string) string {
	if n, ok := r.c.importsOf()[p]; ok && n != "_" && n != "." && n != "" {
		return n
	}
	if pkg, err := r.c.e.imp.Import(p); err == nil {
		return pkg.Name()
	}
	return ""
}

func (r *rewriter) typeOf(e ast.Expr) types.Type {
	if tv, ok := r.c.info.Types[e]; ok {
		return tv.Type
	}
	if id, ok := e.(*ast.Ident); ok {
		if obj := r.c.info.ObjectOf(id); obj != nil {
			return obj.Type()
		}
	}
	return nil
}

// program rewrites the cell and lays it out for the interpreter.
func (c *cellUnit) program() (*program, error) {
	p, err := c.rewrite(false)
	if err == nil && p.described {
		// The descriptions of values for fmt and json are generated code
		// the interpreter might reject where the cell alone is fine; the
		// cell then runs without them.
		p.fallback = func() (*program, error) { return c.rewrite(true) }
	}
	return p, err
}

// rewrite is program, leaving out the descriptions of values for fmt and
// json when plain is set.
func (c *cellUnit) rewrite(plain bool) (*program, error) {
	r := &rewriter{c: c, needs: map[string]string{}, hoisted: map[string]string{}, renamed: map[types.Object]string{}, plain: plain}
	for _, d := range c.file.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		r.walk(d)
	}
	entry := r.entryFuncs()
	r.explicitInstances()
	r.deferSafeClosures()
	r.typedTopLevel()
	r.renameVars()
	r.trailingValue()
	if len(r.errs) > 0 {
		return nil, &CellError{Name: CompileError, Value: stripPos(r.errs[0]), Trace: r.errs}
	}
	sort.Slice(r.edits, func(i, j int) bool {
		if r.edits[i].start != r.edits[j].start {
			return r.edits[i].start < r.edits[j].start
		}
		return r.edits[i].end < r.edits[j].end
	})

	e := c.e
	imports := c.importsOf()
	for n, p := range c.autoImports {
		imports[p] = n
	}
	for p, n := range r.needs {
		if _, ok := imports[p]; !ok {
			imports[p] = n
		}
	}
	var imps, decls, stmts strings.Builder
	var stmtPos []string
	paths := make([]string, 0, len(imports))
	for p := range imports {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		n := imports[p]
		if e.imported[p] == n && n != "_" {
			continue
		}
		fmt.Fprintf(&imps, "import %s %q\n", n, p)
	}
	for _, d := range r.hoistOrder {
		decls.WriteString(d)
	}
	chunks := c.chunks
	if order := r.programOrder(len(entry) > 0 && strings.HasPrefix(entry[len(entry)-1], mainName)); order != nil {
		chunks = c.stmtsInOrder(order)
	}
	for _, ch := range chunks {
		switch ch.kind {
		case declChunk:
			decls.WriteString(c.edited(ch, r.edits))
			decls.WriteString("\n")
		case stmtChunk:
			// The interpreter reports where a function started, not
			// where it panicked; each statement records its place so
			// that a traceback names the cell's own line.
			l, col := lineCol(c.code, ch.start)
			stmtPos = append(stmtPos, fmt.Sprintf("%s:%d:%d", cellFile, l, col))
			fmt.Fprintf(&stmts, "%s = %d\n", posVar, len(stmtPos))
			if ch.tuple {
				stmts.WriteString(rtName + ".Show(" + c.edited(ch, r.edits) + ")\n")
				continue
			}
			stmts.WriteString(c.edited(ch, r.edits))
			stmts.WriteString("\n")
		}
	}
	for _, call := range entry {
		stmts.WriteString(call + "\n")
	}
	p := &program{
		described: len(r.convs) > 0,
		stmtPos:   stmtPos,
		sess:      c.sess,
		types:     declaredTypes(c.file),
		commit:    c.commit,
		imported: func() {
			for _, path := range paths {
				e.imported[path] = imports[path]
				if n := imports[path]; n != "_" && n != "." {
					e.sess.imports[path] = n
				}
			}
		},
	}
	if stmts.Len() > 0 {
		// Statements run inside a function of their own: the interpreter's
		// handling of top-level statements confuses the slots of variables
		// across cells. Top-level variables were hoisted above, so they
		// persist as package variables.
		fn := fmt.Sprintf("galley_cell%d", e.cell)
		fmt.Fprintf(&decls, "func %s() {\n%s}\n", fn, stmts.String())
		p.stmts = fn + "()"
	}
	if imps.Len() > 0 {
		p.imports = sourceHeader + imps.String()
	}
	if decls.Len() > 0 {
		p.decls = sourceHeader + decls.String()
	}
	return p, nil
}

// stmtsInOrder returns the cell's chunks with its statements in order, a
// permutation of their indexes; nil if the statements and chunks differ.
func (c *cellUnit) stmtsInOrder(order []int) []chunk {
	var stmts, out []chunk
	for _, ch := range c.chunks {
		if ch.kind == stmtChunk {
			stmts = append(stmts, ch)
		} else {
			out = append(out, ch)
		}
	}
	if len(stmts) != len(order) {
		return c.chunks
	}
	for _, i := range order {
		out = append(out, stmts[i])
	}
	return out
}

// edited returns the text of ch with the edits inside it applied. After
// each edit a line directive restores the cell's own positions.
func (c *cellUnit) edited(ch chunk, edits []edit) string {
	var b strings.Builder
	b.WriteString(lineDirective(c.code, ch.start))
	at := ch.start
	for _, ed := range edits {
		if ed.start < ch.start || ed.end > ch.end || ed.start < at {
			continue
		}
		b.WriteString(c.code[at:ed.start])
		b.WriteString(ed.text)
		at = ed.end
		if ed.end < ch.end {
			b.WriteString(lineDirective(c.code, ed.end))
		}
	}
	b.WriteString(c.code[at:ch.end])
	return b.String()
}

func (r *rewriter) walk(root ast.Node) {
	ast.Inspect(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			if r.genericAliasDecl(n) {
				return false
			}
		case *ast.IndexExpr, *ast.IndexListExpr:
			if r.genericAlias(n.(ast.Expr)) {
				return false
			}
		case *ast.RangeStmt:
			r.loopDefersIn(n, n.Body)
			r.deferredCaptures(n, n.Body)
			r.rangeStmt(n)
		case *ast.ForStmt:
			r.loopDefersIn(n, n.Body)
			r.deferredCaptures(n, n.Body)
			r.forStmt(n)
		case *ast.CallExpr:
			r.builtinCall(n)
			r.displayCall(n)
			r.errorsAs(n)
			r.errorsIs(n)
			r.asTypeCall(n)
			r.errorArgs(n)
			r.printArgs(n)
			r.jsonArgs(n)
			r.xmlArgs(n)
			r.templateArgs(n)
			r.logCall(n)
		case *ast.GoStmt:
			r.goStmt(n)
		case *ast.DeferStmt:
			r.exitDefer(n)
		case *ast.SelectorExpr:
			r.stdGenericCall(n)
		case *ast.CommClause:
			if r.commStmts == nil {
				r.commStmts = map[ast.Stmt]bool{}
			}
			r.commStmts[n.Comm] = true
		case *ast.AssignStmt:
			r.blankCommaOk(n)
		case *ast.TypeSwitchStmt:
			r.typeSwitch(n)
		case *ast.Ident:
			r.mainIdent(n)
			r.typeParamIdent(n)
			r.typeNameIdent(n)
		}
		return true
	})
}
