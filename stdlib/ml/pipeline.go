package ml

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Unseen-category policies for OneHot, Ordinal and Category.
const (
	UnseenIgnore = "ignore" // encode as all zeros (OneHot), missing (Ordinal) or a rare category (Category)
	UnseenError  = "error"  // fail the transform, naming the column and value
)

// Imputation strategies.
const (
	ImputeMedian = "median"
	ImputeMean   = "mean"
	ImputeZero   = "zero"
)

// missingCategory is the category name a missing string gets when missing
// values were seen in training.
const missingCategory = "(missing)"

// Step is one transform in a Pipeline. Build steps with the Pipeline methods;
// the exported fields describe the step and, once fitted, what it learned.
type Step struct {
	Op string `json:"op"`
	// Columns names the columns the step applies to as declared; empty
	// means every column of the kind the step accepts.
	Columns []string `json:"columns,omitempty"`
	// Strategy is the imputation strategy; Indicator adds a 0/1 column
	// "<name>_missing" for columns that had missing values in training.
	Strategy  string `json:"strategy,omitempty"`
	Indicator bool   `json:"indicator,omitempty"`
	Unseen    string `json:"unseen,omitempty"`
	Bins      int    `json:"bins,omitempty"`
	// Fitted holds what the step learned, one entry per column it applies to.
	Fitted []FittedColumn `json:"fitted,omitempty"`
}

// FittedColumn is what a step learned about one column.
type FittedColumn struct {
	Name       string    `json:"name"`
	Categories []string  `json:"categories,omitempty"`
	Fill       float64   `json:"fill,omitempty"`
	Indicator  bool      `json:"indicator,omitempty"`
	Mean       float64   `json:"mean,omitempty"`
	Std        float64   `json:"std,omitempty"`
	Edges      []float64 `json:"edges,omitempty"`

	lookup map[string]int
}

// Pipeline turns input columns into a numeric feature matrix. It is declared
// as a list of steps, fitted once on training data, and saved inside the
// model so that scoring applies exactly the transform used in training.
//
//	p := ml.NewPipeline().Drop("customerID").Impute().Scale().OneHot()
//
// Steps run in order; each sees the columns the previous steps produced.
// A step given no column names applies to every column of its kind at that
// point (numeric for Impute, Scale and Bin; categorical for OneHot and
// Ordinal).
type Pipeline struct {
	Steps []*Step `json:"steps"`
	// Inputs and Features are set by Fit: the columns read and the
	// feature columns produced, in order.
	Inputs   []Field  `json:"inputs,omitempty"`
	Features []string `json:"features,omitempty"`
	// Sources names, for each feature, the input column it derives from
	// (a one-hot column's categorical column, an indicator's numeric one).
	Sources []string `json:"sources,omitempty"`
}

// NewPipeline returns an empty pipeline, which passes numeric columns through.
func NewPipeline() *Pipeline { return &Pipeline{} }

// LinearPipeline is the usual preparation for linear models: median
// imputation with missing indicators, standard scaling of numeric columns,
// and one-hot encoding of categorical ones (unseen categories ignored).
// Columns named in drop are left out.
func LinearPipeline(drop ...string) *Pipeline {
	p := NewPipeline()
	if len(drop) > 0 {
		p.Drop(drop...)
	}
	return p.Impute(ImputeMedian, true).Scale().OneHot(UnseenIgnore)
}

// TreePipeline is the usual preparation for gradient-boosted trees:
// categorical columns kept as categories, which the trees split by sets
// (Category, unseen categories going with the rare ones), numeric columns
// untouched (trees route missing values themselves). Columns named in
// drop are left out. For ordinal codes instead, build the pipeline with
// Ordinal.
func TreePipeline(drop ...string) *Pipeline {
	p := NewPipeline()
	if len(drop) > 0 {
		p.Drop(drop...)
	}
	return p.Category(UnseenIgnore)
}

func (p *Pipeline) add(s *Step) *Pipeline {
	p.Steps = append(p.Steps, s)
	p.Inputs, p.Features, p.Sources = nil, nil, nil
	return p
}

// Select keeps only the named columns, in the given order.
func (p *Pipeline) Select(columns ...string) *Pipeline {
	return p.add(&Step{Op: "select", Columns: columns})
}

// Drop removes the named columns.
func (p *Pipeline) Drop(columns ...string) *Pipeline {
	return p.add(&Step{Op: "drop", Columns: columns})
}

// Impute fills missing numeric values using strategy (ImputeMedian,
// ImputeMean or ImputeZero). With indicator true, each column that had
// missing values in training gains a 0/1 column "<name>_missing".
func (p *Pipeline) Impute(strategy string, indicator bool, columns ...string) *Pipeline {
	return p.add(&Step{Op: "impute", Strategy: strategy, Indicator: indicator, Columns: columns})
}

// Scale standardises numeric columns to zero mean and unit variance.
func (p *Pipeline) Scale(columns ...string) *Pipeline {
	return p.add(&Step{Op: "scale", Columns: columns})
}

// OneHot replaces each categorical column by one 0/1 column per category
// seen in training, named "<name>=<category>". unseen (UnseenIgnore or
// UnseenError) decides what a category not seen in training does.
func (p *Pipeline) OneHot(unseen string, columns ...string) *Pipeline {
	return p.add(&Step{Op: "onehot", Unseen: unseen, Columns: columns})
}

// Ordinal replaces each categorical column by integer codes 0..k-1 in
// sorted category order; missing values stay missing (NaN).
func (p *Pipeline) Ordinal(unseen string, columns ...string) *Pipeline {
	return p.add(&Step{Op: "ordinal", Unseen: unseen, Columns: columns})
}

// Category keeps categorical columns as categories for gradient-boosted
// trees to split on natively: each becomes codes 0..k-1 in sorted category
// order, marked as categorical in the feature matrix, and a tree node
// sends a set of categories left and the rest right instead of cutting
// the codes' order. Missing values stay missing (trees learn where they
// go); with UnseenIgnore a category not seen in training goes right at
// every split, as rare categories do. Linear models cannot take such
// columns: give them OneHot.
func (p *Pipeline) Category(unseen string, columns ...string) *Pipeline {
	return p.add(&Step{Op: "category", Unseen: unseen, Columns: columns})
}

// Bin replaces numeric columns by their quantile bin, 0..bins-1, computed
// on training data; missing values stay missing.
func (p *Pipeline) Bin(bins int, columns ...string) *Pipeline {
	return p.add(&Step{Op: "bin", Bins: bins, Columns: columns})
}

// Fitted reports whether Fit has run since the last change.
func (p *Pipeline) Fitted() bool { return p.Features != nil }

func (p *Pipeline) String() string {
	var b strings.Builder
	b.WriteString("Pipeline")
	for _, s := range p.Steps {
		fmt.Fprintf(&b, " → %s", s.Op)
		if len(s.Columns) > 0 {
			fmt.Fprintf(&b, "(%s)", strings.Join(s.Columns, ", "))
		}
	}
	if p.Fitted() {
		fmt.Fprintf(&b, " [%d inputs → %d features]", len(p.Inputs), len(p.Features))
	}
	return b.String()
}

// work is a column in flight through the pipeline.
type work struct {
	name string
	// source is the input column the values derive from.
	source string
	kind   Kind
	num    []float64
	str    []string
	valid  []bool
	codes  []int32
	levels []string
	// cat marks a numeric column of category codes made by Category;
	// numeric steps leave it alone.
	cat bool
}

// categories calls fn(i, value, present) for each row of a categorical
// column, whichever form it is in.
func (w *work) eachCategory(fn func(i int, v string, ok bool)) {
	if w.codes != nil {
		for i, c := range w.codes {
			if c < 0 {
				fn(i, "", false)
			} else {
				fn(i, w.levels[c], true)
			}
		}
		return
	}
	for i, v := range w.str {
		fn(i, v, w.valid == nil || w.valid[i])
	}
}

// categoryCodes maps each row of a categorical column to an index into
// cats (via lookup): -1 for missing, -2 for a value not in lookup. It
// returns the first unseen value, if any.
func (w *work) categoryCodes(lookup map[string]int, dst []int32) (unseen string, any bool) {
	if w.codes != nil {
		m := make([]int32, len(w.levels))
		for l, v := range w.levels {
			if j, ok := lookup[v]; ok {
				m[l] = int32(j)
			} else {
				m[l] = -2
			}
		}
		for i, c := range w.codes {
			if c < 0 {
				dst[i] = -1
				continue
			}
			dst[i] = m[c]
			if m[c] == -2 && !any {
				unseen, any = w.levels[c], true
			}
		}
		return unseen, any
	}
	for i, v := range w.str {
		if w.valid != nil && !w.valid[i] {
			dst[i] = -1
			continue
		}
		j, ok := lookup[v]
		if !ok {
			dst[i] = -2
			if !any {
				unseen, any = v, true
			}
			continue
		}
		dst[i] = int32(j)
	}
	return unseen, any
}

func tableWork(t *Table) []*work {
	ws := make([]*work, 0, len(t.cols))
	for _, c := range t.cols {
		ws = append(ws, columnWork(c))
	}
	return ws
}

func columnWork(c *Column) *work {
	return &work{name: c.Name, source: c.Name, kind: c.Kind, num: c.Num, str: c.Str, valid: c.Valid, codes: c.Codes, levels: c.Levels}
}

func findWork(ws []*work, name string) int {
	for i, w := range ws {
		if w.name == name {
			return i
		}
	}
	return -1
}

// resolve returns the step's columns at fit time, checking they exist with
// the kind the step needs.
func (s *Step) resolve(ws []*work, kind Kind) ([]string, error) {
	if len(s.Columns) == 0 {
		var out []string
		for _, w := range ws {
			if w.kind == kind && !w.cat {
				out = append(out, w.name)
			}
		}
		return out, nil
	}
	var missing, wrong []string
	for _, c := range s.Columns {
		i := findWork(ws, c)
		switch {
		case i < 0:
			missing = append(missing, c)
		case ws[i].kind != kind || ws[i].cat:
			wrong = append(wrong, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: no column %s", s.Op, quoteList(missing))
	}
	if len(wrong) > 0 {
		return nil, fmt.Errorf("%s applies to %s columns; %s %s not", s.Op, kind, quoteList(wrong), isAre(len(wrong)))
	}
	return s.Columns, nil
}

// Fit learns each step's parameters from t and returns the feature matrix
// of t, as Transform would.
func (p *Pipeline) Fit(t *Table) (*Matrix, error) {
	p.Inputs = p.Inputs[:0]
	for _, c := range t.cols {
		p.Inputs = append(p.Inputs, Field{Name: c.Name, Type: c.typeName(), Kind: c.Kind})
	}
	ws := tableWork(t)
	n := t.rows
	for _, s := range p.Steps {
		s.Fitted = nil
		var err error
		switch s.Op {
		case "select", "drop":
			ws, err = s.selectDrop(ws)
		case "impute":
			var cols []string
			if cols, err = s.resolve(ws, Numeric); err == nil {
				for _, c := range cols {
					w := ws[findWork(ws, c)]
					fc := FittedColumn{Name: c}
					var vals []float64
					for _, v := range w.num {
						if !math.IsNaN(v) {
							vals = append(vals, v)
						}
					}
					fc.Indicator = s.Indicator && len(vals) < n
					switch s.Strategy {
					case ImputeMean:
						fc.Fill = mean(vals)
					case ImputeZero:
					case ImputeMedian, "":
						fc.Fill = median(vals)
					default:
						return nil, fmt.Errorf("impute: unknown strategy %q (use median, mean or zero)", s.Strategy)
					}
					if math.IsNaN(fc.Fill) {
						fc.Fill = 0
					}
					s.Fitted = append(s.Fitted, fc)
				}
			}
		case "scale":
			var cols []string
			if cols, err = s.resolve(ws, Numeric); err == nil {
				for _, c := range cols {
					w := ws[findWork(ws, c)]
					m, sd := meanStd(w.num)
					if sd == 0 || math.IsNaN(sd) {
						sd = 1
					}
					if math.IsNaN(m) {
						m = 0
					}
					s.Fitted = append(s.Fitted, FittedColumn{Name: c, Mean: m, Std: sd})
				}
			}
		case "onehot", "ordinal", "category":
			if s.Unseen != UnseenIgnore && s.Unseen != UnseenError && s.Unseen != "" {
				return nil, fmt.Errorf("%s: unknown unseen-category policy %q (use %q or %q)", s.Op, s.Unseen, UnseenIgnore, UnseenError)
			}
			var cols []string
			if cols, err = s.resolve(ws, Categorical); err == nil {
				for _, c := range cols {
					w := ws[findWork(ws, c)]
					set := map[string]bool{}
					w.eachCategory(func(_ int, v string, ok bool) {
						switch {
						case ok:
							set[v] = true
						case s.Op == "onehot":
							set[missingCategory] = true
						}
					})
					cats := make([]string, 0, len(set))
					for k := range set {
						cats = append(cats, k)
					}
					sort.Strings(cats)
					s.Fitted = append(s.Fitted, FittedColumn{Name: c, Categories: cats})
				}
			}
		case "bin":
			if s.Bins < 2 {
				return nil, fmt.Errorf("bin: need at least 2 bins, got %d", s.Bins)
			}
			var cols []string
			if cols, err = s.resolve(ws, Numeric); err == nil {
				for _, c := range cols {
					w := ws[findWork(ws, c)]
					s.Fitted = append(s.Fitted, FittedColumn{Name: c, Edges: quantileEdges(w.num, s.Bins)})
				}
			}
		default:
			return nil, fmt.Errorf("unknown pipeline step %q", s.Op)
		}
		if err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		s.prepare()
		if s.Op != "select" && s.Op != "drop" {
			if ws, err = s.apply(ws, n); err != nil {
				return nil, fmt.Errorf("pipeline: %w", err)
			}
		}
	}
	var cat []string
	for _, w := range ws {
		if w.kind != Numeric {
			cat = append(cat, w.name)
		}
	}
	if len(cat) > 0 {
		return nil, fmt.Errorf("pipeline: categorical column %s %s not encoded; add OneHot or Ordinal, or Drop %s", quoteList(cat), isAre(len(cat)), itThem(len(cat)))
	}
	m := &Matrix{Rows: n}
	for _, w := range ws {
		m.Names = append(m.Names, w.name)
		m.Cols = append(m.Cols, w.num)
	}
	m.Categorical = categoricalFlags(ws)
	p.Features = slices.Clone(m.Names)
	if p.Features == nil {
		p.Features = []string{}
	}
	p.Sources = make([]string, len(ws))
	for j, w := range ws {
		p.Sources[j] = w.source
	}
	return m, nil
}

func (s *Step) selectDrop(ws []*work) ([]*work, error) {
	var missing []string
	for _, c := range s.Columns {
		if findWork(ws, c) < 0 {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: no column %s", s.Op, quoteList(missing))
	}
	if s.Op == "select" {
		out := make([]*work, 0, len(s.Columns))
		for _, c := range s.Columns {
			out = append(out, ws[findWork(ws, c)])
		}
		return out, nil
	}
	out := make([]*work, 0, len(ws))
	for _, w := range ws {
		if !slices.Contains(s.Columns, w.name) {
			out = append(out, w)
		}
	}
	return out, nil
}

// prepare builds lookup tables after fitting or loading.
func (s *Step) prepare() {
	for k := range s.Fitted {
		fc := &s.Fitted[k]
		if fc.Categories != nil {
			fc.lookup = make(map[string]int, len(fc.Categories))
			for i, c := range fc.Categories {
				fc.lookup[c] = i
			}
		}
	}
}

// apply runs a fitted step over ws. Input slices are never modified:
// transformed columns get new storage, so a Table's data is left intact.
func (s *Step) apply(ws []*work, n int) ([]*work, error) {
	switch s.Op {
	case "select", "drop":
		return s.selectDrop(ws)
	}
	out := ws
	for k := range s.Fitted {
		fc := &s.Fitted[k]
		i := findWork(out, fc.Name)
		if i < 0 {
			return nil, fmt.Errorf("%s: no column %q", s.Op, fc.Name)
		}
		w := out[i]
		want := Numeric
		if s.Op == "onehot" || s.Op == "ordinal" || s.Op == "category" {
			want = Categorical
		}
		if w.cat {
			return nil, fmt.Errorf("%s: column %q holds category codes from an earlier Category step", s.Op, fc.Name)
		}
		if w.kind != want {
			return nil, fmt.Errorf("%s: column %q is %s, want %s", s.Op, fc.Name, w.kind, want)
		}
		switch s.Op {
		case "impute":
			v := make([]float64, n)
			var ind []float64
			if fc.Indicator {
				ind = make([]float64, n)
			}
			for r, x := range w.num {
				if math.IsNaN(x) {
					v[r] = fc.Fill
					if ind != nil {
						ind[r] = 1
					}
				} else {
					v[r] = x
				}
			}
			out[i] = &work{name: w.name, source: w.source, kind: Numeric, num: v}
			if ind != nil {
				out = slices.Insert(out, i+1, &work{name: w.name + "_missing", source: w.source, kind: Numeric, num: ind})
			}
		case "scale":
			v := make([]float64, n)
			inv := 1 / fc.Std
			for r, x := range w.num {
				v[r] = (x - fc.Mean) * inv
			}
			out[i] = &work{name: w.name, source: w.source, kind: Numeric, num: v}
		case "bin":
			v := make([]float64, n)
			for r, x := range w.num {
				if math.IsNaN(x) {
					v[r] = x
				} else {
					v[r] = float64(sort.SearchFloat64s(fc.Edges, x))
				}
			}
			out[i] = &work{name: w.name, source: w.source, kind: Numeric, num: v}
		case "ordinal":
			codes := make([]int32, n)
			if bad, ok := w.categoryCodes(fc.lookup, codes); ok && s.Unseen == UnseenError {
				return nil, fmt.Errorf("ordinal: column %q has category %q not seen in training", fc.Name, bad)
			}
			v := make([]float64, n)
			for r, c := range codes {
				if c < 0 {
					v[r] = math.NaN()
				} else {
					v[r] = float64(c)
				}
			}
			out[i] = &work{name: w.name, source: w.source, kind: Numeric, num: v}
		case "category":
			codes := make([]int32, n)
			if bad, ok := w.categoryCodes(fc.lookup, codes); ok && s.Unseen == UnseenError {
				return nil, fmt.Errorf("category: column %q has category %q not seen in training", fc.Name, bad)
			}
			v := make([]float64, n)
			for r, c := range codes {
				switch {
				case c == -1:
					v[r] = math.NaN()
				case c < 0:
					// Unseen: a code no split sends left.
					v[r] = -1
				default:
					v[r] = float64(c)
				}
			}
			out[i] = &work{name: w.name, source: w.source, kind: Numeric, num: v, cat: true}
		case "onehot":
			k := len(fc.Categories)
			buf := make([]float64, n*k)
			cols := make([]*work, k)
			for j, c := range fc.Categories {
				cols[j] = &work{name: w.name + "=" + c, source: w.source, kind: Numeric, num: buf[j*n : (j+1)*n : (j+1)*n]}
			}
			codes := make([]int32, n)
			if bad, ok := w.categoryCodes(fc.lookup, codes); ok && s.Unseen == UnseenError {
				return nil, fmt.Errorf("onehot: column %q has category %q not seen in training", fc.Name, bad)
			}
			miss, hasMiss := fc.lookup[missingCategory]
			for r, c := range codes {
				switch {
				case c >= 0:
					buf[int(c)*n+r] = 1
				case c == -1 && hasMiss:
					buf[miss*n+r] = 1
				}
			}
			out = slices.Replace(out, i, i+1, cols...)
		}
	}
	return out, nil
}

// Transform applies the fitted pipeline to t. t must hold every input
// column the pipeline was fitted on, with the same kinds.
func (p *Pipeline) Transform(t *Table) (*Matrix, error) {
	if !p.Fitted() {
		return nil, fmt.Errorf("pipeline: Transform before Fit")
	}
	var missing, wrong []string
	for _, f := range p.Inputs {
		c := t.Column(f.Name)
		switch {
		case c == nil:
			missing = append(missing, f.Name)
		case c.Kind != f.Kind:
			wrong = append(wrong, fmt.Sprintf("%q is %s, want %s", f.Name, c.Kind, f.Kind))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("pipeline: missing input column %s", quoteList(missing))
	}
	if len(wrong) > 0 {
		return nil, fmt.Errorf("pipeline: mistyped column %s", strings.Join(wrong, ", "))
	}
	ws := make([]*work, 0, len(p.Inputs))
	for _, f := range p.Inputs {
		ws = append(ws, columnWork(t.Column(f.Name)))
	}
	var err error
	for _, s := range p.Steps {
		if ws, err = s.apply(ws, t.rows); err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
	}
	m := &Matrix{Rows: t.rows, Names: p.Features, Cols: make([][]float64, len(ws))}
	for j, w := range ws {
		m.Cols[j] = w.num
	}
	m.Categorical = categoricalFlags(ws)
	return m, nil
}

// categoricalFlags marks the columns of category codes, or returns nil
// when there are none.
func categoricalFlags(ws []*work) []bool {
	var out []bool
	for j, w := range ws {
		if w.cat {
			if out == nil {
				out = make([]bool, len(ws))
			}
			out[j] = true
		}
	}
	return out
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	c := slices.Clone(v)
	slices.Sort(c)
	m := len(c) / 2
	if len(c)%2 == 1 {
		return c[m]
	}
	return (c[m-1] + c[m]) / 2
}

// meanStd returns the mean and population standard deviation of the
// non-missing values of v.
func meanStd(v []float64) (float64, float64) {
	var n, s float64
	for _, x := range v {
		if !math.IsNaN(x) {
			n++
			s += x
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	m := s / n
	var ss float64
	for _, x := range v {
		if !math.IsNaN(x) {
			ss += (x - m) * (x - m)
		}
	}
	return m, math.Sqrt(ss / n)
}

// quantileEdges returns up to bins-1 increasing cut points splitting the
// non-missing values of v into bins of roughly equal count. A value x falls
// in bin sort.SearchFloat64s(edges, x).
func quantileEdges(v []float64, bins int) []float64 {
	var vals []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	slices.Sort(vals)
	var edges []float64
	for b := 1; b < bins; b++ {
		if len(vals) == 0 {
			break
		}
		e := vals[(len(vals)*b)/bins]
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges
}
