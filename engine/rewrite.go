package engine

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strconv"
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
	// typeVerbArgs are the arguments printed with %T, replaced by their
	// type's name
	typeVerbArgs map[ast.Expr]bool
	// commStmts are the statements of select cases
	commStmts map[ast.Stmt]bool
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
	expr, ok := s.typeExpr(t, func(p string) string {
		if pkg, err := r.c.e.imp.Import(p); err == nil {
			return pkg.Name()
		}
		return ""
	})
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
	expr, _ := r.c.sess.typeExpr(t, func(p string) string {
		if pkg, err := r.c.e.imp.Import(p); err == nil {
			return pkg.Name()
		}
		return ""
	})
	return expr
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
	r := &rewriter{c: c, needs: map[string]string{}, hoisted: map[string]string{}, renamed: map[types.Object]string{}}
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
	for _, ch := range c.chunks {
		switch ch.kind {
		case declChunk:
			decls.WriteString(c.edited(ch, r.edits))
			decls.WriteString("\n")
		case stmtChunk:
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
		sess:   c.sess,
		types:  declaredTypes(c.file),
		commit: c.commit,
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
			r.deferredCaptures(n, n.Body)
			r.rangeStmt(n)
		case *ast.ForStmt:
			r.deferredCaptures(n, n.Body)
			r.forStmt(n)
		case *ast.CallExpr:
			r.builtinCall(n)
			r.displayCall(n)
			r.errorsAs(n)
			r.asTypeCall(n)
			r.errorArgs(n)
			r.printArgs(n)
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

// rangeStmt rewrites range over integers and functions, which the
// interpreter does not know, and gives range loops per-iteration variables.
func (r *rewriter) rangeStmt(n *ast.RangeStmt) {
	t := r.typeOf(n.X)
	if t == nil {
		return
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Info()&types.IsInteger != 0 {
			r.rangeInt(n, types.Default(t))
		}
	case *types.Signature:
		r.rangeFunc(n, u)
	default:
		r.copyLoopVars(n.Body, n.Tok == token.DEFINE, nil, n.Key, n.Value)
	}
}

func (r *rewriter) rangeInt(n *ast.RangeStmt, t types.Type) {
	ts, ok := r.typeString(t)
	if !ok {
		ts = "int"
	}
	i, limit := r.fresh("i"), r.fresh("n")
	var prefix string
	if id, ok := n.Key.(*ast.Ident); ok && n.Tok == token.DEFINE && id.Name != "_" {
		i = id.Name
	} else if n.Key != nil && n.Tok == token.ASSIGN {
		prefix = exprText(r.c, n.Key) + " = " + i + "; "
	}
	r.add(n.For, n.X.Pos(), fmt.Sprintf("for %s, %s := %s(0), %s(", i, limit, ts, ts))
	r.add(n.X.End(), n.Body.Lbrace+1, fmt.Sprintf("); %s < %s; %s++ {%s", i, limit, i, prefix))
	if n.Tok == token.DEFINE && captures(n.Body, i) && !assigns(n.Body, i) {
		loop := r.fresh("lv")
		r.edits[len(r.edits)-2].text = fmt.Sprintf("for %s, %s := %s(0), %s(", loop, limit, ts, ts)
		r.edits[len(r.edits)-1].text = fmt.Sprintf("); %s < %s; %s++ {%s := %s; %s", loop, limit, loop, i, loop, prefix)
	}
}

func exprText(c *cellUnit, e ast.Expr) string {
	s, end := c.cellOffset(e.Pos()), c.cellOffset(e.End())
	if s < 0 || end < 0 {
		return "_"
	}
	return c.code[s:end]
}

// rangeFunc turns `for k, v := range seq { body }` into
// `seq(func(k K, v V) bool { body; return true })`, with continue and
// break becoming returns from the yield function.
func (r *rewriter) rangeFunc(n *ast.RangeStmt, sig *types.Signature) {
	if sig.Params().Len() != 1 {
		return
	}
	yield, ok := sig.Params().At(0).Type().Underlying().(*types.Signature)
	if !ok {
		return
	}
	vars := []ast.Expr{n.Key, n.Value}
	var params []string
	var assign []string
	for i := 0; i < yield.Params().Len(); i++ {
		ts, ok := r.typeString(yield.Params().At(i).Type())
		if !ok {
			r.errorf(n.For, "cannot range over %s: its element type cannot be named in a cell", exprText(r.c, n.X))
			return
		}
		name := "_"
		if i < len(vars) && vars[i] != nil {
			if n.Tok == token.DEFINE {
				name = vars[i].(*ast.Ident).Name
			} else {
				name = r.fresh("v")
				assign = append(assign, exprText(r.c, vars[i])+" = "+name+"; ")
			}
		}
		params = append(params, name+" "+ts)
	}
	if !r.yieldBody(n.Body) {
		return
	}
	r.add(n.For, n.X.Pos(), "")
	r.add(n.X.End(), n.Body.Lbrace+1, fmt.Sprintf("(func(%s) bool {%s", strings.Join(params, ", "), strings.Join(assign, "")))
	r.add(n.Body.Rbrace, n.Body.Rbrace+1, "; return true})")
}

// yieldBody rewrites the branch statements of a range-over-func body that
// leave the loop, reporting those the rewrite cannot express.
func (r *rewriter) yieldBody(body *ast.BlockStmt) bool {
	ok := true
	var visit func(n ast.Node, inLoop, inSwitch bool)
	visit = func(n ast.Node, inLoop, inSwitch bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			switch m := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				if m != n {
					visit(m.Body, true, inSwitch)
					return false
				}
			case *ast.RangeStmt:
				if m != n {
					visit(m.Body, true, inSwitch)
					return false
				}
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if m != n {
					var b *ast.BlockStmt
					switch s := m.(type) {
					case *ast.SwitchStmt:
						b = s.Body
					case *ast.TypeSwitchStmt:
						b = s.Body
					case *ast.SelectStmt:
						b = s.Body
					}
					visit(b, inLoop, true)
					return false
				}
			case *ast.ReturnStmt:
				r.errorf(m.Pos(), "return inside a range-over-func loop is not supported; collect the values first (slices.Collect) and range over the slice")
				ok = false
			case *ast.BranchStmt:
				if m.Label != nil {
					r.errorf(m.Pos(), "labeled %s inside a range-over-func loop is not supported; collect the values first (slices.Collect)", m.Tok)
					ok = false
					return false
				}
				switch {
				case m.Tok == token.CONTINUE && !inLoop:
					r.add(m.Pos(), m.End(), "return true")
				case m.Tok == token.BREAK && !inLoop && !inSwitch:
					r.add(m.Pos(), m.End(), "return false")
				case m.Tok == token.GOTO:
					r.errorf(m.Pos(), "goto inside a range-over-func loop is not supported")
					ok = false
				}
			}
			return true
		})
	}
	visit(body, false, false)
	return ok
}

// forStmt gives three-clause loops Go 1.22 per-iteration variables where it
// matters: when a closure in the body captures one and the body does not
// assign it. The loop runs on a renamed variable and each iteration copies
// it into a fresh one with the user's name.
func (r *rewriter) forStmt(n *ast.ForStmt) {
	init, ok := n.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE {
		return
	}
	r.copyLoopVars(n.Body, true, []ast.Node{n.Init, n.Cond, n.Post}, init.Lhs...)
}

func (r *rewriter) copyLoopVars(body *ast.BlockStmt, define bool, header []ast.Node, vars ...ast.Expr) {
	if !define {
		return
	}
	var copies []string
	for _, v := range vars {
		id, ok := v.(*ast.Ident)
		if !ok || id.Name == "_" || !captures(body, id.Name) || assigns(body, id.Name) || redeclares(body, id.Name) {
			continue
		}
		obj := r.c.info.Defs[id]
		renamed := r.fresh("lv")
		r.add(id.Pos(), id.End(), renamed)
		for _, h := range header {
			if h == nil || reflectNil(h) {
				continue
			}
			ast.Inspect(h, func(m ast.Node) bool {
				if use, ok := m.(*ast.Ident); ok && use != id && obj != nil && r.c.info.Uses[use] == obj {
					r.add(use.Pos(), use.End(), renamed)
				}
				return true
			})
		}
		copies = append(copies, id.Name+" := "+renamed+"; ")
	}
	if len(copies) > 0 {
		r.add(body.Lbrace+1, body.Lbrace+1, strings.Join(copies, ""))
	}
}

// redeclares reports whether body's own statements define name again, as
// the `v := v` written for Go before 1.22 does: a copy the loop's body
// already makes.
func redeclares(body *ast.BlockStmt, name string) bool {
	for _, st := range body.List {
		if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// deferredCaptures passes the variables of a loop's iteration that a
// deferred function literal captures as arguments: `defer func() { use(v)
// }()` becomes `defer func(v T) { use(v) }(v)`. The interpreter resolves
// the captured variables of a deferred literal when the function returns,
// so every deferred call would see the last iteration's values; arguments
// are evaluated when the defer statement runs. Variables assigned after
// the defer statement are left alone, since the closure must see those
// assignments.
func (r *rewriter) deferredCaptures(loop ast.Node, body *ast.BlockStmt) {
	info := r.c.info
	ast.Inspect(body, func(n ast.Node) bool {
		ds, ok := n.(*ast.DeferStmt)
		if !ok || r.deferred[ds] {
			return true
		}
		lit, ok := ds.Call.Fun.(*ast.FuncLit)
		if !ok {
			return true
		}
		if r.deferred == nil {
			r.deferred = map[*ast.DeferStmt]bool{}
		}
		r.deferred[ds] = true
		var params, args []string
		seen := map[types.Object]bool{}
		ast.Inspect(lit.Body, func(m ast.Node) bool {
			id, ok := m.(*ast.Ident)
			if !ok {
				return true
			}
			v, ok := info.Uses[id].(*types.Var)
			if !ok || seen[v] || v.IsField() || v.Pos() < loop.Pos() || v.Pos() >= loop.End() || (v.Pos() >= lit.Pos() && v.Pos() < lit.End()) {
				return true
			}
			seen[v] = true
			if assignsAfter(body, v.Name(), ds.End()) || assigns(lit.Body, v.Name()) {
				return true
			}
			ts, ok := r.typeString(v.Type())
			if !ok {
				return true
			}
			params = append(params, v.Name()+" "+ts)
			args = append(args, v.Name())
			return true
		})
		if len(params) == 0 {
			return true
		}
		sep := func(fl []ast.Expr) string {
			if len(fl) > 0 {
				return ", "
			}
			return ""
		}
		var litParams []ast.Expr
		if lit.Type.Params != nil {
			for _, f := range lit.Type.Params.List {
				litParams = append(litParams, f.Type)
			}
		}
		r.add(lit.Type.Params.Opening+1, lit.Type.Params.Opening+1, strings.Join(params, ", ")+sep(litParams))
		r.add(ds.Call.Lparen+1, ds.Call.Lparen+1, strings.Join(args, ", ")+sep(ds.Call.Args))
		return true
	})
}

// reflectNil reports whether an ast.Node interface holds a nil pointer, as
// optional parts of statements do.
func reflectNil(n ast.Node) bool {
	switch n := n.(type) {
	case ast.Stmt:
		return n == nil || fmt.Sprint(n) == "<nil>"
	case ast.Expr:
		return n == nil || fmt.Sprint(n) == "<nil>"
	}
	return false
}

// captures reports whether a function literal or go statement in body
// mentions name.
func captures(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt:
			ast.Inspect(n, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok && id.Name == name {
					found = true
				}
				return !found
			})
			return false
		}
		return !found
	})
	return found
}

// assigns reports whether body assigns to name or takes its address.
func assigns(body *ast.BlockStmt, name string) bool {
	return assignsAfter(body, name, token.NoPos)
}

// assignsAfter reports whether body assigns to name, or takes its address,
// after pos.
func assignsAfter(body *ast.BlockStmt, name string, pos token.Pos) bool {
	is := func(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == name && id.Pos() > pos }
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, l := range n.Lhs {
					found = found || is(l)
				}
			}
		case *ast.IncDecStmt:
			found = found || is(n.X)
		case *ast.UnaryExpr:
			found = found || n.Op == token.AND && is(n.X)
		}
		return !found
	})
	return found
}

// builtinCall rewrites the builtins the interpreter lacks: min, max, clear
// and new with an expression argument.
func (r *rewriter) builtinCall(call *ast.CallExpr) {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return
	}
	b, ok := r.c.info.Uses[id].(*types.Builtin)
	if !ok {
		return
	}
	tv := r.c.info.Types[call]
	switch b.Name() {
	case "min", "max":
		if tv.Value != nil {
			r.add(call.Pos(), call.End(), r.constText(tv))
			return
		}
		ts, ok := r.typeString(tv.Type)
		if !ok {
			r.errorf(call.Pos(), "%s of values whose type cannot be named in a cell is not supported", b.Name())
			return
		}
		r.add(id.Pos(), id.End(), "galley_"+b.Name()+"["+ts+"]")
	case "clear":
		r.add(id.Pos(), id.End(), rtName+".Clear")
	case "new":
		if len(call.Args) != 1 || r.c.info.Types[call.Args[0]].IsType() {
			return
		}
		ptr, ok := tv.Type.(*types.Pointer)
		if !ok {
			return
		}
		ts, ok := r.typeString(ptr.Elem())
		if !ok {
			r.errorf(call.Pos(), "new of a value whose type cannot be named in a cell is not supported")
			return
		}
		r.add(id.Pos(), id.End(), "galley_new["+ts+"]")
	}
}

// constText writes a constant so the interpreter reads the same value.
func (r *rewriter) constText(tv types.TypeAndValue) string {
	var lit string
	switch tv.Value.Kind() {
	case constant.Float:
		f, _ := constant.Float64Val(tv.Value)
		lit = strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(lit, ".eEn") {
			lit += ".0"
		}
	default:
		lit = tv.Value.ExactString()
	}
	if b, ok := tv.Type.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return lit
	}
	ts, ok := r.typeString(tv.Type)
	if !ok {
		return lit
	}
	return ts + "(" + lit + ")"
}

// goStmt wraps the goroutine in a recover that reports its panic on the
// cell instead of ending the process. Arguments are still evaluated when
// the go statement runs, by passing them as parameters.
func (r *rewriter) goStmt(n *ast.GoStmt) {
	call := n.Call
	params, args, typed := r.callParams(call)
	recoverer := fmt.Sprintf("defer func() { if r := recover(); r != nil { %s.GoPanic(%d, r) } }(); ", rtName, r.c.e.cell)
	if !typed || len(call.Args) == 0 {
		r.add(n.Go, call.Pos(), "go func() { "+recoverer)
		r.add(call.End(), call.End(), " }()")
		return
	}
	inner := strings.Join(args, ", ")
	if call.Ellipsis.IsValid() {
		inner += "..."
	}
	r.add(n.Go, call.Pos(), fmt.Sprintf("go func(%s) { %s", strings.Join(params, ", "), recoverer))
	r.add(call.Lparen, call.Lparen, "("+inner+") }")
}

// callParams names and types a parameter for each argument of call, for a
// function literal to receive the arguments evaluated where call was.
func (r *rewriter) callParams(call *ast.CallExpr) (params, args []string, ok bool) {
	sig, _ := r.typeOf(call.Fun).(*types.Signature)
	for i, a := range call.Args {
		var t types.Type
		if sig != nil && sig.Params().Len() > 0 {
			switch {
			case sig.Variadic() && i >= sig.Params().Len()-1 && !call.Ellipsis.IsValid():
				t = sig.Params().At(sig.Params().Len() - 1).Type().(*types.Slice).Elem()
			case i < sig.Params().Len():
				t = sig.Params().At(i).Type()
			}
		}
		if t == nil {
			t = types.Default(r.typeOf(a))
		}
		ts, ok := "", t != nil
		if ok {
			ts, ok = r.typeString(t)
		}
		if !ok {
			return nil, nil, false
		}
		p := r.fresh("a")
		params = append(params, p+" "+ts)
		args = append(args, p)
	}
	return params, args, true
}

// explicitInstances spells out inferred type arguments: the interpreter
// instantiates generic functions reliably only when told the types.
func (r *rewriter) explicitInstances() {
	explicit := map[*ast.Ident]bool{}
	mark := func(x ast.Expr) {
		switch x := x.(type) {
		case *ast.Ident:
			explicit[x] = true
		case *ast.SelectorExpr:
			explicit[x.Sel] = true
		}
	}
	ast.Inspect(r.c.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IndexExpr:
			mark(n.X)
		case *ast.IndexListExpr:
			mark(n.X)
		}
		return true
	})
	for id, inst := range r.c.info.Instances {
		if explicit[id] || r.c.cellOffset(id.Pos()) < 0 {
			continue
		}
		if _, ok := r.c.info.Uses[id].(*types.Func); !ok {
			continue
		}
		var targs []string
		for i := 0; i < inst.TypeArgs.Len(); i++ {
			ts, ok := r.typeString(inst.TypeArgs.At(i))
			if !ok {
				targs = nil
				break
			}
			targs = append(targs, ts)
		}
		if targs != nil {
			r.add(id.End(), id.End(), "["+strings.Join(targs, ", ")+"]")
		}
	}
}

// typedTopLevel moves the declarations of the cell's top-level variables
// into the declarations the interpreter compiles first, leaving plain
// assignments in the statements. The interpreter mishandles var statements
// and definitions from generic calls among top-level statements, while
// typed package-level declarations are reliable. A variable the session
// already holds with the same type is assigned, not redeclared, so
// `x := x + 1` sees the old value.
func (r *rewriter) typedTopLevel() {
	if r.c.body == nil {
		return
	}
	declare := func(id *ast.Ident) (string, bool) {
		obj := r.c.info.Defs[id]
		if obj == nil {
			return "", true // assigned, not defined, by this statement
		}
		ts, ok := r.typeString(obj.Type())
		if !ok {
			return "", false
		}
		name := r.internalName(id.Name)
		if name != id.Name {
			r.renamed[obj] = name
		}
		if r.c.sess.vars[id.Name] == r.checkerType(obj.Type()) && r.hoisted[name] == "" {
			return "", true
		}
		return "var " + name + " " + ts + "\n", true
	}
	for _, st := range r.c.body.List {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if st.Tok != token.DEFINE {
				continue
			}
			var decls []string
			ok := true
			for _, l := range st.Lhs {
				id := l.(*ast.Ident)
				if id.Name == "_" {
					continue
				}
				d, named := declare(id)
				if !named {
					ok = false
					break
				}
				if d != "" {
					decls = append(decls, d)
				}
			}
			if !ok {
				continue
			}
			r.hoist(decls)
			r.add(st.TokPos, st.TokPos+2, "=")
		case *ast.DeclStmt:
			gd, isGen := st.Decl.(*ast.GenDecl)
			if !isGen || gd.Tok != token.VAR {
				continue
			}
			var decls []string
			ok := true
			for _, spec := range gd.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if id.Name == "_" {
						continue
					}
					obj := r.c.info.Defs[id]
					ts, named := r.typeString(obj.Type())
					if !named {
						ok = false
						break
					}
					name := r.internalName(id.Name)
					if name != id.Name {
						r.renamed[obj] = name
					}
					decls = append(decls, "var "+name+" "+ts+"\n")
				}
			}
			if !ok {
				continue
			}
			r.hoist(decls)
			if gd.Lparen.IsValid() {
				r.add(gd.Pos(), gd.Lparen+1, "")
				r.add(gd.Rparen, gd.Rparen+1, "")
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Values) == 0 {
					if gd.Lparen.IsValid() {
						r.add(vs.Pos(), vs.End(), "")
					} else {
						r.add(gd.Pos(), gd.End(), "")
					}
					continue
				}
				var names []string
				for _, id := range vs.Names {
					names = append(names, r.internalName(id.Name))
				}
				from := vs.Pos()
				if !gd.Lparen.IsValid() {
					from = gd.Pos()
				}
				r.add(from, vs.Values[0].Pos(), strings.Join(names, ", ")+" = ")
			}
		}
	}
}

// internalName is the interpreter's name for a session variable. A
// variable named like a package the interpreter has imported (data,
// display) would clash with the import there, though Go scoping lets the
// cell use it; such variables live under another name.
func (r *rewriter) internalName(name string) string {
	sess := r.c.sess
	if n, ok := sess.renames[name]; ok {
		return n
	}
	for _, imported := range r.c.e.imported {
		if imported == name {
			sess.renames[name] = "galley_var_" + name
			return sess.renames[name]
		}
	}
	return name
}

// renameVars points uses of renamed session variables at their
// interpreter names.
func (r *rewriter) renameVars() {
	for id, obj := range r.c.info.Uses {
		if r.c.cellOffset(id.Pos()) < 0 {
			continue
		}
		if n, ok := r.renamed[obj]; ok {
			r.add(id.Pos(), id.End(), n)
			continue
		}
		if v, ok := obj.(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
			if n, ok := r.c.sess.renames[v.Name()]; ok {
				r.add(id.Pos(), id.End(), n)
			}
		}
	}
	for id, obj := range r.c.info.Defs {
		if n, ok := r.renamed[obj]; ok && r.c.cellOffset(id.Pos()) >= 0 {
			if _, isVar := obj.(*types.Var); isVar && !r.inDeclStmt(id) {
				r.add(id.Pos(), id.End(), n)
			}
		}
	}
}

// inDeclStmt reports whether id is a name in a top-level var statement,
// whose text typedTopLevel already replaced.
func (r *rewriter) inDeclStmt(id *ast.Ident) bool {
	for _, st := range r.c.body.List {
		if ds, ok := st.(*ast.DeclStmt); ok && ds.Pos() <= id.Pos() && id.End() <= ds.End() {
			return true
		}
	}
	return false
}

func (r *rewriter) hoist(decls []string) {
	for _, d := range decls {
		name := strings.Fields(d)[1]
		r.hoisted[name] = d
		r.hoistOrder = append(r.hoistOrder, d)
	}
}

// quietCalls name packages whose printing functions (fmt.Print*,
// fmt.Fprint*, all of log) print rather than compute: their results are
// not shown when they end a cell.
var quietCalls = map[string]bool{"fmt": true, "log": true}

// printsLike reports whether t is the type of fmt's printing functions,
// variadic in any and returning (int, error): a call through a variable
// holding one (`p := fmt.Println`) prints, as the function itself does.
func printsLike(t types.Type) bool {
	sig, ok := t.(*types.Signature)
	if !ok || !sig.Variadic() || sig.Results().Len() != 2 {
		return false
	}
	last := sig.Params().At(sig.Params().Len() - 1).Type().(*types.Slice)
	return types.IsInterface(last.Elem()) && last.Elem().Underlying().(*types.Interface).Empty() &&
		types.Identical(sig.Results().At(0).Type(), types.Typ[types.Int]) &&
		sig.Results().At(1).Type().String() == "error"
}

// trailingValue passes the value of a cell's final expression to the show
// hook, so that it renders as the cell's result.
func (r *rewriter) trailingValue() {
	if r.c.body == nil || len(r.c.body.List) == 0 {
		return
	}
	last, ok := r.c.body.List[len(r.c.body.List)-1].(*ast.ExprStmt)
	if !ok || r.c.cellOffset(last.Pos()) < 0 {
		return
	}
	if call, ok := ast.Unparen(last.X).(*ast.CallExpr); ok {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if pn, ok := r.c.info.Uses[id].(*types.PkgName); ok && quietCalls[pn.Imported().Path()] &&
					(pn.Imported().Path() == "log" || strings.HasPrefix(sel.Sel.Name, "Print") || strings.HasPrefix(sel.Sel.Name, "Fprint")) {
					return
				}
			}
		}
		if printsLike(r.typeOf(call.Fun)) {
			return
		}
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
			if _, ok := r.c.info.Uses[id].(*types.Builtin); ok && (id.Name == "print" || id.Name == "println" || id.Name == "panic" || id.Name == "clear" || id.Name == "close" || id.Name == "delete" || id.Name == "copy") {
				return
			}
		}
	}
	if t := r.typeOf(last.X); t != nil {
		if tup, ok := t.(*types.Tuple); ok && tup.Len() == 0 {
			return
		}
	} else if r.c.typed {
		return
	}
	if renders(r.typeOf(last.X)) {
		r.add(last.Pos(), last.Pos(), rtName+".Show((")
		r.add(last.End(), last.End(), ").DisplayData())")
		return
	}
	r.add(last.Pos(), last.Pos(), rtName+".Show(")
	r.add(last.End(), last.End(), ")")
}
