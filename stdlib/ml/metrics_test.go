package ml

import (
	"math"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) != math.IsNaN(want) {
		t.Errorf("%s = %.10g, want %.10g", name, got, want)
	}
}

func TestBinaryMetricsByHand(t *testing.T) {
	y := []float64{0, 0, 1, 1}
	p := []float64{0.1, 0.4, 0.35, 0.8}
	// Of the 4 positive-negative pairs, 3 are ordered correctly.
	near(t, "AUC", AUC(y, p), 0.75, 1e-15)
	// Thresholds 0.8 (P=1, R=.5) and 0.35 (P=2/3, R=1): .5·1 + .5·2/3.
	near(t, "AUCPR", AUCPR(y, p), 0.5+1.0/3, 1e-15)
	ll := -(math.Log(0.9) + math.Log(0.6) + math.Log(0.35) + math.Log(0.8)) / 4
	near(t, "LogLoss", LogLoss(y, p), ll, 1e-15)
	c := ConfusionAt(y, p, 0.5)
	if c.TP != 1 || c.FP != 0 || c.TN != 2 || c.FN != 1 {
		t.Errorf("confusion %+v", c)
	}
	near(t, "accuracy", c.Accuracy(), 0.75, 0)
	near(t, "precision", c.Precision(), 1, 0)
	near(t, "recall", c.Recall(), 0.5, 0)
	near(t, "F1", c.F1(), 2.0/3, 1e-15)
	near(t, "Accuracy@0.3", Accuracy(y, p, 0.3), 0.75, 0)

	// Ties count half: one tied pair among four.
	near(t, "AUC ties", AUC([]float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.1, 0.9}), 0.875, 1e-15)
	if !math.IsNaN(AUC([]float64{1, 1}, []float64{0.2, 0.3})) {
		t.Error("AUC of one class should be NaN")
	}
}

func TestRegressionMetricsByHand(t *testing.T) {
	y := []float64{3, -0.5, 2, 7}
	p := []float64{2.5, 0, 2, 8}
	near(t, "MAE", MAE(y, p), 0.5, 1e-15)
	near(t, "RMSE", RMSE(y, p), math.Sqrt(0.375), 1e-15)
	// SSres = 1.5, SStot = 29.1875.
	near(t, "R2", R2(y, p), 1-1.5/29.1875, 1e-15)
}

func TestLiftAndCalibration(t *testing.T) {
	y := []float64{1, 1, 0, 1, 0, 0, 0, 0, 1, 0}
	p := []float64{.9, .8, .7, .6, .5, .4, .3, .2, .1, .05}
	l := Lift(y, p, 5)
	// Base rate .4; bucket 1 = rows .9,.8 (2 pos) → lift 2.5.
	near(t, "lift[0]", l.Lift[0], 2.5, 1e-12)
	near(t, "gain[0]", l.Gain[0], 0.5, 1e-12)
	near(t, "gain[1]", l.Gain[1], 0.75, 1e-12)
	near(t, "gain[4]", l.Gain[4], 1, 1e-12)
	near(t, "cumlift[1]", l.CumLift[1], 0.75/0.4, 1e-12)

	c := Calibration([]float64{0, 1, 1, 0}, []float64{0.05, 0.15, 0.95, 0.92}, 2)
	// Bin [0,.5): p .05,.15 y 0,1; bin [.5,1]: p .95,.92 y 1,0.
	near(t, "pred[0]", c.Predicted[0], 0.1, 1e-12)
	near(t, "obs[0]", c.Observed[0], 0.5, 0)
	near(t, "pred[1]", c.Predicted[1], 0.935, 1e-12)
	if c.Rows[0] != 2 || c.Rows[1] != 2 {
		t.Errorf("rows %v", c.Rows)
	}
	r := ROC([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})
	wantF := []float64{0, 0, 0.5, 0.5, 1}
	wantT := []float64{0, 0.5, 0.5, 1, 1}
	for i := range wantF {
		if r.FPR[i] != wantF[i] || r.TPR[i] != wantT[i] {
			t.Fatalf("ROC points %v %v", r.FPR, r.TPR)
		}
	}
}

func TestStratifiedKFold(t *testing.T) {
	y := make([]float64, 1000)
	for i := 0; i < 100; i++ {
		y[i*10] = 1
	}
	folds := StratifiedKFold(y, 5, 1)
	seen := map[int]bool{}
	for _, f := range folds {
		pos := 0
		for _, r := range f {
			if seen[r] {
				t.Fatalf("row %d in two folds", r)
			}
			seen[r] = true
			pos += int(y[r])
		}
		if len(f) != 200 || pos != 20 {
			t.Errorf("fold has %d rows and %d positives, want 200 and 20", len(f), pos)
		}
	}
	if len(seen) != 1000 {
		t.Errorf("folds cover %d rows", len(seen))
	}
}
