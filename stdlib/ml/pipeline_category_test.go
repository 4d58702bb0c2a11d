package ml

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
)

// regionFrame is a customer table whose churn depends on a 15-level
// region through a set of regions unrelated to their names' order, with
// some regions missing.
func regionFrame(tb testing.TB, n int, seed uint64) *data.Frame {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 4))
	region := make([]string, n)
	valid := make([]bool, n)
	tenure := make([]float64, n)
	label := make([]string, n)
	for i := 0; i < n; i++ {
		r := rng.IntN(15)
		region[i] = string(rune('a'+r)) + "-region"
		valid[i] = rng.Float64() > 0.04
		tenure[i] = float64(rng.IntN(72))
		z := -1 - 0.02*tenure[i]
		if r%4 == 1 {
			z += 1.8
		}
		if !valid[i] {
			z += 1
		}
		label[i] = "No"
		if rng.Float64() < sigmoid(z) {
			label[i] = "Yes"
		}
	}
	f, err := data.New(data.Strings("region", region).WithValid(valid), data.Float64s("tenure", tenure), data.Strings("churn", label))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestCategoryPipelineTrainsSavesAndExplains(t *testing.T) {
	f := regionFrame(t, 6000, 1)
	train, test := f.Slice(0, 4500), f.Slice(4500, 6000)
	spec := Spec{Label: "churn", Pipeline: NewPipeline().Category(UnseenIgnore), GBM: &GBMParams{Trees: 40, MaxLeaves: 8, Seed: 1}}
	m, err := Train(train, test, spec)
	if err != nil {
		t.Fatal(err)
	}
	cats := 0
	for _, tr := range m.GBM.Trees {
		for _, c := range tr.Categories {
			if c != nil {
				cats++
			}
		}
	}
	if cats == 0 {
		t.Fatal("no categorical splits on region")
	}
	ord := spec
	ord.Pipeline = NewPipeline().Ordinal(UnseenIgnore)
	mo, err := Train(train, test, ord)
	if err != nil {
		t.Fatal(err)
	}
	// Many small trees can carve the set out of ordinal codes too, so
	// here categorical splits need only keep up (TestCategoricalStump-
	// FindsTheSet shows what one split gains).
	t.Logf("test AUC: categorical %.4f, ordinal %.4f", m.ValidMetrics.Value("auc"), mo.ValidMetrics.Value("auc"))
	if m.ValidMetrics.Value("auc") < mo.ValidMetrics.Value("auc")-0.01 {
		t.Errorf("categorical splits (AUC %.4f) fall behind ordinal codes (%.4f)", m.ValidMetrics.Value("auc"), mo.ValidMetrics.Value("auc"))
	}

	// Saved as format version 2 with the category sets in the trees, and
	// loaded back exactly.
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if man := zipText(t, buf.Bytes(), "manifest.json"); !strings.Contains(man, `"version": 2`) || treeCategorySets(t, buf.Bytes()) == 0 {
		t.Errorf("manifest %s; %d category sets in the trees", man, treeCategorySets(t, buf.Bytes()))
	}
	back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(test)
	got, err := back.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
			t.Fatalf("row %d: loaded model predicts %v, saved one %v", i, got[i], want[i])
		}
	}
	// A model without categorical splits stays version 1, which older
	// releases read.
	buf.Reset()
	if err := mo.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if man := zipText(t, buf.Bytes(), "manifest.json"); !strings.Contains(man, `"version": 1`) || treeCategorySets(t, buf.Bytes()) != 0 {
		t.Errorf("ordinal model written as %s", man)
	}

	// Explanations add up and show the region's name.
	e, err := back.Explain(test, 2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := back.Contributions(test)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := test.Column("region")
	names, _ := rc.Strings()
	shown := 0
	for i, r := range e.Rows {
		s := c.Base
		for _, v := range c.Row(i) {
			s += v
		}
		if math.Abs(s-c.Margin[i]) > 1e-9 || math.Abs(sigmoid(c.Margin[i])-want[i]) > 1e-9 {
			t.Fatalf("row %d: base + contributions %v, margin %v, prediction %v", i, s, c.Margin[i], want[i])
		}
		for _, d := range r.Drivers {
			if d.Feature != "region" {
				continue
			}
			shown++
			if wantV := names[i]; rc.IsNull(i) && d.Value != missingCategory || !rc.IsNull(i) && d.Value != wantV {
				t.Fatalf("row %d: region shown as %q, is %q (null %v)", i, d.Value, wantV, rc.IsNull(i))
			}
		}
	}
	if shown == 0 {
		t.Error("region, the strongest driver, is never among the top 2")
	}
}

func TestCategoryPipelineUnseenAndErrors(t *testing.T) {
	f := regionFrame(t, 3000, 2)
	m, err := Train(f, nil, Spec{Label: "churn", GBM: &GBMParams{Trees: 20, MaxLeaves: 8}, Pipeline: NewPipeline().Category(UnseenIgnore)})
	if err != nil {
		t.Fatal(err)
	}
	// An unseen region scores as the rare ones do: right at every split,
	// which no seen region need match, but deterministically and without
	// error.
	unseen, err := data.New(data.Strings("region", []string{"zz-new", "yy-new"}), data.Float64s("tenure", []float64{10, 10}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(unseen)
	if err != nil {
		t.Fatal(err)
	}
	if p[0] != p[1] || math.IsNaN(p[0]) {
		t.Errorf("two unseen regions score %v and %v", p[0], p[1])
	}
	strict, err := Train(f, nil, Spec{Label: "churn", GBM: &GBMParams{Trees: 5}, Pipeline: NewPipeline().Category(UnseenError)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Predict(unseen); err == nil || !strings.Contains(err.Error(), `category "zz-new" not seen`) {
		t.Errorf("UnseenError: got %v", err)
	}
	// Linear models need OneHot.
	if _, err := Train(f, nil, Spec{Label: "churn", Logistic: &LogisticParams{}, Pipeline: NewPipeline().Category(UnseenIgnore)}); err == nil || !strings.Contains(err.Error(), "OneHot") {
		t.Errorf("logistic on category codes: got %v", err)
	}
	// Numeric steps leave category codes alone, and refuse them by name.
	if _, err := Train(f, nil, Spec{Label: "churn", GBM: &GBMParams{Trees: 2}, Pipeline: NewPipeline().Category(UnseenIgnore).Impute(ImputeMedian, false)}); err != nil {
		t.Errorf("impute after category: %v", err)
	}
	if _, err := Train(f, nil, Spec{Label: "churn", GBM: &GBMParams{Trees: 2}, Pipeline: NewPipeline().Category(UnseenIgnore).Scale("region")}); err == nil {
		t.Error("scaling category codes accepted")
	}
}

func TestCorruptCategoriesRefused(t *testing.T) {
	f := regionFrame(t, 2000, 3)
	m, err := Train(f, nil, Spec{Label: "churn", GBM: &GBMParams{Trees: 3, MaxLeaves: 4}, Pipeline: NewPipeline().Category(UnseenIgnore)})
	if err != nil {
		t.Fatal(err)
	}
	tr := m.GBM.Trees[0]
	if tr.Categories == nil {
		t.Fatal("first tree has no categorical split")
	}
	for name, corrupt := range map[string]func(){
		"short":    func() { tr.Categories = tr.Categories[:len(tr.Categories)-1] },
		"negative": func() { tr.Categories[0] = []int32{-4} },
		"huge":     func() { tr.Categories[0] = []int32{1 << 30} },
		"order":    func() { tr.Categories[0] = []int32{3, 1} },
	} {
		saved := tr.Categories
		tr.Categories = make([][]int32, len(saved))
		copy(tr.Categories, saved)
		corrupt()
		var buf bytes.Buffer
		if err := m.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil || !strings.Contains(err.Error(), "invalid model file") {
			t.Errorf("%s: got %v", name, err)
		}
		tr.Categories = saved
	}
}

// treeCategorySets counts the trees' category lists in a model file.
func treeCategorySets(tb testing.TB, file []byte) int {
	tb.Helper()
	var doc struct {
		GBM struct {
			Trees []struct {
				Categories *[][]int32 `json:"categories"`
			} `json:"trees"`
		} `json:"gbm"`
	}
	if err := json.Unmarshal([]byte(zipText(tb, file, "model.json")), &doc); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, t := range doc.GBM.Trees {
		if t.Categories != nil {
			for _, c := range *t.Categories {
				if c != nil {
					n++
				}
			}
		}
	}
	return n
}

func zipText(tb testing.TB, b []byte, name string) string {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	f, err := zr.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	out, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}
