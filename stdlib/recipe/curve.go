package recipe

import (
	"fmt"
	"math"
	"sort"
)

// Evaluation is what the richer form of Evaluate returns: the metrics and
// the curves the evaluation drew.
type Evaluation struct {
	Metrics Metrics
	Curves  Curves
}

// Curve is a series of points, such as a ROC curve (false-positive rate
// against true-positive rate) or a lift curve (share of rows targeted
// against cumulative lift). X and Y have the same length.
type Curve struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// Curves are named curves. The server's model comparison overlays the
// curves named "roc" and "lift" of several training runs; other names are
// kept and shown on the run.
type Curves map[string]Curve

// Limits on what an evaluation may record: curves beyond MaxCurvePoints
// points are thinned to that many (first and last points kept), and more
// than MaxCurves curves, or a curve whose X and Y differ in length or hold
// NaN or infinities, fail the evaluation.
const (
	MaxCurves      = 8
	MaxCurvePoints = 500
)

// bounded checks the curves and thins long ones.
func (cs Curves) bounded() (Curves, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	if len(cs) > MaxCurves {
		return nil, fmt.Errorf("%d curves: record at most %d", len(cs), MaxCurves)
	}
	out := make(Curves, len(cs))
	names := make([]string, 0, len(cs))
	for name := range cs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cs[name]
		if name == "" {
			return nil, fmt.Errorf("a curve has no name: name it, such as \"roc\"")
		}
		if len(c.X) != len(c.Y) {
			return nil, fmt.Errorf("curve %s has %d x and %d y values: give both the same length", name, len(c.X), len(c.Y))
		}
		for i := range c.X {
			if math.IsNaN(c.X[i]) || math.IsInf(c.X[i], 0) || math.IsNaN(c.Y[i]) || math.IsInf(c.Y[i], 0) {
				return nil, fmt.Errorf("curve %s point %d is (%g, %g): curves hold finite numbers only", name, i, c.X[i], c.Y[i])
			}
		}
		out[name] = c.thin(MaxCurvePoints)
	}
	return out, nil
}

// thin keeps at most n points, evenly spaced by index, first and last
// included.
func (c Curve) thin(n int) Curve {
	if len(c.X) <= n || n < 2 {
		return Curve{X: append([]float64(nil), c.X...), Y: append([]float64(nil), c.Y...)}
	}
	out := Curve{X: make([]float64, n), Y: make([]float64, n)}
	last := len(c.X) - 1
	for i := range n {
		j := i * last / (n - 1)
		out.X[i], out.Y[i] = c.X[j], c.Y[j]
	}
	return out
}
