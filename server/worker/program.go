package worker

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/engine"
	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/stdlib/display"
	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Program is a recipe whose cells have run in a cell engine: the kernel's
// engine, with its symbol tables, rewrites and automatic imports, under
// engine.RecipeProfile. Funcs are the entry points the cells defined.
type Program struct {
	e *engine.Engine
	// declaredIn maps the functions the cells declare to their cell.
	declaredIn map[string]notebook.Marker
	Funcs      recipe.Funcs
}

// ProgramOptions configure a Program.
type ProgramOptions struct {
	// Stdout and Stderr receive what the recipe prints; nil discards it.
	Stdout, Stderr io.Writer
}

// NewProgram starts an empty program: an engine with the recipe profile
// and no cells run yet.
func NewProgram(opts ProgramOptions) (*Program, error) {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	e, err := engine.New(engine.Options{Stdin: strings.NewReader(""), Stdout: opts.Stdout, Stderr: opts.Stderr, Profile: engine.RecipeProfile()})
	if err != nil {
		return nil, err
	}
	return &Program{e: e, declaredIn: map[string]notebook.Marker{}}, nil
}

// Load runs the cells of recipe source in order, as the kernel runs a
// notebook top to bottom, with the parameters set to values (every
// parameter, as recipe.Resolve returns them) by a cell injected right
// after the parameters cell. Then it binds the entry points. Errors name
// the notebook cell, line and column.
func Load(ctx context.Context, source string, values map[string]recipe.Value, opts ProgramOptions) (*Program, error) {
	cells, err := notebook.Cells(source)
	if err != nil {
		return nil, err
	}
	p, err := NewProgram(opts)
	if err != nil {
		return nil, err
	}
	for _, c := range cells {
		// A displayed value means nothing to a run: it is dropped.
		if _, err := p.Exec(ctx, c); err != nil {
			return nil, cellError(c.Marker, err)
		}
		if c.Parameters && len(values) > 0 {
			inject, err := notebook.InjectParameters(c, values)
			if err != nil {
				return nil, cellError(c.Marker, err)
			}
			if _, err := p.e.Execute(ctx, inject); err != nil {
				return nil, fmt.Errorf("setting the parameters after cell %d: %w", c.Index, err)
			}
		}
	}
	if err := p.bind(); err != nil {
		return nil, err
	}
	return p, nil
}

var funcDecl = regexp.MustCompile(`^func\s+([\pL_][\pL\pN_]*)\s*[\[(]`)

// Exec runs one recipe cell exactly as the kernel runs a notebook cell,
// returning what it displays and, on failure, the engine's *CellError.
func (p *Program) Exec(ctx context.Context, c notebook.SourceCell) (*display.Data, error) {
	if chunks, err := engine.Split(c.Code); err == nil {
		for _, ch := range chunks {
			if m := funcDecl.FindStringSubmatch(c.Code[ch.Start:ch.End]); ch.Kind == engine.DeclChunk && m != nil {
				p.declaredIn[m[1]] = c.Marker
			}
		}
	}
	return p.e.Execute(ctx, c.Code)
}

var tracePos = regexp.MustCompile(`^cell:(\d+):(\d+): `)

// frameLine is a traceback frame of a function: its position and name
// ("cell:16:2: in Train (body starts here)").
var frameLine = regexp.MustCompile(`^cell:(\d+):(\d+): in (?:a function literal in )?([\pL_][\pL\pN_]*)`)

// cellError places an engine error in the notebook.
func cellError(m notebook.Marker, err error) error {
	ne := &notebook.Error{Cell: m.Index, ID: m.ID, Msg: err.Error()}
	var ce *engine.CellError
	if errors.As(err, &ce) {
		ne.Msg = ce.Value
		if ce.Name != engine.CompileError {
			ne.Msg = "panic: " + ce.Name + ": " + ce.Value
			if ce.Name == engine.ExitError {
				ne.Msg = ce.Value
			}
		}
		for _, l := range ce.Trace {
			if sm := tracePos.FindStringSubmatch(l); sm != nil {
				ne.Line, _ = strconv.Atoi(sm[1])
				ne.Col, _ = strconv.Atoi(sm[2])
				break
			}
		}
	}
	var nbe *notebook.Error
	if errors.As(err, &nbe) {
		return nbe
	}
	return ne
}

// Call runs f, which calls the recipe's entry points, turning a panic in
// them into an error that names the panic and the cell of the function.
func (p *Program) Call(ctx context.Context, f func() error) error {
	err := p.e.Call(ctx, f)
	var ce *engine.CellError
	if !errors.As(err, &ce) {
		return err
	}
	msg := "the recipe panicked: " + ce.Value
	if ce.Name != "string" && ce.Name != "" {
		msg = "the recipe panicked: " + ce.Name + ": " + ce.Value
	}
	for _, l := range ce.Trace {
		sm := frameLine.FindStringSubmatch(l)
		if sm == nil {
			continue
		}
		// The engine places a function's frame at its first statement.
		fn := sm[3]
		if m, ok := p.declaredIn[fn]; ok {
			line, _ := strconv.Atoi(sm[1])
			col, _ := strconv.Atoi(sm[2])
			return &notebook.Error{Cell: m.Index, ID: m.ID, Line: line, Col: col, Msg: msg + " (in " + fn + ")"}
		}
	}
	return errors.New(msg)
}

// Signatures the entry points must have, as users write them.
var signatures = map[string]string{
	"Load":     "func Load(cfg recipe.Config) (recipe.Frame, error)",
	"Split":    "func Split(cfg recipe.Config, f recipe.Frame) (train, test recipe.Frame, err error)",
	"Train":    "func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error)",
	"Evaluate": "func Evaluate(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Metrics, error) (or returning (*recipe.Evaluation, error) to add curves)",
	"Score":    "func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error)",
}

// bind looks up the entry points among what the cells defined.
func (p *Program) bind() error {
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
		m, declared := p.declaredIn[t.name]
		v, err := p.e.Lookup(t.name)
		if err != nil {
			if t.required {
				missing = append(missing, t.name)
			}
			continue
		}
		dst := reflect.ValueOf(t.ptr).Elem()
		if t.name == "Evaluate" && v.IsValid() && v.Kind() == reflect.Func && v.Type().AssignableTo(reflect.TypeOf(p.Funcs.EvaluateCurves)) {
			// The form of Evaluate that also returns curves.
			dst = reflect.ValueOf(&p.Funcs.EvaluateCurves).Elem()
		}
		if !v.IsValid() || v.Kind() != reflect.Func || !v.Type().AssignableTo(dst.Type()) {
			typ := "not a function"
			if v.IsValid() {
				typ = v.Type().String()
			}
			msg := fmt.Sprintf("%s has type %s; declare it as %s", t.name, typ, signatures[t.name])
			if declared {
				return &notebook.Error{Cell: m.Index, ID: m.ID, Msg: msg}
			}
			return errors.New(msg)
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

// artifact is how a trained model is saved.
type artifact struct {
	// Type names the model's type: a type a cell declared as "main.T" or
	// "*main.T", mlModelType, or a compiled type as reflect prints it.
	Type   string          `json:"type"`
	Binary []byte          `json:"binary,omitempty"`
	JSON   json.RawMessage `json:"json,omitempty"`
}

// mlModelType marks artifacts holding a stdlib/ml model file.
const mlModelType = "galley/ml.Model"

// EncodeModel saves m, which Train returned. Models from stdlib/ml are
// saved as ml model files.
func (p *Program) EncodeModel(m recipe.Model) ([]byte, error) {
	a := artifact{Type: reflect.TypeOf(m).String()}
	if name, ok := p.e.TypeName(m); ok {
		a.Type = name
	}
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

// DecodeModel loads a model saved by EncodeModel into a new value of the
// cell type it was saved from, in a program of the same recipe.
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
	if a.Type == mlModelType {
		mm, err := ml.Read(bytes.NewReader(a.Binary), int64(len(a.Binary)))
		if err != nil {
			return nil, fmt.Errorf("loading the model: %w", err)
		}
		return mm, nil
	}
	if !strings.HasPrefix(strings.TrimPrefix(a.Type, "*"), "main.") {
		return nil, fmt.Errorf("loading the model: the recipe declares no type matching %s; was it trained with another recipe version?", a.Type)
	}
	v, err := p.e.New(a.Type)
	if err != nil {
		return nil, fmt.Errorf("loading the model: the recipe declares no type %s (%v); was it trained with another recipe version?", strings.TrimPrefix(strings.TrimPrefix(a.Type, "*"), "main."), err)
	}
	if a.Binary != nil {
		bu, ok := v.Interface().(encoding.BinaryUnmarshaler)
		if !ok {
			return nil, fmt.Errorf("loading the model: %s has no UnmarshalBinary method", a.Type)
		}
		if err := bu.UnmarshalBinary(a.Binary); err != nil {
			return nil, fmt.Errorf("loading the model: %w", err)
		}
	} else if err := json.Unmarshal(a.JSON, v.Interface()); err != nil {
		return nil, fmt.Errorf("loading the model: %w", err)
	}
	if strings.HasPrefix(a.Type, "*") {
		return v.Interface(), nil
	}
	return v.Elem().Interface(), nil
}
