package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/sqlite/sqlitetest"
	"github.com/galley-dev/galley/server/storetest"
	"github.com/galley-dev/galley/stdlib/recipe"
)

var ctx = context.Background()

// fixture is a real store (SQLite and the Parquet catalog) behind the pages.
type fixture struct {
	db  *sqlite.DB
	cat *datasets.Datasets
	h   *Handler
	url string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, cat := sqlitetest.Open(t)
	db.MaxAttempts = 2
	h := &Handler{Recipes: withImport(db), Models: db, TrainedModels: db, Runs: db, Datasets: cat, Schedules: db, Profiles: db, PollInterval: 20e6}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &fixture{db: db, cat: cat, h: h, url: ts.URL}
}

// withImport is the store with notebook import, as the server has it.
func withImport(db *sqlite.DB) server.RecipeService {
	return struct {
		*sqlite.DB
		storetest.Converter
	}{db, storetest.Converter{Store: db}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get fetches a page and checks its status.
func (f *fixture) get(t *testing.T, path string, status int) string {
	t.Helper()
	resp, err := http.Get(f.url + path)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: content type %q", path, ct)
	}
	return string(b)
}

func has(t *testing.T, page, path string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", path, w)
		}
	}
}

func lacks(t *testing.T, page, path string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(page, b) {
			t.Errorf("%s has %q", path, b)
		}
	}
}

// seed fills the store: recipe r (two versions), dataset d, model m, and
// the runs the tests name.
type seeded struct {
	ok1, ok2, ok3, failed, queued, score, long int64
}

func (f *fixture) seed(t *testing.T) seeded {
	t.Helper()
	_, _, err := f.h.Recipes.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Author: "analyst", Notebook: storetest.Notebook("x := 1")})
	must(t, err)
	_, _, err = f.h.Recipes.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Author: "analyst", Notebook: storetest.Notebook("var x = 2")})
	must(t, err)
	var csv strings.Builder
	csv.WriteString("id,y,label\n")
	for i := 1; i <= 45; i++ {
		fmt.Fprintf(&csv, "%d,%d.5,row%d\n", i, i, i)
	}
	_, err = f.cat.ImportDataset(ctx, "d", strings.NewReader(csv.String()))
	must(t, err)
	must(t, f.db.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", RecipeVersion: 1, Dataset: "d", Params: map[string]string{"epochs": "20"}}))
	var s seeded
	// The first two record ROC and lift curves (v2's also a calibration
	// curve); the others record none.
	curves := func(tpr float64) recipe.Curves {
		return recipe.Curves{"roc": {X: []float64{0, 0.2, 1}, Y: []float64{0, tpr, 1}}, "lift": {X: []float64{0.5, 1}, Y: []float64{1 + tpr, 1}}}
	}
	c2 := curves(0.7)
	c2["calibration"] = recipe.Curve{X: []float64{0.1, 0.9}, Y: []float64{0.15, 0.85}}
	s.ok1 = f.finish(t, "m", map[string]string{"rate": "0.1"}, server.RunResult{State: server.RunSucceeded, Artifact: "a", Metrics: recipe.Metrics{"auc": 0.81, "accuracy": 0.77, "logloss": 0.52, "base_rate": 0.26},
		Curves: curves(0.6)}, "loading d@1", "auc 0.81")
	s.ok2 = f.finish(t, "m", map[string]string{"rate": "0.3"}, server.RunResult{State: server.RunSucceeded, Artifact: "a", Metrics: recipe.Metrics{"auc": 0.86, "accuracy": 0.75, "logloss": 0.48, "base_rate": 0.26},
		Curves: c2}, "auc 0.86")
	s.ok3 = f.finish(t, "m", nil, server.RunResult{State: server.RunSucceeded, Artifact: "a", Metrics: recipe.Metrics{"auc": 0.84}})
	s.failed = f.finish(t, "m", nil, server.RunResult{State: server.RunFailed, Error: "cell 2, line 3: label column \"y\" is missing"}, "training")
	long := make([]string, 1500)
	for i := range long {
		long[i] = fmt.Sprintf("step %d of 1500", i+1)
	}
	s.long = f.finish(t, "m", nil, server.RunResult{State: server.RunSucceeded, Artifact: "a", Metrics: recipe.Metrics{"auc": 0.8}}, long...)
	_, err = f.db.SetAlias(ctx, "m", "production", 2)
	must(t, err)

	run, err := f.db.Score(ctx, server.ScoreRequest{TrainedModel: "m@2", Input: "d@1", Output: "scores"})
	must(t, err)
	claimed, err := f.db.ClaimRun(ctx)
	must(t, err)
	if claimed.ID != run.ID {
		t.Fatalf("claimed %d, want %d", claimed.ID, run.ID)
	}
	p := filepath.Join(t.TempDir(), "scores.csv")
	must(t, os.WriteFile(p, []byte("id,score\n1,0.2\n2,0.9\n"), 0o644))
	out, err := f.cat.SaveOutput(ctx, "scores", p, &server.Lineage{RunID: run.ID, Recipe: "r", RecipeVersion: 1, TrainedModel: "m@2", InputSnapshot: "d@1", Params: map[string]string{"epochs": "20"}})
	must(t, err)
	_, err = f.db.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunSucceeded, RowsIn: 2, RowsOut: 2, Output: out.Snapshot()})
	must(t, err)
	s.score = run.ID

	q, err := f.db.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	s.queued = q.ID
	return s
}

// finish runs one training run of model through the queue: claimed,
// logging lines, then finished with res.
func (f *fixture) finish(t *testing.T, model string, params map[string]string, res server.RunResult, lines ...string) int64 {
	t.Helper()
	run, err := f.db.Train(ctx, server.TrainRequest{Model: model, Params: params})
	must(t, err)
	claimed, err := f.db.ClaimRun(ctx)
	must(t, err)
	if claimed == nil || claimed.ID != run.ID {
		t.Fatalf("claimed %+v, want run %d", claimed, run.ID)
	}
	if len(lines) > 0 {
		must(t, f.db.AppendRunLogs(ctx, run.ID, lines))
	}
	if res.State == server.RunFailed {
		// Fail for good: use up the attempts.
		for claimed.Attempt < claimed.MaxAttempts {
			must(t, f.db.RetryRun(ctx, claimed.Claim(), claimed.ScheduledAt, "worker died"))
			claimed, err = f.db.ClaimRun(ctx)
			must(t, err)
		}
	}
	_, err = f.db.FinishRun(ctx, claimed.Claim(), res)
	must(t, err)
	return run.ID
}

func TestEmptyPagesSayWhatToRun(t *testing.T) {
	f := newFixture(t)
	for path, want := range map[string]string{
		"/ui/runs":     "galley train MODEL --wait",
		"/ui/recipes":  "galley recipe create notebook.ipynb --name churn",
		"/ui/models":   "galley model create churn-gbm --recipe churn --dataset telco-churn",
		"/ui/datasets": "galley dataset import telco-churn.csv --name telco-churn",
	} {
		page := f.get(t, path, 200)
		has(t, page, path, want, `<main id="main">`, `aria-current="page"`)
	}
	// The root leads to the runs list.
	has(t, f.get(t, "/", 200), "/", "<h1>Runs</h1>")
	has(t, f.get(t, "/ui/nope", 404), "/ui/nope", "no page at /ui/nope")
	has(t, f.get(t, "/ui/runs/7", 404), "/ui/runs/7", "7")
	has(t, f.get(t, "/ui/runs/x", 400), "/ui/runs/x", "positive whole number")
}

func TestRunsList(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)
	page := f.get(t, "/ui/runs", 200)
	for _, id := range []int64{s.ok1, s.failed, s.queued, s.score} {
		has(t, page, "/ui/runs", fmt.Sprintf(`<a href="/ui/runs/%d">#%d</a>`, id, id))
	}
	has(t, page, "/ui/runs", "state-failed", "state-queued", "state-succeeded", `data-live="/ui/live/runs?"`)

	page = f.get(t, "/ui/runs?state=failed", 200)
	has(t, page, "failed filter", fmt.Sprintf("#%d<", s.failed), `<option selected>failed</option>`, `data-live="/ui/live/runs?state=failed"`)
	lacks(t, page, "failed filter", fmt.Sprintf("#%d<", s.ok1))

	page = f.get(t, "/ui/runs?kind=score", 200)
	has(t, page, "score filter", fmt.Sprintf("#%d<", s.score))
	lacks(t, page, "score filter", fmt.Sprintf("#%d<", s.ok1))

	page = f.get(t, "/ui/runs?model=other", 200)
	has(t, page, "empty filter", "No runs match this filter")

	page = f.get(t, "/ui/runs?limit=2", 200)
	has(t, page, "paged", `rel="next"`, "from row 1 of 7")
	page = f.get(t, "/ui/runs?limit=2&offset=2", 200)
	has(t, page, "paged", `rel="prev"`, "from row 3 of 7")

	has(t, f.get(t, "/ui/runs?state=done", 400), "bad state", "state=&#34;done&#34;")
	has(t, f.get(t, "/ui/runs?limit=x", 400), "bad limit", "limit")
}

func TestRunPage(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)

	path := fmt.Sprintf("/ui/runs/%d", s.ok1)
	page := f.get(t, path, 200)
	has(t, page, path, "state-succeeded", "<code>rate</code>", "<code>0.1</code>", "<code>epochs</code>",
		"auc", "0.81", "accuracy", "loading d@1", `data-after="2"`, `data-final="true"`,
		`href="/ui/datasets/d?version=1"`, "m@1", `id="retry"`, `data-api="/api/runs/train"`,
		`data-body="{&#34;model&#34;:&#34;m&#34;,&#34;params&#34;:{&#34;epochs&#34;:&#34;20&#34;,&#34;rate&#34;:&#34;0.1&#34;}}"`)
	// A finished run cannot be cancelled.
	has(t, page, path, `id="cancel" data-api="/api/runs/`+fmt.Sprint(s.ok1)+`/cancel" data-method="POST" hidden`)

	path = fmt.Sprintf("/ui/runs/%d", s.failed)
	page = f.get(t, path, 200)
	has(t, page, path, "state-failed", "cell 2, line 3: label column &#34;y&#34; is missing", "attempt <span id=\"run-attempt\">2</span> of 2",
		"No metrics recorded", "Run again")

	path = fmt.Sprintf("/ui/runs/%d", s.queued)
	page = f.get(t, path, 200)
	has(t, page, path, "state-queued", "Waiting for the run to print", `data-final="false"`, `data-after="0"`)
	lacks(t, page, path, `id="retry"`, `/cancel" data-method="POST" hidden`)

	path = fmt.Sprintf("/ui/runs/%d", s.long)
	page = f.get(t, path, 200)
	has(t, page, path, "Showing the last 1000 lines; 500 earlier lines", fmt.Sprintf("galley runs logs %d", s.long),
		"step 1500 of 1500\n", "step 501 of 1500\n", `data-after="1500"`)
	lacks(t, page, path, "step 500 of 1500\n")

	path = fmt.Sprintf("/ui/runs/%d", s.score)
	page = f.get(t, path, 200)
	has(t, page, path, "score run", `href="/ui/datasets/scores?version=1"`, "scores@1", `data-api="/api/runs/score"`,
		"{&#34;trained_model&#34;:&#34;m@2&#34;,&#34;input&#34;:&#34;d@1&#34;,&#34;output&#34;:&#34;scores&#34;}", "This run printed nothing")
}

func TestRecipePages(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	page := f.get(t, "/ui/recipes", 200)
	has(t, page, "/ui/recipes", `<a href="/ui/recipes/r">r</a>`, "1 recipes")

	page = f.get(t, "/ui/recipes/r", 200)
	has(t, page, "/ui/recipes/r", "Version 2 of 2", "by analyst", "<code>epochs</code>", "<code>int</code>", "<code>10</code>",
		"<code>rate</code>", "<code>float64</code>", "var x = 2", `<a href="/ui/models/m">m</a>`, `href="?version=1"`)
	page = f.get(t, "/ui/recipes/r?version=1", 200)
	has(t, page, "version 1", "Version 1 of 2", "x := 1")
	lacks(t, page, "version 1", "var x = 2")

	f.get(t, "/ui/recipes/nope", 404)
	f.get(t, "/ui/recipes/r?version=9", 404)
	f.get(t, "/ui/recipes/r?version=zero", 400)
}

func TestModelPages(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	page := f.get(t, "/ui/models", 200)
	has(t, page, "/ui/models", `<a href="/ui/models/m">m</a>`, "r@1")

	page = f.get(t, "/ui/models/m", 200)
	has(t, page, "/ui/models/m", "Trained versions", `<th scope="col" class="num">accuracy</th>`, `<th scope="col" class="num">auc</th>`,
		"0.86", "0.81", `<span class="alias">production</span>`, `name="v" value="1"`, `name="v" value="4"`, `id="alias-form" data-model="m"`,
		`data-body="{&#34;model&#34;:&#34;m&#34;}"`, `href="/ui/runs?model=m"`, "—")

	page = f.get(t, "/ui/models/m/compare?v=3&v=1&v=2", 200)
	has(t, page, "compare", "v1", "v2", "v3", `<tr class="differs"><th scope="row"><code>rate</code> <span class="tag">differs</span>`,
		"<code>0.3</code>", "(default)", `class="num best">0.86`, "<svg", "auc by trained version", "accuracy by trained version")
	// Lower is better for a loss; versions read in order whatever the query.
	has(t, page, "compare", `logloss ↓</th><td class="num">0.52</td><td class="num best">0.48</td>`, `class="num best">0.77`)
	if i, j := strings.Index(page, ">v1 ("), strings.Index(page, ">v3 ("); i < 0 || j < i {
		t.Errorf("compare columns out of order")
	}
	// epochs is the same in all three.
	has(t, page, "compare", `<tr><th scope="row"><code>epochs</code></th>`)
	// ROC and lift overlaid, then the other curves; v3 recorded none.
	has(t, page, "compare", `id="curve-charts"`, "ROC curves of the compared versions", "Lift curves of the compared versions",
		"Calibration curves of the compared versions", ">false positive rate</text>", ">cumulative lift</text>", ">chance</text>",
		`id="curves-missing">No curves recorded for v3.`)
	if roc, lift := strings.Index(page, "ROC curves of"), strings.Index(page, "Lift curves of"); roc > lift {
		t.Errorf("the ROC chart should come before the lift chart")
	}
	if i := strings.Index(page, "ROC curves of"); i < 0 || strings.Count(page[strings.LastIndex(page[:i], "<svg"):i], "<polyline") != 3 {
		t.Errorf("the ROC chart should overlay v1, v2 and chance")
	}
	lacks(t, page, "compare", `id="curves-empty"`)
	// A value all versions share is no one's best.
	has(t, f.get(t, "/ui/models/m/compare?v=1&v=2", 200), "a tie", `base_rate</th><td class="num">0.26</td><td class="num">0.26</td>`)
	page = f.get(t, "/ui/models/m/compare?v=3&v=4", 200)
	has(t, page, "compare without curves", `id="curves-empty"`, "None of these versions recorded curves", "*recipe.Evaluation")
	lacks(t, page, "compare without curves", `id="curve-charts"`)
	v1, err := f.db.FindTrainedModel(ctx, "m@1")
	must(t, err)
	rp := "/ui/runs/" + fmt.Sprint(v1.RunID)
	has(t, f.get(t, rp, 200), rp, `id="run-curves"`, "ROC curve on the run's evaluation split", ">run ")

	has(t, f.get(t, "/ui/models/m/compare?v=1", 400), "one version", "compare 2 to 5")
	f.get(t, "/ui/models/m/compare?v=1&v=2&v=3&v=4&v=5&v=1", 400)
	f.get(t, "/ui/models/m/compare?v=1&v=99", 404)
	f.get(t, "/ui/models/m/compare?v=1&v=x", 400)
	f.get(t, "/ui/models/nope", 404)
}

func TestModelNotTrained(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.h.Recipes.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: storetest.Notebook("x := 1")})
	must(t, err)
	_, err = f.cat.ImportDataset(ctx, "d", strings.NewReader("a,b\n1,2\n"))
	must(t, err)
	must(t, f.db.CreateModel(ctx, &server.Model{Name: "fresh", Recipe: "r", Dataset: "d"}))
	page := f.get(t, "/ui/models/fresh", 200)
	has(t, page, "untrained", "galley train fresh --wait", "No runs yet", "Defaults only")
	page = f.get(t, "/ui/recipes/r", 200)
	has(t, page, "recipe", `<a href="/ui/models/fresh">fresh</a>`)
}

func TestDatasetPages(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)
	page := f.get(t, "/ui/datasets", 200)
	has(t, page, "/ui/datasets", `<a href="/ui/datasets/d">d</a>`, `<a href="/ui/datasets/scores">scores</a>`)

	page = f.get(t, "/ui/datasets/d", 200)
	has(t, page, "/ui/datasets/d", "Version 1 of 1: 45 rows", "<th scope=\"col\">id<br><small>", "row1<", "row20<", `rel="next"`, "from row 1 of 45", ">import<")
	lacks(t, page, "/ui/datasets/d", "row21<", "Lineage")
	// The profile: y runs 1.5 to 45.5 with mean 23.5.
	has(t, page, "profile", `<h2 id="h-profile">Profile</h2>`, `<th scope="row">y</th><td>float64</td><td class="num">0</td><td class="num">45</td>`,
		`<td class="num">1.5</td><td class="num">23.5</td><td class="num">45.5</td>`, "every value distinct")
	page = f.get(t, "/ui/datasets/d?offset=40", 200)
	has(t, page, "page 3", "row41<", "row45<", `rel="prev"`)
	lacks(t, page, "page 3", "row40<", `rel="next"`)

	page = f.get(t, "/ui/datasets/scores", 200)
	has(t, page, "/ui/datasets/scores", "Lineage", `href="/ui/recipes/r?version=1"`, "r@1", "Training run <a href=\"/ui/runs/2\">#2</a>",
		"m@2", fmt.Sprintf("Scoring run <a href=\"/ui/runs/%d\">#%d</a>", s.score, s.score), "d@1", "This dataset, scores@1", "0.9")

	f.get(t, "/ui/datasets/nope", 404)
	f.get(t, "/ui/datasets/d?version=3", 404)
}

func TestCSVPreview(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.csv")
	must(t, os.WriteFile(p, []byte("a,b\n1,x\n2,y\n3,z\n"), 0o644))
	pv, err := readPreview(&server.DatasetVersion{Name: "x", Version: 1, Format: "csv", Path: p}, 1, 5)
	must(t, err)
	if strings.Join(pv.Columns, ",") != "a,b" || len(pv.Rows) != 2 || pv.Rows[0][1] != "y" || pv.Rows[1][0] != "3" {
		t.Fatalf("preview = %+v", pv)
	}
	if _, err := readPreview(&server.DatasetVersion{Name: "x", Version: 1, Format: "arrow", Path: p}, 0, 5); err == nil || !strings.Contains(err.Error(), "galley dataset show x@1 --data") {
		t.Fatalf("unknown format: %v", err)
	}
}
