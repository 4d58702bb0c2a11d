package ml

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/galley-dev/galley/stdlib/data"
)

// Calibration methods.
const (
	CalibratePlatt    = "platt"    // a logistic curve on the model's log-odds
	CalibrateIsotonic = "isotonic" // a monotone step-wise map fitted by pool-adjacent-violators
)

// Calibrator maps a model's probabilities to calibrated ones.
// Platt scaling fits p' = σ(A·logit(p) + B) with Platt's smoothed targets;
// isotonic regression fits a non-decreasing map through the points (X, Y),
// interpolating linearly between them and clamping outside them.
//
// A multiclass calibrator holds one such binary calibrator per class in
// Classes, each fitted one-vs-rest to that class's probability; it maps a
// row's probabilities class by class and divides them by their sum, so
// they add up to 1 again (scikit-learn's CalibratedClassifierCV does the
// same).
type Calibrator struct {
	Method  string        `json:"method"`
	A       float64       `json:"a,omitempty"`
	B       float64       `json:"b,omitempty"`
	X       []float64     `json:"x,omitempty"`
	Y       []float64     `json:"y,omitempty"`
	Classes []*Calibrator `json:"classes,omitempty"`
}

// FitCalibrator fits method to probabilities p against 0/1 labels y, which
// should be rows the model did not train on.
func FitCalibrator(method string, y, p []float64) (*Calibrator, error) {
	if len(y) != len(p) {
		return nil, fmt.Errorf("calibrate: %d labels for %d scores", len(y), len(p))
	}
	var pos int
	for i, v := range y {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("calibrate: labels must be 0/1, found %v", v)
		}
		if math.IsNaN(p[i]) {
			return nil, fmt.Errorf("calibrate: score %d is missing", i)
		}
		pos += int(v)
	}
	if pos == 0 || pos == len(y) {
		return nil, errors.New("calibrate: need rows of both classes")
	}
	switch method {
	case CalibratePlatt:
		return fitPlatt(y, p, pos), nil
	case CalibrateIsotonic:
		return fitIsotonic(y, p), nil
	}
	return nil, fmt.Errorf("calibrate: unknown method %q (use %q or %q)", method, CalibratePlatt, CalibrateIsotonic)
}

// FitClassCalibrator fits method one-vs-rest to each class of a
// multiclass model: y holds class indices 0..k−1 and p each row's k class
// probabilities, row after row. Every class must occur among the rows,
// and none may make up all of them; they should be rows the model did not
// train on.
func FitClassCalibrator(method string, y, p []float64, k int) (*Calibrator, error) {
	if k < 2 {
		return nil, fmt.Errorf("calibrate: a multiclass calibration needs at least 2 classes, got %d", k)
	}
	if len(p) != len(y)*k {
		return nil, fmt.Errorf("calibrate: %d probabilities for %d labels of %d classes", len(p), len(y), k)
	}
	for _, v := range y {
		if v < 0 || v >= float64(k) || v != math.Trunc(v) {
			return nil, fmt.Errorf("calibrate: labels must be class indices 0..%d, found %v", k-1, v)
		}
	}
	if method != CalibratePlatt && method != CalibrateIsotonic {
		return nil, fmt.Errorf("calibrate: unknown method %q (use %q or %q)", method, CalibratePlatt, CalibrateIsotonic)
	}
	c := &Calibrator{Method: method, Classes: make([]*Calibrator, k)}
	yc, pc := make([]float64, len(y)), make([]float64, len(y))
	for cl := range k {
		for i, v := range y {
			yc[i] = oneIf(int(v) == cl)
			pc[i] = p[i*k+cl]
		}
		var err error
		if c.Classes[cl], err = FitCalibrator(method, yc, pc); err != nil {
			return nil, fmt.Errorf("class %d: %w", cl, err)
		}
	}
	return c, nil
}

// logit is the inverse of sigmoid, clamped so 0 and 1 stay finite.
func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-15), 1-1e-15)
	return math.Log(p / (1 - p))
}

// fitPlatt fits σ(A·f + B) to the smoothed targets by Newton's method
// with backtracking, as in Platt (1999) and Lin, Lin and Weng (2007).
func fitPlatt(y, p []float64, pos int) *Calibrator {
	n := len(y)
	hi := (float64(pos) + 1) / (float64(pos) + 2)
	lo := 1 / (float64(n-pos) + 2)
	f := make([]float64, n)
	t := make([]float64, n)
	for i := range y {
		f[i] = logit(p[i])
		t[i] = lo
		if y[i] == 1 {
			t[i] = hi
		}
	}
	loss := func(a, b float64) float64 {
		s := 0.0
		for i := range f {
			z := a*f[i] + b
			s += softplus(z) - t[i]*z
		}
		return s
	}
	a, b := 1.0, 0.0
	cur := loss(a, b)
	for iter := 0; iter < 100; iter++ {
		var g1, g2, h11, h12, h22 float64
		for i := range f {
			q := sigmoid(a*f[i] + b)
			d := q - t[i]
			w := math.Max(q*(1-q), 1e-12)
			g1 += d * f[i]
			g2 += d
			h11 += w * f[i] * f[i]
			h12 += w * f[i]
			h22 += w
		}
		if math.Abs(g1) < 1e-10 && math.Abs(g2) < 1e-10 {
			break
		}
		h11 += 1e-12
		h22 += 1e-12
		det := h11*h22 - h12*h12
		da := (h22*g1 - h12*g2) / det
		db := (h11*g2 - h12*g1) / det
		step := 1.0
		for ; step > 1e-10; step /= 2 {
			if l := loss(a-step*da, b-step*db); l < cur {
				a, b, cur = a-step*da, b-step*db, l
				break
			}
		}
		if step <= 1e-10 {
			break
		}
	}
	return &Calibrator{Method: CalibratePlatt, A: a, B: b}
}

// fitIsotonic fits the non-decreasing step function closest to y in
// squared error by pooling adjacent violators, then keeps each block's
// first and last score as knots.
func fitIsotonic(y, p []float64) *Calibrator {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	type block struct {
		sum, n float64
		lo, hi float64 // score range
	}
	var blocks []block
	for k := 0; k < len(idx); {
		// Equal scores form one point.
		s, c := 0.0, 0.0
		v := p[idx[k]]
		for k < len(idx) && p[idx[k]] == v {
			s += y[idx[k]]
			c++
			k++
		}
		blocks = append(blocks, block{sum: s, n: c, lo: v, hi: v})
		for len(blocks) > 1 {
			a, b := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if a.sum/a.n < b.sum/b.n {
				break
			}
			blocks = blocks[:len(blocks)-2]
			blocks = append(blocks, block{sum: a.sum + b.sum, n: a.n + b.n, lo: a.lo, hi: b.hi})
		}
	}
	c := &Calibrator{Method: CalibrateIsotonic}
	for _, bl := range blocks {
		m := bl.sum / bl.n
		c.X = append(c.X, bl.lo)
		c.Y = append(c.Y, m)
		if bl.hi != bl.lo {
			c.X = append(c.X, bl.hi)
			c.Y = append(c.Y, m)
		}
	}
	return c
}

// Apply writes the calibrated probabilities of p into out (allocated when
// short) and returns it. For a multiclass calibrator p and out hold each
// row's class probabilities, row after row.
func (c *Calibrator) Apply(p, out []float64) []float64 {
	if cap(out) < len(p) {
		out = make([]float64, len(p))
	}
	out = out[:len(p)]
	if c.Classes != nil {
		c.applyClasses(p, out)
		return out
	}
	for i, v := range p {
		out[i] = c.apply(v)
	}
	return out
}

// applyClasses calibrates each row's class probabilities one class at a
// time and renormalises them; a row whose calibrated values are all 0
// gets the uniform distribution.
func (c *Calibrator) applyClasses(p, out []float64) {
	k := len(c.Classes)
	for lo := 0; lo+k <= len(p); lo += k {
		var sum float64
		for cl, cc := range c.Classes {
			q := cc.apply(p[lo+cl])
			out[lo+cl] = q
			sum += q
		}
		for cl := range k {
			if sum > 0 {
				out[lo+cl] /= sum
			} else {
				out[lo+cl] = 1 / float64(k)
			}
		}
	}
}

func (c *Calibrator) apply(v float64) float64 {
	if c.Method == CalibratePlatt {
		return sigmoid(c.A*logit(v) + c.B)
	}
	n := len(c.X)
	if n == 0 || math.IsNaN(v) {
		return v
	}
	if v <= c.X[0] {
		return c.Y[0]
	}
	if v >= c.X[n-1] {
		return c.Y[n-1]
	}
	k, _ := slices.BinarySearch(c.X, v)
	// c.X[k-1] < v ≤ c.X[k]
	x0, x1 := c.X[k-1], c.X[k]
	if x1 == x0 {
		return c.Y[k]
	}
	return c.Y[k-1] + (c.Y[k]-c.Y[k-1])*(v-x0)/(x1-x0)
}

func (c *Calibrator) validate() error {
	for k, cc := range c.Classes {
		if cc == nil || cc.Classes != nil || cc.Method != c.Method {
			return fmt.Errorf("class %d's calibration is malformed", k)
		}
		if err := cc.validate(); err != nil {
			return fmt.Errorf("class %d: %w", k, err)
		}
	}
	if c.Classes != nil {
		return nil
	}
	switch c.Method {
	case CalibratePlatt:
		return nil
	case CalibrateIsotonic:
		if len(c.X) != len(c.Y) || len(c.X) == 0 || !slices.IsSorted(c.X) {
			return errors.New("isotonic calibration knots are malformed")
		}
		return nil
	}
	return fmt.Errorf("unknown calibration method %q", c.Method)
}

// Calibrate fits a calibration of the model's probabilities on f, which
// must hold the label and should be rows the model did not train on, and
// keeps it in the model: Predict, Score and Evaluate then return
// calibrated probabilities, and Save stores the calibration. Explanations
// still split the uncalibrated score. It returns the evaluation of the
// calibrated model on f.
//
// A multiclass model gets one calibration per class, fitted one-vs-rest
// on that class's probability, and each row's calibrated probabilities
// are divided by their sum; every class must occur in f.
//
//	train, calib, _ := rest.StratifiedSplit("Churn", 0.2, 7)
//	m, _ := ml.Train(train, nil, spec)
//	m.Calibrate(calib, ml.CalibrateIsotonic)
func (m *Model) Calibrate(f *data.Frame, method string) (*Evaluation, error) {
	if m.Task != TaskBinary && m.Task != TaskMulticlass {
		return nil, errors.New("ml: only binary and multiclass models can be calibrated")
	}
	names, types := frameTypes(f)
	if err := m.checkSchema(names, types, true); err != nil {
		return nil, err
	}
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	var y []float64
	if m.Task == TaskMulticlass {
		y, _, err = classLabels(t.Column(m.Label), m.Classes)
	} else {
		y, _, err = labels(t.Column(m.Label), m.Task, m.Positive)
	}
	if err != nil {
		return nil, fmt.Errorf("ml: label %q: %w", m.Label, err)
	}
	X, err := m.Pipeline.Transform(t)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	raw := m.rawPredict(X, nil)
	if m.Task == TaskMulticlass {
		k := len(m.Classes)
		counts := make([]int, k)
		for _, v := range y {
			counts[int(v)]++
		}
		for c, n := range counts {
			if n == 0 || n == len(y) {
				return nil, fmt.Errorf("ml: calibrating needs rows of class %q and of other classes; the calibration rows have %d of %d in it (split them with StratifiedSplit)", m.Classes[c], n, len(y))
			}
		}
		c, err := FitClassCalibrator(method, y, raw, k)
		if err != nil {
			return nil, fmt.Errorf("ml: %w", err)
		}
		m.Calibration = c
		return EvaluateMulticlass(y, c.Apply(raw, raw), m.Classes), nil
	}
	c, err := FitCalibrator(method, y, raw)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	m.Calibration = c
	return EvaluateBinary(y, c.Apply(raw, raw), m.Threshold), nil
}
