package ml

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

func TestPlattRecoversTheDistortion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	n := 20000
	y, p := make([]float64, n), make([]float64, n)
	for i := range y {
		z := rng.NormFloat64() * 1.5
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
		// An overconfident model: twice the true log-odds, shifted.
		p[i] = sigmoid(2*z + 0.5)
	}
	c, err := FitCalibrator(CalibratePlatt, y, p)
	if err != nil {
		t.Fatal(err)
	}
	// σ(A·(2z + 0.5) + B) = σ(z) needs A = 0.5 and B = −0.25.
	if math.Abs(c.A-0.5) > 0.03 || math.Abs(c.B+0.25) > 0.05 {
		t.Errorf("A = %.3f, B = %.3f; want about 0.5 and -0.25", c.A, c.B)
	}
	if LogLoss(y, c.Apply(p, nil)) >= LogLoss(y, p) {
		t.Error("Platt scaling did not lower the log loss")
	}
}

func TestIsotonicIsMonotoneAndMatchesBlockMeans(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n := 5000
	y, p := make([]float64, n), make([]float64, n)
	for i := range y {
		p[i] = math.Round(rng.Float64()*200) / 200 // ties on purpose
		if rng.Float64() < p[i]*p[i] {
			y[i] = 1
		}
	}
	c, err := FitCalibrator(CalibrateIsotonic, y, p)
	if err != nil {
		t.Fatal(err)
	}
	q := c.Apply(p, nil)
	var sy, sq float64
	for i := range q {
		sy += y[i]
		sq += q[i]
	}
	// Pooled means preserve the total on the fitting rows.
	if math.Abs(sy-sq) > 1e-6 {
		t.Errorf("calibrated total %v, labels total %v", sq, sy)
	}
	prev := -1.0
	for v := 0.0; v <= 1; v += 0.001 {
		got := c.apply(v)
		if got < prev-1e-12 {
			t.Fatalf("calibration decreases at %v: %v after %v", v, got, prev)
		}
		prev = got
	}
	var se0, se1 float64
	for i := range y {
		se0 += (p[i] - y[i]) * (p[i] - y[i])
		se1 += (q[i] - y[i]) * (q[i] - y[i])
	}
	if se1 >= se0 {
		t.Errorf("isotonic fit has squared error %v, identity %v", se1, se0)
	}
	if _, err := FitCalibrator("nope", y, p); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := FitCalibrator(CalibrateIsotonic, make([]float64, 10), p[:10]); err == nil {
		t.Error("one class accepted")
	}
}

func TestModelCalibrateIsSavedAndUsed(t *testing.T) {
	f := churnFrame(t, 4000, 8)
	train, calib, test := f.Slice(0, 2000), f.Slice(2000, 3000), f.Slice(3000, 4000)
	// Positive weight 4 inflates probabilities; calibration pulls them back.
	m, err := Train(train, nil, Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 40, PositiveWeight: 4}})
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{CalibratePlatt, CalibrateIsotonic} {
		t.Run(method, func(t *testing.T) {
			if _, err := m.Calibrate(calib, method); err != nil {
				t.Fatal(err)
			}
			after, err := m.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := after.Metrics.Value("logloss"), before.Metrics.Value("logloss"); !(a < b) {
				t.Errorf("held-out log loss %v after calibration, %v before", a, b)
			}
			path := filepath.Join(t.TempDir(), "m.galley")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			back, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := m.Predict(test)
			got, _ := back.Predict(test)
			e, err := back.Explain(test, 1)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] || math.Abs(e.Rows[i].Prediction-want[i]) > 1e-12 {
					t.Fatalf("row %d: loaded %v, explained %v, saved %v", i, got[i], e.Rows[i].Prediction, want[i])
				}
			}
		})
	}
}
