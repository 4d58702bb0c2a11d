package ml

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// LogisticParams configures logistic regression. The objective is
// scikit-learn's: ½‖w‖² + C·Σᵢ sᵢ·logloss(yᵢ, σ(b + w·xᵢ)), where sᵢ is the
// class weight of row i and the intercept b is not penalised.
type LogisticParams struct {
	// C is the inverse regularisation strength; 0 means 1.
	C float64
	// NoPenalty fits without the L2 term (C = ∞).
	NoPenalty bool
	// ClassWeight is "" (all 1), "balanced" (n / (2·nₖ)), or use
	// PositiveWeight to weight positive rows by a fixed factor.
	ClassWeight    string
	PositiveWeight float64
	// Solver is "lbfgs" (default) or "newton".
	Solver string
	// Tol stops the solver when the largest absolute gradient component of
	// the objective divided by Σsᵢ falls below it; 0 means 1e-4.
	Tol float64
	// MaxIter bounds solver iterations; 0 means 100 (lbfgs) or 50 (newton).
	MaxIter int
	// Threads bounds the cores used; 0 means all.
	Threads int
	// Multinomial fits a softmax over the label's classes (strings or
	// integers, each distinct value a class) with scikit-learn's
	// multinomial objective, ½‖W‖² + C·Σᵢ sᵢ·(−log pᵢ,yᵢ) over every
	// class's weights W. ClassWeight "balanced" weighs class k by
	// n / (K·nₖ); PositiveWeight and the newton solver are binary only.
	Multinomial bool
}

// LinearParams configures least-squares linear regression with an optional
// ridge penalty Alpha·‖w‖² (the intercept is not penalised).
type LinearParams struct {
	Alpha   float64
	Threads int
}

// LinearModel is a fitted linear or logistic model over feature columns.
type LinearModel struct {
	Features  []string  `json:"features"`
	Weights   []float64 `json:"weights"`
	Intercept float64   `json:"intercept"`
	// Means are the features' training means, from which contributions
	// are measured; models saved before they were recorded lack them.
	Means []float64 `json:"means,omitempty"`
	// Logistic reports that predictions pass through the sigmoid (the
	// softmax for multinomial models).
	Logistic   bool `json:"logistic"`
	Iterations int  `json:"iterations,omitempty"`
	// ClassWeights and ClassIntercepts hold a multinomial model's weights
	// and intercept for each class, in the order of Model.Classes;
	// Weights and Intercept are then unused.
	ClassWeights    [][]float64 `json:"class_weights,omitempty"`
	ClassIntercepts []float64   `json:"class_intercepts,omitempty"`
}

func classWeights(y []float64, p LogisticParams) ([]float64, error) {
	sw, err := rowClassWeights(y, p.ClassWeight, p.PositiveWeight)
	if err != nil {
		return nil, fmt.Errorf("logistic: %w", err)
	}
	return sw, nil
}

// rowClassWeights returns each row's weight for 0/1 labels y: nil when
// classWeight is "" and positiveWeight 0 (all rows weigh 1), n / (2·nₖ)
// for "balanced", or positiveWeight for positive rows and 1 for others.
func rowClassWeights(y []float64, classWeight string, positiveWeight float64) ([]float64, error) {
	if classWeight == "" && positiveWeight == 0 {
		return nil, nil
	}
	if positiveWeight < 0 || math.IsNaN(positiveWeight) || math.IsInf(positiveWeight, 0) {
		return nil, fmt.Errorf("positive weight must be a positive number, got %v", positiveWeight)
	}
	wPos, wNeg := 1.0, 1.0
	switch classWeight {
	case "":
		wPos = positiveWeight
	case "balanced":
		var pos float64
		for _, v := range y {
			pos += v
		}
		n := float64(len(y))
		if pos == 0 || pos == n {
			return nil, errors.New("balanced class weights need both classes in the labels")
		}
		wPos, wNeg = n/(2*pos), n/(2*(n-pos))
	default:
		return nil, fmt.Errorf("unknown class weight %q (use \"balanced\" or PositiveWeight)", classWeight)
	}
	sw := make([]float64, len(y))
	for i, v := range y {
		if v > 0.5 {
			sw[i] = wPos
		} else {
			sw[i] = wNeg
		}
	}
	return sw, nil
}

// logisticObjective evaluates the scaled objective and its gradient over a
// column-major matrix in parallel. x = [w..., b].
type logisticObjective struct {
	X       [][]float64
	y, sw   []float64
	lambda  float64 // 1/(C·S)
	invS    float64
	workers int
	// per-worker scratch and partial sums
	z, r  [][]float64
	grads [][]float64
	loss  []float64
}

// lossScale returns the factors of a logistic objective: 1/S for the
// summed loss, S the total row weight, and the L2 penalty 1/(C·S) (C 1
// when unset; none with NoPenalty), so that C means what it means in
// scikit-learn.
func lossScale(y, sw []float64, p LogisticParams) (invS, lambda float64) {
	S := float64(len(y))
	if sw != nil {
		S = floats.Sum(sw)
	}
	if !p.NoPenalty {
		c := p.C
		if c == 0 {
			c = 1
		}
		lambda = 1 / (c * S)
	}
	return 1 / S, lambda
}

func newLogisticObjective(m *Matrix, y, sw []float64, p LogisticParams, workers int) *logisticObjective {
	o := &logisticObjective{X: m.Cols, y: y, sw: sw, workers: workers}
	o.invS, o.lambda = lossScale(y, sw, p)
	d := len(m.Cols)
	for w := 0; w < workers; w++ {
		o.z = append(o.z, make([]float64, chunkRows))
		o.r = append(o.r, make([]float64, chunkRows))
		o.grads = append(o.grads, make([]float64, d+1))
	}
	o.loss = make([]float64, workers)
	return o
}

// linearBlock writes b + Σ wⱼ·Xⱼ[lo:hi] into z.
func linearBlock(X [][]float64, w []float64, b float64, lo, hi int, z []float64) {
	z = z[:hi-lo]
	for i := range z {
		z[i] = b
	}
	for j, col := range X {
		if w[j] != 0 {
			floats.AddScaled(z, w[j], col[lo:hi])
		}
	}
}

// softplus returns log(1 + eᶻ) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplusSigmoid returns softplus(z) and sigmoid(z) from one exp, the
// same values the two functions give.
func softplusSigmoid(z float64) (float64, float64) {
	e := math.Exp(-math.Abs(z))
	if z >= 0 {
		return z + math.Log1p(e), 1 / (1 + e)
	}
	return math.Log1p(e), e / (1 + e)
}

func (o *logisticObjective) eval(x, grad []float64) float64 {
	d := len(o.X)
	w, b := x[:d], x[d]
	for k := range o.grads {
		clear(o.grads[k])
		o.loss[k] = 0
	}
	parallelBlocks(len(o.y), o.workers, func(k, lo, hi int) {
		z, r, g := o.z[k][:hi-lo], o.r[k][:hi-lo], o.grads[k]
		linearBlock(o.X, w, b, lo, hi, z)
		var loss, gb float64
		for i, zi := range z {
			yi := o.y[lo+i]
			sp, sg := softplusSigmoid(zi)
			l := sp - yi*zi
			ri := sg - yi
			if o.sw != nil {
				s := o.sw[lo+i]
				l *= s
				ri *= s
			}
			loss += l
			r[i] = ri
			gb += ri
		}
		if grad != nil {
			for j, col := range o.X {
				g[j] += floats.Dot(col[lo:hi], r)
			}
			g[d] += gb
		}
		o.loss[k] += loss
	})
	var loss float64
	for k := range o.loss {
		loss += o.loss[k]
	}
	loss = loss*o.invS + 0.5*o.lambda*floats.Dot(w, w)
	if grad != nil {
		clear(grad)
		for k := range o.grads {
			floats.Add(grad, o.grads[k])
		}
		floats.Scale(o.invS, grad)
		floats.AddScaled(grad[:d], o.lambda, w)
	}
	return loss
}

// hessian returns the Hessian of the scaled objective at x.
func (o *logisticObjective) hessian(x []float64) *mat.SymDense {
	d := len(o.X)
	w, b := x[:d], x[d]
	parts := make([][]float64, o.workers)
	parallelBlocks(len(o.y), o.workers, func(k, lo, hi int) {
		if parts[k] == nil {
			parts[k] = make([]float64, (d+1)*(d+1))
		}
		h := parts[k]
		z, q := o.z[k][:hi-lo], o.r[k][:hi-lo]
		linearBlock(o.X, w, b, lo, hi, z)
		for i, zi := range z {
			p := sigmoid(zi)
			q[i] = p * (1 - p)
			if o.sw != nil {
				q[i] *= o.sw[lo+i]
			}
		}
		col := func(j int) []float64 {
			if j == d {
				return nil
			}
			return o.X[j][lo:hi]
		}
		tmp := make([]float64, hi-lo)
		for a := 0; a <= d; a++ {
			ca := col(a)
			if ca == nil {
				copy(tmp, q)
			} else {
				floats.MulTo(tmp, q, ca)
			}
			for c := a; c <= d; c++ {
				cc := col(c)
				if cc == nil {
					h[a*(d+1)+c] += floats.Sum(tmp)
				} else {
					h[a*(d+1)+c] += floats.Dot(tmp, cc)
				}
			}
		}
	})
	H := mat.NewSymDense(d+1, nil)
	for a := 0; a <= d; a++ {
		for c := a; c <= d; c++ {
			var s float64
			for _, h := range parts {
				if h != nil {
					s += h[a*(d+1)+c]
				}
			}
			s *= o.invS
			if a == c && a < d {
				s += o.lambda
			}
			H.SetSym(a, c, s)
		}
	}
	return H
}

// FitLogistic fits logistic regression of y (0/1) on the columns of m; with
// p.Multinomial, y holds class indices 0..K−1 and the model has weights
// per class.
func FitLogistic(m *Matrix, y []float64, p LogisticParams) (*LinearModel, error) {
	if err := checkFinite(m); err != nil {
		return nil, fmt.Errorf("logistic: %w", err)
	}
	if len(y) != m.Rows {
		return nil, fmt.Errorf("logistic: %d labels for %d rows", len(y), m.Rows)
	}
	if p.Multinomial {
		return fitMultinomial(m, y, p)
	}
	sw, err := classWeights(y, p)
	if err != nil {
		return nil, err
	}
	d := len(m.Cols)
	o := newLogisticObjective(m, y, sw, p, workerCount(p.Threads))
	tol := p.Tol
	if tol == 0 {
		tol = 1e-4
	}
	x := make([]float64, d+1)
	iters := 0
	switch p.Solver {
	case "", "lbfgs":
		if iters, err = minimizeLBFGS(o.eval, x, p); err != nil {
			return nil, err
		}
	case "newton":
		maxIter := p.MaxIter
		if maxIter == 0 {
			maxIter = 50
		}
		grad := make([]float64, d+1)
		for iters = 0; iters < maxIter; iters++ {
			f := o.eval(x, grad)
			if floats.Norm(grad, math.Inf(1)) < tol {
				break
			}
			var chol mat.Cholesky
			if !chol.Factorize(o.hessian(x)) {
				return nil, errors.New("logistic: Hessian is singular; add a penalty (set C) or drop collinear features")
			}
			step := mat.NewVecDense(d+1, nil)
			if err := chol.SolveVecTo(step, mat.NewVecDense(d+1, grad)); err != nil {
				return nil, fmt.Errorf("logistic: %w", err)
			}
			// Backtrack until the objective decreases enough.
			t := 1.0
			trial := make([]float64, d+1)
			slope := floats.Dot(grad, step.RawVector().Data)
			for ls := 0; ls < 50; ls++ {
				floats.AddScaledTo(trial, x, -t, step.RawVector().Data)
				if o.eval(trial, nil) <= f-1e-4*t*slope {
					break
				}
				t /= 2
			}
			copy(x, trial)
		}
	default:
		return nil, fmt.Errorf("logistic: unknown solver %q (use lbfgs or newton)", p.Solver)
	}
	return &LinearModel{Features: m.Names, Weights: x[:d:d], Intercept: x[d], Means: columnMeans(m), Logistic: true, Iterations: iters}, nil
}

// minimizeLBFGS minimises eval from x, which it overwrites with the
// solution, stopping when the largest absolute gradient component falls
// below p.Tol or after p.MaxIter iterations; it returns the iterations run.
func minimizeLBFGS(eval func(x, grad []float64) float64, x []float64, p LogisticParams) (int, error) {
	tol := p.Tol
	if tol == 0 {
		tol = 1e-4
	}
	maxIter := p.MaxIter
	if maxIter == 0 {
		maxIter = 100
	}
	n := len(x)
	// The line search asks for the value and then the gradient at the
	// same point; one pass over the data computes both, so keep the
	// gradient of the last point evaluated.
	lastX := make([]float64, n)
	lastG := make([]float64, n)
	var lastF float64
	have := false
	evalAt := func(x []float64) {
		if have && floats.Equal(x, lastX) {
			return
		}
		lastF = eval(x, lastG)
		copy(lastX, x)
		have = true
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { evalAt(x); return lastF },
		Grad: func(grad, x []float64) { evalAt(x); copy(grad, lastG) },
	}
	res, err := optimize.Minimize(prob, x, &optimize.Settings{
		GradientThreshold: tol,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 0, Relative: 0, Iterations: 0},
	}, &optimize.LBFGS{Store: 10})
	if err != nil && res == nil {
		return 0, fmt.Errorf("logistic: %w", err)
	}
	copy(x, res.X)
	return res.Stats.MajorIterations, nil
}

// FitLinear fits least squares (ridge when Alpha > 0) of y on m's columns.
// Rank-deficient problems get the minimum-norm solution.
func FitLinear(m *Matrix, y []float64, p LinearParams) (*LinearModel, error) {
	if err := checkFinite(m); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	n, d := m.Rows, len(m.Cols)
	if len(y) != n || n == 0 {
		return nil, fmt.Errorf("linear: %d labels for %d rows", len(y), n)
	}
	means := make([]float64, d)
	for j, c := range m.Cols {
		means[j] = floats.Sum(c) / float64(n)
	}
	ym := floats.Sum(y) / float64(n)
	workers := workerCount(p.Threads)
	type part struct{ xtx, xty []float64 }
	parts := make([]part, workers)
	parallelBlocks(n, workers, func(k, lo, hi int) {
		if parts[k].xtx == nil {
			parts[k] = part{make([]float64, d*d), make([]float64, d)}
		}
		pt := parts[k]
		cent := make([][]float64, d)
		for j := range cent {
			cent[j] = make([]float64, hi-lo)
			for i := lo; i < hi; i++ {
				cent[j][i-lo] = m.Cols[j][i] - means[j]
			}
		}
		yc := make([]float64, hi-lo)
		for i := lo; i < hi; i++ {
			yc[i-lo] = y[i] - ym
		}
		for a := 0; a < d; a++ {
			pt.xty[a] += floats.Dot(cent[a], yc)
			for c := a; c < d; c++ {
				pt.xtx[a*d+c] += floats.Dot(cent[a], cent[c])
			}
		}
	})
	A := mat.NewSymDense(d, nil)
	bv := make([]float64, d)
	for a := 0; a < d; a++ {
		for _, pt := range parts {
			if pt.xty != nil {
				bv[a] += pt.xty[a]
			}
		}
		for c := a; c < d; c++ {
			var s float64
			for _, pt := range parts {
				if pt.xtx != nil {
					s += pt.xtx[a*d+c]
				}
			}
			if a == c {
				s += p.Alpha
			}
			A.SetSym(a, c, s)
		}
	}
	w := make([]float64, d)
	if d > 0 {
		var eig mat.EigenSym
		if !eig.Factorize(A, true) {
			return nil, errors.New("linear: eigen decomposition failed")
		}
		vals := eig.Values(nil)
		var V mat.Dense
		eig.VectorsTo(&V)
		maxv := floats.Max(vals)
		cut := maxv * float64(d) * 1e-12
		for k, lam := range vals {
			if lam <= cut {
				continue
			}
			var proj float64
			for a := 0; a < d; a++ {
				proj += V.At(a, k) * bv[a]
			}
			proj /= lam
			for a := 0; a < d; a++ {
				w[a] += proj * V.At(a, k)
			}
		}
	}
	b := ym - floats.Dot(w, means)
	return &LinearModel{Features: m.Names, Weights: w, Intercept: b, Means: means}, nil
}

func columnMeans(m *Matrix) []float64 {
	means := make([]float64, len(m.Cols))
	if m.Rows == 0 {
		return means
	}
	for j, c := range m.Cols {
		means[j] = floats.Sum(c) / float64(m.Rows)
	}
	return means
}

func checkFinite(m *Matrix) error {
	for j, c := range m.Cols {
		// v-v is 0 for a finite v and NaN for NaN or ±Inf, and a NaN
		// carries through the sums: one pass without branches per value.
		var a0, a1, a2, a3 float64
		i := 0
		for ; i+4 <= len(c); i += 4 {
			a0 += c[i] - c[i]
			a1 += c[i+1] - c[i+1]
			a2 += c[i+2] - c[i+2]
			a3 += c[i+3] - c[i+3]
		}
		for ; i < len(c); i++ {
			a0 += c[i] - c[i]
		}
		if a0+a1+a2+a3 != 0 {
			return fmt.Errorf("feature %q has missing or infinite values; add an Impute step", m.Names[j])
		}
	}
	return nil
}

// Predict writes predictions for m's rows into out (allocated when nil or
// short) and returns it: probabilities for logistic models, values for
// linear ones, and for multinomial models each row's class
// probabilities, row after row.
func (lm *LinearModel) Predict(m *Matrix, out []float64) []float64 {
	if lm.Multinomial() {
		K := len(lm.ClassWeights)
		if cap(out) < m.Rows*K {
			out = make([]float64, m.Rows*K)
		}
		out = out[:m.Rows*K]
		lm.predictMultinomial(m, out)
		return out
	}
	if cap(out) < m.Rows {
		out = make([]float64, m.Rows)
	}
	out = out[:m.Rows]
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		linearBlock(m.Cols, lm.Weights, lm.Intercept, lo, hi, out[lo:hi])
		if lm.Logistic {
			for i := lo; i < hi; i++ {
				out[i] = sigmoid(out[i])
			}
		}
	})
	return out
}
