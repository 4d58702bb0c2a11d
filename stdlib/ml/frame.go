package ml

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/galley-dev/galley/stdlib/data"
)

// FrameTable views f as a Table: numeric, bool and timestamp columns as
// float64 with NaN for nulls (timestamps in Unix seconds), string columns
// as categorical codes. Float64 columns without nulls are not copied.
func FrameTable(f *data.Frame) (*Table, error) {
	t := NewTable()
	for i := 0; i < f.NumCols(); i++ {
		c := f.ColumnAt(i)
		col := &Column{Name: c.Name(), Type: string(c.DType())}
		switch c.DType() {
		case data.String:
			codes, levels, err := c.Codes()
			if err != nil {
				return nil, err
			}
			col.Kind, col.Codes, col.Levels = Categorical, codes, levels
		case data.Float64:
			col.Kind = Numeric
			if c.NullCount() == 0 {
				v, err := c.Float64s()
				if err != nil {
					return nil, err
				}
				col.Num = v
				break
			}
			fallthrough
		default:
			col.Kind = Numeric
			v, err := c.ToFloat64s()
			if err != nil {
				return nil, fmt.Errorf("ml: column %q: %w", c.Name(), err)
			}
			col.Num = v
		}
		t.Add(col)
	}
	t.rows = f.NumRows()
	return t, nil
}

// Train trains spec on the frame train. valid, which may be nil, is used
// for early stopping and validation metrics.
//
//	m, err := ml.Train(trainFrame, testFrame, ml.Spec{
//		Label: "Churn", Pipeline: ml.TreePipeline("customerID"),
//		GBM:   &ml.GBMParams{Trees: 300, EarlyStopping: 20},
//	})
func Train(train, valid *data.Frame, spec Spec) (*Model, error) {
	if train == nil {
		return nil, errors.New("ml: no training frame")
	}
	if !train.Has(spec.Label) {
		return nil, fmt.Errorf("ml: training frame has no label column %q", spec.Label)
	}
	t, err := FrameTable(train)
	if err != nil {
		return nil, err
	}
	var v *Table
	if valid != nil {
		if v, err = FrameTable(valid); err != nil {
			return nil, err
		}
	}
	return TrainTable(t, v, spec)
}

func frameTypes(f *data.Frame) ([]string, map[string]string) {
	types := map[string]string{}
	for _, fl := range f.Schema() {
		types[fl.Name] = string(fl.Type)
	}
	return f.Names(), types
}

// ScoreOptions adjusts Score.
type ScoreOptions struct {
	// Column names the prediction column; "" means "prediction".
	Column string
	// IgnoreExtra accepts input columns the model was not trained on.
	IgnoreExtra bool
	// Drivers, when above 0, also writes each row's largest drivers of its
	// score (see Model.Explain): for rank i from 1 to Drivers, columns
	// driver_i (the input column), driver_i_value (the row's value of it,
	// as text) and driver_i_contribution (its part in the margin).
	Drivers int
}

// Predict returns predictions for the rows of f: probabilities of the
// positive class for binary models, values for regression, and for
// multiclass models each row's probability of each class (in Classes
// order), row after row (PredictProba adds the predicted class). Columns
// other than the model's inputs and label are ignored.
func (m *Model) Predict(f *data.Frame) ([]float64, error) {
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, true); err != nil {
		return nil, err
	}
	return m.predictFrame(f, nil)
}

func (m *Model) predictFrame(f *data.Frame, out []float64) ([]float64, error) {
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	return m.predictMatrix(X, out), nil
}

// Score returns f with a "prediction" column added. A multiclass model
// writes the predicted class there and each class's probability in a
// column "prediction_<class>". f must have exactly
// the columns the model was trained on (the label may also be present);
// missing, extra and mistyped columns are reported by name.
func (m *Model) Score(f *data.Frame) (*data.Frame, error) {
	return m.ScoreWith(f, ScoreOptions{})
}

// ScoreWith is Score with options.
func (m *Model) ScoreWith(f *data.Frame, o ScoreOptions) (*data.Frame, error) {
	col := o.Column
	if col == "" {
		col = "prediction"
	}
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, o.IgnoreExtra); err != nil {
		return nil, err
	}
	if f.Has(col) {
		return nil, fmt.Errorf("ml: frame already has a column %q; choose another with ScoreOptions.Column", col)
	}
	if o.Drivers < 0 {
		return nil, fmt.Errorf("ml: ScoreOptions.Drivers is %d; use 0 for no drivers or a positive count", o.Drivers)
	}
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	var preds []data.Series
	if p := m.predictMatrix(X, nil); m.Task == TaskMulticlass {
		preds = m.multiclassColumns(col, p, t.Rows())
	} else {
		preds = []data.Series{data.Float64s(col, p)}
	}
	out := f
	out.Retain()
	for _, s := range preds {
		if f.Has(s.Name()) {
			out.Release()
			return nil, fmt.Errorf("ml: frame already has a column %q, which scoring writes; rename it first", s.Name())
		}
		next, err := out.WithColumn(s)
		out.Release()
		if err != nil {
			return nil, err
		}
		out = next
	}
	if o.Drivers == 0 {
		return out, nil
	}
	e, err := m.explain(t, X, o.Drivers, -1)
	if err != nil {
		out.Release()
		return nil, err
	}
	for _, s := range e.driverColumns() {
		if f.Has(s.Name()) {
			out.Release()
			return nil, fmt.Errorf("ml: frame already has a column %q, which ScoreOptions.Drivers writes; rename it first", s.Name())
		}
		next, err := out.WithColumn(s)
		out.Release()
		if err != nil {
			return nil, err
		}
		out = next
	}
	return out, nil
}

// FrameSource yields frames one chunk at a time and io.EOF at the end;
// *data.CSVReader is one.
type FrameSource interface {
	Next() (*data.Frame, error)
}

// FrameSink receives frames; *data.CSVWriter is one.
type FrameSink interface {
	Write(*data.Frame) error
}

// ScoreStream scores every chunk from src and writes each, with its
// prediction column, to dst. Chunks are released after writing. It
// returns the number of rows scored.
//
//	r, _ := data.OpenCSV("customers.csv")
//	w, _ := data.CreateCSV("scored.csv")
//	n, err := m.ScoreStream(r, w, ml.ScoreOptions{IgnoreExtra: true})
//	w.Close(); r.Close()
func (m *Model) ScoreStream(src FrameSource, dst FrameSink, o ScoreOptions) (int, error) {
	rows := 0
	for {
		f, err := src.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, fmt.Errorf("ml: reading chunk after %d rows: %w", rows, err)
		}
		scored, err := m.ScoreWith(f, o)
		f.Release()
		if err != nil {
			return rows, fmt.Errorf("ml: chunk at row %d: %w", rows, err)
		}
		err = dst.Write(scored)
		rows += scored.NumRows()
		scored.Release()
		if err != nil {
			return rows, fmt.Errorf("ml: writing chunk: %w", err)
		}
	}
}

// Evaluate scores f, which must hold the label column, and returns the
// metrics with the predictions kept for plots (ROC, lift, calibration).
func (m *Model) Evaluate(f *data.Frame) (*Evaluation, error) {
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, true); err != nil {
		return nil, err
	}
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	return m.EvaluateTable(t)
}

// EvaluateTable is Evaluate for a Table.
func (m *Model) EvaluateTable(t *Table) (*Evaluation, error) {
	var y []float64
	var err error
	if m.Task == TaskMulticlass {
		y, _, err = classLabels(t.Column(m.Label), m.Classes)
	} else {
		y, _, err = labels(t.Column(m.Label), m.Task, m.Positive)
	}
	if err != nil {
		return nil, fmt.Errorf("ml: label %q: %w", m.Label, err)
	}
	p, err := m.PredictTable(t)
	if err != nil {
		return nil, err
	}
	if m.Task == TaskMulticlass {
		return EvaluateMulticlass(y, p, m.Classes), nil
	}
	if m.Task == TaskBinary {
		return EvaluateBinary(y, p, m.Threshold), nil
	}
	return EvaluateRegression(y, p), nil
}

// Evaluation holds labels, predictions and their metrics. For multiclass
// models Y holds class indices into Classes and P each row's class
// probabilities, row after row; ROC, Lift and Calibration are binary only,
// and ClassConfusion gives the confusion matrix.
type Evaluation struct {
	Task      string
	Y, P      []float64
	Threshold float64
	Metrics   *Metrics
	Classes   []string
}

// EvaluateBinary evaluates scores p against 0/1 labels y.
func EvaluateBinary(y, p []float64, threshold float64) *Evaluation {
	if threshold == 0 {
		threshold = 0.5
	}
	return &Evaluation{Task: TaskBinary, Y: y, P: p, Threshold: threshold, Metrics: BinaryMetrics(y, p, threshold)}
}

// EvaluateRegression evaluates predictions against targets.
func EvaluateRegression(y, pred []float64) *Evaluation {
	return &Evaluation{Task: TaskRegression, Y: y, P: pred, Metrics: RegressionMetrics(y, pred)}
}

// ROC returns the ROC curve.
func (e *Evaluation) ROC() *Curve { return ROC(e.Y, e.P) }

// Lift returns the lift table by decile.
func (e *Evaluation) Lift() *LiftTable { return Lift(e.Y, e.P, 10) }

// Calibration returns the calibration curve over ten bins.
func (e *Evaluation) Calibration() *CalibrationCurve { return Calibration(e.Y, e.P, 10) }

// Confusion returns the confusion matrix at the evaluation's threshold.
func (e *Evaluation) Confusion() Confusion { return ConfusionAt(e.Y, e.P, e.Threshold) }

// AUC returns the evaluation's AUC (the one-vs-rest macro AUC for
// multiclass models), or NaN for regression.
func (e *Evaluation) AUC() float64 {
	if e.Task == TaskMulticlass {
		return e.Metrics.Value("macro_auc")
	}
	if e.Task != TaskBinary {
		return math.NaN()
	}
	return e.Metrics.Value("auc")
}
