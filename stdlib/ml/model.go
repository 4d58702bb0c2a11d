package ml

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Model kinds.
const (
	KindLogistic = "logistic"
	KindLinear   = "linear"
	KindGBM      = "gbm"
)

// Tasks a model performs.
const (
	TaskBinary     = "binary"
	TaskRegression = "regression"
	// TaskMulticlass predicts one of several classes, with a probability
	// for each (GBMs with ObjectiveMulticlass, logistic models with
	// Multinomial).
	TaskMulticlass = "multiclass"
)

// Spec says what to train: the label, how to prepare features, and one
// model's parameters (set exactly one of Logistic, Linear and GBM).
type Spec struct {
	// Label is the target column. For binary tasks it may be 0/1 numbers,
	// bools, or strings with Positive naming the positive class (inferred
	// for Yes/No, true/false and 1/0 labels). For multiclass tasks it
	// holds strings or integers, each distinct value a class.
	Label    string
	Positive string
	// Pipeline prepares features; nil means LinearPipeline() for linear
	// models and TreePipeline() for trees. Train fits a copy, so one
	// declared pipeline can serve several Specs.
	Pipeline *Pipeline
	Logistic *LogisticParams
	Linear   *LinearParams
	GBM      *GBMParams
	// Threshold classifies scores ≥ Threshold as positive in metrics
	// (0 means 0.5).
	Threshold float64
	// Progress, when set, is called as training advances (for example
	// with ShowProgress()).
	Progress func(Progress)
}

func (s *Spec) kind() (string, string, error) {
	n := 0
	kind, task := "", ""
	if s.Logistic != nil {
		n++
		kind, task = KindLogistic, TaskBinary
		if s.Logistic.Multinomial {
			task = TaskMulticlass
		}
	}
	if s.Linear != nil {
		n++
		kind, task = KindLinear, TaskRegression
	}
	if s.GBM != nil {
		n++
		kind, task = KindGBM, TaskBinary
		if s.GBM.Objective == ObjectiveRegression {
			task = TaskRegression
		}
		if s.GBM.Objective == ObjectiveMulticlass {
			task = TaskMulticlass
		}
	}
	if n != 1 {
		return "", "", errors.New("ml: set exactly one of Spec.Logistic, Spec.Linear and Spec.GBM")
	}
	if s.Label == "" {
		return "", "", errors.New("ml: Spec.Label names no label column")
	}
	return kind, task, nil
}

// Meta records how a model was trained.
type Meta struct {
	Rows      int             `json:"rows"`
	ValidRows int             `json:"valid_rows,omitempty"`
	Seed      uint64          `json:"seed"`
	Params    json.RawMessage `json:"params"`
	Trained   time.Time       `json:"trained"`
	Duration  time.Duration   `json:"duration"`
	Features  int             `json:"features"`
}

// Model is a trained model together with everything needed to score new
// data: the input schema, the fitted pipeline, the label encoding, and the
// metrics measured in training.
type Model struct {
	Kind      string       `json:"kind"`
	Task      string       `json:"task"`
	Label     string       `json:"label"`
	Positive  string       `json:"positive,omitempty"`
	Threshold float64      `json:"threshold"`
	Schema    []Field      `json:"schema"`
	Pipeline  *Pipeline    `json:"pipeline"`
	Linear    *LinearModel `json:"linear,omitempty"`
	GBM       *GBM         `json:"gbm,omitempty"`
	// Classes names a multiclass model's classes in the order of its
	// outputs: sorted strings, or integers in increasing order.
	Classes []string `json:"classes,omitempty"`
	// Calibration, set by Calibrate, maps the model's probabilities to
	// calibrated ones (per class for multiclass models).
	Calibration *Calibrator `json:"calibration,omitempty"`
	// TrainMetrics are measured on the training rows; ValidMetrics on
	// the validation rows when given.
	TrainMetrics *Metrics `json:"train_metrics,omitempty"`
	ValidMetrics *Metrics `json:"valid_metrics,omitempty"`
	Meta         Meta     `json:"meta"`
}

// labels turns a label column into numbers: 0/1 for binary tasks.
func labels(c *Column, task, positive string) ([]float64, string, error) {
	if c == nil {
		return nil, "", errors.New("no such column")
	}
	if task == TaskMulticlass {
		y, _, err := classLabels(c, nil)
		return y, "", err
	}
	n := c.Len()
	y := make([]float64, n)
	var nulls int
	if c.Kind == Numeric {
		for i, v := range c.Num {
			if math.IsNaN(v) {
				nulls++
			}
			y[i] = v
		}
		if nulls > 0 {
			return nil, "", fmt.Errorf("%d missing labels; drop those rows first (Frame.DropNulls)", nulls)
		}
		if task == TaskBinary {
			if positive != "" {
				return nil, "", fmt.Errorf("a positive class %q was given for a numeric label; numeric labels must be 0/1", positive)
			}
			for _, v := range y {
				if v != 0 && v != 1 {
					return nil, "", fmt.Errorf("binary label must be 0/1, found %v", v)
				}
			}
		}
		return y, positive, nil
	}
	if task != TaskBinary {
		return nil, "", errors.New("regression needs a numeric label")
	}
	seen := map[string]int{}
	w := columnWork(c)
	w.eachCategory(func(_ int, v string, ok bool) {
		if ok {
			seen[v]++
		} else {
			nulls++
		}
	})
	if nulls > 0 {
		return nil, "", fmt.Errorf("%d missing labels; drop those rows first (Frame.DropNulls)", nulls)
	}
	if len(seen) > 2 {
		return nil, "", fmt.Errorf("binary label has %d classes; train a multiclass model (GBMParams{Objective: ml.ObjectiveMulticlass} or LogisticParams{Multinomial: true})", len(seen))
	}
	if positive == "" {
		for _, pair := range [][2]string{{"Yes", "No"}, {"yes", "no"}, {"true", "false"}, {"True", "False"}, {"1", "0"}, {"Y", "N"}} {
			_, a := seen[pair[0]]
			_, b := seen[pair[1]]
			if (a || b) && len(seen) <= 2 && (a && b || len(seen) == 1) {
				positive = pair[0]
				break
			}
		}
	}
	if positive == "" {
		vals := make([]string, 0, len(seen))
		for v := range seen {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		return nil, "", fmt.Errorf("cannot tell the positive class among %s; set Spec.Positive", quoteList(vals))
	}
	w.eachCategory(func(i int, v string, _ bool) {
		if v == positive {
			y[i] = 1
		}
	})
	return y, positive, nil
}

// TrainTable trains spec on train, using valid (which may be nil) for
// early stopping and validation metrics.
func TrainTable(train, valid *Table, spec Spec) (*Model, error) {
	start := time.Now()
	kind, task, err := spec.kind()
	if err != nil {
		return nil, err
	}
	var y []float64
	var positive string
	var classes []string
	if task == TaskMulticlass {
		y, classes, err = classLabels(train.Column(spec.Label), nil)
	} else {
		y, positive, err = labels(train.Column(spec.Label), task, spec.Positive)
	}
	if err != nil {
		return nil, fmt.Errorf("ml: label %q: %w", spec.Label, err)
	}
	var yv []float64
	if valid != nil {
		if task == TaskMulticlass {
			yv, _, err = classLabels(valid.Column(spec.Label), classes)
		} else {
			yv, _, err = labels(valid.Column(spec.Label), task, positive)
		}
		if err != nil {
			return nil, fmt.Errorf("ml: validation label %q: %w", spec.Label, err)
		}
	}
	p := spec.Pipeline
	if p == nil {
		if kind == KindGBM {
			p = TreePipeline()
		} else {
			p = LinearPipeline()
		}
	}
	p = p.clone()
	inputs := train.without(spec.Label)
	X, err := p.Fit(inputs)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	if kind != KindGBM && X.Categorical != nil {
		return nil, fmt.Errorf("ml: the pipeline's Category step keeps %s as categories, which only trees can split; give a %s model OneHot instead", quoteList(categoricalNames(X)), kind)
	}
	var XV *Matrix
	if valid != nil {
		if XV, err = p.Transform(valid.without(spec.Label)); err != nil {
			return nil, fmt.Errorf("ml: validation set: %w", err)
		}
	}
	m := &Model{Kind: kind, Task: task, Label: spec.Label, Positive: positive, Classes: classes, Pipeline: p, Threshold: spec.Threshold}
	if m.Threshold == 0 {
		m.Threshold = 0.5
	}
	for _, c := range inputs.cols {
		m.Schema = append(m.Schema, Field{Name: c.Name, Type: c.typeName(), Kind: c.Kind})
	}
	var params any
	switch kind {
	case KindLogistic:
		lp := *spec.Logistic
		params = lp
		report(spec.Progress, Progress{Model: kind, Round: 0, Rounds: 1, Elapsed: time.Since(start)})
		if m.Linear, err = FitLogistic(X, y, lp); err != nil {
			return nil, err
		}
	case KindLinear:
		lp := *spec.Linear
		params = lp
		if m.Linear, err = FitLinear(X, y, lp); err != nil {
			return nil, err
		}
	case KindGBM:
		gp := *spec.GBM
		if err := gp.defaults(); err != nil {
			return nil, err
		}
		if classes != nil && gp.NumClass == 0 {
			gp.NumClass = len(classes)
		}
		params = gp
		m.Meta.Seed = gp.Seed
		if m.GBM, err = FitGBM(X, y, XV, yv, gp, spec.Progress); err != nil {
			return nil, err
		}
	}
	m.Meta.Params, _ = json.Marshal(params)
	m.Meta.Rows = train.Rows()
	m.Meta.Features = len(X.Cols)
	m.TrainMetrics = m.metrics(y, m.predictMatrix(X, nil))
	m.TrainMetrics.Title = "train"
	if XV != nil {
		m.Meta.ValidRows = valid.Rows()
		m.ValidMetrics = m.metrics(yv, m.predictMatrix(XV, nil))
		m.ValidMetrics.Title = "valid"
	}
	m.Meta.Trained = start.UTC().Round(time.Second)
	m.Meta.Duration = time.Since(start)
	if kind != KindGBM {
		pr := Progress{Model: kind, Round: 1, Rounds: 1, Elapsed: m.Meta.Duration, Done: true}
		if m.Linear.Iterations > 0 {
			pr.Round, pr.Rounds = m.Linear.Iterations, m.Linear.Iterations
		}
		report(spec.Progress, pr)
	}
	return m, nil
}

// categoricalNames returns the features of m that hold category codes.
func categoricalNames(m *Matrix) []string {
	var out []string
	for j, name := range m.Names {
		if m.categorical(j) {
			out = append(out, name)
		}
	}
	return out
}

func report(fn func(Progress), p Progress) {
	if fn != nil {
		fn(p)
	}
}

func (m *Model) metrics(y, p []float64) *Metrics {
	if m.Task == TaskMulticlass {
		return MulticlassMetrics(y, p, len(p)/max(1, len(y)))
	}
	if m.Task == TaskBinary {
		return BinaryMetrics(y, p, m.Threshold)
	}
	return RegressionMetrics(y, p)
}

func (m *Model) predictMatrix(X *Matrix, out []float64) []float64 {
	out = m.rawPredict(X, out)
	if m.Calibration != nil {
		out = m.Calibration.Apply(out, out)
	}
	return out
}

// rawPredict is predictMatrix without calibration.
func (m *Model) rawPredict(X *Matrix, out []float64) []float64 {
	if m.GBM != nil {
		return m.GBM.Predict(X, out)
	}
	return m.Linear.Predict(X, out)
}

// clone returns a deep copy of the pipeline's declaration.
func (p *Pipeline) clone() *Pipeline {
	b, _ := json.Marshal(p)
	var c Pipeline
	_ = json.Unmarshal(b, &c)
	for _, s := range c.Steps {
		s.prepare()
	}
	return &c
}

// checkSchema compares a scoring table with the training schema. extra
// columns other than the label are an error unless allowExtra.
func (m *Model) checkSchema(names []string, types map[string]string, allowExtra bool) error {
	var missing, wrong, extra []string
	want := map[string]bool{}
	for _, f := range m.Schema {
		want[f.Name] = true
		t, ok := types[f.Name]
		switch {
		case !ok:
			missing = append(missing, f.Name)
		case t != f.Type && !(numericType(t) && numericType(f.Type)):
			wrong = append(wrong, fmt.Sprintf("%q is %s, trained as %s", f.Name, t, f.Type))
		}
	}
	for _, n := range names {
		if !want[n] && n != m.Label {
			extra = append(extra, n)
		}
	}
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "missing column "+quoteList(missing))
	}
	if len(wrong) > 0 {
		msgs = append(msgs, "mistyped column "+strings.Join(wrong, ", "))
	}
	if len(extra) > 0 && !allowExtra {
		msgs = append(msgs, "extra column "+quoteList(extra)+" (drop them, or score with ScoreOptions{IgnoreExtra: true})")
	}
	if len(msgs) > 0 {
		return fmt.Errorf("ml: scoring data does not match the model's input schema: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// numericType reports whether a source type reads as numbers; int64 and
// float64 are interchangeable at scoring time because CSV type inference
// can choose either for the same column.
func numericType(t string) bool { return t == "int64" || t == "float64" }

// PredictTable returns predictions for the rows of t: probabilities of the
// positive class for binary models, values for regression, and for
// multiclass models each row's probability of each class (in Classes
// order), row after row.
func (m *Model) PredictTable(t *Table) ([]float64, error) {
	types := map[string]string{}
	for _, c := range t.cols {
		types[c.Name] = c.typeName()
	}
	if err := m.checkSchema(t.Names(), types, true); err != nil {
		return nil, err
	}
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	return m.predictMatrix(X, nil), nil
}

// Features returns the names of the model's feature columns (the
// pipeline's output).
func (m *Model) Features() []string { return slices.Clone(m.Pipeline.Features) }

// Importance returns feature importance. For GBMs kind is "gain" or
// "split"; linear models report absolute weights (kind "weight"; for
// multinomial models the mean over the classes), which compare features
// only when they are on one scale.
func (m *Model) Importance(kind string) (*Importance, error) {
	if m.GBM != nil {
		return m.GBM.Importance(kind)
	}
	imp := &Importance{Kind: "weight"}
	w := m.Linear.importanceWeights()
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case w[a] > w[b]:
			return -1
		case w[a] < w[b]:
			return 1
		}
		return 0
	})
	for _, i := range idx {
		imp.Features = append(imp.Features, m.Linear.Features[i])
		imp.Values = append(imp.Values, w[i])
	}
	return imp, nil
}

func (m *Model) String() string {
	s := fmt.Sprintf("%s model (%s) for %q: %d inputs → %d features, trained on %d rows", m.Kind, m.Task, m.Label, len(m.Schema), len(m.Pipeline.Features), m.Meta.Rows)
	if m.GBM != nil {
		s += fmt.Sprintf(", %d trees", len(m.GBM.Trees))
	}
	if m.ValidMetrics != nil {
		s += "; valid " + m.ValidMetrics.String()
	} else if m.TrainMetrics != nil {
		s += "; train " + m.TrainMetrics.String()
	}
	return s
}
