package ml

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
)

// synthMulticlass makes n rows of d ≥ 6 features and labels drawn from a
// softmax over k class scores that mix linear terms, an interaction and a
// threshold, so the Bayes error is well above 0. About 5% of the first
// feature is missing.
func synthMulticlass(n, d, k int, seed uint64) (*Matrix, []float64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	m := &Matrix{Rows: n}
	for j := 0; j < d; j++ {
		m.Names = append(m.Names, fmt.Sprintf("x%d", j))
		m.Cols = append(m.Cols, make([]float64, n))
	}
	y := make([]float64, n)
	z := make([]float64, k)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			m.Cols[j][i] = rng.NormFloat64()
		}
		x := func(j int) float64 { return m.Cols[j][i] }
		for c := range z {
			fc := float64(c)
			z[c] = 2 * (0.8*math.Cos(fc)*x(0) + 0.8*math.Sin(fc)*x(1) + 0.25*(fc-2)*x(2)*x(3) +
				0.9*b2f(x(4) > 0.3*fc-0.6) + 0.4*math.Sin(2*x(5)+fc))
		}
		softmaxInPlace(z)
		u, acc := rng.Float64(), 0.0
		y[i] = float64(k - 1)
		for c, p := range z {
			acc += p
			if u < acc {
				y[i] = float64(c)
				break
			}
		}
		if rng.Float64() < 0.05 {
			m.Cols[0][i] = math.NaN()
		}
	}
	return m, y
}

func TestGBMMulticlassLearns(t *testing.T) {
	m, y := synthMulticlass(12000, 8, 5, 1)
	tr, te := sliceRows(m, 0, 9000), sliceRows(m, 9000, 12000)
	ytr, yte := y[:9000], y[9000:]
	g, err := FitGBM(tr, ytr, te, yte, GBMParams{Objective: ObjectiveMulticlass, Trees: 60, Seed: 1, EarlyStopping: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.NumClass != 5 || len(g.InitScores) != 5 || len(g.Trees)%5 != 0 || len(g.Trees) != 5*len(g.History[:g.BestRound]) {
		t.Fatalf("%d classes, %d starting scores, %d trees, best round %d", g.NumClass, len(g.InitScores), len(g.Trees), g.BestRound)
	}
	// The starting scores are the log class shares.
	for c, s := range g.InitScores {
		share := 0.0
		for _, v := range ytr {
			share += b2f(v == float64(c))
		}
		if want := math.Log(share / float64(len(ytr))); math.Abs(s-want) > 1e-12 {
			t.Errorf("class %d starts at %v, want log share %v", c, s, want)
		}
	}
	p := g.Predict(te, nil)
	if len(p) != 5*te.Rows {
		t.Fatalf("%d probabilities for %d rows", len(p), te.Rows)
	}
	for i := 0; i < te.Rows; i++ {
		s := 0.0
		for _, v := range p[i*5 : (i+1)*5] {
			s += v
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("row %d: probabilities sum to %v", i, s)
		}
	}
	// The prior alone is the baseline the model must beat clearly.
	prior := make([]float64, 5*te.Rows)
	for i := 0; i < te.Rows; i++ {
		copy(prior[i*5:], g.InitScores)
		softmaxInPlace(prior[i*5 : (i+1)*5])
	}
	met := MulticlassMetrics(yte, p, 5)
	base := MultiLogLoss(yte, prior, 5)
	t.Logf("multiclass: %s (prior log loss %.4f, %d rounds)", met, base, g.BestRound)
	if met.Value("multi_logloss") > base-0.15 || met.Value("accuracy") < 0.5 || met.Value("macro_auc") < 0.8 {
		t.Errorf("model does not learn: %s against a prior log loss of %.4f", met, base)
	}
	// The validation history is the metric of the probabilities.
	if h := g.History[g.BestRound-1]; math.Abs(h.Valid-met.Value("multi_logloss")) > 1e-9 {
		t.Errorf("best round's valid multi_logloss %v, Predict gives %v", h.Valid, met.Value("multi_logloss"))
	}
	testPredictMulticlassMatchesTreeWalk(t, g, te)
}

// testPredictMulticlassMatchesTreeWalk checks the blocked predictor
// against walking each class's trees one row at a time.
func testPredictMulticlassMatchesTreeWalk(t *testing.T, g *GBM, m *Matrix) {
	t.Helper()
	p := g.Predict(m, nil)
	z := make([]float64, g.NumClass)
	x := make([]float64, len(m.Cols))
	for i := 0; i < m.Rows; i++ {
		for j, c := range m.Cols {
			x[j] = c[i]
		}
		for c := range z {
			z[c] = g.InitScores[c]
			for _, tr := range g.classTrees(c) {
				z[c] += walkTree(tr, x)
			}
		}
		softmaxInPlace(z)
		for c := range z {
			if math.Abs(z[c]-p[i*g.NumClass+c]) > 1e-12 {
				t.Fatalf("row %d class %d: Predict %v, tree walk %v", i, c, p[i*g.NumClass+c], z[c])
			}
		}
	}
}

func TestGBMMulticlassGradientsAreSoftmaxLoss(t *testing.T) {
	// One round of stumps with no shrinkage penalty: each class's leaf
	// values must be the Newton steps −Σg/Σh of the softmax loss at the
	// starting scores, with hessian k/(k−1)·p(1−p).
	m, y := synthMulticlass(2000, 6, 3, 4)
	g, err := FitGBM(m, y, nil, nil, GBMParams{Objective: ObjectiveMulticlass, Trees: 1, MaxLeaves: 2, LearningRate: 1, MinDataInLeaf: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := slices.Clone(g.InitScores)
	softmaxInPlace(p)
	x := make([]float64, len(m.Cols))
	for c, tr := range g.Trees {
		var gs, hs [2]float64
		for i := 0; i < m.Rows; i++ {
			for j, col := range m.Cols {
				x[j] = col[i]
			}
			side := 1
			if tr.goesLeft(0, x[tr.Feature[0]]) {
				side = 0
			}
			gs[side] += p[c] - b2f(y[i] == float64(c))
			hs[side] += 1.5 * p[c] * (1 - p[c])
		}
		for side, leaf := range []int32{tr.Left[0], tr.Right[0]} {
			if want, got := -gs[side]/hs[side], tr.LeafValue[^leaf]; math.Abs(got-want) > 1e-9 {
				t.Errorf("class %d leaf %d: value %v, Newton step %v", c, side, got, want)
			}
		}
	}
}

func TestMulticlassMetricsByHand(t *testing.T) {
	// Classes a, b, c; rows' true classes and probabilities.
	y := []float64{0, 0, 1, 1, 2, 2}
	p := []float64{
		0.7, 0.2, 0.1, // a → a
		0.3, 0.6, 0.1, // a → b
		0.1, 0.8, 0.1, // b → b
		0.2, 0.5, 0.3, // b → b
		0.1, 0.1, 0.8, // c → c
		0.5, 0.2, 0.3, // c → a
	}
	c := ConfusionMatrix(y, p, 3, []string{"a", "b", "c"})
	if want := [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}; fmt.Sprint(c.Counts) != fmt.Sprint(want) {
		t.Fatalf("confusion %v, want %v", c.Counts, want)
	}
	near(t, "accuracy", c.Accuracy(), 4.0/6, 1e-12)
	near(t, "precision a", c.Precision(0), 0.5, 1e-12)
	near(t, "recall a", c.Recall(0), 0.5, 1e-12)
	near(t, "precision b", c.Precision(1), 2.0/3, 1e-12)
	near(t, "recall b", c.Recall(1), 1, 1e-12)
	near(t, "f1 b", c.F1(1), 0.8, 1e-12)
	near(t, "f1 c", c.F1(2), 2.0/3, 1e-12)
	near(t, "macro f1", c.MacroF1(), (0.5+0.8+2.0/3)/3, 1e-12)
	near(t, "weighted f1", c.WeightedF1(), (0.5+0.8+2.0/3)/3, 1e-12) // equal supports
	near(t, "log loss", MultiLogLoss(y, p, 3), -(math.Log(0.7)+math.Log(0.3)+math.Log(0.8)+math.Log(0.5)+math.Log(0.8)+math.Log(0.3))/6, 1e-12)
	// One-vs-rest AUCs by counting pairs: a: scores of a-rows {0.7, 0.3}
	// against {0.1, 0.2, 0.1, 0.5} win 4 + 3 = 7 of 8 pairs; b: {0.8, 0.5}
	// against {0.2, 0.6, 0.1, 0.2} win 4 + 3; c: {0.8, 0.3} against
	// {0.1, 0.1, 0.1, 0.3} win 4 + 3.5 (a tie counts half).
	near(t, "macro auc", MacroAUC(y, p, 3), (7.0/8+7.0/8+7.5/8)/3, 1e-12)
	met := MulticlassMetrics(y, p, 3)
	if strings.Join(met.Names, ",") != "multi_logloss,accuracy,macro_f1,weighted_f1,macro_auc,rows" {
		t.Errorf("metrics %v", met.Names)
	}
	h, _ := c.DisplayData().Bundle[display.MIMEHTML].(string)
	if !strings.Contains(h, "confusion matrix") || !strings.Contains(h, "per class") || !strings.Contains(h, "0.6667") {
		t.Errorf("confusion matrix renders as %s", h)
	}
}

// multiclassFrame is a small table whose string label "segment" has five
// classes, with an integer, a categorical and a float with nulls as
// inputs, and an integer copy of the label ("tier", values 1, 2, 5, 10, 20).
func multiclassFrame(tb testing.TB, n int, seed uint64) *data.Frame {
	tb.Helper()
	m, y := synthMulticlass(n, 6, 5, seed)
	names := []string{"bronze", "silver", "gold", "platinum", "diamond"}
	tiers := []int64{1, 2, 5, 10, 20}
	seg := make([]string, n)
	tier := make([]int64, n)
	region := make([]string, n)
	visits := make([]int64, n)
	valid := make([]bool, n)
	for i := 0; i < n; i++ {
		seg[i], tier[i] = names[int(y[i])], tiers[int(y[i])]
		region[i] = []string{"north", "south", "east"}[int(math.Floor(m.Cols[2][i]*m.Cols[3][i]*2))&1+b2i(m.Cols[2][i] > 0)]
		visits[i] = int64(math.Round(10 + 5*m.Cols[1][i]))
		valid[i] = !math.IsNaN(m.Cols[0][i])
	}
	f, err := data.New(
		data.Float64s("score", m.Cols[0]).WithValid(valid),
		data.Int64s("visits", visits),
		data.Strings("region", region),
		data.Float64s("x4", m.Cols[4]),
		data.Float64s("x5", m.Cols[5]),
		data.Int64s("tier", tier),
		data.Strings("segment", seg),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestMulticlassModelScoresSavesAndEvaluates(t *testing.T) {
	f := multiclassFrame(t, 4000, 3)
	train, test := f.Slice(0, 3000), f.Slice(3000, 4000)
	m, err := Train(train, test, Spec{Label: "segment", Pipeline: TreePipeline("tier"), GBM: &GBMParams{Objective: ObjectiveMulticlass, Trees: 40, RowSample: 0.8, FeatureSample: 0.8, Seed: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Task != TaskMulticlass || strings.Join(m.Classes, ",") != "bronze,diamond,gold,platinum,silver" {
		t.Fatalf("task %s, classes %v", m.Task, m.Classes)
	}
	ev, err := m.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("valid: %s", ev.Metrics)
	if ev.Metrics.Value("accuracy") < 0.45 || math.Abs(ev.AUC()-ev.Metrics.Value("macro_auc")) > 0 || ev.AUC() < 0.75 {
		t.Errorf("evaluation %s", ev.Metrics)
	}
	if v := m.ValidMetrics.Value("multi_logloss"); math.Abs(v-ev.Metrics.Value("multi_logloss")) > 1e-12 {
		t.Errorf("valid metrics at training %v, Evaluate %v", v, ev.Metrics.Value("multi_logloss"))
	}
	h, _ := ev.DisplayData().Bundle[display.MIMEHTML].(string)
	if !strings.Contains(h, "macro_f1") || !strings.Contains(h, "confusion matrix") || !strings.Contains(h, "platinum") {
		t.Errorf("evaluation renders without its confusion matrix: %.300s", h)
	}
	if h, _ := m.DisplayData().Bundle[display.MIMEHTML].(string); !strings.Contains(h, "5 classes") {
		t.Errorf("model summary: %.300s", h)
	}

	proba, err := m.PredictProba(test)
	if err != nil {
		t.Fatal(err)
	}
	scored, err := m.Score(test)
	if err != nil {
		t.Fatal(err)
	}
	defer scored.Release()
	pred := columnOf(t, scored, "prediction", (*data.Column).Strings)
	for c, name := range m.Classes {
		col := columnOf(t, scored, "prediction_"+name, (*data.Column).Float64s)
		for i := range col {
			if col[i] != proba.Row(i)[c] {
				t.Fatalf("row %d: prediction_%s %v, PredictProba %v", i, name, col[i], proba.Row(i)[c])
			}
		}
	}
	for i, p := range pred {
		if p != proba.Class(i) {
			t.Fatalf("row %d: scored class %q, PredictProba %q", i, p, proba.Class(i))
		}
	}

	// Saved and loaded, the model predicts the same to the bit.
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
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
	// A file whose classes disagree with its trees is refused.
	back.Classes = back.Classes[:4]
	buf.Reset()
	if err := back.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("inconsistent classes loaded: %v", err)
	}

	// A class the model never saw is named.
	odd, _ := test.Slice(0, 5).WithColumn(data.Strings("segment", []string{"gold", "gold", "copper", "gold", "gold"}))
	if _, err := m.Evaluate(odd); err == nil || !strings.Contains(err.Error(), `"copper"`) {
		t.Errorf("unseen class: %v", err)
	}
}

func TestMulticlassIntegerLabelAndClassWeights(t *testing.T) {
	f := multiclassFrame(t, 3000, 5)
	// Keep few rows of tier 20 so weighing classes matters.
	tc, err := f.Column("tier")
	if err != nil {
		t.Fatal(err)
	}
	tier, _ := tc.Int64s()
	var keep []int
	for i, v := range tier {
		if v != 20 || i%6 == 0 {
			keep = append(keep, i)
		}
	}
	sub, err := f.Take(keep)
	if err != nil {
		t.Fatal(err)
	}
	recall := func(cw string) (float64, *Model) {
		m, err := Train(sub, nil, Spec{Label: "tier", Pipeline: TreePipeline("segment"), GBM: &GBMParams{Objective: ObjectiveMulticlass, Trees: 30, Seed: 1, ClassWeight: cw}})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := m.Evaluate(sub)
		if err != nil {
			t.Fatal(err)
		}
		return ev.ClassConfusion().Recall(4), m
	}
	plain, m := recall("")
	// Integer classes sort as numbers.
	if strings.Join(m.Classes, ",") != "1,2,5,10,20" {
		t.Fatalf("classes %v", m.Classes)
	}
	balanced, mb := recall("balanced")
	t.Logf("recall of the rare class: %.3f unweighted, %.3f balanced", plain, balanced)
	if balanced < plain+0.1 {
		t.Errorf("balanced class weights moved the rare class's recall only from %.3f to %.3f", plain, balanced)
	}
	// Balanced weights make every class weigh the same, so every class
	// starts from the same score.
	for _, s := range mb.GBM.InitScores {
		if math.Abs(s-math.Log(0.2)) > 1e-9 {
			t.Errorf("balanced starting scores %v, want log(1/5) each", mb.GBM.InitScores)
			break
		}
	}
	for _, bad := range []Spec{
		{Label: "tier", GBM: &GBMParams{Objective: ObjectiveMulticlass, PositiveWeight: 2}},
		{Label: "tier", GBM: &GBMParams{Objective: ObjectiveMulticlass, Metric: "auc"}},
		{Label: "tier", GBM: &GBMParams{Objective: ObjectiveMulticlass, ClassWeight: "odd"}},
		{Label: "segment", GBM: &GBMParams{}},
		{Label: "segment", Logistic: &LogisticParams{}},
		{Label: "score", GBM: &GBMParams{Objective: ObjectiveMulticlass}},
	} {
		if _, err := Train(sub, nil, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		} else {
			t.Logf("refused: %v", err)
		}
	}
}

func TestMulticlassExplanationsAddUpPerClass(t *testing.T) {
	f := multiclassFrame(t, 2500, 7)
	train, test := f.Slice(0, 2000), f.Slice(2000, 2500)
	m, err := Train(train, nil, Spec{Label: "segment", Pipeline: TreePipeline("tier"), GBM: &GBMParams{Objective: ObjectiveMulticlass, Trees: 25, RowSample: 0.8, Seed: 4}})
	if err != nil {
		t.Fatal(err)
	}
	proba, err := m.PredictProba(test)
	if err != nil {
		t.Fatal(err)
	}
	X, _ := m.Pipeline.Transform(mustTable(t, test))
	check := func(c *Contributions, class func(i int) int) {
		t.Helper()
		for i := 0; i < c.Rows; i++ {
			k := class(i)
			if c.Class[i] != m.Classes[k] {
				t.Fatalf("row %d explains class %s, want %s", i, c.Class[i], m.Classes[k])
			}
			want := m.GBM.ClassMargin(X, k)[i]
			s := c.RowBase(i)
			for _, v := range c.Row(i) {
				s += v
			}
			if math.Abs(s-want) > 1e-9 || math.Abs(c.Margin[i]-want) > 1e-9 {
				t.Fatalf("row %d class %s: base + contributions %v, margin %v, class score %v", i, c.Class[i], s, c.Margin[i], want)
			}
		}
	}
	c, err := m.Contributions(test)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(c.Base) {
		t.Errorf("a per-row class base is reported as one base %v", c.Base)
	}
	check(c, proba.Predicted)
	gold, err := m.ClassContributions(test, "gold")
	if err != nil {
		t.Fatal(err)
	}
	check(gold, func(int) int { return 2 })
	if gold.Base != gold.Bases[0] {
		t.Errorf("one chosen class: Base %v, row base %v", gold.Base, gold.Bases[0])
	}
	// The class's contributions are exact Shapley values of its trees.
	x := make([]float64, len(X.Cols))
	for j, col := range X.Cols {
		x[j] = col[0]
	}
	raw, _, err := m.GBM.ClassContributions(sliceRows(X, 0, 1), 2)
	if err != nil {
		t.Fatal(err)
	}
	brute := bruteShapley(m.GBM.classTrees(2), x, len(x))
	for j := range brute {
		if math.Abs(raw[j]-brute[j]) > 1e-9 {
			t.Fatalf("feature %d: TreeSHAP %v, brute force %v", j, raw[j], brute[j])
		}
	}

	e, err := m.Explain(test, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range e.Rows {
		if r.Class != proba.Class(i) || math.Abs(r.Prediction-proba.Row(i)[proba.Predicted(i)]) > 1e-12 {
			t.Fatalf("row %d explains %s at %v; predicted %s at %v", i, r.Class, r.Prediction, proba.Class(i), proba.Row(i)[proba.Predicted(i)])
		}
		s := r.Base + r.Other
		for _, d := range r.Drivers {
			s += d.Contribution
		}
		if math.Abs(s-r.Margin) > 1e-9 {
			t.Fatalf("row %d: drivers add up to %v, margin %v", i, s, r.Margin)
		}
	}
	h, _ := e.DisplayData().Bundle[display.MIMEHTML].(string)
	if !strings.Contains(h, "predicted class") || !strings.Contains(h, proba.Class(0)) {
		t.Errorf("explanation table: %.300s", h)
	}
	if _, err := e.Waterfall(0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ExplainClass(test, 2, "copper"); err == nil || !strings.Contains(err.Error(), "gold") {
		t.Errorf("unknown class: %v", err)
	}
	scored, err := m.ScoreWith(test, ScoreOptions{Drivers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer scored.Release()
	if !scored.Has("driver_1_contribution") || !scored.Has("prediction_gold") {
		t.Errorf("scored columns %v", scored.Names())
	}
}

func mustTable(tb testing.TB, f *data.Frame) *Table {
	tb.Helper()
	t, err := FrameTable(f)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestBinaryModelFileWithoutClassesLoads(t *testing.T) {
	// A binary model file as written before multiclass models existed:
	// one stump on "x" (left when x ≤ 1, missing right).
	model := `{"kind":"gbm","task":"binary","label":"y","positive":"Yes","threshold":0.5,
"schema":[{"name":"x","type":"float64","kind":"numeric"}],
"pipeline":{"steps":[],"inputs":[{"name":"x","type":"float64","kind":"numeric"}],"features":["x"],"sources":["x"]},
"gbm":{"objective":"binary","features":["x"],"init_score":-0.5,"trees":[{"feature":[0],"threshold":[1],"missing_left":[false],
"left":[-1],"right":[-2],"gain":[3],"leaf_value":[-0.25,0.75],"count":[10],"leaf_count":[6,4]}],"split_gain":[3],"splits":[1]},
"meta":{"rows":10,"seed":0,"params":{},"trained":"2026-01-01T00:00:00Z","duration":0,"features":1}}`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"manifest.json": `{"format":"galley-model","version":1,"kind":"gbm","task":"binary","label":"y"}`, "model.json": model} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	m, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := data.New(data.Float64s("x", []float64{0, 2, math.NaN()}))
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{sigmoid(-0.75), sigmoid(0.25), sigmoid(0.25)} {
		if math.Abs(p[i]-want) > 1e-15 {
			t.Errorf("row %d: %v, want %v", i, p[i], want)
		}
	}
	c, err := m.Contributions(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Class != nil || math.Abs(c.Base-(-0.5+(6*-0.25+4*0.75)/10)) > 1e-15 {
		t.Errorf("binary contributions: class %v, base %v", c.Class, c.Base)
	}
	// A binary model writes no multiclass fields.
	buf.Reset()
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	rc, _ := zr.Open("model.json")
	var out bytes.Buffer
	out.ReadFrom(rc)
	for _, field := range []string{`"classes"`, `"num_class"`, `"init_scores"`} {
		if strings.Contains(out.String(), field) {
			t.Errorf("binary model file has %s", field)
		}
	}
}

func columnOf[T any](tb testing.TB, f *data.Frame, name string, get func(*data.Column) ([]T, error)) []T {
	tb.Helper()
	c, err := f.Column(name)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := get(c)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
