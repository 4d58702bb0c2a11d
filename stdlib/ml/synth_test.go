package ml

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// synthBinary makes n rows of d features with a known nonlinear signal:
// a logit mixing linear terms, an interaction and a threshold, so trees
// beat a single split and the Bayes AUC is well below 1. About 5% of the
// first feature is missing.
func synthBinary(n, d int, seed uint64) (*Matrix, []float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &Matrix{Rows: n}
	for j := 0; j < d; j++ {
		m.Names = append(m.Names, fmt.Sprintf("x%d", j))
		m.Cols = append(m.Cols, make([]float64, n))
	}
	y := make([]float64, n)
	prob := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			m.Cols[j][i] = rng.NormFloat64()
		}
		x := func(j int) float64 { return m.Cols[j%d][i] }
		z := -1 + 1.2*x(0) - 0.8*x(1) + 0.6*x(2)*x(3) + 1.0*b2f(x(4) > 0.5) + 0.5*math.Sin(2*x(5))
		prob[i] = sigmoid(z)
		if rng.Float64() < prob[i] {
			y[i] = 1
		}
		if rng.Float64() < 0.05 {
			m.Cols[0][i] = math.NaN()
		}
	}
	return m, y, prob
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sliceRows(m *Matrix, lo, hi int) *Matrix {
	out := &Matrix{Names: m.Names, Rows: hi - lo, Categorical: m.Categorical}
	for _, c := range m.Cols {
		out.Cols = append(out.Cols, c[lo:hi])
	}
	return out
}
