package ml

import (
	"errors"
	"fmt"
	"math"
)

// The multiclass objective is LightGBM's softmax: class k's score zₖ gives
// pₖ = exp(zₖ) / Σⱼ exp(zⱼ), the loss is −log p_y, and class k's tree of a
// round fits the gradient pₖ − [y = k] with hessian k/(k−1)·pₖ(1 − pₖ)
// (k classes), all taken from the scores at the start of the round.

// classCount returns the number of classes of multiclass labels y (and
// yValid), which must be integers in [0, numClass) when numClass is set.
func classCount(y, yValid []float64, numClass int) (int, error) {
	top := -1.0
	for _, ys := range [][]float64{y, yValid} {
		for _, v := range ys {
			if v < 0 || v != math.Trunc(v) || math.IsNaN(v) {
				return 0, fmt.Errorf("gbm: multiclass objective needs class indices 0, 1, 2, …; found %v", v)
			}
			top = max(top, v)
		}
	}
	k := int(top) + 1
	if numClass > 0 {
		if k > numClass {
			return 0, fmt.Errorf("gbm: label %d is out of range for NumClass %d", k-1, numClass)
		}
		k = numClass
	}
	if k < 2 {
		return 0, errors.New("gbm: multiclass objective needs at least 2 classes")
	}
	return k, nil
}

// multiClassWeights returns each row's weight for class indices y: nil
// when classWeight is "" and n / (k·nₖ) for "balanced" (scikit-learn's
// formula), so every class weighs the same in total.
func multiClassWeights(y []float64, k int, classWeight string) ([]float64, error) {
	switch classWeight {
	case "":
		return nil, nil
	case "balanced":
	default:
		return nil, fmt.Errorf("unknown class weight %q (use \"balanced\")", classWeight)
	}
	counts := make([]float64, k)
	for _, v := range y {
		counts[int(v)]++
	}
	w := make([]float64, k)
	for c, nc := range counts {
		if nc > 0 {
			w[c] = float64(len(y)) / (float64(k) * nc)
		}
	}
	sw := make([]float64, len(y))
	for i, v := range y {
		sw[i] = w[int(v)]
	}
	return sw, nil
}

// classPriors returns each class's starting score, the log of its
// (weighted) share of the rows; a class absent from y starts very low.
func classPriors(y, sw []float64, k int) []float64 {
	share := make([]float64, k)
	total := 0.0
	for i, v := range y {
		w := 1.0
		if sw != nil {
			w = sw[i]
		}
		share[int(v)] += w
		total += w
	}
	out := make([]float64, k)
	for c := range out {
		out[c] = math.Log(max(share[c]/total, 1e-15))
	}
	return out
}

// initScores returns the starting score of each output: one for
// single-output models, one per class for multiclass ones.
func (g *GBM) initScores() []float64 {
	if g.NumClass > 0 {
		return g.InitScores
	}
	return []float64{g.InitScore}
}

// outputs is the number of scores the model gives each row.
func (g *GBM) outputs() int { return max(1, g.NumClass) }

// softmaxInPlace replaces the scores z by their softmax probabilities.
func softmaxInPlace(z []float64) {
	top := math.Inf(-1)
	for _, v := range z {
		top = max(top, v)
	}
	s := 0.0
	for c, v := range z {
		z[c] = math.Exp(v - top)
		s += z[c]
	}
	inv := 1 / s
	for c := range z {
		z[c] *= inv
	}
}

// multiScoreMetric is multi_logloss or multi_error of class scores, laid
// out one class after another, against class indices y.
func multiScoreMetric(metric string, y, scores []float64) float64 {
	n := len(y)
	k := len(scores) / n
	z := make([]float64, k)
	var s float64
	for i, v := range y {
		for c := range z {
			z[c] = scores[c*n+i]
		}
		softmaxInPlace(z)
		if metric == "multi_error" {
			s += 1 - oneIf(argmax(z) == int(v))
			continue
		}
		s -= math.Log(max(z[int(v)], 1e-15))
	}
	return s / float64(n)
}

// argmax returns the index of the largest value, the first among ties.
func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
