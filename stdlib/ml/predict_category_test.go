package ml

import (
	"math"
	"testing"
)

// BenchmarkGBMPredictCategorical scores the training rows of the Telco and
// bank-marketing models (their synthetic stand-ins without the datasets)
// grown with categorical splits and with ordinal codes, and reports the
// rows per second of each; the ratio of the two is the cost of categorical
// splits at scoring time.
func BenchmarkGBMPredictCategorical(b *testing.B) {
	for _, tk := range categoricalTasks(b) {
		for _, enc := range []struct {
			name string
			m    *Matrix
		}{{"categorical", tk.train}, {"ordinal", tk.ordTrain}} {
			g, err := FitGBM(enc.m, tk.yTrain, nil, nil, parityParams(), nil)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]float64, enc.m.Rows)
			b.Run(tk.name+"/"+enc.name, func(b *testing.B) {
				for range b.N {
					g.Predict(enc.m, out)
				}
				b.ReportMetric(float64(enc.m.Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// categoricalModelWalk is the margin of each row by walking every tree
// with Tree.value, the plain reading of the trees' contract.
func categoricalModelWalk(g *GBM, m *Matrix) []float64 {
	K := g.outputs()
	out := make([]float64, m.Rows*K)
	x := make([]float64, len(m.Cols))
	for i := range m.Rows {
		for j, c := range m.Cols {
			x[j] = c[i]
		}
		z := out[i*K : (i+1)*K]
		copy(z, g.initScores())
		for k, t := range g.Trees {
			z[k%K] += t.value(x)
		}
		switch {
		case K > 1:
			softmaxInPlace(z)
		case g.Objective == ObjectiveBinary:
			z[0] = sigmoid(z[0])
		}
	}
	return out
}

// TestPredictCategoricalMatchesTreeWalk checks compiled prediction of
// models with categorical splits against walking each tree row by row, on
// shallow and deep trees, binary and multiclass, for rows holding seen,
// rare, unseen, negative, fractional, huge and missing codes.
func TestPredictCategoricalMatchesTreeWalk(t *testing.T) {
	m, y, _ := synthCategorical(5003, 40, 4, 11)
	// A second categorical feature, with codes far apart.
	m.Categorical[3] = true
	for i := range m.Rows {
		switch c := i % 23; {
		case c == 0:
			m.Cols[3][i] = math.NaN()
		default:
			m.Cols[3][i] = float64(c * 1000)
		}
	}
	mc, yc := synthCategoricalMulticlass(4001, 30, 5)
	probe := func(m *Matrix) *Matrix {
		out := sliceRows(m, 0, m.Rows)
		for j := range out.Cols {
			out.Cols[j] = append([]float64(nil), m.Cols[j]...)
			if !m.categorical(j) {
				continue
			}
			for i, v := range []float64{-1, 2.5, 1e9, math.Inf(1), math.Inf(-1), math.NaN(), 1<<20 - 1, 39, 5000, 22000, 23000} {
				out.Cols[j][i*7+j] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		m *Matrix
		y []float64
		p GBMParams
	}{
		{m, y, GBMParams{Seed: 1, Trees: 20}},
		{m, y, GBMParams{Seed: 1, Trees: 10, MaxLeaves: 63, MinDataInLeaf: 2, MinDataPerGroup: 5, CatSmooth: 1, LearningRate: 0.5}},
		{mc, yc, GBMParams{Seed: 1, Trees: 10, Objective: ObjectiveMulticlass}},
	} {
		g, err := FitGBM(tc.m, tc.y, nil, nil, tc.p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if categoricalSplits(g) == 0 {
			t.Fatalf("params %+v: no categorical splits", tc.p)
		}
		deepest := 0
		for _, ct := range g.compile() {
			deepest = max(deepest, ct.depth)
		}
		pm := probe(tc.m)
		got, want := g.Predict(pm, nil), categoricalModelWalk(g, pm)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("params %+v, value %d: Predict %v, tree walk %v", tc.p, i, got[i], want[i])
			}
		}
		t.Logf("params %+v: deepest tree %d levels, %d categorical splits", tc.p, deepest, categoricalSplits(g))
		if tc.p.MinDataInLeaf == 2 && deepest <= predictAllSteps {
			t.Errorf("deep case grew trees of only %d levels; it no longer covers the unfinished-rows path", deepest)
		}
	}
}
