package notebook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// Cell tags conversion understands.
const (
	TagParameters  = "parameters"
	TagSkip        = "skip"
	TagExploration = "exploration"
)

// Recipe is the outcome of converting a notebook.
type Recipe struct {
	// Source is a complete Go file in package main.
	Source string
	// Params is the configuration schema from the "parameters" cell.
	Params []recipe.Param
	// ContentHash identifies Source: equal hashes mean equal recipes.
	ContentHash string
	// NotebookHash identifies the notebook bytes it came from.
	NotebookHash string
	// Sample and SampleRows come from the notebook metadata.
	Sample     string
	SampleRows int
}

// Hash returns the hex SHA-256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ConvertBytes parses and converts a notebook.
func ConvertBytes(data []byte) (*Recipe, error) {
	nb, err := Parse(data)
	if err != nil {
		return nil, err
	}
	r, err := Convert(nb)
	if err != nil {
		return nil, err
	}
	r.NotebookHash = Hash(data)
	return r, nil
}

// Convert turns nb's code cells into recipe source.
func Convert(nb *Notebook) (*Recipe, error) {
	var (
		imports = map[string]bool{}
		params  []recipe.Param
		paramAt []string // marker per param
		body    strings.Builder
		seenPar = -1
	)
	for _, c := range nb.Cells {
		if c.Type != "code" || c.HasTag(TagSkip) || c.HasTag(TagExploration) {
			continue
		}
		lines := strings.Split(strings.ReplaceAll(c.Source, "\r\n", "\n"), "\n")
		for i, l := range lines {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
				lines[i] = ""
			}
		}
		if strings.TrimSpace(strings.Join(lines, "")) == "" {
			continue
		}
		segs, err := parseCell(c, lines)
		if err != nil {
			return nil, err
		}
		if c.HasTag(TagParameters) {
			if seenPar >= 0 {
				return nil, &Error{Cell: c.Index, ID: c.ID, Msg: fmt.Sprintf("a second cell is tagged %q (the first is cell %d): tag only one", TagParameters, seenPar)}
			}
			seenPar = c.Index
			ps, at, err := parameters(c, lines, segs, false)
			if err != nil {
				return nil, err
			}
			params = append(params, ps...)
			paramAt = append(paramAt, at...)
			for _, s := range segs {
				for _, imp := range s.imports {
					imports[imp] = true
				}
			}
			continue
		}
		// A cell's bare trailing expression only displays a value.
		if last := segs[len(segs)-1]; !last.decl && len(last.stmts) > 0 {
			if es, ok := last.stmts[len(last.stmts)-1].(*ast.ExprStmt); ok {
				last.blank(last.line(es.Pos()), last.line(es.End()))
				last.stmts = last.stmts[:len(last.stmts)-1]
			}
		}
		for _, s := range segs {
			for _, imp := range s.imports {
				imports[imp] = true
			}
			text := strings.Join(s.lines, "\n")
			if strings.TrimSpace(text) == "" {
				continue
			}
			marker := fmt.Sprintf("//galley:cell %d %s %d\n", c.Index, cellID(c), s.start)
			if s.decl {
				body.WriteString(marker + text + "\n\n")
				continue
			}
			body.WriteString("func init() {\n" + marker + text + "\n}\n\n")
		}
	}
	var out strings.Builder
	out.WriteString("// Code generated from a notebook by galley. DO NOT EDIT: change the notebook and convert it again.\n\npackage main\n\n")
	if len(imports) > 0 {
		var list []string
		for imp := range imports {
			list = append(list, imp)
		}
		sort.Strings(list)
		out.WriteString("import (\n")
		for _, imp := range list {
			out.WriteString("\t" + imp + "\n")
		}
		out.WriteString(")\n\n")
	}
	out.WriteString(paramsBegin + "\n")
	for i, p := range params {
		out.WriteString(paramAt[i])
		out.WriteString(paramLine(p, p.Default) + "\n")
	}
	out.WriteString(paramsEnd + "\n\n")
	out.WriteString(body.String())
	src := out.String()
	r := &Recipe{Source: src, Params: params, ContentHash: Hash([]byte(src)), Sample: nb.Metadata.Sample, SampleRows: nb.Metadata.SampleRows}
	if r.Sample != "" && r.SampleRows == 0 {
		r.SampleRows = DefaultSampleRows
	}
	if r.Params == nil {
		r.Params = []recipe.Param{}
	}
	return r, nil
}

const (
	paramsBegin = "//galley:parameters"
	paramsEnd   = "//galley:end"
)

func paramLine(p recipe.Param, lit string) string {
	return fmt.Sprintf("var %s %s = %s", p.Name, p.Type, lit)
}

func cellID(c Cell) string {
	if c.ID == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' {
			return '_'
		}
		return r
	}, c.ID)
}

// segment is a run of a cell's lines that parses either as declarations or
// as statements.
type segment struct {
	start  int // first line, within the cell, from 1
	lines  []string
	decl   bool
	decls  []ast.Decl
	stmts  []ast.Stmt
	fset   *token.FileSet
	offset int // lines of wrapper before the segment's text
	// comments of a statement segment, which go/ast does not attach.
	comments []*ast.CommentGroup
	imports  []string
}

// around finds the comment on the lines just above st and the one that
// follows it on its last line.
func (s *segment) around(st ast.Stmt) (doc, comment *ast.CommentGroup) {
	first, last := s.fset.Position(st.Pos()).Line, s.fset.Position(st.End()).Line
	for _, g := range s.comments {
		switch {
		case s.fset.Position(g.End()).Line == first-1 && s.ownLine(g):
			doc = g
		case s.fset.Position(g.Pos()).Line == last && g.Pos() > st.End():
			comment = g
		}
	}
	return doc, comment
}

// ownLine reports whether comment g starts a line of its own.
func (s *segment) ownLine(g *ast.CommentGroup) bool {
	i := s.line(g.Pos()) - 1
	return i >= 0 && i < len(s.lines) && strings.HasPrefix(strings.TrimSpace(s.lines[i]), "//")
}

func (s *segment) line(p token.Pos) int { return s.fset.Position(p).Line - s.offset }

// blank clears lines from..to (1-based, within the segment) so that line
// numbers stay put.
func (s *segment) blank(from, to int) {
	for i := from; i <= to && i-1 < len(s.lines); i++ {
		if i >= 1 {
			s.lines[i-1] = ""
		}
	}
}

// parseCell splits a cell into segments: first as a whole, and when the
// cell mixes declarations and statements, at lines that start in column 0.
func parseCell(c Cell, lines []string) ([]*segment, error) {
	if s, err := parseSegment(1, lines); err == nil {
		return []*segment{s}, nil
	} else if !mixed(lines) {
		return nil, cellError(c, 1, err)
	}
	var (
		segs  []*segment
		start = 0
	)
	flush := func(end int) error {
		if end <= start {
			return nil
		}
		s, err := parseSegment(start+1, append([]string(nil), lines[start:end]...))
		if err != nil {
			return cellError(c, start+1, err)
		}
		segs = append(segs, s)
		return nil
	}
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if l == "" || l[0] == ' ' || l[0] == '\t' || l[0] == '}' || l[0] == ')' || strings.HasPrefix(l, "//") {
			continue
		}
		if err := flush(i); err != nil {
			return nil, err
		}
		start = i
	}
	if err := flush(len(lines)); err != nil {
		return nil, err
	}
	return segs, nil
}

var declStart = regexp.MustCompile(`(?m)^(func|type|import|const|var)\b`)

func mixed(lines []string) bool {
	return declStart.MatchString(strings.Join(lines, "\n"))
}

// parseSegment parses lines as declarations, or failing that as statements.
// The returned error is the one that explains the failure best.
func parseSegment(start int, lines []string) (*segment, error) {
	text := strings.Join(lines, "\n")
	fset := token.NewFileSet()
	f, declErr := parser.ParseFile(fset, "", "package p\n"+text, parser.ParseComments)
	if declErr == nil {
		s := &segment{start: start, lines: lines, decl: true, decls: f.Decls, fset: fset, offset: 1}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.IMPORT {
				continue
			}
			for _, sp := range gd.Specs {
				is := sp.(*ast.ImportSpec)
				imp := is.Path.Value
				if is.Name != nil {
					imp = is.Name.Name + " " + imp
				}
				s.imports = append(s.imports, imp)
			}
			s.blank(s.line(gd.Pos()), s.line(gd.End()))
		}
		return s, nil
	}
	fset = token.NewFileSet()
	f, stmtErr := parser.ParseFile(fset, "", "package p\nfunc _() {\n"+text+"\n}", parser.ParseComments)
	if stmtErr != nil {
		// Report whichever parse got further into the cell.
		dl, sl := errLine(declErr, 1), errLine(stmtErr, 2)
		if dl > sl {
			return nil, shift(declErr, 1)
		}
		return nil, shift(stmtErr, 2)
	}
	s := &segment{start: start, lines: lines, fset: fset, offset: 2, comments: f.Comments}
	s.stmts = f.Decls[0].(*ast.FuncDecl).Body.List
	for _, st := range s.stmts {
		as, ok := st.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE {
			continue
		}
		// x := v at the top of a cell declares a package variable.
		p := fset.Position(as.Pos())
		tp := fset.Position(as.TokPos)
		if p.Line != tp.Line {
			continue
		}
		li := p.Line - s.offset - 1
		l := s.lines[li]
		col, tcol := p.Column-1, tp.Column-1
		s.lines[li] = l[:col] + "var " + l[col:tcol] + "=" + l[tcol+2:]
	}
	return s, nil
}

// posError is a parse error at a line within a segment.
type posError struct {
	line int
	msg  string
}

func (e *posError) Error() string { return e.msg }

func errLine(err error, offset int) int {
	if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
		return el[0].Pos.Line - offset
	}
	return 0
}

func shift(err error, offset int) error {
	if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
		return &posError{line: el[0].Pos.Line - offset, msg: el[0].Msg}
	}
	return &posError{msg: err.Error()}
}

func cellError(c Cell, start int, err error) error {
	e := &Error{Cell: c.Index, ID: c.ID, Msg: err.Error()}
	if pe, ok := err.(*posError); ok {
		e.Msg = "syntax error: " + pe.msg
		if pe.line > 0 {
			e.Line = start + pe.line - 1
		}
	}
	return e
}

// parameters reads the configuration schema from the parameters cell.
// Recipes take scalar parameters only; a notebook run by `galley run` may
// also declare slices of them (slices true).
func parameters(c Cell, lines []string, segs []*segment, slices bool) ([]recipe.Param, []string, error) {
	var (
		params []recipe.Param
		at     []string
		seen   = map[string]bool{}
	)
	add := func(s *segment, name *ast.Ident, typ ast.Expr, val ast.Expr, doc, comment *ast.CommentGroup) error {
		line := s.start + s.line(name.Pos()) - 1
		fail := func(format string, args ...any) error {
			return &Error{Cell: c.Index, ID: c.ID, Line: line, Msg: fmt.Sprintf(format, args...)}
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
			return fail("parameter %s: default must be a literal (number, string, true or false), not an expression", name.Name)
		}
		t := inferred
		if typ != nil {
			t = exprString(typ)
		}
		if elem, isSlice := strings.CutPrefix(t, "[]"); isSlice {
			if !slices {
				return fail("parameter %s: a recipe parameter may be %s, not a slice", name.Name, strings.Join(recipe.Types, ", "))
			}
			if !slicesContain(recipe.Types, elem) || t != inferred {
				return fail("parameter %s: slices may hold %s, written as []T{literals}", name.Name, strings.Join(recipe.Types, ", "))
			}
			params = append(params, recipe.Param{Name: name.Name, Type: t, Default: lit, Description: describe(doc, comment)})
			at = append(at, fmt.Sprintf("//galley:cell %d %s %d\n", c.Index, cellID(c), line))
			return nil
		}
		if _, err := recipe.ParseValue(t, lit); err != nil {
			if t == "time.Duration" && inferred == "int" {
				// time.Duration(5e9) style defaults stay integers.
			} else {
				return fail("parameter %s: %v", name.Name, err)
			}
		}
		p := recipe.Param{Name: name.Name, Type: t, Default: lit, Description: describe(doc, comment)}
		if t == "string" {
			// Keep the Go spelling so the source line round-trips.
			v, _ := recipe.ParseValue(t, lit)
			p.Default = recipe.Literal(t, v)
		}
		params = append(params, p)
		at = append(at, fmt.Sprintf("//galley:cell %d %s %d\n", c.Index, cellID(c), line))
		return nil
	}
	for _, s := range segs {
		for _, d := range s.decls {
			gd, ok := d.(*ast.GenDecl)
			if ok && gd.Tok == token.IMPORT {
				continue
			}
			if !ok || (gd.Tok != token.VAR && gd.Tok != token.CONST) {
				return nil, nil, &Error{Cell: c.Index, ID: c.ID, Line: s.start + s.line(d.Pos()) - 1, Msg: "the parameters cell may only declare variables with literal defaults; move other code to another cell"}
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				if len(vs.Names) != len(vs.Values) && len(vs.Values) != 0 {
					return nil, nil, &Error{Cell: c.Index, ID: c.ID, Line: s.start + s.line(vs.Pos()) - 1, Msg: "declare one parameter per line with its own default"}
				}
				for i, n := range vs.Names {
					var v ast.Expr
					if i < len(vs.Values) {
						v = vs.Values[i]
					}
					doc := vs.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					if err := add(s, n, vs.Type, v, doc, vs.Comment); err != nil {
						return nil, nil, err
					}
				}
			}
		}
		for _, st := range s.stmts {
			as, ok := st.(*ast.AssignStmt)
			if ds, isDecl := st.(*ast.DeclStmt); isDecl {
				gd := ds.Decl.(*ast.GenDecl)
				for _, sp := range gd.Specs {
					vs, _ := sp.(*ast.ValueSpec)
					if vs == nil {
						continue
					}
					for i, n := range vs.Names {
						var v ast.Expr
						if i < len(vs.Values) {
							v = vs.Values[i]
						}
						if err := add(s, n, vs.Type, v, nil, nil); err != nil {
							return nil, nil, err
						}
					}
				}
				continue
			}
			if !ok || as.Tok != token.DEFINE || len(as.Lhs) != len(as.Rhs) {
				return nil, nil, &Error{Cell: c.Index, ID: c.ID, Line: s.start + s.line(st.Pos()) - 1, Msg: "the parameters cell may only declare variables with literal defaults (name := value); move other code to another cell"}
			}
			for i, l := range as.Lhs {
				id, ok := l.(*ast.Ident)
				if !ok {
					return nil, nil, &Error{Cell: c.Index, ID: c.ID, Line: s.start + s.line(st.Pos()) - 1, Msg: "parameters must be plain names"}
				}
				doc, comment := s.around(st)
				if err := add(s, id, nil, as.Rhs[i], doc, comment); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	return params, at, nil
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
		// []T{lit, lit, ...}: a slice parameter for galley run.
		at, ok := v.Type.(*ast.ArrayType)
		if !ok || at.Len != nil {
			return "", "", false
		}
		elem := exprString(at.Elt)
		items := make([]string, len(v.Elts))
		for i, e := range v.Elts {
			t, typ, ok := literal(e)
			if !ok || (typ != elem && !(elem == "float64" && typ == "int") && !(elem == "int64" && typ == "int")) {
				return "", "", false
			}
			items[i] = t
		}
		return "[]" + elem + "{" + strings.Join(items, ", ") + "}", "[]" + elem, true
	}
	return "", "", false
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

func describe(groups ...*ast.CommentGroup) string {
	for _, g := range groups {
		if g != nil {
			if t := strings.TrimSpace(g.Text()); t != "" {
				return t
			}
		}
	}
	return ""
}

// WithValues returns source with its parameters set to values (Go literals
// keyed by parameter name). Parameters not in values keep their defaults.
// Line numbers are unchanged, so errors still point into the notebook.
func WithValues(source string, params []recipe.Param, values map[string]string) (string, error) {
	byName := map[string]recipe.Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	for k := range values {
		if _, ok := byName[k]; !ok {
			return "", fmt.Errorf("unknown parameter %q", k)
		}
	}
	lines := strings.Split(source, "\n")
	in := false
	for i, l := range lines {
		switch {
		case l == paramsBegin:
			in = true
		case l == paramsEnd:
			in = false
		case in && strings.HasPrefix(l, "var "):
			name := strings.Fields(l)[1]
			if lit, ok := values[name]; ok {
				lines[i] = paramLine(byName[name], lit)
			}
		}
	}
	return strings.Join(lines, "\n"), nil
}

var markerRE = regexp.MustCompile(`^//galley:cell (\d+) (\S+) (\d+)$`)

// Locate maps a line of recipe source back to the notebook: cell index, cell
// id and line within the cell.
func Locate(source string, line int) (cell int, id string, cellLine int, ok bool) {
	lines := strings.Split(source, "\n")
	if line < 1 || line > len(lines) {
		return 0, "", 0, false
	}
	for i := line - 2; i >= 0; i-- {
		l := lines[i]
		if l == paramsEnd || l == paramsBegin {
			return 0, "", 0, false
		}
		if m := markerRE.FindStringSubmatch(l); m != nil {
			cell, _ = strconv.Atoi(m[1])
			start, _ := strconv.Atoi(m[3])
			id = m[2]
			if id == "-" {
				id = ""
			}
			return cell, id, start + (line - i - 2), true
		}
	}
	return 0, "", 0, false
}

var posRE = regexp.MustCompile(`^(?:[^:\s]*:)?(\d+):(\d+): (.*)$`)

// Explain rewrites an interpreter error about source ("12:5: undefined: x")
// into an *Error that names the notebook cell and line. Errors it cannot
// place are returned as they are.
func Explain(source string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	m := posRE.FindStringSubmatch(strings.SplitN(msg, "\n", 2)[0])
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	cell, id, cl, ok := Locate(source, line)
	if !ok {
		return err
	}
	return &Error{Cell: cell, ID: id, Line: cl, Msg: m[3]}
}
