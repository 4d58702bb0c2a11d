package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// runsView is the runs list with its filters.
type runsView struct {
	Runs     []*server.Run
	Kind     string
	State    string
	Model    string
	Schedule string
	Filtered bool
	Models   []*server.Model
	// Schedules offers the schedule filter; nil on a server without
	// schedules.
	Schedules []*server.Schedule
	Pager     pager
	Query     string // the filter as a query string, for the live feed
}

var (
	runKinds  = []server.RunKind{server.RunTrain, server.RunScore}
	runStates = []server.RunState{server.RunQueued, server.RunRunning, server.RunSucceeded, server.RunFailed, server.RunCancelled}
)

func runFilterOf(q url.Values) (server.RunFilter, error) {
	f := server.RunFilter{Kind: server.RunKind(q.Get("kind")), State: server.RunState(q.Get("state")), Model: q.Get("model"), Schedule: q.Get("schedule")}
	if f.Kind != "" && f.Kind != server.RunTrain && f.Kind != server.RunScore {
		return f, server.Errorf(server.EINVALID, "kind=%q: use train or score", f.Kind)
	}
	if f.State != "" && !contains(runStates, f.State) {
		return f, server.Errorf(server.EINVALID, "state=%q: use one of %v", f.State, runStates)
	}
	return f, nil
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func (h *Handler) runsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := runFilterOf(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if f.Page, err = pageOf(q, 50); err != nil {
		h.fail(w, r, err)
		return
	}
	runs, total, err := h.Runs.FindRuns(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	models, _, err := h.Models.FindModels(r.Context(), server.ModelFilter{Page: server.Page{Limit: server.MaxLimit}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var schedules []*server.Schedule
	if h.Schedules != nil {
		if schedules, _, err = h.Schedules.FindSchedules(r.Context(), server.ScheduleFilter{Page: server.Page{Limit: server.MaxLimit}}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	fq := url.Values{}
	for k, v := range map[string]string{"kind": string(f.Kind), "state": string(f.State), "model": f.Model, "schedule": f.Schedule,
		"offset": q.Get("offset"), "limit": q.Get("limit")} {
		if v != "" {
			fq.Set(k, v)
		}
	}
	h.render(w, r, "runs", "Runs", "runs", runsView{Runs: runs, Kind: string(f.Kind), State: string(f.State), Model: f.Model, Schedule: f.Schedule,
		Filtered: f.Kind != "" || f.State != "" || f.Model != "" || f.Schedule != "", Models: models, Schedules: schedules,
		Pager: pagerOf(q, f.Page, total), Query: fq.Encode()})
}

// runView is one run's page.
type runView struct {
	Run     *server.Run
	Log     []server.LogLine
	LogFrom int // lines left out before Log
	LastSeq int
	Retry   string // JSON body of the request that runs the same work again
	RetryTo string // API path for Retry
	// Curves are the run's evaluation curves, drawn.
	Curves []chart
	// Partitioned says the run may be split into parts (a scoring run
	// with a partition size); Parts are its parts, once it is split.
	Partitioned bool
	Parts       partsView
}

func (h *Handler) runPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, server.Errorf(server.EINVALID, "run id %q: give a positive whole number", r.PathValue("id")))
		return
	}
	run, err := h.Runs.FindRun(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lines, err := h.Runs.RunLogs(r.Context(), id, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := runView{Run: run}
	if len(lines) > 0 {
		v.LastSeq = lines[len(lines)-1].Seq
	}
	if len(lines) > pageLogLines {
		v.LogFrom = len(lines) - pageLogLines
		lines = lines[v.LogFrom:]
	}
	v.Log = lines
	v.RetryTo, v.Retry = retryOf(run)
	if v.Partitioned = run.Kind == server.RunScore && (run.PartitionRows > 0 || run.Parts != nil); v.Partitioned {
		parts, err := h.Runs.FindParts(r.Context(), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Parts = partsViewOf(parts, time.Now())
	}
	if len(run.Curves) > 0 {
		cs, err := curveCharts([]string{"run " + strconv.FormatInt(id, 10)}, []*server.Run{run})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Curves = cs.Charts
	}
	h.render(w, r, "run", "Run "+strconv.FormatInt(id, 10), "runs", v)
}

// recipesView lists recipes.
type recipesView struct {
	Recipes []*server.Recipe
	Pager   pager
}

func (h *Handler) recipesPage(w http.ResponseWriter, r *http.Request) {
	listPage(h, w, r, "recipes", "Recipes", func(p server.Page) ([]*server.Recipe, int, error) {
		return h.Recipes.FindRecipes(r.Context(), server.RecipeFilter{Page: p})
	}, func(recipes []*server.Recipe, pg pager) any { return recipesView{Recipes: recipes, Pager: pg} })
}

// recipeView is one recipe, one of its versions in full, and its models.
type recipeView struct {
	Recipe   *server.Recipe
	Versions []*server.RecipeVersion
	Version  *server.RecipeVersion
	Models   []*server.Model
}

func (h *Handler) recipePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	rec, err := h.Recipes.FindRecipe(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	version, err := versionOf(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := recipeView{Recipe: rec}
	if v.Versions, _, err = h.Recipes.FindRecipeVersions(ctx, name, server.Page{Limit: server.MaxLimit}); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Version, err = h.Recipes.FindRecipeVersion(ctx, name, version); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Models, _, err = h.Models.FindModels(ctx, server.ModelFilter{Recipe: name, Page: server.Page{Limit: server.MaxLimit}}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "recipe", "Recipe "+name, "recipes", v)
}

// versionOf reads ?version=N (absent: 0, the latest).
func versionOf(q url.Values) (int, error) {
	s := q.Get("version")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, server.Errorf(server.EINVALID, "version=%q: give a version number from 1", s)
	}
	return n, nil
}

// modelsView lists models.
type modelsView struct {
	Models []*server.Model
	Pager  pager
}

func (h *Handler) modelsPage(w http.ResponseWriter, r *http.Request) {
	listPage(h, w, r, "models", "Models", func(p server.Page) ([]*server.Model, int, error) {
		return h.Models.FindModels(r.Context(), server.ModelFilter{Page: p})
	}, func(models []*server.Model, pg pager) any { return modelsView{Models: models, Pager: pg} })
}

// modelView is a model with its trained versions side by side.
type modelView struct {
	Model   *server.Model
	Trained []*server.TrainedModel
	Metrics []string // metric names over all versions, sorted
	Runs    []*server.Run
	// Scheduled says the server keeps schedules; Schedules are this
	// model's.
	Scheduled bool
	Schedules []*server.Schedule
}

func (h *Handler) modelPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	m, err := h.Models.FindModel(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := modelView{Model: m}
	if v.Trained, _, err = h.TrainedModels.FindTrainedModels(ctx, server.TrainedModelFilter{Model: name, Page: server.Page{Limit: server.MaxLimit}}); err != nil {
		h.fail(w, r, err)
		return
	}
	v.Metrics = metricNames(v.Trained)
	if v.Runs, _, err = h.Runs.FindRuns(ctx, server.RunFilter{Model: name, Page: server.Page{Limit: 10}}); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.Schedules != nil {
		v.Scheduled = true
		if v.Schedules, _, err = h.Schedules.FindSchedules(ctx, server.ScheduleFilter{Model: name, Page: server.Page{Limit: server.MaxLimit}}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, "model", "Model "+name, "models", v)
}

func metricNames(tms []*server.TrainedModel) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tms {
		for k := range t.Metrics {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// compareView sets 2 to 5 trained versions of a model side by side.
type compareView struct {
	Model   *server.Model
	Trained []*server.TrainedModel
	Params  []diffRow
	Metrics []metricRow
	Charts  []chart
	// Curves overlays the evaluation curves (ROC, lift) the versions'
	// training runs recorded.
	Curves curveSet
}

// diffRow is one parameter across the compared versions.
type diffRow struct {
	Name    string
	Values  []string
	Differs bool
}

// metricRow is one metric across the compared versions; Best indexes the
// best value: the highest, or the lowest for losses and errors.
type metricRow struct {
	Name   string
	Values []*float64
	Best   int
	Lower  bool
}

// lowerIsBetter tells losses and errors from scores by their names, as the
// recipes name them (logloss, rmse, mae, error_rate...).
func lowerIsBetter(metric string) bool {
	m := strings.ToLower(metric)
	for _, w := range []string{"loss", "error", "rmse", "mse", "mae", "mape"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

func (h *Handler) comparePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	m, err := h.Models.FindModel(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vs := r.URL.Query()["v"]
	if len(vs) < 2 || len(vs) > 5 {
		h.fail(w, r, server.Errorf(server.EINVALID, "compare 2 to 5 trained versions (v=1&v=2...), not %d: tick them on the model page", len(vs)))
		return
	}
	v := compareView{Model: m}
	for _, s := range vs {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.fail(w, r, server.Errorf(server.EINVALID, "v=%q: give a trained version number", s))
			return
		}
		tm, err := h.TrainedModels.FindTrainedModel(ctx, name+"@"+s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Trained = append(v.Trained, tm)
	}
	sort.Slice(v.Trained, func(i, j int) bool { return v.Trained[i].Version < v.Trained[j].Version })
	keys := map[string]bool{}
	for _, t := range v.Trained {
		for k := range t.Params {
			keys[k] = true
		}
	}
	for _, k := range sortedSet(keys) {
		row := diffRow{Name: k}
		for i, t := range v.Trained {
			val, ok := t.Params[k]
			if !ok {
				val = "(default)"
			}
			row.Values = append(row.Values, val)
			if i > 0 && val != row.Values[0] {
				row.Differs = true
			}
		}
		v.Params = append(v.Params, row)
	}
	for _, k := range metricNames(v.Trained) {
		row := metricRow{Name: k, Best: -1, Lower: lowerIsBetter(k)}
		for i, t := range v.Trained {
			x, ok := t.Metrics[k]
			if !ok {
				row.Values = append(row.Values, nil)
				continue
			}
			row.Values = append(row.Values, &x)
			if row.Best < 0 || (x > *row.Values[row.Best]) != row.Lower && x != *row.Values[row.Best] {
				row.Best = i
			}
		}
		if tied(row.Values) {
			// Nothing to single out when every version has the same value.
			row.Best = -1
		}
		v.Metrics = append(v.Metrics, row)
	}
	if v.Charts, err = metricCharts(v.Trained, metricNames(v.Trained)); err != nil {
		h.fail(w, r, err)
		return
	}
	runs, labels := make([]*server.Run, len(v.Trained)), make([]string, len(v.Trained))
	for i, t := range v.Trained {
		labels[i] = "v" + strconv.Itoa(t.Version)
		// A deleted run leaves its version without curves, not the page
		// without an answer.
		if runs[i], err = h.Runs.FindRun(ctx, t.RunID); err != nil && server.ErrorCode(err) != server.ENOTFOUND {
			h.fail(w, r, err)
			return
		}
	}
	if v.Curves, err = curveCharts(labels, runs); err != nil {
		h.fail(w, r, err)
		return
	}
	refs := make([]string, len(v.Trained))
	for i, t := range v.Trained {
		refs[i] = "v" + strconv.Itoa(t.Version)
	}
	h.render(w, r, "compare", "Compare "+name+" "+strings.Join(refs, ", "), "models", v)
}

// tied reports whether at least two versions have the metric and all that
// have it share one value.
func tied(vals []*float64) bool {
	var first *float64
	n := 0
	for _, v := range vals {
		if v == nil {
			continue
		}
		if first != nil && *v != *first {
			return false
		}
		first = v
		n++
	}
	return n > 1
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// retryOf is the API request that runs a finished run's work again, as a
// new run: retries go through the REST API like every other action.
func retryOf(run *server.Run) (path, body string) {
	if !run.State.Final() {
		return "", ""
	}
	var v any
	switch run.Kind {
	case server.RunTrain:
		path, v = "/api/runs/train", server.TrainRequest{Model: run.Model, Params: run.Params}
	case server.RunScore:
		if run.OutputName == "" && run.Profile == nil || run.TrainedModel == "" {
			return "", ""
		}
		path, v = "/api/runs/score", server.ScoreRequest{TrainedModel: run.TrainedModel, Input: run.InputSnapshot, Output: run.OutputName, Profile: run.Profile}
	default:
		return "", ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", ""
	}
	return path, string(b)
}
