package ml

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/stdlib/display"
)

// Multiclass metrics take class indices y (0..k-1) and probabilities p
// holding each row's k class probabilities, row after row.

// MultiLogLoss returns the mean of −log p(yᵢ), clipping probabilities to
// [1e-15, 1].
func MultiLogLoss(y, p []float64, k int) float64 {
	var s float64
	for i, v := range y {
		s -= math.Log(math.Max(p[i*k+int(v)], 1e-15))
	}
	return s / float64(len(y))
}

// MacroAUC returns the one-vs-rest AUC of each class averaged over the
// classes (scikit-learn's roc_auc_score with multi_class="ovr" and
// average="macro"). Classes absent from y, or making up all of it, are
// left out; it is NaN when none is left.
func MacroAUC(y, p []float64, k int) float64 {
	yc := make([]float64, len(y))
	pc := make([]float64, len(y))
	var sum float64
	used := 0
	for c := 0; c < k; c++ {
		for i, v := range y {
			yc[i] = oneIf(int(v) == c)
			pc[i] = p[i*k+c]
		}
		if a := AUC(yc, pc); !math.IsNaN(a) {
			sum += a
			used++
		}
	}
	if used == 0 {
		return math.NaN()
	}
	return sum / float64(used)
}

// ClassConfusion is a multiclass confusion matrix: Counts[a][p] is the
// number of rows of class a predicted as class p (the most probable one).
type ClassConfusion struct {
	Classes []string
	Counts  [][]int
}

// ConfusionMatrix counts each row of class y[i] under its most probable
// class in p. classes names the k classes; nil names them by index.
func ConfusionMatrix(y, p []float64, k int, classes []string) *ClassConfusion {
	if classes == nil {
		for c := 0; c < k; c++ {
			classes = append(classes, strconv.Itoa(c))
		}
	}
	c := &ClassConfusion{Classes: classes, Counts: make([][]int, k)}
	for a := range c.Counts {
		c.Counts[a] = make([]int, k)
	}
	for i, v := range y {
		c.Counts[int(v)][argmax(p[i*k:(i+1)*k])]++
	}
	return c
}

// Support returns the number of rows of class k.
func (c *ClassConfusion) Support(k int) int {
	n := 0
	for _, v := range c.Counts[k] {
		n += v
	}
	return n
}

func (c *ClassConfusion) predictedAs(k int) int {
	n := 0
	for _, row := range c.Counts {
		n += row[k]
	}
	return n
}

// Precision returns the share of rows predicted as class k that are of
// class k, 0 when none is predicted so.
func (c *ClassConfusion) Precision(k int) float64 { return ratio(c.Counts[k][k], c.predictedAs(k)) }

// Recall returns the share of class k's rows predicted as class k.
func (c *ClassConfusion) Recall(k int) float64 { return ratio(c.Counts[k][k], c.Support(k)) }

// F1 returns the harmonic mean of class k's precision and recall.
func (c *ClassConfusion) F1(k int) float64 {
	return ratio(2*c.Counts[k][k], c.Support(k)+c.predictedAs(k))
}

// Accuracy returns the share of rows predicted as their class.
func (c *ClassConfusion) Accuracy() float64 {
	right, all := 0, 0
	for a, row := range c.Counts {
		right += row[a]
		all += c.Support(a)
	}
	return ratio(right, all)
}

// MacroF1 is the unweighted mean of the classes' F1 scores.
func (c *ClassConfusion) MacroF1() float64 {
	var s float64
	for k := range c.Classes {
		s += c.F1(k)
	}
	return s / float64(len(c.Classes))
}

// WeightedF1 is the mean of the classes' F1 scores weighted by their
// number of rows.
func (c *ClassConfusion) WeightedF1() float64 {
	var s float64
	n := 0
	for k := range c.Classes {
		s += c.F1(k) * float64(c.Support(k))
		n += c.Support(k)
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// MulticlassMetrics returns the multi-class log loss, accuracy, macro and
// weighted F1 and the one-vs-rest macro AUC of probabilities p (k per row)
// against class indices y.
func MulticlassMetrics(y, p []float64, k int) *Metrics {
	c := ConfusionMatrix(y, p, k, nil)
	m := &Metrics{}
	m.Add("multi_logloss", MultiLogLoss(y, p, k)).Add("accuracy", c.Accuracy())
	m.Add("macro_f1", c.MacroF1()).Add("weighted_f1", c.WeightedF1()).Add("macro_auc", MacroAUC(y, p, k))
	m.Add("rows", float64(len(y)))
	return m
}

// EvaluateMulticlass evaluates class probabilities p (one per class in
// classes, row after row) against class indices y.
func EvaluateMulticlass(y, p []float64, classes []string) *Evaluation {
	return &Evaluation{Task: TaskMulticlass, Y: y, P: p, Classes: classes, Metrics: MulticlassMetrics(y, p, len(classes))}
}

// ClassConfusion returns a multiclass evaluation's confusion matrix, nil
// for other tasks.
func (e *Evaluation) ClassConfusion() *ClassConfusion {
	if e.Task != TaskMulticlass {
		return nil
	}
	return ConfusionMatrix(e.Y, e.P, len(e.Classes), e.Classes)
}

// DisplayData renders the confusion matrix (actual classes down,
// predicted across) beside each class's precision, recall, F1 and rows.
func (c *ClassConfusion) DisplayData() display.Data {
	header := []string{"actual \\ predicted"}
	header = append(header, c.Classes...)
	rows := make([][]string, len(c.Classes))
	for a, name := range c.Classes {
		r := []string{name}
		for _, v := range c.Counts[a] {
			r = append(r, strconv.Itoa(v))
		}
		rows[a] = r
	}
	per := make([][]string, len(c.Classes))
	for k, name := range c.Classes {
		per[k] = []string{name, fmt.Sprintf("%.4f", c.Precision(k)), fmt.Sprintf("%.4f", c.Recall(k)), fmt.Sprintf("%.4f", c.F1(k)), strconv.Itoa(c.Support(k))}
	}
	h := fmt.Sprintf(`<div style="display:flex;gap:24px;align-items:flex-start">%s%s</div>`,
		htmlTable("confusion matrix", header, rows),
		htmlTable("per class", []string{"class", "precision", "recall", "f1", "rows"}, per))
	d := display.HTML(h)
	d.Bundle[display.MIMEText] = c.String()
	return d
}

func (c *ClassConfusion) String() string {
	var b strings.Builder
	b.WriteString("class       precision  recall   f1       rows\n")
	for k, name := range c.Classes {
		fmt.Fprintf(&b, "%-12s %.4f    %.4f   %.4f   %d\n", name, c.Precision(k), c.Recall(k), c.F1(k), c.Support(k))
	}
	return b.String()
}

// displayMulticlass renders a multiclass evaluation: metrics, confusion
// matrix and per-class table.
func (e *Evaluation) displayMulticlass() display.Data {
	md := e.Metrics.DisplayData()
	cd := e.ClassConfusion().DisplayData()
	h := fmt.Sprintf(`<div style="display:flex;gap:24px;align-items:flex-start">%s%s</div>`, md.Bundle[display.MIMEHTML], cd.Bundle[display.MIMEHTML])
	d := display.HTML(h)
	d.Bundle[display.MIMEText] = e.Metrics.String() + "\n" + e.ClassConfusion().String()
	return d
}
