package engine

import (
	"fmt"
	"go/ast"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"
)

// Profile restricts what cells may use. A nil Profile allows everything,
// as the kernel does; the server runs recipes with RecipeProfile.
//
// A restricted engine type-checks cells against the full symbol tables, so
// that automatic imports and error messages work as in a notebook, and then
// refuses any cell that names a blocked package or symbol, with the cell's
// line and column. The interpreter itself is never given the blocked
// symbols, so a cell that escaped the check still could not call them.
type Profile struct {
	// Name says what runs under the profile, for messages: "a recipe".
	Name string
	// Packages are import paths that may not be imported or used.
	Packages []string
	// Symbols are package-level names that may not be used, by import path.
	Symbols map[string][]string
}

// RecipeProfile is what a recipe run may use: everything a notebook may,
// except starting or signalling processes, ending the worker, unsafe memory
// access and loading plugins.
func RecipeProfile() *Profile {
	return &Profile{
		Name:     "a recipe",
		Packages: []string{"os/exec", "syscall", "unsafe", "plugin", "os/signal", "runtime/debug"},
		Symbols:  map[string][]string{"os": {"StartProcess", "FindProcess", "Exit", "Getpid", "Getppid", "Kill"}},
	}
}

func (p *Profile) blockedPackage(pkgPath string) bool {
	if p == nil {
		return false
	}
	for _, b := range p.Packages {
		if b == pkgPath {
			return true
		}
	}
	return false
}

func (p *Profile) blockedSymbol(pkgPath, name string) bool {
	if p == nil {
		return false
	}
	for _, s := range p.Symbols[pkgPath] {
		if s == name {
			return true
		}
	}
	return false
}

// restrict returns the symbol tables without what p blocks.
func (p *Profile) restrict(exports interp.Exports) interp.Exports {
	if p == nil {
		return exports
	}
	out := interp.Exports{}
	for key, syms := range exports {
		dir := path.Dir(key)
		if p.blockedPackage(dir) {
			continue
		}
		m := make(map[string]reflect.Value, len(syms))
		for k, v := range syms {
			if !p.blockedSymbol(dir, k) {
				m[k] = v
			}
		}
		out[key] = m
	}
	return out
}

// vet refuses a checked cell that imports or uses what p blocks.
func (p *Profile) vet(c *cellUnit) error {
	if p == nil || c.file == nil || c.info == nil {
		return nil
	}
	fset := c.e.fset
	type finding struct {
		pos ast.Node
		msg string
	}
	var found []finding
	for _, imp := range c.file.Imports {
		if ip, err := strconv.Unquote(imp.Path.Value); err == nil && p.blockedPackage(ip) {
			found = append(found, finding{imp, fmt.Sprintf("package %s may not be used in %s", ip, p.Name)})
		}
	}
	for id, obj := range c.info.Uses {
		if obj == nil || obj.Pkg() == nil {
			continue
		}
		pkgPath := obj.Pkg().Path()
		switch {
		case p.blockedPackage(pkgPath):
			found = append(found, finding{id, fmt.Sprintf("package %s may not be used in %s", pkgPath, p.Name)})
		case obj.Parent() == obj.Pkg().Scope() && p.blockedSymbol(pkgPath, obj.Name()):
			found = append(found, finding{id, fmt.Sprintf("%s.%s may not be used in %s", obj.Pkg().Name(), obj.Name(), p.Name)})
		}
	}
	var lines []string
	var first string
	sort.Slice(found, func(i, j int) bool { return found[i].pos.Pos() < found[j].pos.Pos() })
	for _, f := range found {
		pos := fset.Position(f.pos.Pos())
		if pos.Filename != cellFile {
			// Automatic imports sit outside the cell; their uses are
			// reported where the cell names them.
			continue
		}
		if first == "" {
			first = f.msg
		}
		lines = append(lines, pos.String()+": "+f.msg)
	}
	if len(lines) == 0 {
		return nil
	}
	return &CellError{Name: CompileError, Value: first, Trace: lines}
}

// explain rewords a compile error about a package the engine does not
// have at all (syscall, plugin) when p blocks it, so that the message says
// why rather than only that the package is missing.
func (p *Profile) explain(err error) error {
	ce, ok := err.(*CellError)
	if p == nil || !ok || ce.Name != CompileError {
		return err
	}
	reword := func(s string) string {
		for _, b := range p.Packages {
			if strings.Contains(s, "could not import "+b+" (") {
				i := strings.Index(s, "could not import ")
				return s[:i] + fmt.Sprintf("package %s may not be used in %s", b, p.Name)
			}
		}
		return s
	}
	out := *ce
	out.Value = reword(ce.Value)
	out.Trace = make([]string, len(ce.Trace))
	for i, l := range ce.Trace {
		out.Trace[i] = reword(l)
	}
	return &out
}
