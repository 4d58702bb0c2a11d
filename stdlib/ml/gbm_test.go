package ml

import (
	"math"
	"os"
	"testing"
	"time"
)

func TestGBMSynthetic(t *testing.T) {
	m, y, prob := synthBinary(40000, 10, 1)
	train, test := sliceRows(m, 0, 30000), sliceRows(m, 30000, 40000)
	g, err := FitGBM(train, y[:30000], nil, nil, GBMParams{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := g.Predict(test, nil)
	auc := AUC(y[30000:], p)
	bayes := AUC(y[30000:], prob[30000:])
	stump, err := FitGBM(train, y[:30000], nil, nil, GBMParams{Trees: 1, LearningRate: 1, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	single := AUC(y[30000:], stump.Predict(test, nil))
	t.Logf("gbm auc %.4f, single tree %.4f, bayes %.4f", auc, single, bayes)
	if auc < bayes-0.025 {
		t.Errorf("gbm AUC %.4f is more than 0.025 below the Bayes AUC %.4f", auc, bayes)
	}
	if auc < single+0.03 {
		t.Errorf("gbm AUC %.4f does not beat a single tree's %.4f", auc, single)
	}
}

func TestGBMBig(t *testing.T) {
	if os.Getenv("GALLEY_ML_BIG") == "" {
		t.Skip("set GALLEY_ML_BIG=1")
	}
	m, y, _ := synthBinary(bigN(), 30, 2)
	t0 := time.Now()
	g, err := FitGBM(m, y, nil, nil, GBMParams{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train %v", time.Since(t0))
	t0 = time.Now()
	p := g.Predict(m, nil)
	t.Logf("predict %v auc %.4f", time.Since(t0), AUC(y, p))
	t0 = time.Now()
	lm, err := FitLogistic(m2imputed(m), y, LogisticParams{})
	t.Logf("logistic %v iters %d err %v", time.Since(t0), lm.Iterations, err)
}

func m2imputed(m *Matrix) *Matrix {
	out := &Matrix{Names: m.Names, Rows: m.Rows}
	for _, c := range m.Cols {
		nc := make([]float64, len(c))
		for i, v := range c {
			if v == v {
				nc[i] = v
			}
		}
		out.Cols = append(out.Cols, nc)
	}
	return out
}

func bigN() int {
	if os.Getenv("GALLEY_ML_BIG") == "small" {
		return 200_000
	}
	return 1_000_000
}

func BenchmarkGBMPredict(b *testing.B) {
	m, y, _ := synthBinary(100_000, 30, 2)
	g, err := FitGBM(m, y, nil, nil, GBMParams{Seed: 1, Threads: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, m.Rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Predict(m, out)
	}
}

func BenchmarkGBMTrain(b *testing.B) {
	m, y, _ := synthBinary(100_000, 30, 2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := FitGBM(m, y, nil, nil, GBMParams{Seed: 1, Trees: 20}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGBMRegression(t *testing.T) {
	m, _, _ := synthBinary(20000, 4, 8)
	y := make([]float64, m.Rows)
	for i := range y {
		x0 := m.Cols[0][i]
		if x0 != x0 {
			x0 = 0
		}
		y[i] = 3*math.Sin(x0) + m.Cols[1][i]*m.Cols[1][i] + 0.1*m.Cols[2][i]
	}
	train, test := sliceRows(m, 0, 15000), sliceRows(m, 15000, 20000)
	g, err := FitGBM(train, y[:15000], nil, nil, GBMParams{Objective: ObjectiveRegression, Trees: 200, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2 := R2(y[15000:], g.Predict(test, nil))
	imputed := m2imputed(train)
	lm, err := FitLinear(imputed, y[:15000], LinearParams{})
	if err != nil {
		t.Fatal(err)
	}
	lr2 := R2(y[15000:], lm.Predict(m2imputed(test), nil))
	t.Logf("gbm R² %.4f, linear R² %.4f", r2, lr2)
	if r2 < 0.95 || r2 < lr2+0.2 {
		t.Errorf("gbm R² %.4f (linear %.4f)", r2, lr2)
	}
}

func TestGBMClassWeights(t *testing.T) {
	m, y, _ := synthBinary(6000, 6, 21)
	// Keep about one positive in five so the weights matter.
	for i := range y {
		if y[i] == 1 && i%2 == 0 {
			y[i] = 0
		}
	}
	meanPred := func(p GBMParams) (float64, *GBM) {
		p.Trees, p.Seed = 30, 1
		g, err := FitGBM(m, y, nil, nil, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, v := range g.Predict(m, nil) {
			s += v
		}
		return s / float64(m.Rows), g
	}
	rate := 0.0
	for _, v := range y {
		rate += v
	}
	rate /= float64(len(y))
	plain, _ := meanPred(GBMParams{})
	balanced, gb := meanPred(GBMParams{ClassWeight: "balanced"})
	heavy, _ := meanPred(GBMParams{PositiveWeight: 4})
	if math.Abs(plain-rate) > 0.02 {
		t.Errorf("unweighted mean prediction %.3f, positive rate %.3f", plain, rate)
	}
	if math.Abs(gb.InitScore) > 1e-9 || math.Abs(balanced-0.5) > 0.08 {
		t.Errorf("balanced: init score %v, mean prediction %.3f; want 0 and about 0.5", gb.InitScore, balanced)
	}
	if heavy <= plain+0.1 {
		t.Errorf("positive weight 4 moved the mean prediction from %.3f only to %.3f", plain, heavy)
	}
	for _, bad := range []GBMParams{{ClassWeight: "weird"}, {PositiveWeight: -1}, {Objective: ObjectiveRegression, PositiveWeight: 2}} {
		if _, err := FitGBM(m, y, nil, nil, bad, nil); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// violations counts rows whose prediction moves against dir as feature f
// steps over a grid, the other features fixed.
func violations(g *GBM, m *Matrix, f int, dir float64, rows int) int {
	grid := []float64{-3, -2, -1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5, 2, 3}
	probe := &Matrix{Names: m.Names, Rows: len(grid)}
	bad := 0
	for i := 0; i < rows; i++ {
		probe.Cols = probe.Cols[:0]
		for j, c := range m.Cols {
			col := make([]float64, len(grid))
			for k := range col {
				col[k] = c[i]
				if j == f {
					col[k] = grid[k]
				}
			}
			probe.Cols = append(probe.Cols, col)
		}
		p := g.Predict(probe, nil)
		for k := 1; k < len(p); k++ {
			if (p[k]-p[k-1])*dir < -1e-12 {
				bad++
				break
			}
		}
	}
	return bad
}

func TestGBMMonotoneConstraints(t *testing.T) {
	m, y, _ := synthBinary(5000, 6, 31)
	m = m2imputed(m)
	// x5 enters through sin(2·x5), so free trees rise and fall in it; x1
	// lowers the odds.
	free, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 40, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if violations(free, m, 5, 1, 200) == 0 {
		t.Fatal("unconstrained trees are already monotone in x5; the test proves nothing")
	}
	mono, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 40, Seed: 2, Monotone: map[string]int{"x5": 1, "x1": -1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := violations(mono, m, 5, 1, 200); v != 0 {
		t.Errorf("%d rows decrease in x5 under a non-decreasing constraint", v)
	}
	if v := violations(mono, m, 1, -1, 200); v != 0 {
		t.Errorf("%d rows increase in x1 under a non-increasing constraint", v)
	}
	if auc := AUC(y, mono.Predict(m, nil)); auc < 0.7 {
		t.Errorf("constrained model AUC %.3f", auc)
	}
	for _, bad := range []map[string]int{{"nope": 1}, {"x1": 2}} {
		if _, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 2, Monotone: bad}, nil); err == nil {
			t.Errorf("constraint %v accepted", bad)
		}
	}
}

// TestBinaryGradientIsTheSigmoidsLogLoss checks binaryGradient against the
// log loss's gradient and hessian computed with math.Exp.
func TestBinaryGradientIsTheSigmoidsLogLoss(t *testing.T) {
	for _, z := range []float64{0, 1e-9, -1e-9, 0.3, -0.3, 2, -2, 15, -15, 36, -36, 700, -700, 800, -800, math.Inf(1), math.Inf(-1)} {
		for _, y := range []float64{0, 1} {
			pr := 1 / (1 + math.Exp(-z))
			got := binaryGradient(z, y)
			if math.Abs(got.g-(pr-y)) > 4e-16 || math.Abs(got.h-max(pr*(1-pr), 1e-16)) > 4e-16*max(pr*(1-pr), 1e-16) {
				t.Errorf("z = %v, y = %v: (%v, %v), want (%v, %v)", z, y, got.g, got.h, pr-y, max(pr*(1-pr), 1e-16))
			}
		}
	}
	if g := binaryGradient(math.NaN(), 1); !math.IsNaN(g.g) || !math.IsNaN(g.h) {
		t.Errorf("a NaN score gives (%v, %v), want NaNs", g.g, g.h)
	}
}
