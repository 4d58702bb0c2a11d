// Package engine runs notebook cells: it holds one interpreter session, turns a
// cell's source into something yaegi evaluates, and renders the value of a
// trailing expression.
//
// A cell may mix imports, declarations and statements in any order.
// Declarations are hoisted; statements run in order after them. Before
// anything runs, the cell is type-checked together with everything earlier
// cells declared, so compile errors point at the cell's own line and column
// and nothing runs when there are any. The types then drive rewrites that
// let the interpreter run current Go: range over integers and functions,
// min, max, clear, new(expr), inferred generic calls, per-iteration loop
// variables, goroutines whose panics are reported instead of ending the
// process, deferred closures, and types redefined with a new structure.
// Packages used without an import line are imported automatically.
//
// It knows nothing about Jupyter messages or sockets; the kernel's worker
// drives an Engine and translates its results into protocol messages.
package engine

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"log"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/traefik/yaegi/interp"

	"github.com/galley-dev/galley/engine/cellrt"
	"github.com/galley-dev/galley/engine/stdsymbols"
	"github.com/galley-dev/galley/stdlib/display"
	"github.com/galley-dev/galley/stdlib/symbols"
)

// Options configure a new Engine.
type Options struct {
	// Stdin is what cells read from os.Stdin and fmt.Scan*. The kernel passes
	// a reader that asks the front end for input. Nil means os.Stdin.
	Stdin io.Reader
	// Stdout and Stderr receive what interpreted code prints through fmt and
	// log. Nil means the process's os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// Profile restricts what cells may use; nil allows everything.
	Profile *Profile
}

// Engine is one interpreter session. Values persist across Execute calls.
// An Engine runs one cell at a time.
type Engine struct {
	in     *interp.Interpreter
	rt     *cellrt.Runtime
	fset   *token.FileSet
	imp    *symbolImporter
	sess   *session
	stderr io.Writer
	// byName lists importable packages by name, preferred first.
	byName map[string][]string

	// imported lists the packages the interpreter has imported: path -> name.
	imported map[string]string

	cell  int // number of the last cell started
	fresh int // counter for names the rewrites introduce

	mu       sync.Mutex
	running  int       // cell whose code runs now, 0 between cells
	goPanics []goPanic // panics of goroutines started by the running cell
	frames   []frame   // positions the interpreter printed while unwinding

	// cellTypes names the interpreter's types for types cells declared.
	cellTypes map[reflect.Type]string
	// held is a value the engine hands to interpreted code (galley_held).
	held any
	// refs are the values Variables handed out references to.
	refs []reflect.Value
	// profile restricts what cells may use (profile.go).
	profile *Profile
	// calling is set while Call runs: goroutines of any cell are its own.
	calling bool
}

//go:embed gosrc/*.go.txt
var goSources embed.FS

// sourcePackages are provided as interpreted source, in dependency order:
// yaegi cannot bind generic functions, so these are written against the
// current API in a style the interpreter runs.
var sourcePackages = []string{"cmp", "iter", "maps", "slices"}

const (
	rtPath = "github.com/galley-dev/galley/engine/cellrt"
	rtName = "galley_rt"
	// posVar is the interpreted variable holding the number of the cell
	// statement that runs now.
	posVar = "galley_pos"
)

// prelude is interpreted once per session: generic helpers that rewritten
// cells call where the interpreter lacks a builtin. Their type parameters
// have names no cell would use: the interpreter lets a generic function's
// type parameter names leak into the package scope, where a cell's own
// type T would otherwise meet them.
const prelude = "//line " + cellFile + ":1:1\n" + `package main

import galley_rt "` + rtPath + `"
import galley_cmp "cmp"

func galley_min[galley_T galley_cmp.Ordered](x galley_T, ys ...galley_T) galley_T {
	for _, y := range ys {
		if y < x || y != y {
			x = y
		}
	}
	return x
}

func galley_max[galley_T galley_cmp.Ordered](x galley_T, ys ...galley_T) galley_T {
	for _, y := range ys {
		if y > x || y != y {
			x = y
		}
	}
	return x
}

func galley_new[galley_T any](v galley_T) *galley_T { return &v }

var _ = galley_rt.Clear

var ` + posVar + ` int

func galley_held() any { return galley_rt.Held() }
`

// New starts an interpreter session.
func New(opts Options) (*Engine, error) {
	e := &Engine{fset: token.NewFileSet(), sess: newSession(), imported: map[string]string{rtPath: rtName}, profile: opts.Profile}
	io := interp.Options{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Unrestricted: true}
	if io.Stdin == nil {
		io.Stdin = os.Stdin
	}
	if io.Stdout == nil {
		io.Stdout = os.Stdout
	}
	if io.Stderr == nil {
		io.Stderr = os.Stderr
	}
	e.stderr = io.Stderr
	io.Stderr = panicFrameFilter{e: e, w: io.Stderr}
	e.in = interp.New(io)
	e.rt = cellrt.New(e.goroutinePanic)

	exports := interp.Exports{}
	for k, v := range stdsymbols.Symbols {
		exports[k] = v
	}
	for k, v := range symbols.Symbols {
		exports[k] = v
	}
	// os.Exit marks the cell as exiting, for deferred calls to be skipped.
	if osSyms, ok := exports["os/os"]; ok {
		osSyms = maps.Clone(osSyms)
		osSyms["Exit"] = reflect.ValueOf(func(code int) {
			e.rt.SetExiting(true)
			panic(stdsymbols.Exit{Code: code})
		})
		exports["os/os"] = osSyms
	}
	show := reflect.ValueOf(e.rt.Show)
	exports[rtPath+"/cellrt"] = map[string]reflect.Value{
		"Show":      show,
		"GoPanic":   reflect.ValueOf(e.rt.GoPanic),
		"Clear":     reflect.ValueOf(cellrt.Clear),
		"Held":      reflect.ValueOf(func() any { return e.held }),
		"Exiting":   reflect.ValueOf(e.rt.Exiting),
		"LogAt":     reflect.ValueOf(func(l *log.Logger, line int) cellLogger { return cellLogger{e.rt, l, line} }),
		"Unwrapped": reflect.ValueOf(cellrt.Unwrapped),

		"Value":           reflect.ValueOf((*cellrt.Value)(nil)),
		"TypeName":        reflect.ValueOf(cellrt.TypeName),
		"TypeOf":          reflect.ValueOf(cellrt.TypeOf),
		"Inner":           reflect.ValueOf(cellrt.Inner),
		"Int64N":          reflect.ValueOf(rand.Int64N),
		"Kind":            reflect.ValueOf((*cellrt.Kind)(nil)),
		"Struct":          reflect.ValueOf(cellrt.Struct),
		"Slice":           reflect.ValueOf(cellrt.Slice),
		"Array":           reflect.ValueOf(cellrt.Array),
		"Map":             reflect.ValueOf(cellrt.Map),
		"Pointer":         reflect.ValueOf(cellrt.Pointer),
		"MarshalJSONFunc": reflect.ValueOf((*cellrt.MarshalJSONFunc)(nil)),
		"JSONObject":      reflect.ValueOf((*cellrt.JSONObject)(nil)),
		"MarshalTextFunc": reflect.ValueOf((*cellrt.MarshalTextFunc)(nil)),
		"XMLStruct":       reflect.ValueOf(cellrt.XMLStruct),
		"MarshalXMLFunc":  reflect.ValueOf((*cellrt.MarshalXMLFunc)(nil)),
		"XMLTextFunc":     reflect.ValueOf((*cellrt.XMLTextFunc)(nil)),
		"TemplateStruct":  reflect.ValueOf(cellrt.TemplateStruct),
	}
	if err := e.in.Use(e.profile.restrict(exports)); err != nil {
		return nil, fmt.Errorf("engine: loading symbols: %w", err)
	}
	// The interpreter gives cells a logger of its own, writing to the
	// session's stderr, that compiled code cannot reach. galley installs
	// one it can: log.Fatal writes with the flags and prefix the cell set
	// and then ends the cell as os.Exit would.
	logger := log.New(e.stderr, "", log.LstdFlags)
	fatal := func(s string) {
		logger.Output(3, s)
		e.rt.SetExiting(true)
		panic(stdsymbols.Exit{Code: 1})
	}
	logFuncs := map[string]reflect.Value{
		"Fatal":     reflect.ValueOf(func(v ...any) { fatal(fmt.Sprint(v...)) }),
		"Fatalf":    reflect.ValueOf(func(f string, v ...any) { fatal(fmt.Sprintf(f, v...)) }),
		"Fatalln":   reflect.ValueOf(func(v ...any) { fatal(fmt.Sprintln(v...)) }),
		"Panic":     reflect.ValueOf(logger.Panic),
		"Panicf":    reflect.ValueOf(logger.Panicf),
		"Panicln":   reflect.ValueOf(logger.Panicln),
		"Print":     reflect.ValueOf(logger.Print),
		"Printf":    reflect.ValueOf(logger.Printf),
		"Println":   reflect.ValueOf(logger.Println),
		"Default":   reflect.ValueOf(func() *log.Logger { return logger }),
		"Flags":     reflect.ValueOf(logger.Flags),
		"Output":    reflect.ValueOf(logger.Output),
		"Prefix":    reflect.ValueOf(logger.Prefix),
		"SetFlags":  reflect.ValueOf(logger.SetFlags),
		"SetOutput": reflect.ValueOf(logger.SetOutput),
		"SetPrefix": reflect.ValueOf(logger.SetPrefix),
		"Writer":    reflect.ValueOf(logger.Writer),
	}
	// Interpreted values passed to Show or a log function are wrapped so
	// that String and Error methods declared in cells reach them. (The
	// interpreter's wrapper for display.Renderer crashes, so that one is
	// left out.)
	printers := []reflect.Type{reflect.TypeOf((*error)(nil)).Elem(), reflect.TypeOf((*fmt.Stringer)(nil)).Elem()}
	mapTypes := map[reflect.Value][]reflect.Type{show: printers}
	for _, name := range []string{"Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "Print", "Printf", "Println"} {
		mapTypes[logFuncs[name]] = printers
	}
	if err := e.in.Use(interp.Exports{
		"log/log": logFuncs,
		".":       {"MapTypes": reflect.ValueOf(mapTypes)},
	}); err != nil {
		return nil, fmt.Errorf("engine: loading symbols: %w", err)
	}

	sources := map[string]string{}
	for _, p := range sourcePackages {
		b, err := goSources.ReadFile("gosrc/" + p + ".go.txt")
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		sources[p] = string(b)
		if _, err := e.in.Compile(string(b)); err != nil {
			return nil, fmt.Errorf("engine: loading interpreted package %s: %w", p, err)
		}
	}
	if _, err := e.in.Eval(prelude); err != nil {
		return nil, fmt.Errorf("engine: loading prelude: %w", err)
	}
	if err := e.loadStdGenerics(exports); err != nil {
		return nil, err
	}
	e.imp = newSymbolImporter(e.fset, exports, sources)
	e.byName = packagesByName(e.imp)
	return e, nil
}

// Execute runs one cell. When the cell ends in an expression, its value is
// returned rendered; otherwise the returned Data is nil. Cancelling ctx
// interrupts the cell. Errors are *CellError.
func (e *Engine) Execute(ctx context.Context, code string) (*display.Data, error) {
	e.cell++
	e.rt.TakeShown()
	e.rt.SetExiting(false)
	prog, err := e.compile(code)
	if err != nil {
		return nil, err
	}
	if prog == nil {
		return nil, nil
	}
	err = e.run(ctx, prog)
	// Goroutines the cell leaves running keep their deferred calls.
	e.rt.SetExiting(false)
	if err != nil {
		return nil, prog.sess.showErrorNames(err)
	}
	return renderShown(e.rt.TakeShown()), nil
}

func renderShown(shown [][]any) *display.Data {
	if len(shown) == 0 {
		return nil
	}
	vs := shown[len(shown)-1]
	if len(vs) == 1 {
		d := display.Render(vs[0])
		return &d
	}
	texts := make([]string, len(vs))
	for i, v := range vs {
		texts[i] = fmt.Sprint(display.Render(v).Bundle[display.MIMEText])
	}
	return &display.Data{Bundle: display.Bundle{display.MIMEText: strings.Join(texts, " ")}}
}

// sourceHeader starts every source given to the interpreter. The interpreter
// scopes imports by file name, and the line directives that keep positions in
// the cell's own coordinates rename the file to "cell": so the whole source,
// imports included, must belong to that one file, in every cell.
const sourceHeader = "//line " + cellFile + ":1:1\npackage main\n"

// program is a cell ready for the interpreter.
type program struct {
	// imports holds the cell's new imports. They run on their own, first, so
	// that a cell failing later cannot leave them half registered.
	imports      string
	decls, stmts string   // sources for the interpreter; empty when absent
	commit       func()   // records the cell's declarations in the session
	sess         *session // the session the cell was checked against
	types        []string // named types the cell declares
	imported     func()   // records the imports once the interpreter has them
	// stmtPos holds the position of each top-level statement; the
	// statements set posVar to their index + 1 as they start.
	stmtPos []string
	// described is set when the cell's values are described to fmt or
	// json by generated code, and fallback rewrites the cell without it.
	described bool
	fallback  func() (*program, error)
}

func (e *Engine) run(ctx context.Context, p *program) (err error) {
	e.mu.Lock()
	e.running = e.cell
	e.goPanics = nil
	e.frames = nil
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = 0
		frames := e.frames
		panics := e.goPanics
		e.mu.Unlock()
		if r := recover(); r != nil {
			err = e.panicError(r, append(e.trace(p, frames), "interpreter: "+fmt.Sprint(r)))
		}
		if err == nil && len(panics) > 0 {
			gp := panics[0]
			err = e.panicError(gp.value, append([]string{gp.at + ": in a goroutine started by this cell"}, e.trace(nil, gp.frames)...))
		}
	}()

	// Declarations are compiled and run before the statements are
	// compiled: the interpreter resolves the statements' global variables
	// against imports and types only once those have executed.
	if p.imports != "" {
		if _, err := e.in.EvalWithContext(ctx, p.imports); err != nil {
			return e.runError(err, nil)
		}
	}
	p.imported()
	committed := false
	for _, src := range []string{p.decls, p.stmts} {
		if src == "" {
			continue
		}
		prog, err := e.in.Compile(src)
		if err != nil && src == p.decls && p.fallback != nil {
			// Nothing has run yet: try the cell without the generated
			// descriptions of its values.
			plain, perr := p.fallback()
			if perr == nil {
				return e.run(ctx, plain)
			}
		}
		if err != nil {
			return e.runError(err, nil)
		}
		if src == p.stmts || p.stmts == "" {
			p.commit()
			committed = true
			if src == p.stmts {
				// The declarations have run: their types exist.
				e.recordTypes(p.types)
			}
		}
		_, err = e.in.ExecuteWithContext(ctx, prog)
		if err == nil && src == p.decls && p.stmts == "" {
			e.recordTypes(p.types)
		}
		if err != nil {
			if !committed {
				p.commit()
			}
			if ctx.Err() != nil {
				return &CellError{Name: Interrupted, Value: ctx.Err().Error(), Err: ctx.Err()}
			}
			e.mu.Lock()
			frames := append([]frame(nil), e.frames...)
			e.mu.Unlock()
			if e.rt.Exiting() {
				// The deferred calls skipped on the way out are no part
				// of the path to os.Exit.
				frames = slices.DeleteFunc(frames, func(f frame) bool { return strings.HasSuffix(f.fn, ".func") })
			}
			if src != p.stmts {
				p = nil // the statements' positions do not apply
			}
			return e.runError(err, e.trace(p, frames))
		}
	}
	return nil
}

func (e *Engine) goroutinePanic(cell int, at string, v any) {
	g := goroutineID()
	e.mu.Lock()
	// The frames this goroutine unwound are its own, not the cell's.
	var mine, rest []frame
	for _, f := range e.frames {
		if f.g == g {
			mine = append(mine, f)
		} else {
			rest = append(rest, f)
		}
	}
	e.frames = rest
	if cell == e.running || e.calling {
		e.goPanics = append(e.goPanics, goPanic{value: v, at: at, frames: mine})
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	fmt.Fprintf(e.stderr, "panic in a goroutine started by cell %d at %s: %v\n", cell, at, v)
}

// panicFrameLine matches what the interpreter prints for each frame a panic
// unwinds ("cell:3:5: panic: main.f(...)").
var panicFrameLine = regexp.MustCompile(`^(\S+:)?\d+:\d+: panic: `)

// panicFrameFilter keeps the interpreter's unwinding trace out of the
// user's stderr and turns it into the cell's traceback.
type panicFrameFilter struct {
	e *Engine
	w io.Writer
}

func (f panicFrameFilter) Write(b []byte) (int, error) {
	line := strings.TrimSuffix(string(b), "\n")
	if panicFrameLine.MatchString(line) && !strings.Contains(line, "\n") {
		if strings.HasPrefix(line, cellFile+":") {
			pos, fn, _ := strings.Cut(strings.TrimSuffix(line, "(...)"), ": panic: ")
			fr := frame{g: goroutineID(), pos: pos, fn: fn}
			f.e.mu.Lock()
			f.e.frames = append(f.e.frames, fr)
			f.e.mu.Unlock()
		}
		return len(b), nil
	}
	return f.w.Write(b)
}

// compile turns a cell into interpreter sources, or a *CellError.
func (e *Engine) compile(code string) (*program, error) {
	chunks, err := splitCell(code)
	if err != nil {
		return nil, compileErrors(err)
	}
	if len(chunks) == 0 {
		return nil, nil
	}
	c := &cellUnit{e: e, code: code, chunks: chunks, autoImports: map[string]string{}}
	if err := c.check(); err != nil {
		return nil, e.profile.explain(err)
	}
	if err := e.profile.vet(c); err != nil {
		return nil, err
	}
	return c.program()
}

func compileErrors(err error) *CellError {
	var lines []string
	var list scanner.ErrorList
	if errors.As(err, &list) {
		// Later syntax errors are mostly echoes of the first.
		lines = append(lines, list[0].Error())
	} else {
		lines = strings.Split(err.Error(), "\n")
	}
	return &CellError{Name: CompileError, Value: stripPos(lines[0]), Trace: lines, Err: err}
}

// packagesByName indexes importable packages for automatic imports. When
// several share a name the standard library wins over galley's packages,
// shorter paths win, and these choices settle the rest.
var preferredPackage = map[string]string{
	"rand":     "math/rand/v2",
	"template": "text/template",
	"scanner":  "text/scanner",
	"pprof":    "runtime/pprof",
	"parse":    "text/template/parse",
}

func packagesByName(im *symbolImporter) map[string][]string {
	m := map[string][]string{}
	for p := range im.exports {
		name := im.names[p]
		if strings.Contains(p, "internal") || name == "" || p == rtPath {
			continue
		}
		m[name] = append(m[name], p)
	}
	for _, p := range sourcePackages {
		m[p] = append(m[p], p)
	}
	for name, paths := range m {
		sort.Slice(paths, func(i, j int) bool {
			a, b := paths[i], paths[j]
			if pa, pb := a == preferredPackage[name], b == preferredPackage[name]; pa != pb {
				return pa
			}
			if sa, sb := !strings.Contains(a, "."), !strings.Contains(b, "."); sa != sb {
				return sa
			}
			if len(a) != len(b) {
				return len(a) < len(b)
			}
			return a < b
		})
	}
	return m
}

// typesConfig is the configuration every check uses.
func (e *Engine) typesConfig(errs *[]types.Error) *types.Config {
	return &types.Config{
		Importer:  e.imp,
		GoVersion: "go1.26",
		Error: func(err error) {
			if te, ok := err.(types.Error); ok {
				*errs = append(*errs, te)
			}
		},
	}
}

// newInfo returns an Info recording everything the rewrites and tooling use.
func newInfo() *types.Info {
	return &types.Info{
		Types:     map[ast.Expr]types.TypeAndValue{},
		Defs:      map[*ast.Ident]types.Object{},
		Uses:      map[*ast.Ident]types.Object{},
		Instances: map[*ast.Ident]types.Instance{},
		Scopes:    map[ast.Node]*types.Scope{},
		// Selections tell methods of compiled values from cell code.
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
}
