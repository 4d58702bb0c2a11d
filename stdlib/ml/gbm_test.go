package ml

import (
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
