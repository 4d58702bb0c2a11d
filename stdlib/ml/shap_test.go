package ml

import (
	"math"
	"math/bits"
	"runtime"
	"testing"
	"time"
	"weak"
)

// condExpect is the tree's expected output when only the features in the
// bit set known are given: splits on them follow x, the others average
// their children by training rows, as TreeSHAP defines a subset's value.
func condExpect(t *Tree, ref int32, x []float64, known uint) float64 {
	if ref < 0 {
		return t.LeafValue[^ref]
	}
	f := t.Feature[ref]
	if known&(1<<f) != 0 {
		if t.goesLeft(ref, x[f]) {
			return condExpect(t, t.Left[ref], x, known)
		}
		return condExpect(t, t.Right[ref], x, known)
	}
	l, r := t.count(t.Left[ref]), t.count(t.Right[ref])
	return (l*condExpect(t, t.Left[ref], x, known) + r*condExpect(t, t.Right[ref], x, known)) / float64(t.Count[ref])
}

// bruteShapley sums Shapley values over every subset of the d features.
func bruteShapley(trees []*Tree, x []float64, d int) []float64 {
	v := func(s uint) float64 {
		total := 0.0
		for _, t := range trees {
			if len(t.Feature) == 0 {
				total += t.LeafValue[0]
				continue
			}
			total += condExpect(t, 0, x, s)
		}
		return total
	}
	fact := func(n int) float64 {
		f := 1.0
		for i := 2; i <= n; i++ {
			f *= float64(i)
		}
		return f
	}
	phi := make([]float64, d)
	for i := 0; i < d; i++ {
		for s := uint(0); s < 1<<d; s++ {
			if s&(1<<i) != 0 {
				continue
			}
			k := bits.OnesCount(s)
			w := fact(k) * fact(d-k-1) / fact(d)
			phi[i] += w * (v(s|1<<i) - v(s))
		}
	}
	return phi
}

// smallGBM trains a few deep-ish trees on 6 features (one with missing
// values), so paths repeat features and send missing values both ways.
func smallGBM(t *testing.T, trees, leaves int, sample float64) (*GBM, *Matrix) {
	t.Helper()
	m, y, _ := synthBinary(3000, 6, 11)
	g, err := FitGBM(m, y, nil, nil, GBMParams{Trees: trees, MaxLeaves: leaves, MinDataInLeaf: 5, RowSample: sample, FeatureSample: 1, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, m
}

func TestTreeSHAPMatchesBruteForceShapley(t *testing.T) {
	for _, c := range []struct {
		name   string
		trees  int
		leaves int
		sample float64
	}{{"stumps", 5, 2, 1}, {"deep", 4, 24, 1}, {"bagged", 6, 12, 0.7}} {
		t.Run(c.name, func(t *testing.T) {
			g, m := smallGBM(t, c.trees, c.leaves, c.sample)
			rows := sliceRows(m, 0, 40)
			phi, base, err := g.Contributions(rows)
			if err != nil {
				t.Fatal(err)
			}
			// The empty subset's value is the base.
			if want := g.InitScore + func() float64 {
				s := 0.0
				for _, tr := range g.Trees {
					s += condExpect(tr, 0, nil, 0)
				}
				return s
			}(); math.Abs(base-want) > 1e-12 {
				t.Errorf("base %v, want %v", base, want)
			}
			x := make([]float64, 6)
			for i := 0; i < rows.Rows; i++ {
				for j, col := range rows.Cols {
					x[j] = col[i]
				}
				want := bruteShapley(g.Trees, x, 6)
				for j := range want {
					if math.Abs(phi[i*6+j]-want[j]) > 1e-9 {
						t.Fatalf("row %d feature %d: TreeSHAP %v, brute force %v", i, j, phi[i*6+j], want[j])
					}
				}
			}
		})
	}
}

func TestTreeSHAPIsAdditive(t *testing.T) {
	g, m := smallGBM(t, 60, 31, 1)
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

func TestLinearContributionsAreAdditive(t *testing.T) {
	m, y, _ := synthBinary(2000, 4, 5)
	m = m2imputed(m)
	lm, err := FitLogistic(m, y, LogisticParams{})
	if err != nil {
		t.Fatal(err)
	}
	phi, base, err := lm.Contributions(m)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float64, m.Rows)
	linearBlock(m.Cols, lm.Weights, lm.Intercept, 0, m.Rows, z)
	var meanSum [4]float64
	for i := range z {
		s := base
		for j, v := range phi[i*4 : (i+1)*4] {
			s += v
			meanSum[j] += v
		}
		if math.Abs(s-z[i]) > 1e-9 {
			t.Fatalf("row %d: base + contributions %v, margin %v", i, s, z[i])
		}
	}
	// Measured from the training means, each feature's contributions
	// average to zero over the training rows.
	for j, s := range meanSum {
		if math.Abs(s/float64(m.Rows)) > 1e-9 {
			t.Errorf("feature %d: mean contribution %g, want 0", j, s/float64(m.Rows))
		}
	}
}

func TestContributionsNeedCounts(t *testing.T) {
	g, m := smallGBM(t, 2, 4, 1)
	for _, tr := range g.Trees {
		tr.Count, tr.LeafCount = nil, nil
	}
	if _, _, err := g.Contributions(m); err != errNoCounts {
		t.Fatalf("got %v, want the error asking to retrain", err)
	}
}

func BenchmarkTreeSHAP(b *testing.B) {
	m, y, _ := synthBinary(50_000, 30, 1)
	g, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 100, Seed: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rows := sliceRows(m, 0, 2000)
	b.ResetTimer()
	for range b.N {
		if _, _, err := g.Contributions(rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows.Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// The trees compiled for explaining stay only as long as their model.
func TestShapCompiledTreesGoWithTheirModel(t *testing.T) {
	g, m := smallGBM(t, 3, 8, 1)
	if _, _, err := g.Contributions(sliceRows(m, 0, 2)); err != nil {
		t.Fatal(err)
	}
	key := weak.Make(g)
	if _, ok := shapCompiled.Load(key); !ok {
		t.Fatal("explaining did not keep the model's compiled trees")
	}
	g = nil
	for i := 0; i < 100; i++ {
		if _, ok := shapCompiled.Load(key); !ok {
			return
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the compiled trees outlived their model")
}
