package ml

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// synthCategoricalMulticlass makes n rows of k classes: a categorical
// feature "cat" with 12 categories (5 % missing), each category favouring
// one class, and three numeric features of which the first two carry
// a weaker signal; the last class is rare (0.1 % of rows, at random).
func synthCategoricalMulticlass(n, k int, seed uint64) (*Matrix, []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	const d = 4
	m := &Matrix{Rows: n, Names: []string{"cat", "x1", "x2", "x3"}, Categorical: []bool{true, false, false, false}}
	for range d {
		m.Cols = append(m.Cols, make([]float64, n))
	}
	y := make([]float64, n)
	z := make([]float64, k)
	for i := 0; i < n; i++ {
		c := rng.IntN(12)
		for j := 1; j < d; j++ {
			m.Cols[j][i] = rng.NormFloat64()
		}
		for cl := range z {
			z[cl] = rng.NormFloat64()
		}
		if rng.Float64() < 0.05 {
			m.Cols[0][i] = math.NaN()
			z[k-1] += 1.5
		} else {
			m.Cols[0][i] = float64(c)
			z[(c*7)%k] += 1.5
		}
		z[0] += m.Cols[1][i]
		z[1%k] -= 0.7 * m.Cols[2][i]
		y[i] = float64(argmax(z[:k-1]))
		if rng.Float64() < 0.001 {
			y[i] = float64(k - 1)
		}
	}
	return m, y
}

// sameTrees fails t unless a and b hold the very same trees.
func sameTrees(t *testing.T, what string, a, b *GBM) {
	t.Helper()
	if len(a.Trees) != len(b.Trees) {
		t.Fatalf("%s: %d trees, want %d", what, len(a.Trees), len(b.Trees))
	}
	for i, tr := range a.Trees {
		want := b.Trees[i]
		if !slices.Equal(tr.Feature, want.Feature) || !slices.Equal(tr.Gain, want.Gain) || !slices.Equal(tr.LeafValue, want.LeafValue) || !slices.EqualFunc(tr.Categories, want.Categories, slices.Equal) {
			t.Fatalf("%s: tree %d differs:\ngain %v leaves %v\nwant gain %v leaves %v", what, i, tr.Gain, tr.LeafValue, want.Gain, want.LeafValue)
		}
	}
}

// categoricalSplits counts the categorical split nodes of g's trees.
func categoricalSplits(g *GBM) int {
	n := 0
	for _, tr := range g.Trees {
		for i := range tr.Feature {
			if tr.categorical(int32(i)) {
				n++
			}
		}
	}
	return n
}

// The thread count must not change the model: histogram sums are added
// in the same order whatever the number of workers, so models trained
// with 1, 2 and 3 threads hold the very same trees, not trees that agree
// only up to rounding (which the softmax objective, with a rare class,
// can grow into a different model).
func TestCategoricalMulticlassThreads(t *testing.T) {
	const k = 6
	m, y := synthCategoricalMulticlass(16384, k, 5)
	var ref *GBM
	for _, threads := range []int{1, 2, 3} {
		g, err := FitGBM(m, y, nil, nil, GBMParams{Objective: ObjectiveMulticlass, NumClass: k, Trees: 40, Seed: 1, Threads: threads}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if categoricalSplits(g) == 0 {
			t.Fatalf("threads %d: no categorical split", threads)
		}
		if ref == nil {
			ref = g
			continue
		}
		sameTrees(t, fmt.Sprintf("threads %d against 1", threads), g, ref)
	}
}

// TestCategoricalMulticlassThreadsBank is the same on bank-marketing's
// education (8 classes, one of 18 rows) from its string features, where
// models trained with different thread counts used to part ways.
func TestCategoricalMulticlassThreadsBank(t *testing.T) {
	train, _ := loadSplit(t, "bank-marketing.csv", "education")
	tt := mustTable(t, train)
	y, classes, err := classLabels(tt.Column("education"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := TreePipeline().Fit(tt.without("education"))
	if err != nil {
		t.Fatal(err)
	}
	var ref *GBM
	for _, threads := range []int{1, 3} {
		g, err := FitGBM(m, y, nil, nil, GBMParams{Objective: ObjectiveMulticlass, NumClass: len(classes), Trees: 10, Seed: 1, Threads: threads}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if categoricalSplits(g) == 0 {
			t.Fatalf("threads %d: no categorical split", threads)
		}
		if ref != nil {
			sameTrees(t, fmt.Sprintf("threads %d against 1", threads), g, ref)
		}
		ref = g
	}
}
