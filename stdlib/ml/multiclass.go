package ml

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/galley-dev/galley/stdlib/data"
)

// maxClasses bounds the classes of a multiclass label: each round grows a
// tree per class, and a label with more distinct values is almost always
// an identifier or a number to regress on.
const maxClasses = 256

// classLabels turns a multiclass label column into class indices. With
// classes nil it infers them from the column: its distinct strings in
// sorted order, or its distinct integers in increasing order. Otherwise
// each value must be one of classes.
func classLabels(c *Column, classes []string) ([]float64, []string, error) {
	if c == nil {
		return nil, nil, errors.New("no such column")
	}
	n := c.Len()
	text := make([]string, n)
	nulls := 0
	if c.Kind == Numeric {
		var vals []float64
		seen := map[float64]bool{}
		for i, v := range c.Num {
			switch {
			case math.IsNaN(v):
				nulls++
				continue
			case v != math.Trunc(v) || math.IsInf(v, 0):
				return nil, nil, fmt.Errorf("a multiclass label must hold strings or integers, found %v", v)
			}
			text[i] = strconv.FormatFloat(v, 'f', -1, 64)
			if !seen[v] {
				seen[v] = true
				vals = append(vals, v)
			}
		}
		if classes == nil && nulls == 0 {
			slices.Sort(vals)
			for _, v := range vals {
				classes = append(classes, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
	} else {
		seen := map[string]bool{}
		columnWork(c).eachCategory(func(i int, v string, ok bool) {
			if !ok {
				nulls++
				return
			}
			text[i] = v
			seen[v] = true
		})
		if classes == nil && nulls == 0 {
			for v := range seen {
				classes = append(classes, v)
			}
			slices.Sort(classes)
		}
	}
	if nulls > 0 {
		return nil, nil, fmt.Errorf("%d missing labels; drop those rows first (Frame.DropNulls)", nulls)
	}
	if len(classes) > maxClasses {
		return nil, nil, fmt.Errorf("multiclass label has %d distinct values, more than %d classes; is it an identifier or a number to regress on?", len(classes), maxClasses)
	}
	if len(classes) < 2 {
		return nil, nil, fmt.Errorf("multiclass label needs at least 2 classes, found %d", len(classes))
	}
	index := make(map[string]int, len(classes))
	for k, name := range classes {
		index[name] = k
	}
	y := make([]float64, n)
	for i, v := range text {
		k, ok := index[v]
		if !ok {
			return nil, nil, fmt.Errorf("class %q was not seen in training (the model knows %s)", v, quoteList(classes))
		}
		y[i] = float64(k)
	}
	return y, classes, nil
}

// ClassProbabilities holds each row's probability of each class of a
// multiclass model.
type ClassProbabilities struct {
	Classes []string
	Rows    int
	// Values holds Rows × len(Classes) probabilities, row by row.
	Values []float64
}

// Row returns row i's probabilities, one per class.
func (p *ClassProbabilities) Row(i int) []float64 {
	k := len(p.Classes)
	return p.Values[i*k : (i+1)*k]
}

// Predicted returns the index of row i's most probable class.
func (p *ClassProbabilities) Predicted(i int) int { return argmax(p.Row(i)) }

// Class returns the name of row i's most probable class.
func (p *ClassProbabilities) Class(i int) string { return p.Classes[p.Predicted(i)] }

// PredictedClasses returns every row's most probable class.
func (p *ClassProbabilities) PredictedClasses() []string {
	out := make([]string, p.Rows)
	for i := range out {
		out[i] = p.Class(i)
	}
	return out
}

// PredictProba returns the class probabilities of a multiclass model for
// the rows of f, with each row's predicted class. Columns other than the
// model's inputs and label are ignored.
func (m *Model) PredictProba(f *data.Frame) (*ClassProbabilities, error) {
	if m.Task != TaskMulticlass {
		return nil, fmt.Errorf("ml: PredictProba needs a multiclass model; this %s model's Predict gives its predictions", m.Task)
	}
	p, err := m.Predict(f)
	if err != nil {
		return nil, err
	}
	return &ClassProbabilities{Classes: m.Classes, Rows: f.NumRows(), Values: p}, nil
}

// multiclassColumns returns the columns Score writes for a multiclass
// model: the predicted class, named col, and each class's probability,
// named col_<class>.
func (m *Model) multiclassColumns(col string, p []float64, rows int) []data.Series {
	cp := &ClassProbabilities{Classes: m.Classes, Rows: rows, Values: p}
	out := []data.Series{data.Strings(col, cp.PredictedClasses())}
	k := len(m.Classes)
	for c, name := range m.Classes {
		v := make([]float64, rows)
		for i := range v {
			v[i] = p[i*k+c]
		}
		out = append(out, data.Float64s(col+"_"+name, v))
	}
	return out
}

// validateClasses checks that a decoded model's classes agree with its
// trees.
func (m *Model) validateClasses() error {
	g := m.GBM
	if m.Task == TaskMulticlass && m.Linear != nil {
		return m.Linear.validateClasses(len(m.Classes), len(m.Pipeline.Features))
	}
	if m.Task != TaskMulticlass {
		if g != nil && g.NumClass != 0 {
			return fmt.Errorf("a %s model has %d classes of trees", m.Task, g.NumClass)
		}
		return nil
	}
	if g == nil {
		return errors.New("multiclass model has no trees")
	}
	k := len(m.Classes)
	if k < 2 || g.NumClass != k || len(g.InitScores) != k || len(g.Trees)%k != 0 {
		return fmt.Errorf("multiclass model: %d classes, %d outputs, %d starting scores and %d trees disagree", k, g.NumClass, len(g.InitScores), len(g.Trees))
	}
	return nil
}

// classExplained is a multiclass model's explanation of one class per
// row: the raw contributions (row-major, one per feature), each row's
// class, its base, its class score and its probability.
type classExplained struct {
	raw    []float64
	class  []int
	base   float64 // the chosen class's base; NaN when rows differ
	bases  []float64
	margin []float64
	prob   []float64
}

// classScorer is a multiclass model that scores and explains each class:
// GBM and LinearModel.
type classScorer interface {
	outputs() int
	ClassMargin(X *Matrix, k int) []float64
	ClassContributions(X *Matrix, k int) ([]float64, float64, error)
}

// explainClasses explains class (or, when class < 0, each row's most
// probable class) for the rows of X. Rows are explained in groups of one
// class, so the work is that of explaining one class for every row.
func explainClasses(g classScorer, X *Matrix, class int) (*classExplained, error) {
	K := g.outputs()
	if class >= K {
		return nil, fmt.Errorf("ml: class %d out of range: the model has %d classes", class, K)
	}
	n, d := X.Rows, len(X.Cols)
	margins := make([][]float64, K)
	for k := range margins {
		margins[k] = g.ClassMargin(X, k)
	}
	e := &classExplained{raw: make([]float64, n*d), class: make([]int, n), bases: make([]float64, n), margin: make([]float64, n), prob: make([]float64, n), base: math.NaN()}
	z := make([]float64, K)
	byClass := make([][]int, K)
	for i := 0; i < n; i++ {
		for k := range z {
			z[k] = margins[k][i]
		}
		c := class
		if c < 0 {
			c = argmax(z)
		}
		softmaxInPlace(z)
		e.class[i], e.margin[i], e.prob[i] = c, margins[c][i], z[c]
		byClass[c] = append(byClass[c], i)
	}
	for k, rows := range byClass {
		if len(rows) == 0 {
			continue
		}
		sub := X
		if len(rows) < n {
			sub = &Matrix{Rows: len(rows), Names: X.Names, Cols: make([][]float64, d)}
			for j, col := range X.Cols {
				v := make([]float64, len(rows))
				for r, i := range rows {
					v[r] = col[i]
				}
				sub.Cols[j] = v
			}
		}
		raw, base, err := g.ClassContributions(sub, k)
		if err != nil {
			return nil, err
		}
		for r, i := range rows {
			copy(e.raw[i*d:(i+1)*d], raw[r*d:(r+1)*d])
			e.bases[i] = base
		}
		if class >= 0 {
			e.base = base
		}
	}
	return e, nil
}

// classIndex returns the index of class among a multiclass model's classes.
func (m *Model) classIndex(class string) (int, error) {
	if m.Task != TaskMulticlass {
		return 0, fmt.Errorf("ml: a %s model has no classes to choose from", m.Task)
	}
	k := slices.Index(m.Classes, class)
	if k < 0 {
		return 0, fmt.Errorf("ml: no class %q (the model's classes are %s)", class, quoteList(m.Classes))
	}
	return k, nil
}

// ExplainClass is Explain for one class of a multiclass model: the top k
// drivers of every row's score for class, whichever class the row is
// predicted to be. Explain explains each row's predicted class.
func (m *Model) ExplainClass(f *data.Frame, k int, class string) (*Explanation, error) {
	t, X, c, err := m.classInput(f, class)
	if err != nil {
		return nil, err
	}
	return m.explain(t, X, k, c)
}

// ClassContributions is Contributions for one class of a multiclass
// model: every row's contributions to its score for class.
func (m *Model) ClassContributions(f *data.Frame, class string) (*Contributions, error) {
	_, X, c, err := m.classInput(f, class)
	if err != nil {
		return nil, err
	}
	return m.contributions(X, c)
}

// classInput checks f against the model's schema and returns it as a
// table, its feature matrix and the index of class.
func (m *Model) classInput(f *data.Frame, class string) (*Table, *Matrix, int, error) {
	c, err := m.classIndex(class)
	if err != nil {
		return nil, nil, 0, err
	}
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, true); err != nil {
		return nil, nil, 0, err
	}
	t, err := FrameTable(f)
	if err != nil {
		return nil, nil, 0, err
	}
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("ml: %w", err)
	}
	return t, X, c, nil
}
