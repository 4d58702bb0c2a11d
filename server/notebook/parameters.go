package notebook

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"sort"
	"strings"

	"github.com/galley-dev/galley/engine"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// paramDecl is a parameter as the parameters cell declares it.
type paramDecl struct {
	recipe.Param
	isConst bool // declared with const: a run redeclares it
	typed   bool // the declaration names the type
}

// parameters reads the configuration schema from the parameters cell: one
// literal default per name, declared with :=, var or const.
func parameters(c Cell, code string) ([]paramDecl, error) {
	chunks, err := cellSyntax(c, code)
	if err != nil {
		return nil, err
	}
	var (
		out      []paramDecl
		seen     = map[string]bool{}
		comments = commentsOf(code)
	)
	for _, ch := range chunks {
		first := strings.Count(code[:ch.Start], "\n")
		lineOf := func(f *token.File, p token.Pos) int {
			return first + f.Line(p) - strings.Count(stmtWrapper, "\n")
		}
		// at places an error at p; columns already count from the cell's
		// line start (parseChunkIn pads the chunk's first line).
		at := func(f *token.File, p token.Pos, msg string) error {
			return &Error{Cell: c.Index, ID: c.ID, Line: lineOf(f, p), Col: f.Position(p).Column, Msg: msg}
		}
		switch ch.Kind {
		case engine.ImportChunk:
			continue
		case engine.DeclChunk:
			// Constants are declarations to the engine (they persist like
			// package constants); read them, and var blocks, as the
			// statements they also are.
			if t := strings.TrimSpace(code[ch.Start:ch.End]); strings.HasPrefix(t, "const") || strings.HasPrefix(t, "var") {
				break
			}
			return nil, &Error{Cell: c.Index, ID: c.ID, Line: first + 1, Msg: "the parameters cell may only declare variables with literal defaults; move other code to another cell"}
		}
		fset := token.NewFileSet()
		f, err := parseChunkIn(fset, code, ch)
		if err != nil {
			return nil, err2cell(c, code, ch, err)
		}
		tf := fset.File(f.Pos())
		body := f.Decls[0].(*ast.FuncDecl).Body.List
		describeAt := func(from, to token.Pos) string { return describe(comments, lineOf(tf, from), lineOf(tf, to)) }
		add := func(name *ast.Ident, typ, val ast.Expr, isConst bool, doc string) error {
			fail := func(format string, args ...any) error {
				return at(tf, name.Pos(), fmt.Sprintf(format, args...))
			}
			if name.Name == "_" {
				return fail("parameters need a name, not _")
			}
			if seen[name.Name] {
				return fail("parameter %s is declared twice", name.Name)
			}
			seen[name.Name] = true
			if val == nil {
				return fail("parameter %s has no default: write %s = <literal>", name.Name, name.Name)
			}
			lit, inferred, ok := literal(val)
			if !ok {
				return fail("parameter %s: default must be a literal (number, string, true or false, or a slice of numbers or strings), not an expression", name.Name)
			}
			t := inferred
			if typ != nil {
				t = exprString(typ)
			}
			v, err := recipe.ParseValue(t, lit)
			if err != nil {
				return fail("parameter %s: %v", name.Name, err)
			}
			p := recipe.Param{Name: name.Name, Type: t, Default: lit, Description: doc}
			if t == "string" || strings.HasPrefix(t, "[]") {
				// One spelling for equal defaults, whichever quotes the
				// cell used.
				p.Default = v.Literal()
			}
			out = append(out, paramDecl{Param: p, isConst: isConst, typed: typ != nil})
			return nil
		}
		for _, st := range body {
			switch st := st.(type) {
			case *ast.DeclStmt:
				gd := st.Decl.(*ast.GenDecl)
				if gd.Tok != token.VAR && gd.Tok != token.CONST {
					return nil, at(tf, st.Pos(), "the parameters cell may only declare variables with literal defaults; move other code to another cell")
				}
				for _, sp := range gd.Specs {
					vs := sp.(*ast.ValueSpec)
					if len(vs.Names) != len(vs.Values) && len(vs.Values) != 0 {
						return nil, at(tf, vs.Pos(), "declare one parameter per line with its own default")
					}
					doc := describeAt(vs.Pos(), vs.End())
					if doc == "" && len(gd.Specs) == 1 {
						doc = describeAt(gd.Pos(), vs.End())
					}
					for i, n := range vs.Names {
						var v ast.Expr
						if i < len(vs.Values) {
							v = vs.Values[i]
						}
						if err := add(n, vs.Type, v, gd.Tok == token.CONST, doc); err != nil {
							return nil, err
						}
					}
				}
			case *ast.AssignStmt:
				if st.Tok != token.DEFINE || len(st.Lhs) != len(st.Rhs) {
					return nil, at(tf, st.Pos(), "the parameters cell may only declare variables with literal defaults (name := value); move other code to another cell")
				}
				for i, l := range st.Lhs {
					id, ok := l.(*ast.Ident)
					if !ok {
						return nil, at(tf, st.Pos(), "parameters must be plain names")
					}
					if err := add(id, nil, st.Rhs[i], false, describeAt(st.Pos(), st.End())); err != nil {
						return nil, err
					}
				}
			default:
				return nil, at(tf, st.Pos(), "the parameters cell may only declare variables with literal defaults (name := value); move other code to another cell")
			}
		}
	}
	return out, nil
}

// parseChunkIn parses a statement chunk as a function body.
func parseChunkIn(fset *token.FileSet, code string, ch engine.Chunk) (*ast.File, error) {
	text := code[ch.Start:ch.End]
	pad := strings.Repeat(" ", ch.Start-strings.LastIndexByte(code[:ch.Start], '\n')-1)
	return parser.ParseFile(fset, "", stmtWrapper+pad+text+"\n}", parser.SkipObjectResolution)
}

// cellComment is a // or /* */ comment of a cell, by cell lines.
type cellComment struct {
	first, last int
	ownLine     bool // nothing but space before it on its line
	text        string
}

// commentsOf lists the comments of a cell. The engine's chunks hold only
// code, so parameter descriptions are found here.
func commentsOf(code string) []cellComment {
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(code))
	var s scanner.Scanner
	s.Init(f, []byte(code), nil, scanner.ScanComments)
	var out []cellComment
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT {
			continue
		}
		off := f.Offset(pos)
		lineStart := strings.LastIndexByte(code[:off], '\n') + 1
		text := strings.TrimPrefix(lit, "//")
		if strings.HasPrefix(lit, "/*") {
			text = strings.TrimSuffix(strings.TrimPrefix(lit, "/*"), "*/")
		}
		c := cellComment{first: f.Line(pos), last: f.Line(pos) + strings.Count(lit, "\n"), ownLine: strings.TrimSpace(code[lineStart:off]) == "", text: strings.TrimSpace(text)}
		// Consecutive // lines form one comment, as go/ast groups them.
		if n := len(out); n > 0 && c.ownLine && out[n-1].ownLine && out[n-1].last == c.first-1 {
			out[n-1].last, out[n-1].text = c.last, out[n-1].text+"\n"+c.text
			continue
		}
		out = append(out, c)
	}
	return out
}

// describe finds a parameter's description from the comments of its cell:
// the comment on the lines right above it, or else the one that follows
// it on its last line.
func describe(comments []cellComment, first, last int) string {
	for _, c := range comments {
		if c.ownLine && c.last == first-1 && c.text != "" {
			return c.text
		}
	}
	for _, c := range comments {
		if !c.ownLine && c.first == last && c.text != "" {
			return c.text
		}
	}
	return ""
}

// literal returns the Go text of a literal default and its default type.
func literal(e ast.Expr) (text, typ string, ok bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		switch v.Kind {
		case token.INT:
			return v.Value, "int", true
		case token.FLOAT:
			return v.Value, "float64", true
		case token.STRING:
			return v.Value, "string", true
		}
	case *ast.Ident:
		if v.Name == "true" || v.Name == "false" {
			return v.Name, "bool", true
		}
	case *ast.UnaryExpr:
		if v.Op == token.SUB || v.Op == token.ADD {
			if t, typ, ok := literal(v.X); ok && (typ == "int" || typ == "float64") {
				return v.Op.String() + t, typ, true
			}
		}
	case *ast.ParenExpr:
		return literal(v.X)
	case *ast.CompositeLit:
		at, ok := v.Type.(*ast.ArrayType)
		if !ok || at.Len != nil {
			return "", "", false
		}
		typ := "[]" + exprString(at.Elt)
		elems := make([]string, len(v.Elts))
		for i, e := range v.Elts {
			if elems[i], _, ok = literal(e); !ok {
				return "", "", false
			}
		}
		return typ + "{" + strings.Join(elems, ", ") + "}", typ, true
	}
	return "", "", false
}

func exprString(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return exprString(v.X) + "." + v.Sel.Name
	case *ast.ArrayType:
		if v.Len == nil {
			return "[]" + exprString(v.Elt)
		}
	}
	return fmt.Sprintf("%T", e)
}

// InjectParameters returns the cell a run executes right after the
// parameters cell, papermill's "injected-parameters" cell: it sets each
// parameter declared in params (the parameters cell's code) to its value.
// Variables are assigned; constants are declared again.
func InjectParameters(params SourceCell, values map[string]recipe.Value) (string, error) {
	decls, err := parameters(Cell{Index: params.Index, ID: params.ID, Type: "code"}, params.Code)
	if err != nil {
		return "", err
	}
	byName := map[string]paramDecl{}
	for _, d := range decls {
		byName[d.Name] = d
	}
	names := make([]string, 0, len(values))
	for k := range values {
		if _, ok := byName[k]; !ok {
			return "", fmt.Errorf("the parameters cell declares no %s", k)
		}
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return indexOf(decls, names[i]) < indexOf(decls, names[j]) })
	var b strings.Builder
	for _, n := range names {
		d, v := byName[n], values[n]
		switch {
		case d.isConst && d.typed:
			fmt.Fprintf(&b, "const %s %s = %s\n", n, d.Type, v.Literal())
		case d.isConst:
			fmt.Fprintf(&b, "const %s = %s\n", n, v.Literal())
		default:
			fmt.Fprintf(&b, "%s = %s\n", n, v.Literal())
		}
	}
	return b.String(), nil
}

func indexOf(decls []paramDecl, name string) int {
	for i, d := range decls {
		if d.Name == name {
			return i
		}
	}
	return len(decls)
}
