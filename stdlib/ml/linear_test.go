package ml

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// referenceLogistic minimises ½‖w‖² + C·Σ sᵢ·logloss by plain dense Newton
// iterations until the step is below 1e-13: an independent high-precision
// solution to check the solvers against.
func referenceLogistic(X [][]float64, y, sw []float64, C float64) []float64 {
	n, d := len(y), len(X)
	beta := make([]float64, d+1)
	for it := 0; it < 100; it++ {
		g := make([]float64, d+1)
		H := mat.NewDense(d+1, d+1, nil)
		for i := 0; i < n; i++ {
			row := make([]float64, d+1)
			for j := 0; j < d; j++ {
				row[j] = X[j][i]
			}
			row[d] = 1
			z := 0.0
			for j := range row {
				z += beta[j] * row[j]
			}
			p := 1 / (1 + math.Exp(-z))
			s := C
			if sw != nil {
				s *= sw[i]
			}
			for a := range row {
				g[a] += s * (p - y[i]) * row[a]
				for b := range row {
					H.Set(a, b, H.At(a, b)+s*p*(1-p)*row[a]*row[b])
				}
			}
		}
		for j := 0; j < d; j++ {
			g[j] += beta[j]
			H.Set(j, j, H.At(j, j)+1)
		}
		var step mat.VecDense
		if err := step.SolveVec(H, mat.NewVecDense(d+1, g)); err != nil {
			panic(err)
		}
		maxStep := 0.0
		for j := range beta {
			beta[j] -= step.AtVec(j)
			maxStep = math.Max(maxStep, math.Abs(step.AtVec(j)))
		}
		if maxStep < 1e-13 {
			break
		}
	}
	return beta
}

func smallLogisticProblem() (*Matrix, []float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 300
	m := &Matrix{Rows: n, Names: []string{"a", "b", "c"}}
	for j := 0; j < 3; j++ {
		m.Cols = append(m.Cols, make([]float64, n))
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < 3; j++ {
			m.Cols[j][i] = rng.NormFloat64() * float64(j+1)
		}
		z := 0.5 + m.Cols[0][i] - 0.3*m.Cols[1][i] + 0.1*m.Cols[2][i]
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	// Imbalance the classes so balanced weights matter.
	for i := 0; i < n; i += 3 {
		y[i] = 1
	}
	return m, y
}

func TestLogisticMatchesNewtonReference(t *testing.T) {
	m, y := smallLogisticProblem()
	for _, tc := range []struct {
		name string
		p    LogisticParams
		tol  float64
	}{
		{"lbfgs C=0.5", LogisticParams{C: 0.5, Tol: 1e-10, MaxIter: 1000}, 1e-6},
		{"newton C=0.5", LogisticParams{C: 0.5, Solver: "newton", Tol: 1e-12}, 1e-10},
		{"lbfgs balanced C=2", LogisticParams{C: 2, ClassWeight: "balanced", Tol: 1e-10, MaxIter: 1000}, 1e-6},
		{"newton balanced C=2", LogisticParams{C: 2, ClassWeight: "balanced", Solver: "newton", Tol: 1e-12}, 1e-10},
		{"parallel lbfgs", LogisticParams{C: 0.5, Tol: 1e-10, MaxIter: 1000, Threads: 3}, 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw, err := classWeights(y, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceLogistic(m.Cols, y, sw, tc.p.C)
			got, err := FitLogistic(m, y, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			gotAll := append(append([]float64(nil), got.Weights...), got.Intercept)
			for j := range want {
				if math.Abs(gotAll[j]-want[j]) > tc.tol {
					t.Errorf("coefficient %d = %.12f, reference %.12f", j, gotAll[j], want[j])
				}
			}
		})
	}
}

func TestLogisticInterceptOnly(t *testing.T) {
	// Without features or penalty the MLE intercept is logit(mean y).
	y := []float64{1, 0, 0, 1, 1, 0, 1, 1}
	m := &Matrix{Rows: len(y)}
	got, err := FitLogistic(m, y, LogisticParams{NoPenalty: true, Solver: "newton", Tol: 1e-14})
	if err != nil {
		t.Fatal(err)
	}
	want := math.Log(5.0 / 3.0)
	if math.Abs(got.Intercept-want) > 1e-12 {
		t.Fatalf("intercept %.15f, want log(5/3) = %.15f", got.Intercept, want)
	}
}

func TestLinearRegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 5000
	m := &Matrix{Rows: n, Names: []string{"a", "b", "dup"}}
	a, b := make([]float64, n), make([]float64, n)
	y := make([]float64, n)
	for i := range y {
		a[i], b[i] = rng.NormFloat64(), rng.Float64()*10
		y[i] = 1.5 + 2*a[i] - 3*b[i]
	}
	m.Cols = [][]float64{a, b, b} // a duplicated column: rank deficient
	lm, err := FitLinear(m, y, LinearParams{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The minimum-norm solution splits b's weight equally.
	want := []float64{2, -1.5, -1.5}
	for j := range want {
		if math.Abs(lm.Weights[j]-want[j]) > 1e-9 {
			t.Errorf("weight %d = %v, want %v", j, lm.Weights[j], want[j])
		}
	}
	if math.Abs(lm.Intercept-1.5) > 1e-9 {
		t.Errorf("intercept %v, want 1.5", lm.Intercept)
	}
	if r := RMSE(y, lm.Predict(m, nil)); r > 1e-9 {
		t.Errorf("rmse %v on noiseless data", r)
	}

	// Ridge with one centred feature has the closed form Sxy / (Sxx + α).
	x := []float64{1, 2, 3, 4, 5}
	yy := []float64{2, 4, 5, 4, 5}
	r, err := FitLinear(&Matrix{Rows: 5, Names: []string{"x"}, Cols: [][]float64{x}}, yy, LinearParams{Alpha: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Sxx = 10, Sxy = 6 → w = 6/12 = 0.5, b = 4 − 0.5·3 = 2.5.
	if math.Abs(r.Weights[0]-0.5) > 1e-12 || math.Abs(r.Intercept-2.5) > 1e-12 {
		t.Errorf("ridge w=%v b=%v, want 0.5 and 2.5", r.Weights[0], r.Intercept)
	}
}

func TestFitRefusesNonFiniteFeatures(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, at := range []int{0, 5, 6} { // in the unrolled part and in the tail
			m := &Matrix{Rows: 7, Names: []string{"a", "b"}, Cols: [][]float64{{1, 2, 3, 4, 5, 6, 7}, {0, 1, 0, 1, 0, 1, 0}}}
			m.Cols[1][at] = bad
			_, err := FitLogistic(m, []float64{0, 1, 0, 1, 0, 1, 1}, LogisticParams{C: 1})
			if err == nil || !strings.Contains(err.Error(), `feature "b" has missing or infinite values`) {
				t.Errorf("%v at row %d: err = %v, want the feature named", bad, at, err)
			}
		}
	}
	m := &Matrix{Rows: 3, Names: []string{"a"}, Cols: [][]float64{{1e308, -1e308, 0}}}
	if err := checkFinite(m); err != nil {
		t.Errorf("finite extremes refused: %v", err)
	}
}
