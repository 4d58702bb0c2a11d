package recipe

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Frame is tabular data passed between a recipe's steps.
type Frame interface {
	NumRows() int
}

// CSVWriter is implemented by frames that can be saved as CSV with a header
// row. The server stores scoring output through it.
type CSVWriter interface {
	WriteCSV(w io.Writer) error
}

// Model is whatever Train returns. To be saved between training and scoring
// it must encode to JSON (exported fields) or implement
// encoding.BinaryMarshaler and encoding.BinaryUnmarshaler.
type Model interface{}

// Metrics are named evaluation results, such as "auc" or "accuracy".
type Metrics map[string]float64

// Funcs are a recipe's entry points. Load, Train and Score are required.
//
// Evaluate comes in two forms: one returning Metrics, and one returning an
// *Evaluation, which adds the curves the evaluation draws (ROC, lift). A
// recipe declares one function named Evaluate of either form; the server
// binds it to Evaluate or EvaluateCurves by its signature.
type Funcs struct {
	Load           func(cfg Config) (Frame, error)
	Split          func(cfg Config, f Frame) (Frame, Frame, error)
	Train          func(cfg Config, f Frame) (Model, error)
	Evaluate       func(cfg Config, m Model, f Frame) (Metrics, error)
	EvaluateCurves func(cfg Config, m Model, f Frame) (*Evaluation, error)
	Score          func(cfg Config, m Model, f Frame) (Frame, error)
}

// evaluate runs whichever form of Evaluate f has; ok is false when it has
// none.
func (f Funcs) evaluate(cfg Config, m Model, test Frame) (ev *Evaluation, ok bool, err error) {
	switch {
	case f.EvaluateCurves != nil:
		ev, err = f.EvaluateCurves(cfg, m, test)
		if err == nil && ev == nil {
			err = errors.New("returned a nil *recipe.Evaluation: return the metrics or an error")
		}
	case f.Evaluate != nil:
		var ms Metrics
		ms, err = f.Evaluate(cfg, m, test)
		ev = &Evaluation{Metrics: ms}
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	ev.Curves, err = ev.Curves.bounded()
	return ev, true, err
}

// Check reports which required entry points are missing.
func (f Funcs) Check() error {
	var missing []string
	if f.Load == nil {
		missing = append(missing, "Load")
	}
	if f.Train == nil {
		missing = append(missing, "Train")
	}
	if f.Score == nil {
		missing = append(missing, "Score")
	}
	if len(missing) > 0 {
		return fmt.Errorf("recipe: missing entry points %v: declare them as top-level functions (see the recipe package documentation for their signatures)", missing)
	}
	return nil
}

// Trained is the outcome of the training step.
type Trained struct {
	Model     Model
	Metrics   Metrics
	RowsIn    int // rows returned by Load
	TrainRows int // rows Train saw
	TestRows  int // rows Evaluate saw; 0 when the recipe has no Evaluate
	// Curves are what an Evaluate returning an *Evaluation drew, thinned
	// to at most MaxCurvePoints points each.
	Curves Curves
	// BaselineMetrics are TrainAndCompare's evaluation of the baseline
	// model on the same test rows; BaselineError says why there are none.
	BaselineMetrics Metrics
	BaselineError   string
}

// TrainModel loads cfg's input, splits it when the recipe has Split, trains,
// and evaluates on the held-out part (or on the training data when there is
// no Split). It is what the server runs for a training run.
func TrainModel(cfg Config, f Funcs) (*Trained, error) {
	return trainModel(cfg, f, nil)
}

// TrainAndCompare is TrainModel that also evaluates baseline, a model
// trained earlier (the one a promotion rule would replace), on the same
// held-out rows as the new model, so that the two metrics compare like for
// like. A baseline that fails to evaluate does not fail the training: the
// error is kept in BaselineError.
func TrainAndCompare(cfg Config, f Funcs, baseline Model) (*Trained, error) {
	if baseline == nil {
		return nil, errors.New("recipe: TrainAndCompare needs a baseline model: use TrainModel without one")
	}
	return trainModel(cfg, f, baseline)
}

func trainModel(cfg Config, f Funcs, baseline Model) (*Trained, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	all, err := f.Load(cfg)
	if err != nil {
		return nil, fmt.Errorf("recipe Load: %w", err)
	}
	if all == nil {
		return nil, errors.New("recipe Load returned a nil frame: return the loaded data or an error")
	}
	out := &Trained{RowsIn: all.NumRows()}
	train, test := all, all
	if f.Split != nil {
		train, test, err = f.Split(cfg, all)
		if err != nil {
			return nil, fmt.Errorf("recipe Split: %w", err)
		}
		if train == nil || test == nil {
			return nil, errors.New("recipe Split returned a nil frame: return both the training and the test part")
		}
	}
	out.TrainRows = train.NumRows()
	out.Model, err = f.Train(cfg, train)
	if err != nil {
		return nil, fmt.Errorf("recipe Train: %w", err)
	}
	if out.Model == nil {
		return nil, errors.New("recipe Train returned a nil model: return the trained model or an error")
	}
	ev, ok, err := f.evaluate(cfg, out.Model, test)
	if err != nil {
		return nil, fmt.Errorf("recipe Evaluate: %w", err)
	}
	if !ok {
		if baseline != nil {
			out.BaselineError = "the recipe has no Evaluate, so there is nothing to compare"
		}
		return out, nil
	}
	out.TestRows = test.NumRows()
	out.Metrics, out.Curves = ev.Metrics, ev.Curves
	if baseline != nil {
		bev, _, err := f.evaluate(cfg, baseline, test)
		if err != nil {
			out.BaselineError = fmt.Sprintf("evaluating the baseline model on the new split: %v", err)
		} else {
			out.BaselineMetrics = bev.Metrics
		}
	}
	return out, nil
}

// Scored is the outcome of the scoring step.
type Scored struct {
	Output  Frame
	RowsIn  int
	RowsOut int
}

// ScoreInput loads cfg's input and scores it with m.
func ScoreInput(cfg Config, f Funcs, m Model) (*Scored, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	in, err := f.Load(cfg)
	if err != nil {
		return nil, fmt.Errorf("recipe Load: %w", err)
	}
	if in == nil {
		return nil, errors.New("recipe Load returned a nil frame: return the loaded data or an error")
	}
	out, err := f.Score(cfg, m, in)
	if err != nil {
		return nil, fmt.Errorf("recipe Score: %w", err)
	}
	if out == nil {
		return nil, errors.New("recipe Score returned a nil frame: return the scored rows or an error")
	}
	return &Scored{Output: out, RowsIn: in.NumRows(), RowsOut: out.NumRows()}, nil
}

// Result is what Try reports.
type Result struct {
	Trained
	Scored   Frame
	Duration time.Duration
}

// String summarises the result for a notebook cell.
func (r *Result) String() string {
	s := fmt.Sprintf("rows %d (train %d, test %d), took %s", r.RowsIn, r.TrainRows, r.TestRows, r.Duration.Round(time.Millisecond))
	for _, k := range sortedKeys(r.Metrics) {
		s += fmt.Sprintf("\n%s = %.4f", k, r.Metrics[k])
	}
	if r.Scored != nil {
		s += fmt.Sprintf("\nscored rows %d", r.Scored.NumRows())
	}
	return s
}

// Try runs a recipe's steps interactively: train (and evaluate), then score
// the same input. Use cfg.WithLimit to try it on a sample.
func Try(cfg Config, f Funcs) (*Result, error) {
	start := time.Now()
	t, err := TrainModel(cfg, f)
	if err != nil {
		return nil, err
	}
	s, err := ScoreInput(cfg, f, t.Model)
	if err != nil {
		return nil, err
	}
	return &Result{Trained: *t, Scored: s.Output, Duration: time.Since(start)}, nil
}

// retryable marks an error as worth another attempt.
type retryable struct{ err error }

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// Retryable marks err as transient (a flaky network read, say): the server
// retries the run with backoff instead of failing it.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryable{err}
}

// IsRetryable reports whether err, or an error it wraps, was marked with
// Retryable.
func IsRetryable(err error) bool {
	var r *retryable
	return errors.As(err, &r)
}
