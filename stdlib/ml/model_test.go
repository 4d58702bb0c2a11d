package ml

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
)

// churnFrame is a small synthetic customer table with a categorical, an
// integer, a float with nulls, and a Yes/No label.
func churnFrame(tb testing.TB, n int, seed uint64) *data.Frame {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	plans := []string{"basic", "plus", "pro"}
	plan := make([]string, n)
	tenure := make([]int64, n)
	spend := make([]float64, n)
	valid := make([]bool, n)
	id := make([]string, n)
	label := make([]string, n)
	for i := 0; i < n; i++ {
		plan[i] = plans[rng.IntN(3)]
		tenure[i] = int64(rng.IntN(72))
		spend[i] = 20 + rng.Float64()*80
		valid[i] = rng.Float64() > 0.05
		id[i] = string(rune('a'+i%26)) + string(rune('a'+(i/26)%26)) + string(rune('0'+i%10))
		z := -1 + 0.03*spend[i] - 0.05*float64(tenure[i])
		if plan[i] == "basic" {
			z += 1
		}
		label[i] = "No"
		if rng.Float64() < sigmoid(z) {
			label[i] = "Yes"
		}
	}
	f, err := data.New(
		data.Strings("id", id),
		data.Strings("plan", plan),
		data.Int64s("tenure", tenure),
		data.Float64s("spend", spend).WithValid(valid),
		data.Strings("churn", label),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func trainedModels(tb testing.TB, train, valid *data.Frame) map[string]*Model {
	tb.Helper()
	out := map[string]*Model{}
	for name, spec := range map[string]Spec{
		"logistic": {Label: "churn", Pipeline: LinearPipeline("id"), Logistic: &LogisticParams{C: 1}},
		"gbm":      {Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 30, RowSample: 0.8, FeatureSample: 0.7, Seed: 5}},
		"linear":   {Label: "tenure", Pipeline: LinearPipeline("id", "churn"), Linear: &LinearParams{Alpha: 1}},
	} {
		m, err := Train(train, valid, spec)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out[name] = m
	}
	return out
}

func TestSaveLoadRoundTripIsExact(t *testing.T) {
	f := churnFrame(t, 3000, 1)
	train, test := f.Slice(0, 2000), f.Slice(2000, 3000)
	dir := t.TempDir()
	for name, m := range trainedModels(t, train, test) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".galley")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			back, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			got, err := back.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
					t.Fatalf("row %d: loaded model predicts %v, saved one %v", i, got[i], want[i])
				}
			}
			if back.Meta.Rows != 2000 || back.Label != m.Label || len(back.Schema) != len(m.Schema) {
				t.Errorf("metadata lost: %+v", back.Meta)
			}
			if back.ValidMetrics.Value("rows") != 1000 {
				t.Errorf("validation metrics lost: %v", back.ValidMetrics)
			}
		})
	}
}

func TestModelFileVersionAndFormat(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("manifest.json")
	io.WriteString(w, `{"format":"galley-model","version":99,"kind":"gbm"}`)
	zw.Close()
	_, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("want a version error, got %v", err)
	}
	_, err = Read(bytes.NewReader([]byte("not a zip")), 9)
	if err == nil || !strings.Contains(err.Error(), "not a galley model") {
		t.Fatalf("want a format error, got %v", err)
	}
}

func TestScoringSchemaErrors(t *testing.T) {
	f := churnFrame(t, 500, 2)
	m, err := Train(f, nil, Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 5}})
	if err != nil {
		t.Fatal(err)
	}
	noPlan, _ := f.Drop("plan", "spend")
	_, err = m.Score(noPlan)
	if err == nil || !strings.Contains(err.Error(), `missing column "plan", "spend"`) {
		t.Errorf("missing columns: %v", err)
	}
	extra, _ := f.WithColumn(data.Float64s("bonus", make([]float64, 500)))
	_, err = m.Score(extra)
	if err == nil || !strings.Contains(err.Error(), `extra column "bonus"`) {
		t.Errorf("extra columns: %v", err)
	}
	if _, err := m.ScoreWith(extra, ScoreOptions{IgnoreExtra: true}); err != nil {
		t.Errorf("IgnoreExtra: %v", err)
	}
	strs := make([]string, 500)
	wrong, _ := f.WithColumn(data.Strings("tenure", strs))
	_, err = m.Score(wrong)
	if err == nil || !strings.Contains(err.Error(), `mistyped column "tenure" is string, trained as int64`) {
		t.Errorf("mistyped column: %v", err)
	}
	// int64 and float64 are interchangeable.
	fl := make([]float64, 500)
	asFloat, _ := f.WithColumn(data.Float64s("tenure", fl))
	if _, err := m.Score(asFloat); err != nil {
		t.Errorf("float tenure: %v", err)
	}
	scored, err := m.Score(f)
	if err != nil {
		t.Fatal(err)
	}
	if !scored.Has("prediction") || scored.NumCols() != f.NumCols()+1 {
		t.Errorf("scored frame columns %v", scored.Names())
	}
}

func TestGBMDeterministicForSeed(t *testing.T) {
	m, y, _ := synthBinary(20000, 8, 4)
	p := GBMParams{Trees: 20, RowSample: 0.7, FeatureSample: 0.6, Seed: 11}
	a, err := FitGBM(m, y, nil, nil, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FitGBM(m, y, nil, nil, p, nil)
	pa, pb := a.Predict(m, nil), b.Predict(m, nil)
	for i := range pa {
		if math.Float64bits(pa[i]) != math.Float64bits(pb[i]) {
			t.Fatalf("row %d differs between runs with one seed: %v vs %v", i, pa[i], pb[i])
		}
	}
	p.Seed = 12
	c, _ := FitGBM(m, y, nil, nil, p, nil)
	pc := c.Predict(m, nil)
	same := true
	for i := range pa {
		same = same && pa[i] == pc[i]
	}
	if same {
		t.Error("a different seed gave identical predictions")
	}
}

func TestGBMEarlyStoppingAndProgress(t *testing.T) {
	m, y, _ := synthBinary(6000, 6, 5)
	train, valid := sliceRows(m, 0, 4000), sliceRows(m, 4000, 6000)
	var reports []Progress
	g, err := FitGBM(train, y[:4000], valid, y[4000:], GBMParams{Trees: 500, LearningRate: 0.3, EarlyStopping: 10, Seed: 1},
		func(p Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	last := reports[len(reports)-1]
	if !last.Done || !last.StoppedEarly || last.Round >= 500 {
		t.Fatalf("expected an early stop, last report %+v", last)
	}
	if len(g.Trees) != g.BestRound || last.Round != g.BestRound+10 {
		t.Errorf("kept %d trees, best round %d, stopped at %d", len(g.Trees), g.BestRound, last.Round)
	}
	if !reports[0].HasValid || reports[0].Valid <= 0 {
		t.Errorf("first report lacks the validation metric: %+v", reports[0])
	}
	imp, err := g.Importance("gain")
	if err != nil {
		t.Fatal(err)
	}
	// x0 and x1 carry the strongest linear signal, x4 a step.
	top := map[string]bool{imp.Features[0]: true, imp.Features[1]: true, imp.Features[2]: true}
	if !top["x0"] || !top["x1"] {
		t.Errorf("gain importance order %v", imp.Features)
	}
	splits, _ := g.Importance("split")
	total := 0.0
	for _, v := range splits.Values {
		total += v
	}
	nodes := 0
	for _, tr := range g.Trees {
		nodes += len(tr.Feature)
	}
	if int(total) != nodes {
		t.Errorf("split counts sum to %v, trees have %d splits", total, nodes)
	}
}

func TestGBMMissingValuesLearnSide(t *testing.T) {
	// y depends only on whether x is missing: the tree must route missing
	// rows to their own side.
	n := 4000
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i % 100)
		if i%4 == 0 {
			x[i] = math.NaN()
			y[i] = 1
		}
	}
	m := &Matrix{Rows: n, Names: []string{"x"}, Cols: [][]float64{x}}
	g, err := FitGBM(m, y, nil, nil, GBMParams{Trees: 10, LearningRate: 0.5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auc := AUC(y, g.Predict(m, nil)); auc < 0.999 {
		t.Errorf("AUC %v: missing values not separated", auc)
	}
}

func TestScoreStreamMatchesBatch(t *testing.T) {
	f := churnFrame(t, 2500, 3)
	m, err := Train(f, nil, Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 10}})
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	cw := data.NewCSVWriter(&in)
	if err := cw.Write(f); err != nil {
		t.Fatal(err)
	}
	cw.Close()
	r := data.NewCSVReader(bytes.NewReader(in.Bytes()), data.CSVOptions{ChunkRows: 700, Types: map[string]data.DType{"tenure": data.Int64, "spend": data.Float64}})
	var out bytes.Buffer
	w := data.NewCSVWriter(&out)
	n, err := m.ScoreStream(r, w, ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if n != 2500 {
		t.Fatalf("scored %d rows", n)
	}
	got, err := data.ReadCSVFrom(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(f)
	c, _ := got.Column("prediction")
	p, _ := c.ToFloat64s()
	for i := range want {
		if math.Abs(p[i]-want[i]) > 1e-12 {
			t.Fatalf("row %d: streamed %v, batch %v", i, p[i], want[i])
		}
	}
}

func TestPipelineSteps(t *testing.T) {
	tab := NewTable().
		AddFloat("x", []float64{1, math.NaN(), 3, 5}).
		AddString("c", []string{"a", "b", "", "a"}, []bool{true, true, false, true}).
		AddFloat("z", []float64{10, 20, 30, 40})
	p := NewPipeline().Select("x", "c").Impute(ImputeMedian, true).Scale("x").OneHot(UnseenError)
	m, err := p.Fit(tab)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"x", "x_missing", "c=(missing)", "c=a", "c=b"}
	if strings.Join(m.Names, ",") != strings.Join(wantNames, ",") {
		t.Fatalf("features %v, want %v", m.Names, wantNames)
	}
	// x imputed with median 3 → [1,3,3,5], mean 3, std sqrt(2).
	s := math.Sqrt(2)
	for i, want := range []float64{-2 / s, 0, 0, 2 / s} {
		near(t, "scaled x", m.Cols[0][i], want, 1e-12)
	}
	if m.Cols[1][1] != 1 || m.Cols[1][0] != 0 {
		t.Errorf("indicator %v", m.Cols[1])
	}
	if m.Cols[2][2] != 1 || m.Cols[3][0] != 1 || m.Cols[4][1] != 1 {
		t.Errorf("one-hot columns %v", m.Cols[2:])
	}
	unseen := NewTable().AddFloat("x", []float64{1}).AddString("c", []string{"zzz"}, nil).AddFloat("z", []float64{0})
	if _, err := p.Transform(unseen); err == nil || !strings.Contains(err.Error(), `"zzz"`) {
		t.Errorf("unseen category with UnseenError: %v", err)
	}
	ign := NewPipeline().Drop("z").OneHot(UnseenIgnore).Ordinal(UnseenIgnore)
	if _, err := ign.Fit(tab); err != nil {
		t.Fatal(err)
	}
	mu, err := ign.Transform(unseen)
	if err != nil {
		t.Fatal(err)
	}
	for j := 1; j < len(mu.Cols); j++ {
		if mu.Cols[j][0] != 0 {
			t.Errorf("unseen category set %s", mu.Names[j])
		}
	}
	ord := NewPipeline().Drop("z").Ordinal(UnseenIgnore).Bin(2, "x")
	mo, err := ord.Fit(tab)
	if err != nil {
		t.Fatal(err)
	}
	if mo.Cols[1][0] != 0 || mo.Cols[1][1] != 1 || !math.IsNaN(mo.Cols[1][2]) {
		t.Errorf("ordinal codes %v", mo.Cols[1])
	}
	if mo.Cols[0][0] != 0 || mo.Cols[0][3] != 1 || !math.IsNaN(mo.Cols[0][1]) {
		t.Errorf("bins %v", mo.Cols[0])
	}
	if _, err := NewPipeline().Fit(tab); err == nil || !strings.Contains(err.Error(), `"c" is not encoded`) {
		t.Errorf("unencoded categorical: %v", err)
	}
}

type capture struct{ shown, updated int }

func (c *capture) Display(d display.Data, id string) { c.shown++ }
func (c *capture) Update(d display.Data, id string)  { c.updated++ }
func (c *capture) Clear(bool)                        {}

func TestRendersAndLiveProgress(t *testing.T) {
	f := churnFrame(t, 1500, 4)
	cp := &capture{}
	old := display.SetPublisher(cp)
	defer display.SetPublisher(old)
	m, err := Train(f, f, Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 20}, Progress: ShowProgress(1)})
	if err != nil {
		t.Fatal(err)
	}
	if cp.shown != 1 || cp.updated < 1 {
		t.Errorf("progress displayed %d times, updated %d times", cp.shown, cp.updated)
	}
	ev, err := m.Evaluate(f)
	if err != nil {
		t.Fatal(err)
	}
	imp, _ := m.Importance("gain")
	for name, r := range map[string]display.Renderer{"roc": ev.ROC(), "lift": ev.Lift(), "calibration": ev.Calibration(), "importance": imp, "learning": m.GBM.LearningCurve()} {
		b := r.DisplayData().Bundle
		if b[display.MIMEVegaLite] == nil || !strings.HasPrefix(b[display.MIMESVG].(string), "<svg") {
			t.Errorf("%s does not render as Vega-Lite with an SVG fallback", name)
		}
	}
	for name, r := range map[string]display.Renderer{"metrics": ev.Metrics, "evaluation": ev, "model": m, "lifttable": ev.Lift().Table()} {
		h, _ := r.DisplayData().Bundle[display.MIMEHTML].(string)
		if !strings.Contains(h, "<table") {
			t.Errorf("%s does not render as an HTML table", name)
		}
	}
}

func TestCrossValidate(t *testing.T) {
	f := churnFrame(t, 1200, 6)
	res, err := CrossValidate(f, Spec{Label: "churn", Pipeline: LinearPipeline("id"), Logistic: &LogisticParams{}}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Folds) != 4 || res.Mean.Value("rows") != 300 {
		t.Fatalf("folds %d, mean rows %v", len(res.Folds), res.Mean.Value("rows"))
	}
	if auc := res.Mean.Value("auc"); auc < 0.6 {
		t.Errorf("mean AUC %v", auc)
	}
}
