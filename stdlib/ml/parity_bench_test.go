package ml

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// paritySynth makes the synthetic task of testdata/bench/suite_ml.py:
// standard normal features and a logistic target from the first nine.
func paritySynth(n, d int, seed uint64) (*Matrix, []float64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	m := &Matrix{Rows: n}
	for j := 0; j < d; j++ {
		m.Names = append(m.Names, fmt.Sprintf("f%02d", j))
		m.Cols = append(m.Cols, make([]float64, n))
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			m.Cols[j][i] = rng.NormFloat64()
		}
		x := func(j int) float64 { return m.Cols[j][i] }
		z := -1 + 1.2*x(0) - 0.8*x(1) + 0.6*x(2)*x(3) + b2f(x(4) > 0.5) + 0.5*math.Sin(2*x(5)) +
			0.3*x(6) - 0.3*x(7) + 0.2*math.Abs(x(8))
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	return m, y
}

var parityData = sync.OnceValues(func() (*Matrix, []float64) { return paritySynth(1_000_000, 30, 42) })

// BenchmarkGBMParityTrain is the synthetic case of the parity benchmark:
// 800k training rows of 30 features, 100 trees.
func BenchmarkGBMParityTrain(b *testing.B) {
	m, y := parityData()
	tr := sliceRows(m, 0, 800_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := FitGBM(tr, y[:800_000], nil, nil, GBMParams{Seed: 1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.ReportMetric(AUC(y[800_000:], g.Predict(sliceRows(m, 800_000, 1_000_000), nil)), "auc")
		}
	}
}

// BenchmarkGBMParityPredict scores the 800k training rows of the parity
// benchmark's synthetic case.
func BenchmarkGBMParityPredict(b *testing.B) {
	m, y := parityData()
	tr := sliceRows(m, 0, 800_000)
	g, err := FitGBM(tr, y[:800_000], nil, nil, GBMParams{Seed: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, tr.Rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Predict(tr, out)
	}
	b.ReportMetric(float64(tr.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
