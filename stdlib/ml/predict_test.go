package ml

import (
	"math"
	"testing"
)

// walkTree is the plain reading of Tree's contract, one row at a time.
func walkTree(t *Tree, x []float64) float64 {
	if len(t.Feature) == 0 {
		return t.LeafValue[0]
	}
	n := int32(0)
	for {
		v := x[t.Feature[n]]
		next := t.Right[n]
		if v <= t.Threshold[n] || (math.IsNaN(v) && t.MissingLeft[n]) {
			next = t.Left[n]
		}
		if next < 0 {
			return t.LeafValue[^next]
		}
		n = next
	}
}

// TestPredictMatchesTreeWalk checks the blocked prediction against walking
// each tree row by row, on shallow trees and on deep ones (which take the
// path that keeps only unfinished rows), with and without missing values,
// and on a row count that leaves a partial block.
func TestPredictMatchesTreeWalk(t *testing.T) {
	withNaN, y, _ := synthBinary(6001, 8, 5)
	for _, m := range []*Matrix{withNaN, m2imputed(withNaN)} {
		testPredictMatchesTreeWalk(t, m, y)
	}
}

func testPredictMatchesTreeWalk(t *testing.T, m *Matrix, y []float64) {
	for _, p := range []GBMParams{
		{Seed: 1, Trees: 20},
		{Seed: 1, Trees: 20, MaxLeaves: 63, MinDataInLeaf: 2, LearningRate: 0.5},
		{Seed: 1, Trees: 5, Objective: ObjectiveRegression},
	} {
		g, err := FitGBM(m, y, nil, nil, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		deepest := 0
		for _, ct := range g.compile() {
			deepest = max(deepest, ct.depth)
		}
		got := g.Predict(m, nil)
		x := make([]float64, len(m.Cols))
		for i := 0; i < m.Rows; i++ {
			for j, c := range m.Cols {
				x[j] = c[i]
			}
			want := g.InitScore
			for _, tr := range g.Trees {
				want += walkTree(tr, x)
			}
			if g.Objective == ObjectiveBinary {
				want = sigmoid(want)
			}
			if got[i] != want {
				t.Fatalf("params %+v, row %d: Predict %v, tree walk %v", p, i, got[i], want)
			}
		}
		t.Logf("%d leaves, min %d rows: deepest tree %d levels", p.MaxLeaves, p.MinDataInLeaf, deepest)
		if p.MinDataInLeaf == 2 && deepest <= predictAllSteps {
			t.Errorf("deep case grew trees of only %d levels; it no longer covers the unfinished-rows path", deepest)
		}
	}
}
