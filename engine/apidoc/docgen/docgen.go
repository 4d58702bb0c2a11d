// Package docgen extracts the declarations and doc comments of Go packages
// into the table that package apidoc embeds.
//
// It reads source with go/build, go/parser and go/doc: the standard library
// from the installed toolchain's GOROOT and galley's packages from the
// module. Files are selected for linux/amd64 without cgo whatever the host,
// and the output is sorted and compressed without timestamps, so the same
// sources always give the same bytes.
package docgen

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/galley-dev/galley/engine/apidoc/internal/format"
	"github.com/galley-dev/galley/stdlib/symbols/symgen"
)

// Generate writes the compressed table for the packages at paths to w.
// dir is where module packages are resolved from.
func Generate(w io.Writer, dir string, paths []string) error {
	entries := map[string][2]string{}
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", false
	for _, p := range paths {
		if err := addPackage(&ctx, dir, p, entries); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var raw bytes.Buffer
	raw.WriteString(format.Header)
	for _, k := range keys {
		e := entries[k]
		raw.WriteString(k + format.FieldSep + e[0] + format.FieldSep + e[1] + format.RecordSep)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return err
	}
	return zw.Close()
}

func addPackage(ctx *build.Context, dir, path string, entries map[string][2]string) error {
	bp, err := ctx.Import(path, dir, 0)
	if err != nil {
		return fmt.Errorf("docgen: %s: %w", path, err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("docgen: %w", err)
		}
		files = append(files, f)
	}
	dp, err := doc.NewFromFiles(fset, files, path, doc.AllMethods)
	if err != nil {
		return fmt.Errorf("docgen: %s: %w", path, err)
	}
	g := &gen{fset: fset, path: path, entries: entries}
	g.add("", "package "+dp.Name, dp.Doc)
	for _, f := range dp.Funcs {
		g.add(f.Name, g.print(f.Decl), f.Doc)
	}
	g.values(dp.Consts)
	g.values(dp.Vars)
	ifaces := map[string]*ast.InterfaceType{}
	for _, t := range dp.Types {
		for _, s := range t.Decl.Specs {
			if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == t.Name {
				if it, ok := ts.Type.(*ast.InterfaceType); ok {
					ifaces[t.Name] = it
				}
			}
		}
	}
	for _, t := range dp.Types {
		g.typ(t, ifaces)
	}
	return nil
}

type gen struct {
	fset    *token.FileSet
	path    string
	entries map[string][2]string
}

func (g *gen) add(name, decl, docText string) {
	key := g.path + format.KeySep + name
	if _, dup := g.entries[key]; dup {
		return
	}
	g.entries[key] = [2]string{decl, strings.TrimSpace(docText)}
}

func (g *gen) print(n any) string {
	var b strings.Builder
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&b, g.fset, n); err != nil {
		return ""
	}
	return b.String()
}

// values adds each name of a const or var group with its own spec, so a
// long group is not repeated for every name in it.
func (g *gen) values(vs []*doc.Value) {
	for _, v := range vs {
		for _, s := range v.Decl.Specs {
			spec, ok := s.(*ast.ValueSpec)
			if !ok {
				continue
			}
			d := v.Doc
			if spec.Doc != nil {
				d = spec.Doc.Text()
			} else if spec.Comment != nil {
				d = spec.Comment.Text()
			}
			decl := v.Decl.Tok.String() + " " + g.print(&ast.ValueSpec{Names: spec.Names, Type: spec.Type, Values: spec.Values})
			for _, n := range spec.Names {
				if n.IsExported() {
					g.add(n.Name, decl, d)
				}
			}
		}
	}
}

func (g *gen) typ(t *doc.Type, ifaces map[string]*ast.InterfaceType) {
	var spec *ast.TypeSpec
	for _, s := range t.Decl.Specs {
		if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == t.Name {
			spec = ts
		}
	}
	if spec == nil {
		return
	}
	// The printer marks struct fields that go/doc filtered out.
	g.add(t.Name, "type "+g.print(spec), t.Doc)
	for _, f := range t.Funcs {
		g.add(f.Name, g.print(f.Decl), f.Doc)
	}
	g.values(t.Consts)
	g.values(t.Vars)
	for _, m := range t.Methods {
		g.add(t.Name+"."+m.Name, g.print(m.Decl), m.Doc)
	}
	switch st := spec.Type.(type) {
	case *ast.StructType:
		for _, f := range st.Fields.List {
			d := fieldDoc(f)
			typ := g.print(f.Type)
			for _, n := range f.Names {
				if n.IsExported() {
					g.add(t.Name+"."+n.Name, "field "+n.Name+" "+typ, d)
				}
			}
		}
	case *ast.InterfaceType:
		g.interfaceMethods(t.Name, st, ifaces, map[string]bool{})
	}
}

// interfaceMethods adds the methods of an interface, including those of
// interfaces it embeds from the same package.
func (g *gen) interfaceMethods(typ string, it *ast.InterfaceType, ifaces map[string]*ast.InterfaceType, seen map[string]bool) {
	for _, f := range it.Methods.List {
		if len(f.Names) == 0 {
			if id, ok := f.Type.(*ast.Ident); ok && ifaces[id.Name] != nil && !seen[id.Name] {
				seen[id.Name] = true
				g.interfaceMethods(typ, ifaces[id.Name], ifaces, seen)
			}
			continue
		}
		ft, ok := f.Type.(*ast.FuncType)
		if !ok {
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			decl := &ast.FuncDecl{
				Recv: &ast.FieldList{List: []*ast.Field{{Type: ast.NewIdent(typ)}}},
				Name: ast.NewIdent(n.Name),
				Type: &ast.FuncType{Params: ft.Params, Results: ft.Results},
			}
			g.add(typ+"."+n.Name, g.print(decl), fieldDoc(f))
		}
	}
}

func fieldDoc(f *ast.Field) string {
	if f.Doc != nil {
		return f.Doc.Text()
	}
	if f.Comment != nil {
		return f.Comment.Text()
	}
	return ""
}

// Args reads docgen's command line: -o names the output file and each
// -from file's //go:generate symgen lines contribute the packages they
// export to the interpreter; other arguments are import paths. The paths
// come back sorted and without repeats.
func Args(args []string) (out string, paths []string, err error) {
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-o" || a == "-from") && i+1 < len(args):
			i++
			if a == "-o" {
				out = args[i]
				continue
			}
			_, ps, err := symgen.GenerateArgs(args[i])
			if err != nil {
				return "", nil, err
			}
			for _, p := range ps {
				add(p)
			}
		case strings.HasPrefix(a, "-"):
			return "", nil, fmt.Errorf("docgen: unknown flag %s", a)
		default:
			add(a)
		}
	}
	if out == "" || len(paths) == 0 {
		return "", nil, errors.New("usage: docgen -o file [-from file ...] [importpath ...]")
	}
	sort.Strings(paths)
	return out, paths, nil
}
