package engine

import (
	"go/ast"
	"go/types"
	"maps"
	"path"
	"sort"
	"strings"
)

// session is the type checker's picture of everything the cells so far
// have declared. It is rebuilt as source text for every cell, so that a
// redefinition simply replaces the older text.
type session struct {
	imports map[string]string // import path -> name used in the session
	decls   []sessionDecl     // funcs, methods and types, latest last
	vars    map[string]string // statement-level variables -> type expression
	varSeq  []string          // order vars were first defined
	// opaque names were defined with a type that cannot be written in Go
	// source; cells that use them skip type checking.
	opaque map[string]bool
	// renames maps variables to the names the interpreter knows them by.
	renames map[string]string
	// typeNames maps the checker's names of types that the interpreter
	// knows by another name to that name: a redefined type gets a fresh
	// interpreter name, and its earlier definition a fresh checker name
	// (see redefine.go).
	typeNames map[string]string
	// shown maps names galley made up for types to how users read them.
	shown map[string]string
}

type sessionDecl struct {
	keys []string // what it defines: "f", "T" or "T.M"
	text string
	doc  string // the comment written above it in its cell
}

func (d sessionDecl) defines(key string) bool {
	for _, k := range d.keys {
		if k == key {
			return true
		}
	}
	return false
}

func newSession() *session {
	return &session{imports: map[string]string{}, vars: map[string]string{}, opaque: map[string]bool{},
		renames: map[string]string{}, typeNames: map[string]string{}, shown: map[string]string{}}
}

// clone copies what a cell may change before it is committed. Imports and
// variable renames only grow, and are shared.
func (s *session) clone() *session {
	c := *s
	c.decls = append([]sessionDecl(nil), s.decls...)
	c.varSeq = append([]string(nil), s.varSeq...)
	c.vars = maps.Clone(s.vars)
	c.opaque = maps.Clone(s.opaque)
	c.typeNames = maps.Clone(s.typeNames)
	c.shown = maps.Clone(s.shown)
	return &c
}

// declKey names what a declaration defines, so a later declaration with the
// same key replaces it.
func declKey(d ast.Decl) []string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv != nil && len(d.Recv.List) == 1 {
			return []string{recvTypeName(d.Recv.List[0].Type) + "." + d.Name.Name}
		}
		return []string{d.Name.Name}
	case *ast.GenDecl:
		var keys []string
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				keys = append(keys, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					keys = append(keys, n.Name)
				}
			}
		}
		return keys
	}
	return nil
}

func recvTypeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// source renders the session as a Go file, leaving out what the next cell
// redefines. late declares more package variables, name -> type
// expression, replacing session variables of the same name.
func (s *session) source(redefined map[string]bool, late map[string]string) string {
	src, _ := s.render(redefined, late)
	return src
}

// A sourceSpan locates a session declaration (decl >= 0) or the type of a
// session variable (decl < 0) in the rendered source.
type sourceSpan struct {
	start, end int
	decl       int
	varName    string
}

// render is source, also telling where each declaration and variable type
// went.
func (s *session) render(redefined map[string]bool, late map[string]string) (string, []sourceSpan) {
	var spans []sourceSpan
	var b strings.Builder
	b.WriteString("package main\n\n")
	paths := make([]string, 0, len(s.imports))
	for p := range s.imports {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b.WriteString("import " + s.imports[p] + " \"" + p + "\"\n")
	}
outer:
	for i, d := range s.decls {
		for _, k := range d.keys {
			if redefined[k] {
				continue outer
			}
		}
		spans = append(spans, sourceSpan{start: b.Len(), end: b.Len() + len(d.text), decl: i})
		b.WriteString(d.text)
		b.WriteString("\n\n")
	}
	for _, name := range s.varSeq {
		if _, ok := late[name]; ok || redefined[name] || s.vars[name] == "" {
			continue
		}
		b.WriteString("var " + name + " ")
		spans = append(spans, sourceSpan{start: b.Len(), end: b.Len() + len(s.vars[name]), decl: -1, varName: name})
		b.WriteString(s.vars[name] + "\n")
	}
	names := make([]string, 0, len(late))
	for name := range late {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.WriteString("var " + name + " " + late[name] + "\n")
	}
	return b.String(), spans
}

// removeDecls forgets declarations that define key.
func (s *session) removeDecls(key string) {
	kept := s.decls[:0]
	for _, d := range s.decls {
		if !d.defines(key) {
			kept = append(kept, d)
		}
	}
	s.decls = kept
}

func (s *session) setDecl(keys []string, text, doc string) {
	for _, k := range keys {
		s.removeDecls(k)
		delete(s.vars, k)
		delete(s.opaque, k)
	}
	s.decls = append(s.decls, sessionDecl{keys, text, doc})
}

// docOf returns the doc comment of the declaration that defines key.
func (s *session) docOf(key string) string {
	for i := len(s.decls) - 1; i >= 0; i-- {
		if s.decls[i].defines(key) {
			return s.decls[i].doc
		}
	}
	return ""
}

func (s *session) setVar(name, typ string) {
	if _, ok := s.vars[name]; !ok {
		s.varSeq = append(s.varSeq, name)
	}
	s.removeDecls(name)
	s.vars[name] = typ
	if typ == "" {
		s.opaque[name] = true
	} else {
		delete(s.opaque, name)
	}
}

// importName returns the name under which the session imports p, adding
// the import if needed and choosing a fresh name on a clash.
func (s *session) importName(p, name string) string {
	if n, ok := s.imports[p]; ok {
		return n
	}
	taken := map[string]bool{}
	for _, n := range s.imports {
		taken[n] = true
	}
	n := name
	if n == "" {
		n = path.Base(p)
	}
	for i := 2; taken[n]; i++ {
		n = name + "_" + string(rune('0'+i))
	}
	s.imports[p] = n
	return n
}

// typeExpr writes t as Go source valid in the session, importing the
// packages it mentions; ok is false for types that cannot be written, such
// as types local to a function.
func (s *session) typeExpr(t types.Type, names func(string) string) (expr string, ok bool) {
	var local bool
	walkNamed(t, func(n *types.Named) {
		if n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "main" && n.Obj().Parent() != n.Obj().Pkg().Scope() {
			local = true
		}
		if n.Obj().Pkg() != nil && strings.Contains(n.Obj().Pkg().Path(), "internal") {
			local = true
		}
	})
	if local {
		return "", false
	}
	return types.TypeString(t, func(p *types.Package) string {
		if p.Path() == "main" {
			return ""
		}
		return s.importName(p.Path(), names(p.Path()))
	}), true
}

// walkNamed calls f for each named type that t mentions.
func walkNamed(t types.Type, f func(*types.Named)) {
	walkType(t, func(t types.Type) bool {
		switch t := t.(type) {
		case *types.Named:
			f(t)
		case *types.Alias:
			// Source names the alias, not what it stands for.
			for i := 0; i < t.TypeArgs().Len(); i++ {
				walkNamed(t.TypeArgs().At(i), f)
			}
			return false
		}
		return true
	})
}
