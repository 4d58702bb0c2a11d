package ml

import (
	"math"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/display"
)

func TestSearchGridMatchesCrossValidate(t *testing.T) {
	f := churnFrame(t, 1200, 12)
	spec := Spec{Label: "churn", Pipeline: LinearPipeline("id"), Logistic: &LogisticParams{}}
	var reports []Progress
	res, err := Search(f, spec, SearchOptions{
		Params:   []Param{{Name: "C", Values: []float64{0.001, 0.1, 10}}},
		Folds:    3,
		Seed:     4,
		Parallel: 2,
		Progress: func(p Progress) { reports = append(reports, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Trials) != 3 || len(reports) != 3 || !reports[2].Done || reports[2].Round != 3 {
		t.Fatalf("%d trials, %d progress reports (last %+v)", len(res.Trials), len(reports), reports[len(reports)-1])
	}
	for i, tr := range res.Trials {
		// Each trial's mean is what CrossValidate reports for the same
		// setting and folds.
		s := spec
		lp := *spec.Logistic
		lp.C = tr.Values[0]
		s.Logistic = &lp
		cv, err := CrossValidate(f, s, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		if want := cv.Mean.Value("auc"); math.Abs(tr.Mean-want) > 1e-9 {
			t.Errorf("trial C=%v: mean AUC %v, CrossValidate %v", tr.Values[0], tr.Mean, want)
		}
		if i > 0 && tr.Mean > res.Trials[i-1].Mean {
			t.Errorf("trials not ranked best first: %v after %v", tr.Mean, res.Trials[i-1].Mean)
		}
	}
	if res.Best.Logistic.C != res.Trials[0].Values[0] || spec.Logistic.C != 0 {
		t.Errorf("best spec C=%v, best trial %v; the given spec changed to C=%v", res.Best.Logistic.C, res.Trials[0].Values, spec.Logistic.C)
	}
	h, _ := res.DisplayData().Bundle[display.MIMEHTML].(string)
	if !strings.Contains(h, "<table") || !strings.Contains(h, "auc mean") {
		t.Errorf("results do not render as a table: %.200s", h)
	}
}

func TestSearchRandomGBM(t *testing.T) {
	f := churnFrame(t, 1500, 13)
	spec := Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 20}}
	o := SearchOptions{
		Params: []Param{{Name: "LearningRate", Min: 0.01, Max: 0.3, Log: true}, {Name: "MaxLeaves", Values: []float64{4, 8, 16}}},
		Trials: 4, Folds: 2, Metric: "logloss", Seed: 9,
	}
	res, err := Search(f, spec, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range res.Trials {
		lr, leaves := tr.Values[0], tr.Values[1]
		if lr < 0.01 || lr > 0.3 || (leaves != 4 && leaves != 8 && leaves != 16) {
			t.Errorf("trial %d drew %v outside the space", tr.Number, tr.Values)
		}
		if i > 0 && tr.Mean < res.Trials[i-1].Mean {
			t.Errorf("log loss ranks lowest first: %v after %v", tr.Mean, res.Trials[i-1].Mean)
		}
	}
	// The same seed draws the same trials.
	again, err := Search(f, spec, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Trials {
		if res.Trials[i].Number != again.Trials[i].Number || res.Trials[i].Mean != again.Trials[i].Mean {
			t.Fatalf("rerun differs at rank %d: %+v vs %+v", i, res.Trials[i], again.Trials[i])
		}
	}
	if res.Best.GBM.MaxLeaves != int(res.Trials[0].Values[1]) {
		t.Errorf("best spec has %d leaves, best trial %v", res.Best.GBM.MaxLeaves, res.Trials[0].Values)
	}
	for name, bad := range map[string]SearchOptions{
		"unknown param":  {Params: []Param{{Name: "Depth", Values: []float64{1}}}},
		"grid no values": {Params: []Param{{Name: "L2", Min: 0, Max: 1}}},
		"bad range":      {Params: []Param{{Name: "L2", Min: 1, Max: 1}}, Trials: 2},
		"bad metric":     {Params: []Param{{Name: "L2", Values: []float64{0}}}, Metric: "rmse"},
		"one fold":       {Params: []Param{{Name: "L2", Values: []float64{0}}}, Folds: 1},
		"no params":      {},
	} {
		if _, err := Search(f, spec, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
