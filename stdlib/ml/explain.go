package ml

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/galley-dev/galley/stdlib/data"
)

// Contributions splits each row's score into a base value and one additive
// contribution per input column: for every row, Base plus the row's
// contributions equals its margin (the log-odds for binary models, the
// prediction for regression). Tree models get exact TreeSHAP values;
// linear models wⱼ·(xⱼ − x̄ⱼ). A column the pipeline expands into several
// features (one-hot categories, missing indicators) gets their sum.
// Multiclass models explain one class's raw score (before the softmax)
// per row: each row's predicted class, or a chosen one.
type Contributions struct {
	// Features are the input columns that feed the model, in schema order.
	Features []string
	Base     float64
	// Scale is "log-odds" for binary models and "value" for regression.
	Scale string
	Rows  int
	// Values holds Rows × len(Features) contributions, row by row.
	Values []float64
	// Margin is each row's raw model score.
	Margin []float64
	// Class names, for multiclass models, the class each row is explained
	// for, and Bases holds that class's base for each row. Base is then
	// NaN unless every row is explained for one chosen class.
	Class []string
	Bases []float64

	// prob is each multiclass row's probability of its explained class.
	prob []float64
}

// RowBase returns row i's base value: Bases[i] for multiclass models, Base
// otherwise.
func (c *Contributions) RowBase(i int) float64 {
	if c.Bases != nil {
		return c.Bases[i]
	}
	return c.Base
}

// Row returns row i's contributions, one per feature.
func (c *Contributions) Row(i int) []float64 {
	d := len(c.Features)
	return c.Values[i*d : (i+1)*d]
}

// Contributions explains the model's score of every row of f. Columns
// other than the model's inputs and label are ignored.
func (m *Model) Contributions(f *data.Frame) (*Contributions, error) {
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, true); err != nil {
		return nil, err
	}
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	return m.ContributionsTable(t)
}

// ContributionsTable is Contributions for a Table.
func (m *Model) ContributionsTable(t *Table) (*Contributions, error) {
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	return m.contributions(X, -1)
}

// contributions explains the rows of X, the pipeline's output. A
// multiclass model explains class (an index into Classes), or each row's
// predicted class when class < 0.
func (m *Model) contributions(X *Matrix, class int) (*Contributions, error) {
	var err error
	var raw []float64
	var base float64
	var margin []float64
	var mc *classExplained
	switch {
	case m.Task == TaskMulticlass:
		var s classScorer = m.Linear
		if m.GBM != nil {
			s = m.GBM
		}
		if mc, err = explainClasses(s, X, class); err != nil {
			return nil, err
		}
		raw, base, margin = mc.raw, mc.base, mc.margin
		if m.Calibration != nil {
			// The probability shown is the calibrated one.
			p, k := m.predictMatrix(X, nil), len(m.Classes)
			for i, c := range mc.class {
				mc.prob[i] = p[i*k+c]
			}
		}
	case m.GBM != nil:
		if raw, base, err = m.GBM.Contributions(X); err != nil {
			return nil, err
		}
		margin = m.GBM.Margin(X)
	case m.Linear != nil:
		if raw, base, err = m.Linear.Contributions(X); err != nil {
			return nil, err
		}
		margin = make([]float64, X.Rows)
		linearBlock(X.Cols, m.Linear.Weights, m.Linear.Intercept, 0, X.Rows, margin)
	default:
		return nil, errors.New("ml: model has neither trees nor weights")
	}
	// Group the features by the input column they come from, listing
	// the inputs that feed some feature in schema order.
	sources := make([]string, len(m.Pipeline.Features))
	used := map[string]bool{}
	for j, name := range m.Pipeline.Features {
		sources[j] = name
		if j < len(m.Pipeline.Sources) {
			sources[j] = m.Pipeline.Sources[j]
		}
		used[sources[j]] = true
	}
	var inputs []string
	at := map[string]int{}
	for _, f := range m.Schema {
		if used[f.Name] {
			at[f.Name] = len(inputs)
			inputs = append(inputs, f.Name)
		}
	}
	group := make([]int, len(sources))
	for j, src := range sources {
		g, ok := at[src]
		if !ok {
			// A model saved before sources were recorded: a derived
			// feature stands as its own column.
			g = len(inputs)
			at[src] = g
			inputs = append(inputs, src)
		}
		group[j] = g
	}
	d, k := len(group), len(inputs)
	c := &Contributions{Features: inputs, Base: base, Scale: "value", Rows: X.Rows, Values: make([]float64, X.Rows*k), Margin: margin}
	if m.Task == TaskBinary {
		c.Scale = "log-odds"
	}
	if mc != nil {
		c.Scale = "class score"
		c.Class = make([]string, X.Rows)
		for i, k := range mc.class {
			c.Class[i] = m.Classes[k]
		}
		c.Bases, c.prob = mc.bases, mc.prob
	}
	for i := 0; i < X.Rows; i++ {
		out := c.Values[i*k : (i+1)*k]
		for j, v := range raw[i*d : (i+1)*d] {
			out[group[j]] += v
		}
	}
	return c, nil
}

// Driver is one input column's part in a row's score.
type Driver struct {
	Feature      string
	Value        string // the row's value of the column, as text
	Contribution float64
}

// RowExplanation is one row's score and its largest drivers.
type RowExplanation struct {
	// Class is, for multiclass models, the class whose score is
	// explained; Base is the score's base value.
	Class  string
	Base   float64
	Margin float64 // raw score: Base + Σ contributions
	// Prediction is the probability for binary models (calibrated when
	// the model is), the value for regression, and for multiclass models
	// the probability of Class.
	Prediction float64
	Drivers    []Driver
	// Other is the summed contribution of the columns not in Drivers.
	Other float64
}

// Explanation holds the top drivers of each row's score, most influential
// first (by absolute contribution). For multiclass models Base is NaN
// unless one class was chosen (each row's Base is in its RowExplanation).
type Explanation struct {
	Label    string
	Positive string
	Base     float64
	Scale    string
	K        int
	Rows     []RowExplanation
}

// Explain returns the k largest drivers of the model's score for each row
// of f: the input column, the row's value of it and its contribution to
// the margin. It renders in a notebook as a table; Waterfall draws one row.
//
//	ex, _ := m.Explain(customers, 3)
//	ex               // table of the top 3 drivers per row
//	ex.Waterfall(0)  // how row 0's score builds up
func (m *Model) Explain(f *data.Frame, k int) (*Explanation, error) {
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, true); err != nil {
		return nil, err
	}
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	return m.ExplainTable(t, k)
}

// ExplainTable is Explain for a Table.
func (m *Model) ExplainTable(t *Table, k int) (*Explanation, error) {
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	return m.explain(t, X, k, -1)
}

// explain explains the rows of t, whose pipeline output is X; class is as
// for contributions.
func (m *Model) explain(t *Table, X *Matrix, k, class int) (*Explanation, error) {
	if k < 1 {
		return nil, fmt.Errorf("ml: Explain needs k ≥ 1 drivers per row, got %d", k)
	}
	c, err := m.contributions(X, class)
	if err != nil {
		return nil, err
	}
	k = min(k, len(c.Features))
	cols := make([]*Column, len(c.Features))
	for j, name := range c.Features {
		cols[j] = t.Column(name)
	}
	e := &Explanation{Label: m.Label, Positive: m.Positive, Base: c.Base, Scale: c.Scale, K: k, Rows: make([]RowExplanation, c.Rows)}
	drivers := make([]Driver, c.Rows*k)
	parallelBlocks(c.Rows, workerCount(0), func(_, lo, hi int) {
		order := make([]int, len(c.Features))
		for i := lo; i < hi; i++ {
			row := c.Row(i)
			for j := range order {
				order[j] = j
			}
			slices.SortStableFunc(order, func(a, b int) int {
				x, y := math.Abs(row[a]), math.Abs(row[b])
				switch {
				case x > y:
					return -1
				case x < y:
					return 1
				}
				return 0
			})
			r := RowExplanation{Base: c.RowBase(i), Margin: c.Margin[i], Prediction: c.Margin[i], Drivers: drivers[i*k : (i+1)*k : (i+1)*k]}
			if c.Class != nil {
				r.Class, r.Prediction = c.Class[i], c.prob[i]
			}
			if m.Task == TaskBinary {
				r.Prediction = sigmoid(c.Margin[i])
				if m.Calibration != nil {
					r.Prediction = m.Calibration.apply(r.Prediction)
				}
			}
			var top float64
			for n, j := range order[:k] {
				r.Drivers[n] = Driver{Feature: c.Features[j], Value: cellText(cols[j], i), Contribution: row[j]}
				top += row[j]
			}
			r.Other = c.Margin[i] - r.Base - top
			e.Rows[i] = r
		}
	})
	return e, nil
}

// cellText formats row i of a column for display next to a contribution.
func cellText(c *Column, i int) string {
	if c == nil {
		return ""
	}
	switch {
	case c.Kind == Numeric:
		v := c.Num[i]
		if math.IsNaN(v) {
			return missingCategory
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	case c.Codes != nil:
		if c.Codes[i] < 0 {
			return missingCategory
		}
		return c.Levels[c.Codes[i]]
	default:
		if c.Valid != nil && !c.Valid[i] {
			return missingCategory
		}
		return c.Str[i]
	}
}

// driverColumns returns the columns ScoreOptions.Drivers appends: for each
// rank i, driver_i (the input column), driver_i_value and
// driver_i_contribution.
func (e *Explanation) driverColumns() []data.Series {
	var out []data.Series
	n := len(e.Rows)
	for rank := 0; rank < e.K; rank++ {
		feat, val := make([]string, n), make([]string, n)
		con := make([]float64, n)
		for i, r := range e.Rows {
			d := r.Drivers[rank]
			feat[i], val[i], con[i] = d.Feature, d.Value, d.Contribution
		}
		name := fmt.Sprintf("driver_%d", rank+1)
		out = append(out, data.Strings(name, feat), data.Strings(name+"_value", val), data.Float64s(name+"_contribution", con))
	}
	return out
}
