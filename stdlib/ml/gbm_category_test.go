package ml

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// synthCategorical makes n rows of a categorical feature "cat" with k
// categories, whose effect on the log-odds depends on membership of a set
// that is no run of the codes' order (codes ≡ 1 mod 3 raise it), with 5 %
// missing values that raise it most; and d-1 numeric features, of which the
// first two carry a weaker signal. It returns the matrix, labels and the
// set of codes that raise the odds.
func synthCategorical(n, k, d int, seed uint64) (*Matrix, []float64, []int32) {
	rng := rand.New(rand.NewPCG(seed, 3))
	m := &Matrix{Rows: n, Names: []string{"cat"}, Categorical: make([]bool, d)}
	m.Categorical[0] = true
	for j := 1; j < d; j++ {
		m.Names = append(m.Names, fmt.Sprintf("x%d", j))
	}
	for range d {
		m.Cols = append(m.Cols, make([]float64, n))
	}
	var high []int32
	for c := 0; c < k; c++ {
		if c%3 == 1 {
			high = append(high, int32(c))
		}
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		c := rng.IntN(k)
		z := -1.0
		switch {
		case rng.Float64() < 0.05:
			m.Cols[0][i] = math.NaN()
			z += 2.5
		case c%3 == 1:
			m.Cols[0][i] = float64(c)
			z += 2
		default:
			m.Cols[0][i] = float64(c)
		}
		for j := 1; j < d; j++ {
			m.Cols[j][i] = rng.NormFloat64()
		}
		if d > 1 {
			z += 0.8 * m.Cols[1][i]
		}
		if d > 2 {
			z -= 0.5 * m.Cols[2][i]
		}
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	return m, y, high
}

func TestCategoryBinner(t *testing.T) {
	nan := math.NaN()
	b := newCatBinner([]float64{7, 7, 7, 2, 2, 9, nan, 5, 5, 5, 5}, 4)
	// The three most frequent categories, most frequent first, then the
	// bin of the rest.
	if want := []int32{5, 7, 2, -1}; !slices.Equal(b.cats, want) {
		t.Fatalf("bins hold %v, want %v", b.cats, want)
	}
	for _, c := range []struct {
		x    float64
		want int
	}{{5, 0}, {7, 1}, {2, 2}, {9, 3}, {-1, 3}, {1e9, 3}, {nan, 4}} {
		if got := int(b.binCat(c.x)); got != c.want {
			t.Errorf("binCat(%v) = %d, want %d", c.x, got, c.want)
		}
	}
	if b.bins() != 4 || b.missing() != 4 || b.other() != 3 {
		t.Errorf("bins %d missing %d other %d", b.bins(), b.missing(), b.other())
	}
}

func TestCategoricalStumpFindsTheSet(t *testing.T) {
	m, y, high := synthCategorical(20000, 12, 1, 1)
	// One stump with every category allowed on either side: the sorted
	// search must find exactly the categories that raise the odds.
	p := GBMParams{Trees: 1, MaxLeaves: 2, LearningRate: 1, MaxCatThreshold: 12, Seed: 1}
	g, err := FitGBM(m, y, nil, nil, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := g.Trees[0]
	if !tr.categorical(0) {
		t.Fatalf("root split is not categorical: %+v", tr)
	}
	left := tr.Categories[0]
	var low []int32
	for c := int32(0); c < 12; c++ {
		if !slices.Contains(high, c) {
			low = append(low, c)
		}
	}
	// Missing values raise the odds most, so they go with the high set.
	switch {
	case slices.Equal(left, high):
		if !tr.MissingLeft[0] {
			t.Error("missing values, the riskiest, not sent with the high categories")
		}
	case slices.Equal(left, low):
		if tr.MissingLeft[0] {
			t.Error("missing values, the riskiest, sent with the low categories")
		}
	default:
		t.Fatalf("left set %v is neither the high categories %v nor the rest", left, high)
	}
	// The same data as ordinal codes cannot be cut into those sets by one
	// threshold, so its stump fits worse.
	ord := *m
	ord.Categorical = nil
	go1, err := FitGBM(&ord, y, nil, nil, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	catLoss, ordLoss := LogLoss(y, g.Predict(m, nil)), LogLoss(y, go1.Predict(&ord, nil))
	t.Logf("stump log loss: categorical %.4f, ordinal %.4f", catLoss, ordLoss)
	if catLoss >= ordLoss-0.01 {
		t.Errorf("categorical stump log loss %.4f not clearly below the ordinal one's %.4f", catLoss, ordLoss)
	}
}

func TestCategoricalRoutesMissingRareAndUnseen(t *testing.T) {
	m, y, high := synthCategorical(20000, 12, 3, 2)
	// A rare category: code 40 in 5 rows, fewer than CatSmooth.
	for i := 0; i < 5; i++ {
		m.Cols[0][i] = 40
	}
	g, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 30, MaxLeaves: 8, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	splits := 0
	for _, tr := range g.Trees {
		for i, codes := range tr.Categories {
			if codes == nil {
				continue
			}
			splits++
			if tr.Feature[i] != 0 {
				t.Fatalf("numeric feature %d has a categorical split", tr.Feature[i])
			}
			if slices.Contains(codes, 40) {
				t.Fatalf("rare category 40 sent left: %v", codes)
			}
		}
	}
	if splits == 0 {
		t.Fatal("no categorical splits")
	}
	// Unseen, rare, negative and fractional codes all take the right
	// branch at every categorical split, so they score alike; compiled
	// prediction and the tree walk agree.
	probe := &Matrix{Rows: 7, Names: m.Names, Categorical: m.Categorical}
	probe.Cols = [][]float64{
		{40, 99, -1, 2.5, math.NaN(), float64(high[0]), 0},
		{0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3},
		{-1, -1, -1, -1, -1, -1, -1},
	}
	pred := g.Predict(probe, nil)
	margin := g.Margin(probe)
	for i := range pred {
		if math.Abs(sigmoid(margin[i])-pred[i]) > 1e-12 {
			t.Fatalf("row %d: Predict %v, tree walk %v", i, pred[i], sigmoid(margin[i]))
		}
	}
	for i := 1; i < 4; i++ {
		if pred[i] != pred[0] {
			t.Errorf("row %d (code %v) scores %v; rare category 40 scores %v", i, probe.Cols[0][i], pred[i], pred[0])
		}
	}
	if pred[4] <= pred[6] || pred[5] <= pred[6] {
		t.Errorf("missing (%v) and a high category (%v) should score above category 0 (%v)", pred[4], pred[5], pred[6])
	}
}

func TestCategoricalValidationAndBagging(t *testing.T) {
	// Bagged rows and validation rows are scored on bins during training;
	// the history must match scoring the finished model.
	m, y, _ := synthCategorical(12000, 20, 3, 4)
	train, valid := sliceRows(m, 0, 8000), sliceRows(m, 8000, 12000)
	g, err := FitGBM(train, y[:8000], valid, y[8000:], GBMParams{Trees: 25, MaxLeaves: 12, RowSample: 0.7, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := g.History[len(g.History)-1]
	if got := LogLoss(y[8000:], g.Predict(valid, nil)); math.Abs(got-last.Valid) > 1e-9 {
		t.Errorf("validation log loss in training %v, of the model %v", last.Valid, got)
	}
	if got := LogLoss(y[:8000], g.Predict(train, nil)); math.Abs(got-last.Train) > 1e-9 {
		t.Errorf("training log loss in training %v, of the model %v", last.Train, got)
	}
}

func TestCategoricalRejectsBadCodes(t *testing.T) {
	m, y, _ := synthCategorical(500, 5, 2, 5)
	m.Cols[0][3] = 1.5
	if _, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 2}, nil); err == nil || !strings.Contains(err.Error(), `"cat" holds 1.5`) {
		t.Errorf("fractional code: got %v", err)
	}
	m.Cols[0][3] = -2
	if _, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 2}, nil); err == nil || !strings.Contains(err.Error(), "whole numbers") {
		t.Errorf("negative code: got %v", err)
	}
	m.Cols[0][3] = 1
	if _, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 2, Monotone: map[string]int{"cat": 1}}, nil); err == nil || !strings.Contains(err.Error(), "categorical feature") {
		t.Errorf("monotone categorical: got %v", err)
	}
	// Monotone constraints elsewhere still allow categorical splits, and
	// keep their order.
	g, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 20, MinDataInLeaf: 5, Monotone: map[string]int{"x1": 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Splits[0] == 0 {
		t.Error("no split on the categorical feature under a monotone constraint on another")
	}
}

func TestCategorySplitJSONRoundTrip(t *testing.T) {
	// A split that sends only missing values left has an empty category
	// list, which must stay a categorical split through JSON.
	tr := &Tree{Feature: []int32{0, 0}, Threshold: []float64{0, 0}, MissingLeft: []bool{true, false},
		Left: []int32{^0, ^1}, Right: []int32{1, ^2}, Gain: []float64{1, 1}, LeafValue: []float64{1, 2, 3},
		Count: []int64{10, 6}, LeafCount: []int64{4, 3, 3}, Categories: [][]int32{{}, {2, 5}}}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var back Tree
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	g := &GBM{Objective: ObjectiveRegression, Features: []string{"c"}, Trees: []*Tree{&back}}
	m := &Matrix{Rows: 5, Names: []string{"c"}, Cols: [][]float64{{math.NaN(), 0, 2, 5, 7}}, Categorical: []bool{true}}
	want := []float64{1, 3, 2, 2, 3}
	if got := g.Predict(m, nil); !slices.Equal(got, want) {
		t.Fatalf("after JSON (%s) predictions %v, want %v", b, got, want)
	}
	if got := g.Margin(m); !slices.Equal(got, want) {
		t.Fatalf("after JSON tree walk %v, want %v", got, want)
	}
}

// smallCategoricalGBM trains a few trees on 6 features, two categorical
// (one with missing values), for comparing TreeSHAP with brute force.
func smallCategoricalGBM(t *testing.T, trees, leaves int) (*GBM, *Matrix) {
	t.Helper()
	m, y, _ := synthCategorical(4000, 9, 6, 7)
	rng := rand.New(rand.NewPCG(8, 8))
	for i := range m.Cols[3] {
		m.Cols[3][i] = float64(rng.IntN(6))
		if m.Cols[3][i] == 2 && y[i] == 1 && rng.Float64() < 0.5 {
			m.Cols[3][i] = 5
		}
	}
	m.Categorical[3] = true
	g, err := FitGBM(m, y, nil, nil, GBMParams{Trees: trees, MaxLeaves: leaves, MinDataInLeaf: 5, MinDataPerGroup: 20, MaxCatToOneHot: 3, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, m
}

func TestTreeSHAPWithCategoricalSplits(t *testing.T) {
	g, m := smallCategoricalGBM(t, 5, 16)
	cats := 0
	for _, tr := range g.Trees {
		for _, c := range tr.Categories {
			if c != nil {
				cats++
			}
		}
	}
	if cats < 3 {
		t.Fatalf("only %d categorical splits to explain", cats)
	}
	rows := sliceRows(m, 0, 40)
	// Unseen and missing categories are explained too.
	rows.Cols[0] = slices.Clone(rows.Cols[0])
	rows.Cols[0][1], rows.Cols[0][2] = -1, math.NaN()
	phi, base, err := g.Contributions(rows)
	if err != nil {
		t.Fatal(err)
	}
	margin := g.Margin(rows)
	x := make([]float64, 6)
	for i := 0; i < rows.Rows; i++ {
		for j, col := range rows.Cols {
			x[j] = col[i]
		}
		want := bruteShapley(g.Trees, x, 6)
		s := base
		for j := range want {
			s += phi[i*6+j]
			if math.Abs(phi[i*6+j]-want[j]) > 1e-9 {
				t.Fatalf("row %d feature %d: TreeSHAP %v, brute force %v", i, j, phi[i*6+j], want[j])
			}
		}
		if math.Abs(s-margin[i]) > 1e-9 {
			t.Fatalf("row %d: base + contributions %v, margin %v", i, s, margin[i])
		}
	}
}

func TestTreeSHAPCategoricalIsAdditive(t *testing.T) {
	g, m := smallCategoricalGBM(t, 60, 31)
	m = sliceRows(m, 0, 1000)
	phi, base, err := g.Contributions(m)
	if err != nil {
		t.Fatal(err)
	}
	margin := g.Margin(m)
	pred := g.Predict(m, nil)
	worst := 0.0
	for i := 0; i < m.Rows; i++ {
		s := base
		for _, v := range phi[i*6 : (i+1)*6] {
			s += v
		}
		worst = math.Max(worst, math.Abs(s-margin[i]))
		if math.Abs(sigmoid(margin[i])-pred[i]) > 1e-12 {
			t.Fatalf("row %d: margin %v does not give the prediction %v", i, margin[i], pred[i])
		}
	}
	if worst > 1e-9 {
		t.Fatalf("base + contributions differs from the margin by up to %g", worst)
	}
}
