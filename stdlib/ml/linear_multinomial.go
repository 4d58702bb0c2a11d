package ml

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// The multinomial objective is scikit-learn's for LogisticRegression with
// the lbfgs solver and more than two classes:
//
//	½‖W‖² + C·Σᵢ sᵢ·(log Σₖ exp(zᵢₖ) − zᵢ,yᵢ),  zᵢₖ = bₖ + Wₖ·xᵢ,
//
// with one weight vector Wₖ and intercept bₖ per class and the intercepts
// not penalised. It is minimised divided by C·Σsᵢ, like the binary one.
// The gradient of the intercepts sums to zero over the classes, so from
// all-zero intercepts they stay centred: the softmax leaves them free to
// shift together, and centred is the representative scikit-learn keeps.

// multinomialObjective evaluates the scaled objective and its gradient
// over a column-major matrix in parallel. x = [W₀..., W₁..., …, b₀, …],
// class k's d weights at x[k·d:(k+1)·d] and the K intercepts last.
type multinomialObjective struct {
	X       [][]float64
	y, sw   []float64
	k       int
	lambda  float64 // 1/(C·S)
	invS    float64
	workers int
	// per-worker scratch: K score vectors of a block, gradient, loss
	z     [][][]float64
	grads [][]float64
	loss  []float64
}

func newMultinomialObjective(m *Matrix, y, sw []float64, k int, p LogisticParams, workers int) *multinomialObjective {
	o := &multinomialObjective{X: m.Cols, y: y, sw: sw, k: k, workers: workers}
	o.invS, o.lambda = lossScale(y, sw, p)
	d := len(m.Cols)
	for w := 0; w < workers; w++ {
		zs := make([][]float64, k)
		for c := range zs {
			zs[c] = make([]float64, chunkRows)
		}
		o.z = append(o.z, zs)
		o.grads = append(o.grads, make([]float64, k*(d+1)))
	}
	o.loss = make([]float64, workers)
	return o
}

func (o *multinomialObjective) eval(x, grad []float64) float64 {
	d, K := len(o.X), o.k
	W, b := x[:K*d], x[K*d:]
	for w := range o.grads {
		clear(o.grads[w])
		o.loss[w] = 0
	}
	parallelBlocks(len(o.y), o.workers, func(w, lo, hi int) {
		z, g := o.z[w], o.grads[w]
		// Feature by feature, so each column of the block is read once
		// while the K score vectors stay in cache.
		for c := 0; c < K; c++ {
			zc := z[c][:hi-lo]
			for i := range zc {
				zc[i] = b[c]
			}
		}
		for j, col := range o.X {
			xj := col[lo:hi]
			for c := 0; c < K; c++ {
				if v := W[c*d+j]; v != 0 {
					floats.AddScaled(z[c][:hi-lo], v, xj)
				}
			}
		}
		var loss float64
		for i := 0; i < hi-lo; i++ {
			top := math.Inf(-1)
			for c := 0; c < K; c++ {
				top = max(top, z[c][i])
			}
			var sum float64
			for c := 0; c < K; c++ {
				e := expNonPositive(z[c][i] - top)
				z[c][i] = e
				sum += e
			}
			yi := int(o.y[lo+i])
			s := 1.0
			if o.sw != nil {
				s = o.sw[lo+i]
			}
			// z now holds exp(zᵢₖ − top); log pᵢ,yᵢ = log z[yᵢ] − log sum.
			loss -= s * math.Log(max(z[yi][i], math.SmallestNonzeroFloat64)/sum)
			// z becomes the residual sᵢ·(pᵢₖ − [yᵢ = k]).
			inv := s / sum
			for c := 0; c < K; c++ {
				z[c][i] *= inv
			}
			z[yi][i] -= s
		}
		o.loss[w] += loss
		if grad == nil {
			return
		}
		for j, col := range o.X {
			xj := col[lo:hi]
			for c := 0; c < K; c++ {
				g[c*d+j] += floats.Dot(xj, z[c][:hi-lo])
			}
		}
		for c := 0; c < K; c++ {
			g[K*d+c] += floats.Sum(z[c][:hi-lo])
		}
	})
	var loss float64
	for w := range o.loss {
		loss += o.loss[w]
	}
	loss = loss*o.invS + 0.5*o.lambda*floats.Dot(W, W)
	if grad != nil {
		clear(grad)
		for w := range o.grads {
			floats.Add(grad, o.grads[w])
		}
		floats.Scale(o.invS, grad)
		floats.AddScaled(grad[:K*d], o.lambda, W)
	}
	return loss
}

// multinomialLabels checks that y holds class indices 0..K−1 and returns
// K, the number of classes (the largest index plus one).
func multinomialLabels(y []float64) (int, error) {
	top := -1.0
	for _, v := range y {
		if v < 0 || v != math.Trunc(v) || math.IsNaN(v) || v >= maxClasses {
			return 0, fmt.Errorf("logistic: a multinomial model needs class indices 0, 1, 2, … below %d; found %v", maxClasses, v)
		}
		top = max(top, v)
	}
	k := int(top) + 1
	if k < 2 {
		return 0, errors.New("logistic: a multinomial model needs at least 2 classes")
	}
	return k, nil
}

// fitMultinomial fits multinomial logistic regression of class indices y
// on the columns of m.
func fitMultinomial(m *Matrix, y []float64, p LogisticParams) (*LinearModel, error) {
	K, err := multinomialLabels(y)
	if err != nil {
		return nil, err
	}
	if p.PositiveWeight != 0 {
		return nil, errors.New("logistic: PositiveWeight is for binary models; a multinomial model takes ClassWeight \"balanced\"")
	}
	switch p.Solver {
	case "", "lbfgs":
	case "newton":
		return nil, errors.New("logistic: the newton solver is binary only; a multinomial model uses lbfgs")
	default:
		return nil, fmt.Errorf("logistic: unknown solver %q (use lbfgs or newton)", p.Solver)
	}
	sw, err := multiClassWeights(y, K, p.ClassWeight)
	if err != nil {
		return nil, fmt.Errorf("logistic: %w", err)
	}
	d := len(m.Cols)
	o := newMultinomialObjective(m, y, sw, K, p, workerCount(p.Threads))
	x := make([]float64, K*(d+1))
	iters, err := minimizeLBFGS(o.eval, x, p)
	if err != nil {
		return nil, err
	}
	lm := &LinearModel{Features: m.Names, Means: columnMeans(m), Logistic: true, Iterations: iters,
		ClassWeights: make([][]float64, K), ClassIntercepts: x[K*d:]}
	for c := range lm.ClassWeights {
		lm.ClassWeights[c] = x[c*d : (c+1)*d : (c+1)*d]
	}
	return lm, nil
}

// Multinomial reports whether the model is a multinomial logistic one,
// with weights per class.
func (lm *LinearModel) Multinomial() bool { return lm.ClassWeights != nil }

// outputs is the number of scores the model gives each row.
func (lm *LinearModel) outputs() int { return max(1, len(lm.ClassWeights)) }

// classParams returns class k's weights and intercept; k must be 0 for a
// single-output model.
func (lm *LinearModel) classParams(k int) ([]float64, float64) {
	if lm.ClassWeights == nil {
		return lm.Weights, lm.Intercept
	}
	return lm.ClassWeights[k], lm.ClassIntercepts[k]
}

// ClassMargin returns class k's raw score (before the softmax) for m's
// rows; k must be 0 for single-output models.
func (lm *LinearModel) ClassMargin(m *Matrix, k int) []float64 {
	w, b := lm.classParams(k)
	out := make([]float64, m.Rows)
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		linearBlock(m.Cols, w, b, lo, hi, out[lo:hi])
	})
	return out
}

// ClassContributions is Contributions for class k of a multinomial model:
// wₖⱼ·(xⱼ − x̄ⱼ) for each feature j, which add up to class k's raw score
// less its base bₖ + wₖ·x̄. For single-output models k must be 0.
func (lm *LinearModel) ClassContributions(m *Matrix, k int) ([]float64, float64, error) {
	if k < 0 || k >= lm.outputs() {
		return nil, 0, fmt.Errorf("ml: class %d out of range: the model has %d outputs", k, lm.outputs())
	}
	w, b := lm.classParams(k)
	d := len(w)
	if len(m.Cols) != d {
		return nil, 0, fmt.Errorf("ml: %d feature columns for a model with %d features", len(m.Cols), d)
	}
	means := lm.Means
	if len(means) != d {
		means = make([]float64, d)
	}
	base := b + floats.Dot(w, means)
	out := make([]float64, m.Rows*d)
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		for j, c := range m.Cols {
			wj, mu := w[j], means[j]
			for i := lo; i < hi; i++ {
				out[i*d+j] = wj * (c[i] - mu)
			}
		}
	})
	return out, base, nil
}

// predictMultinomial writes each row's class probabilities, row after
// row, into out, which holds m.Rows × K values.
func (lm *LinearModel) predictMultinomial(m *Matrix, out []float64) {
	K := len(lm.ClassWeights)
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		z := make([]float64, (hi-lo)*K)
		col := make([]float64, hi-lo)
		for c := 0; c < K; c++ {
			linearBlock(m.Cols, lm.ClassWeights[c], lm.ClassIntercepts[c], lo, hi, col)
			for i, v := range col {
				z[i*K+c] = v
			}
		}
		for i := 0; i < hi-lo; i++ {
			softmaxInPlace(z[i*K : (i+1)*K])
		}
		copy(out[lo*K:hi*K], z)
	})
}

// importanceWeights returns each feature's absolute weight; for a
// multinomial model, its mean absolute weight over the classes.
func (lm *LinearModel) importanceWeights() []float64 {
	if lm.ClassWeights == nil {
		out := make([]float64, len(lm.Weights))
		for j, w := range lm.Weights {
			out[j] = math.Abs(w)
		}
		return out
	}
	out := make([]float64, len(lm.Features))
	for _, ws := range lm.ClassWeights {
		for j, w := range ws {
			out[j] += math.Abs(w) / float64(len(lm.ClassWeights))
		}
	}
	return out
}

// validateClasses checks a decoded multinomial model against its k
// classes and d features.
func (lm *LinearModel) validateClasses(k, d int) error {
	if len(lm.ClassWeights) != k || len(lm.ClassIntercepts) != k {
		return fmt.Errorf("multinomial model: %d classes, %d weight vectors and %d intercepts disagree", k, len(lm.ClassWeights), len(lm.ClassIntercepts))
	}
	for c, w := range lm.ClassWeights {
		if len(w) != d {
			return fmt.Errorf("multinomial model: class %d has %d weights for %d features", c, len(w), d)
		}
	}
	return nil
}
