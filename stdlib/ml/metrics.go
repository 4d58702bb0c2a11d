package ml

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Binary metrics take labels y in {0, 1} and scores p (probabilities, or
// any score that ranks rows for AUC). Regression metrics take targets and
// predictions.

// rankOrder returns row indices sorted by decreasing score.
func rankOrder(p []float64) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx
}

// AUC returns the area under the ROC curve; tied scores count half.
// It is NaN when y holds a single class.
func AUC(y, p []float64) float64 {
	c := ROC(y, p)
	return c.AUC
}

// AUCPR returns the area under the precision-recall curve as average
// precision: Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct score thresholds.
func AUCPR(y, p []float64) float64 {
	idx := rankOrder(p)
	var pos float64
	for _, v := range y {
		pos += v
	}
	if pos == 0 {
		return math.NaN()
	}
	var tp, fp, ap, prevR float64
	for k := 0; k < len(idx); k++ {
		i := idx[k]
		tp += y[i]
		fp += 1 - y[i]
		if k+1 < len(idx) && p[idx[k+1]] == p[i] {
			continue
		}
		r := tp / pos
		ap += (r - prevR) * tp / (tp + fp)
		prevR = r
	}
	return ap
}

// LogLoss returns the mean negative log-likelihood, clipping p to
// [1e-15, 1−1e-15].
func LogLoss(y, p []float64) float64 {
	var s float64
	for i, pi := range p {
		pi = math.Min(math.Max(pi, 1e-15), 1-1e-15)
		s -= y[i]*math.Log(pi) + (1-y[i])*math.Log(1-pi)
	}
	return s / float64(len(p))
}

// Confusion is a binary confusion matrix at a threshold: a row is
// predicted positive when its score is ≥ Threshold.
type Confusion struct {
	Threshold      float64
	TP, FP, TN, FN int
}

// ConfusionAt returns the confusion matrix at threshold.
func ConfusionAt(y, p []float64, threshold float64) Confusion {
	c := Confusion{Threshold: threshold}
	for i, pi := range p {
		pos := y[i] > 0.5
		switch {
		case pi >= threshold && pos:
			c.TP++
		case pi >= threshold:
			c.FP++
		case pos:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Accuracy is the fraction of rows classified correctly.
func (c Confusion) Accuracy() float64 { return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN) }

// Precision is TP / (TP + FP), 0 when nothing is predicted positive.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN).
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

// Accuracy returns the fraction of rows whose thresholded score matches y.
func Accuracy(y, p []float64, threshold float64) float64 {
	return ConfusionAt(y, p, threshold).Accuracy()
}

// RMSE returns the root mean squared error.
func RMSE(y, pred []float64) float64 {
	var s float64
	for i, v := range pred {
		s += (v - y[i]) * (v - y[i])
	}
	return math.Sqrt(s / float64(len(y)))
}

// MAE returns the mean absolute error.
func MAE(y, pred []float64) float64 {
	var s float64
	for i, v := range pred {
		s += math.Abs(v - y[i])
	}
	return s / float64(len(y))
}

// R2 returns the coefficient of determination, 1 − SSres/SStot.
func R2(y, pred []float64) float64 {
	m := mean(y)
	var res, tot float64
	for i, v := range pred {
		res += (v - y[i]) * (v - y[i])
		tot += (y[i] - m) * (y[i] - m)
	}
	return 1 - res/tot
}

// Curve is a ROC curve: false- and true-positive rates at each distinct
// score threshold, from (0,0) to (1,1).
type Curve struct {
	FPR, TPR   []float64
	Thresholds []float64
	AUC        float64
}

// ROC returns the ROC curve of scores p for labels y.
func ROC(y, p []float64) *Curve {
	idx := rankOrder(p)
	var pos, neg float64
	for _, v := range y {
		if v > 0.5 {
			pos++
		} else {
			neg++
		}
	}
	c := &Curve{FPR: []float64{0}, TPR: []float64{0}, Thresholds: []float64{math.Inf(1)}}
	var tp, fp, area, prevF, prevT float64
	for k := 0; k < len(idx); k++ {
		i := idx[k]
		if y[i] > 0.5 {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && p[idx[k+1]] == p[i] {
			continue
		}
		f, t := fp/neg, tp/pos
		area += (f - prevF) * (t + prevT) / 2
		prevF, prevT = f, t
		c.FPR = append(c.FPR, f)
		c.TPR = append(c.TPR, t)
		c.Thresholds = append(c.Thresholds, p[i])
	}
	c.AUC = area
	if pos == 0 || neg == 0 {
		c.AUC = math.NaN()
	}
	return c
}

// LiftTable is cumulative gains and lift by score quantile: bucket 1 holds
// the highest-scored rows.
type LiftTable struct {
	Bucket   []int
	Rows     []int
	Positive []int
	Rate     []float64 // positive rate in the bucket
	Lift     []float64 // bucket rate / overall rate
	Gain     []float64 // cumulative share of all positives captured
	CumLift  []float64 // cumulative rate / overall rate
}

// Lift returns the lift table of p over buckets equal-count buckets
// (10 for deciles).
func Lift(y, p []float64, buckets int) *LiftTable {
	if buckets <= 0 {
		buckets = 10
	}
	idx := rankOrder(p)
	n := len(idx)
	var total float64
	for _, v := range y {
		total += v
	}
	base := total / float64(n)
	t := &LiftTable{}
	var cumPos, cumRows int
	for b := 0; b < buckets; b++ {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		pos := 0
		for _, i := range idx[lo:hi] {
			if y[i] > 0.5 {
				pos++
			}
		}
		cumPos += pos
		cumRows += hi - lo
		rate := ratio(pos, hi-lo)
		t.Bucket = append(t.Bucket, b+1)
		t.Rows = append(t.Rows, hi-lo)
		t.Positive = append(t.Positive, pos)
		t.Rate = append(t.Rate, rate)
		t.Lift = append(t.Lift, rate/base)
		t.Gain = append(t.Gain, float64(cumPos)/total)
		t.CumLift = append(t.CumLift, ratio(cumPos, cumRows)/base)
	}
	return t
}

// CalibrationCurve compares mean predicted probability with the observed
// positive rate in equal-width probability bins that hold rows.
type CalibrationCurve struct {
	Predicted []float64
	Observed  []float64
	Rows      []int
}

// Calibration bins p into bins equal-width bins over [0, 1].
func Calibration(y, p []float64, bins int) *CalibrationCurve {
	if bins <= 0 {
		bins = 10
	}
	sumP := make([]float64, bins)
	sumY := make([]float64, bins)
	cnt := make([]int, bins)
	for i, pi := range p {
		b := min(int(pi*float64(bins)), bins-1)
		b = max(b, 0)
		sumP[b] += pi
		sumY[b] += y[i]
		cnt[b]++
	}
	c := &CalibrationCurve{}
	for b := range cnt {
		if cnt[b] == 0 {
			continue
		}
		c.Predicted = append(c.Predicted, sumP[b]/float64(cnt[b]))
		c.Observed = append(c.Observed, sumY[b]/float64(cnt[b]))
		c.Rows = append(c.Rows, cnt[b])
	}
	return c
}

// Metrics is an ordered set of named metric values. It renders as a table.
type Metrics struct {
	Title  string    `json:"title,omitempty"`
	Names  []string  `json:"names"`
	Values []float64 `json:"values"`
}

// Add appends a metric.
func (m *Metrics) Add(name string, v float64) *Metrics {
	m.Names = append(m.Names, name)
	m.Values = append(m.Values, v)
	return m
}

// Get returns the named metric and whether it exists.
func (m *Metrics) Get(name string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	if i := slices.Index(m.Names, name); i >= 0 {
		return m.Values[i], true
	}
	return 0, false
}

// Value returns the named metric, or NaN.
func (m *Metrics) Value(name string) float64 {
	v, ok := m.Get(name)
	if !ok {
		return math.NaN()
	}
	return v
}

func (m *Metrics) String() string {
	s := m.Title
	for i, n := range m.Names {
		if s != "" {
			s += "  "
		}
		s += fmt.Sprintf("%s=%.4f", n, m.Values[i])
	}
	return s
}

// BinaryMetrics returns AUC, AUC-PR, log loss and, at threshold,
// accuracy, precision, recall and F1.
func BinaryMetrics(y, p []float64, threshold float64) *Metrics {
	c := ConfusionAt(y, p, threshold)
	m := &Metrics{}
	m.Add("auc", AUC(y, p)).Add("auc_pr", AUCPR(y, p)).Add("logloss", LogLoss(y, p))
	m.Add("accuracy", c.Accuracy()).Add("precision", c.Precision()).Add("recall", c.Recall()).Add("f1", c.F1())
	m.Add("rows", float64(len(y)))
	return m
}

// RegressionMetrics returns RMSE, MAE and R².
func RegressionMetrics(y, pred []float64) *Metrics {
	m := &Metrics{}
	m.Add("rmse", RMSE(y, pred)).Add("mae", MAE(y, pred)).Add("r2", R2(y, pred)).Add("rows", float64(len(y)))
	return m
}
