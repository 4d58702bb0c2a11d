package ml

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestExpNonPositiveIsAccurate(t *testing.T) {
	worst := 0.0
	for x := -707.9; x <= 0; x += 0.000731 {
		e := math.Exp(x)
		worst = max(worst, math.Abs(expNonPositive(x)-e)/e)
	}
	if worst > 1e-15 {
		t.Errorf("largest relative error %g, want ≤ 1e-15", worst)
	}
	if expNonPositive(0) != 1 || expNonPositive(-800) != 0 || expNonPositive(math.Inf(-1)) != 0 || !math.IsNaN(expNonPositive(math.NaN())) {
		t.Errorf("exp(0) = %v, exp(-800) = %v, exp(-Inf) = %v, exp(NaN) = %v", expNonPositive(0), expNonPositive(-800), expNonPositive(math.Inf(-1)), expNonPositive(math.NaN()))
	}
}

// TestMultinomialGradientMatchesFiniteDifferences checks the objective's
// gradient, with class weights and the penalty, against central
// differences of its value, and its value against the loss computed row
// by row.
func TestMultinomialGradientMatchesFiniteDifferences(t *testing.T) {
	m, y := synthMulticlass(5000, 6, 4, 11)
	for i, v := range m.Cols[0] {
		if math.IsNaN(v) {
			m.Cols[0][i] = 0
		}
	}
	sw, err := multiClassWeights(y, 4, "balanced")
	if err != nil {
		t.Fatal(err)
	}
	p := LogisticParams{C: 0.5, Multinomial: true}
	o := newMultinomialObjective(m, y, sw, 4, p, 2)
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 4*7)
	for i := range x {
		x[i] = rng.NormFloat64() * 0.5
	}
	grad := make([]float64, len(x))
	f := o.eval(x, grad)
	// The value by hand.
	var want, S float64
	z := make([]float64, 4)
	for i := 0; i < m.Rows; i++ {
		for c := range z {
			z[c] = x[24+c]
			for j := 0; j < 6; j++ {
				z[c] += x[c*6+j] * m.Cols[j][i]
			}
		}
		softmaxInPlace(z)
		want -= sw[i] * math.Log(z[int(y[i])])
		S += sw[i]
	}
	var ww float64
	for _, v := range x[:24] {
		ww += v * v
	}
	want = want/S + 0.5*ww/(p.C*S)
	if math.Abs(f-want) > 1e-12 {
		t.Errorf("objective %v, by hand %v", f, want)
	}
	for i := range x {
		const h = 1e-6
		xp, xm := slices.Clone(x), slices.Clone(x)
		xp[i] += h
		xm[i] -= h
		fd := (o.eval(xp, nil) - o.eval(xm, nil)) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-7 {
			t.Errorf("gradient %d: %v, finite differences %v", i, grad[i], fd)
		}
	}
}

func TestMultinomialLogisticModel(t *testing.T) {
	f := multiclassFrame(t, 4000, 3)
	train, test := f.Slice(0, 3000), f.Slice(3000, 4000)
	m, err := Train(train, test, Spec{Label: "segment", Pipeline: LinearPipeline("tier"), Logistic: &LogisticParams{C: 1, Multinomial: true}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Task != TaskMulticlass || m.Kind != KindLogistic || strings.Join(m.Classes, ",") != "bronze,diamond,gold,platinum,silver" || len(m.Linear.ClassWeights) != 5 {
		t.Fatalf("kind %s task %s classes %v", m.Kind, m.Task, m.Classes)
	}
	ev, err := m.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("valid: %s", ev.Metrics)
	// The classes are drawn from a softmax that is linear in most of its
	// terms: well above the 0.2 of guessing.
	if ev.Metrics.Value("accuracy") < 0.45 || ev.AUC() < 0.75 {
		t.Errorf("evaluation %s", ev.Metrics)
	}
	proba, err := m.PredictProba(test)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < proba.Rows; i++ {
		var s float64
		for _, v := range proba.Row(i) {
			s += v
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("row %d: probabilities sum to %v", i, s)
		}
	}
	scored, err := m.Score(test)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"prediction", "prediction_bronze", "prediction_diamond", "prediction_gold", "prediction_platinum", "prediction_silver"} {
		if !scored.Has(name) {
			t.Errorf("Score wrote no column %q", name)
		}
	}
	pred, err := scored.Column("prediction")
	if err != nil {
		t.Fatal(err)
	}
	if got := pred.Value(7); got != proba.Class(7) {
		t.Errorf("row 7 scored as %q, PredictProba says %q", got, proba.Class(7))
	}

	// Each row's predicted class is explained additively, and so is a
	// chosen class.
	c, err := m.Contributions(test)
	if err != nil {
		t.Fatal(err)
	}
	tt := mustTable(t, test)
	X, err := m.Pipeline.Transform(tt)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < c.Rows; i++ {
		k := slices.Index(m.Classes, c.Class[i])
		if c.Class[i] != proba.Class(i) {
			t.Fatalf("row %d explained for %q, predicted %q", i, c.Class[i], proba.Class(i))
		}
		sum := c.RowBase(i)
		for _, v := range c.Row(i) {
			sum += v
		}
		if margin := m.Linear.ClassMargin(sliceRows(X, i, i+1), k)[0]; math.Abs(sum-margin) > 1e-9 || math.Abs(c.Margin[i]-margin) > 1e-9 {
			t.Fatalf("row %d: base + contributions %v, margin %v, class %d's score %v", i, sum, c.Margin[i], k, margin)
		}
	}
	ex, err := m.ExplainClass(test, 2, "gold")
	if err != nil {
		t.Fatal(err)
	}
	gold := m.Linear.ClassMargin(X, 2)
	for i, r := range ex.Rows {
		if r.Class != "gold" || math.Abs(r.Margin-gold[i]) > 1e-9 || math.Abs(r.Prediction-proba.Row(i)[2]) > 1e-12 || len(r.Drivers) != 2 {
			t.Fatalf("row %d: %+v; gold score %v, probability %v", i, r, gold[i], proba.Row(i)[2])
		}
	}
	if imp, err := m.Importance("weight"); err != nil || len(imp.Values) != len(m.Pipeline.Features) || imp.Values[0] <= 0 {
		t.Errorf("importance %v, %v", imp, err)
	}

	// Saved as model file version 3, which older releases refuse, and
	// loaded back exactly.
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if man := zipText(t, buf.Bytes(), "manifest.json"); !strings.Contains(man, `"version": 3`) {
		t.Errorf("manifest %s", man)
	}
	back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.PredictProba(test)
	if err != nil {
		t.Fatal(err)
	}
	for i := range proba.Values {
		if math.Float64bits(proba.Values[i]) != math.Float64bits(again.Values[i]) {
			t.Fatalf("value %d: loaded model predicts %v, saved one %v", i, again.Values[i], proba.Values[i])
		}
	}
	back.Linear.ClassWeights = back.Linear.ClassWeights[:4]
	buf.Reset()
	if err := back.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("a file with weights for 4 of 5 classes loaded: %v", err)
	}
}

func TestMultinomialLogisticOptions(t *testing.T) {
	f := multiclassFrame(t, 3000, 5)
	// An integer label: classes in increasing order.
	m, err := Train(f, nil, Spec{Label: "tier", Pipeline: LinearPipeline("segment"), Logistic: &LogisticParams{Multinomial: true, ClassWeight: "balanced"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Classes, ",") != "1,2,5,10,20" {
		t.Errorf("classes %v", m.Classes)
	}
	// Balanced weights raise the rarest class's predicted share.
	plain, err := Train(f, nil, Spec{Label: "tier", Pipeline: LinearPipeline("segment"), Logistic: &LogisticParams{Multinomial: true}})
	if err != nil {
		t.Fatal(err)
	}
	share := func(m *Model) []float64 {
		p, err := m.PredictProba(f)
		if err != nil {
			t.Fatal(err)
		}
		s := make([]float64, 5)
		for i := 0; i < p.Rows; i++ {
			for c, v := range p.Row(i) {
				s[c] += v / float64(p.Rows)
			}
		}
		return s
	}
	ys, _, _ := classLabels(mustTable(t, f).Column("tier"), m.Classes)
	rare, count := 0, math.Inf(1)
	for c := range 5 {
		n := 0.0
		for _, v := range ys {
			n += b2f(int(v) == c)
		}
		if n < count {
			rare, count = c, n
		}
	}
	if b, p := share(m)[rare], share(plain)[rare]; b <= p {
		t.Errorf("class %s: balanced share %.3f, unweighted %.3f", m.Classes[rare], b, p)
	}
	for _, tc := range []struct {
		p    LogisticParams
		want string
	}{
		{LogisticParams{Multinomial: true, Solver: "newton"}, "binary only"},
		{LogisticParams{Multinomial: true, PositiveWeight: 3}, "PositiveWeight"},
		{LogisticParams{Multinomial: true, ClassWeight: "even"}, `"even"`},
	} {
		if _, err := Train(f, nil, Spec{Label: "segment", Pipeline: LinearPipeline("tier"), Logistic: &tc.p}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error mentioning %s", tc.p, err, tc.want)
		}
	}
	// A binary logistic model on a multiclass label points to both.
	if _, err := Train(f, nil, Spec{Label: "segment", Pipeline: LinearPipeline("tier"), Logistic: &LogisticParams{}}); err == nil || !strings.Contains(err.Error(), "Multinomial: true") {
		t.Errorf("binary logistic on 5 classes: %v", err)
	}
}
