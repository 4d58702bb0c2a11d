// Package yaegi runs recipe source in a yaegi interpreter restricted to what
// recipes need: no os/exec, syscall, unsafe or plugin, no process control.
//
//	p, err := yaegi.Load(ctx, source, yaegi.Options{Stdout: logs})
//	trained, err := recipe.TrainModel(cfg, p.Funcs)
package yaegi

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
	galley "github.com/galley-dev/galley/stdlib/symbols"
)

// Options configure an interpreter for a recipe.
type Options struct {
	// Stdout and Stderr receive what the recipe prints; nil discards it.
	Stdout, Stderr io.Writer
	// Symbols are further packages to expose, such as galley's data and ml
	// packages, in yaegi's export format.
	Symbols []interp.Exports
}

// denied are packages a recipe may not import.
var denied = map[string]bool{
	"os/exec/exec":        true,
	"syscall/syscall":     true,
	"unsafe/unsafe":       true,
	"plugin/plugin":       true,
	"os/signal/signal":    true,
	"runtime/debug/debug": true,
}

// deniedSymbols are single symbols removed from otherwise allowed packages.
var deniedSymbols = map[string][]string{
	"os/os": {"StartProcess", "FindProcess", "Exit", "Getpid", "Getppid", "Kill"},
}

// Restricted returns yaegi's standard library without the packages and
// symbols a recipe must not use.
func Restricted() interp.Exports {
	out := interp.Exports{}
	for pkg, syms := range stdlib.Symbols {
		if denied[pkg] {
			continue
		}
		m := make(map[string]reflect.Value, len(syms))
		for k, v := range syms {
			m[k] = v
		}
		for _, k := range deniedSymbols[pkg] {
			delete(m, k)
		}
		out[pkg] = m
	}
	return out
}

// Program is recipe source loaded into an interpreter.
type Program struct {
	in     *interp.Interpreter
	source string
	// Funcs are the recipe's entry points.
	Funcs recipe.Funcs
}

// Load interprets source and binds its entry points. Errors name the
// notebook cell and line when the source came from a notebook.
func Load(ctx context.Context, source string, opts Options) (p *Program, err error) {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	in := interp.New(interp.Options{Stdout: opts.Stdout, Stderr: opts.Stderr, Stdin: strings.NewReader("")})
	for _, ex := range append([]interp.Exports{Restricted(), galley.Symbols}, opts.Symbols...) {
		if err := in.Use(ex); err != nil {
			return nil, fmt.Errorf("loading interpreter symbols: %w", err)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the interpreter failed on this recipe: %v", r)
		}
	}()
	if _, err := in.EvalWithContext(ctx, source); err != nil {
		return nil, notebook.Explain(source, err)
	}
	p = &Program{in: in, source: source}
	if err := p.bind(); err != nil {
		return nil, err
	}
	return p, nil
}

// Signatures the entry points must have, as users write them.
var signatures = map[string]string{
	"Load":     "func Load(cfg recipe.Config) (recipe.Frame, error)",
	"Split":    "func Split(cfg recipe.Config, f recipe.Frame) (train, test recipe.Frame, err error)",
	"Train":    "func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error)",
	"Evaluate": "func Evaluate(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Metrics, error)",
	"Score":    "func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error)",
}

func (p *Program) bind() error {
	decls := p.funcDecls()
	targets := []struct {
		name     string
		ptr      any
		required bool
	}{
		{"Load", &p.Funcs.Load, true},
		{"Split", &p.Funcs.Split, false},
		{"Train", &p.Funcs.Train, true},
		{"Evaluate", &p.Funcs.Evaluate, false},
		{"Score", &p.Funcs.Score, true},
	}
	var missing []string
	for _, t := range targets {
		line, ok := decls[t.name]
		if !ok {
			if t.required {
				missing = append(missing, t.name)
			}
			continue
		}
		v, err := p.in.Eval(t.name)
		if err != nil {
			return p.at(line, fmt.Sprintf("%s: %v", t.name, err))
		}
		dst := reflect.ValueOf(t.ptr).Elem()
		if !v.IsValid() || v.Kind() != reflect.Func || !v.Type().AssignableTo(dst.Type()) {
			typ := "not a function"
			if v.IsValid() {
				typ = v.Type().String()
			}
			return p.at(line, fmt.Sprintf("%s has type %s; declare it as %s", t.name, typ, signatures[t.name]))
		}
		dst.Set(v)
	}
	if len(missing) > 0 {
		var want []string
		for _, m := range missing {
			want = append(want, signatures[m])
		}
		return fmt.Errorf("the recipe has no %s: add %s", strings.Join(missing, ", "), strings.Join(want, " and "))
	}
	return nil
}

func (p *Program) at(line int, msg string) error {
	if cell, id, cl, ok := notebook.Locate(p.source, line); ok {
		return &notebook.Error{Cell: cell, ID: id, Line: cl, Msg: msg}
	}
	return errors.New(msg)
}

// funcDecls finds the top-level functions of the source and their lines.
func (p *Program) funcDecls() map[string]int {
	out := map[string]int{}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", p.source, parser.SkipObjectResolution)
	if err != nil {
		return out
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
			out[fd.Name.Name] = fset.Position(fd.Pos()).Line
		}
	}
	return out
}

func (p *Program) typeNames() []string {
	var out []string
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", p.source, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
			for _, s := range gd.Specs {
				out = append(out, s.(*ast.TypeSpec).Name.Name)
			}
		}
	}
	return out
}

// artifact is how a trained model is saved.
type artifact struct {
	// Type is the model's Go type as reflect prints it; it finds the type
	// again when the model is loaded.
	Type   string          `json:"type"`
	Binary []byte          `json:"binary,omitempty"`
	JSON   json.RawMessage `json:"json,omitempty"`
}

// mlModelType marks artifacts holding a stdlib/ml model file.
const mlModelType = "galley/ml.Model"

func loadMLModel(b []byte) (recipe.Model, error) {
	f, err := os.CreateTemp("", "galley-model-*.galley")
	if err != nil {
		return nil, fmt.Errorf("loading the model: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("loading the model: %w", err)
	}
	m, err := ml.Load(f.Name())
	if err != nil {
		return nil, fmt.Errorf("loading the model: %w", err)
	}
	return m, nil
}

// EncodeModel saves m, which Train returned. Models from stdlib/ml are
// saved as ml model files.
func (p *Program) EncodeModel(m recipe.Model) ([]byte, error) {
	a := artifact{Type: reflect.TypeOf(m).String()}
	if mm, ok := m.(*ml.Model); ok {
		var buf bytes.Buffer
		if err := mm.Write(&buf); err != nil {
			return nil, fmt.Errorf("saving the model: %w", err)
		}
		a.Type, a.Binary = mlModelType, buf.Bytes()
	} else if bm, ok := m.(encoding.BinaryMarshaler); ok {
		b, err := bm.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("saving the model: %w", err)
		}
		a.Binary = b
	} else {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("saving the model: %w: give the model type exported fields or a MarshalBinary method", err)
		}
		a.JSON = b
	}
	return json.Marshal(a)
}

// DecodeModel loads a model saved by EncodeModel from a program of the same
// recipe.
func (p *Program) DecodeModel(b []byte) (m recipe.Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("loading the model: %v", r)
		}
	}()
	var a artifact
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("loading the model: %w", err)
	}
	want := a.Type
	if want == mlModelType {
		return loadMLModel(a.Binary)
	}
	ptr := strings.HasPrefix(want, "*")
	candidates := p.typeNames()
	if base := strings.TrimPrefix(want, "*"); strings.Contains(base, ".") && !strings.ContainsAny(base, " {") {
		candidates = append(candidates, base)
	}
	for _, name := range candidates {
		v, err := p.in.Eval("new(" + name + ")")
		if err != nil || v.Kind() != reflect.Pointer {
			continue
		}
		got := v.Type().String()
		if !ptr {
			got = v.Type().Elem().String()
		}
		if got != want {
			continue
		}
		if a.Binary != nil {
			bu, ok := v.Interface().(encoding.BinaryUnmarshaler)
			if !ok {
				continue
			}
			if err := bu.UnmarshalBinary(a.Binary); err != nil {
				return nil, fmt.Errorf("loading the model: %w", err)
			}
		} else if err := json.Unmarshal(a.JSON, v.Interface()); err != nil {
			return nil, fmt.Errorf("loading the model: %w", err)
		}
		if ptr {
			return v.Interface(), nil
		}
		return v.Elem().Interface(), nil
	}
	return nil, fmt.Errorf("loading the model: the recipe declares no type matching %s; was it trained with another recipe version?", want)
}
