// Package batch executes a Go notebook from top to bottom without a front
// end, with papermill's semantics: parameters given on the command line are
// injected as a new cell after the cell tagged "parameters", every code cell
// runs in order, and the executed notebook keeps its outputs and errors.
//
// Cells run in a real `galley kernel` process driven over its sockets, the
// path JupyterLab takes, so a headless run shows what the notebook shows.
//
//	out, err := batch.Run(ctx, raw, []batch.Value{{Name: "epochs", Text: "5"}}, batch.Options{Galley: exe, Dir: dir})
//
// Parameter values are typed from the parameters cell's declarations (int,
// int64, float64, string, bool, time.Duration and slices of them); an
// unknown name or a value of the wrong type is an error naming the
// parameter, reported before anything runs.
package batch

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/galley-dev/galley/kernel/frontend"
	"github.com/galley-dev/galley/server/notebook"
)

// Tags papermill uses, and so does galley.
const (
	TagParameters = notebook.TagParameters
	TagInjected   = "injected-parameters"
)

// Value is one parameter given for a run, as text: "-p name=value".
type Value struct {
	Name, Text string
}

// Options configure a run.
type Options struct {
	// Galley is the galley binary whose `galley kernel` runs the cells.
	Galley string
	// Dir is the kernel's working directory: the notebook's folder.
	Dir string
	// Env is the kernel's environment; nil means this process's.
	Env []string
	// Progress receives a line per cell; nil discards them.
	Progress io.Writer
	// CellTimeout interrupts a cell that runs longer; zero means no limit.
	CellTimeout time.Duration
}

// CellError reports the cell that failed; the executed notebook holds its
// error output.
type CellError struct {
	Cell          int // index in the executed notebook
	ID            string
	Ename, Evalue string
}

func (e *CellError) Error() string {
	id := ""
	if e.ID != "" {
		id = " (id " + e.ID + ")"
	}
	return fmt.Sprintf("cell %d%s failed: %s: %s", e.Cell, id, e.Ename, e.Evalue)
}

// Inject returns the Go source of the injected-parameters cell for values,
// each parsed against the declaration of the same name in the parameters
// cell, exactly as a recipe run parses its parameters (a name given twice:
// the last wins, as papermill's do). It also returns the parameters cell's
// index, or -1 when the notebook has none (then values must be empty).
func Inject(nb *notebook.Notebook, values []Value) (src string, after int, err error) {
	cell, params, ok, err := notebook.Parameters(nb)
	if err != nil {
		return "", -1, err
	}
	if !ok {
		if len(values) > 0 {
			return "", -1, fmt.Errorf("parameter %s: the notebook has no cell tagged %q: tag the cell that declares the parameters", values[0].Name, TagParameters)
		}
		return "", -1, nil
	}
	declared := map[string]bool{}
	var names []string
	for _, p := range params {
		declared[p.Name] = true
		names = append(names, p.Name)
	}
	texts := map[string]string{}
	for _, v := range values {
		if !declared[v.Name] {
			known := "none"
			if len(names) > 0 {
				known = strings.Join(names, ", ")
			}
			return "", -1, fmt.Errorf("parameter %s is not declared in the parameters cell (cell %d); it declares: %s", v.Name, cell.Index, known)
		}
		texts[v.Name] = v.Text
	}
	if len(texts) == 0 {
		return "", cell.Index, nil
	}
	src, after, err = notebook.InjectedCell(nb, texts)
	if err != nil {
		return "", -1, err
	}
	return "// Parameters\n" + src, after, nil
}

// Run executes the notebook raw with values injected and returns the
// executed notebook. The notebook is returned, with the failing cell's
// error, together with a *CellError when a cell fails; later cells are left
// unexecuted, as papermill leaves them.
func Run(ctx context.Context, raw []byte, values []Value, opts Options) ([]byte, error) {
	nb, err := notebook.Parse(raw)
	if err != nil {
		return nil, err
	}
	src, after, err := Inject(nb, values)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	cellsAny, _ := doc["cells"].([]any)
	var cells []map[string]any
	for i, c := range cellsAny {
		m, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("cell %d is not an object", i)
		}
		// A previous run's injected cell is replaced, as papermill does.
		if hasTag(m, TagInjected) {
			if i < after {
				after--
			}
			continue
		}
		cells = append(cells, m)
	}
	if src != "" {
		minor, _ := doc["nbformat_minor"].(float64)
		injected := map[string]any{
			"cell_type": "code", "metadata": map[string]any{"tags": []any{TagInjected}},
			"source": src, "outputs": []any{}, "execution_count": nil,
		}
		if minor >= 5 {
			injected["id"] = newCellID()
		}
		cells = append(cells[:after+1], append([]map[string]any{injected}, cells[after+1:]...)...)
	}
	for _, c := range cells {
		if c["cell_type"] == "code" {
			c["outputs"], c["execution_count"] = []any{}, nil
		}
	}
	runErr := execute(ctx, cells, opts)
	out := make([]any, len(cells))
	for i, c := range cells {
		out[i] = c
	}
	doc["cells"] = out
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), runErr
}

func execute(ctx context.Context, cells []map[string]any, opts Options) error {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	total := 0
	for _, c := range cells {
		if c["cell_type"] == "code" {
			total++
		}
	}
	k, err := frontend.Start(ctx, opts.Galley, frontend.Options{Dir: opts.Dir, Env: opts.Env})
	if err != nil {
		return err
	}
	defer k.Close()
	outs := newOutputs()
	n := 0
	for i, c := range cells {
		if c["cell_type"] != "code" {
			continue
		}
		n++
		code := sourceOf(c["source"])
		id, _ := c["id"].(string)
		label := fmt.Sprintf("cell %d/%d (index %d", n, total, i)
		if id != "" {
			label += ", id " + id
		}
		if hasTag(c, TagInjected) {
			label += ", " + TagInjected
		}
		label += ")"
		if strings.TrimSpace(code) == "" {
			fmt.Fprintf(progress, "%s: empty\n", label)
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: not run: %w", label, err)
		}
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if opts.CellTimeout > 0 {
			cctx, cancel = context.WithTimeout(ctx, opts.CellTimeout)
		}
		start := time.Now()
		outs.next()
		ex, err := executeCell(cctx, k, code, outs)
		timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		list := make([]any, len(outs.cell))
		for j, o := range outs.cell {
			list[j] = o
		}
		c["outputs"] = list
		if ex.count > 0 {
			c["execution_count"] = ex.count
		}
		took := time.Since(start).Round(time.Millisecond)
		if timedOut {
			fmt.Fprintf(progress, "%s: interrupted at the cell timeout (%s)\n", label, took)
			return fmt.Errorf("%s: interrupted after the cell timeout of %s", label, opts.CellTimeout)
		}
		if err != nil {
			fmt.Fprintf(progress, "%s: %v after %s\n", label, err, took)
			return fmt.Errorf("%s: %w", label, err)
		}
		if ex.failed != nil {
			fmt.Fprintf(progress, "%s: %s: %s (%s)\n", label, ex.failed.Ename, firstLine(ex.failed.Evalue), took)
			return &CellError{Cell: i, ID: id, Ename: ex.failed.Ename, Evalue: ex.failed.Evalue}
		}
		fmt.Fprintf(progress, "%s: ok (%s)\n", label, took)
	}
	return nil
}

func hasTag(c map[string]any, tag string) bool {
	meta, _ := c["metadata"].(map[string]any)
	tags, _ := meta["tags"].([]any)
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// sourceOf joins nbformat's multiline text: a string or a list of lines.
func sourceOf(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []any:
		var b strings.Builder
		for _, l := range s {
			if str, ok := l.(string); ok {
				b.WriteString(str)
			}
		}
		return b.String()
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func newCellID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
