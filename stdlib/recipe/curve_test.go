package recipe_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// withCurves is funcs() whose Evaluate returns an *Evaluation: a metric
// computed from the test rows, and the curves curves returns.
func withCurves(curves func() recipe.Curves) recipe.Funcs {
	f := funcs()
	f.Evaluate = nil
	f.EvaluateCurves = func(cfg recipe.Config, m recipe.Model, fr recipe.Frame) (*recipe.Evaluation, error) {
		xs, err := fr.(*recipe.Table).Floats("x")
		if err != nil {
			return nil, err
		}
		// Mean absolute distance of the test rows from the model's mean:
		// it depends on both the model and the rows.
		d := 0.0
		for _, x := range xs {
			d += max(x-m.(mean).M, m.(mean).M-x) / float64(len(xs))
		}
		return &recipe.Evaluation{Metrics: recipe.Metrics{"distance": d}, Curves: curves()}, nil
	}
	return f
}

func TestEvaluationCurves(t *testing.T) {
	long := recipe.Curve{}
	for i := range 2001 {
		long.X, long.Y = append(long.X, float64(i)), append(long.Y, float64(i*i))
	}
	tr, err := recipe.TrainModel(recipe.NewConfig("inline"), withCurves(func() recipe.Curves {
		return recipe.Curves{"roc": {X: []float64{0, 0.5, 1}, Y: []float64{0, 0.8, 1}}, "long": long}
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := tr.Curves["long"]
	if len(tr.Curves["roc"].X) != 3 || len(got.X) != recipe.MaxCurvePoints || got.X[0] != 0 || got.X[len(got.X)-1] != 2000 || got.Y[len(got.Y)-1] != 2000*2000 {
		t.Errorf("curves = roc %v, long %d points from %v to %v; want roc whole and long thinned to %d keeping its ends",
			tr.Curves["roc"], len(got.X), got.X[0], got.X[len(got.X)-1], recipe.MaxCurvePoints)
	}
	// Train rows 1, 2 (mean 1.5), test rows 3, 4: distance 2.
	if tr.Metrics["distance"] != 2 || tr.TestRows != 2 {
		t.Errorf("metrics = %v on %d rows", tr.Metrics, tr.TestRows)
	}

	for _, bad := range []struct {
		curves recipe.Curves
		want   string
	}{
		{recipe.Curves{"roc": {X: []float64{0, 1}, Y: []float64{0}}}, "curve roc has 2 x and 1 y values"},
		{recipe.Curves{"lift": {X: []float64{0, 1}, Y: []float64{1, 1.0 / zero()}}}, "curve lift point 1"},
		{recipe.Curves{"": {}}, "a curve has no name"},
		{recipe.Curves{"a": {}, "b": {}, "c": {}, "d": {}, "e": {}, "f": {}, "g": {}, "h": {}, "i": {}}, "9 curves: record at most 8"},
	} {
		_, err := recipe.TrainModel(recipe.NewConfig("inline"), withCurves(func() recipe.Curves { return bad.curves }))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "recipe Evaluate") {
			t.Errorf("curves %v: %v; want an Evaluate error containing %q", bad.curves, err, bad.want)
		}
	}
}

func zero() float64 { return 0 }

// TestTrainAndCompare: the baseline is evaluated on the new model's test
// rows, by the same Evaluate.
func TestTrainAndCompare(t *testing.T) {
	f := withCurves(func() recipe.Curves { return nil })
	tr, err := recipe.TrainAndCompare(recipe.NewConfig("inline"), f, mean{M: 3.5})
	if err != nil {
		t.Fatal(err)
	}
	// The baseline's mean 3.5 against test rows 3 and 4: distance 0.5.
	if tr.Metrics["distance"] != 2 || tr.BaselineMetrics["distance"] != 0.5 || tr.BaselineError != "" {
		t.Errorf("metrics %v, baseline %v (%q); want 2 and 0.5", tr.Metrics, tr.BaselineMetrics, tr.BaselineError)
	}
	// A baseline the recipe cannot evaluate leaves the training alone.
	f.EvaluateCurves = func(cfg recipe.Config, m recipe.Model, fr recipe.Frame) (*recipe.Evaluation, error) {
		if _, ok := m.(mean); !ok {
			return nil, errors.New("not a mean")
		}
		return &recipe.Evaluation{Metrics: recipe.Metrics{"one": 1}}, nil
	}
	tr, err = recipe.TrainAndCompare(recipe.NewConfig("inline"), f, "something else")
	if err != nil || tr.Metrics["one"] != 1 || tr.BaselineMetrics != nil || !strings.Contains(tr.BaselineError, "not a mean") {
		t.Errorf("= %+v, %v; want the training kept and the baseline's error recorded", tr, err)
	}
	if _, err := recipe.TrainAndCompare(recipe.NewConfig("inline"), f, nil); err == nil {
		t.Error("no baseline: want an error")
	}
}
