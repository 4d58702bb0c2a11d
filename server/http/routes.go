package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
)

// route is one endpoint: how it is mounted and how it is documented.
type route struct {
	method, path string
	summary      string
	query        []param // query parameters
	body         any     // example value of the JSON request body, or nil
	bodyType     string  // request content type when not JSON
	status       int     // success status
	response     any     // example value of the response, or nil for none
	errors       []int   // documented error statuses besides 400/401/500
	handler      http.HandlerFunc
}

// contentType is the media type of the route's request body, "" for none.
func (r route) contentType() string {
	if r.bodyType != "" {
		return r.bodyType
	}
	if r.body != nil {
		return "application/json"
	}
	return ""
}

// param is a query parameter; typ is "string" or the name of one of the
// constraints.
type param struct {
	name, typ, desc string
	enum            []string
}

// pageParams are the query parameters of a list ordered by one of orders.
func pageParams(orders []string, ps ...param) []param {
	var enum []string
	for _, o := range orders {
		enum = append(enum, o, "-"+o)
	}
	return append(ps,
		param{name: "limit", typ: "limit", desc: "items per page, up to 1000 (0 or absent: 50)"},
		param{name: "offset", typ: "count", desc: "items to skip"},
		param{name: "order", typ: "string", desc: "field to order by; prefix with - for descending", enum: enum},
	)
}

// Wire forms of requests. Their openapi tags name the constraints the
// OpenAPI document gives each field.
type notebookRequest struct {
	Recipe   string          `json:"recipe" openapi:"name"`
	Author   string          `json:"author,omitempty"`
	Notebook json.RawMessage `json:"notebook" openapi:"notebook"`
}

type modelRequest struct {
	Name          string                     `json:"name" openapi:"name"`
	Recipe        string                     `json:"recipe" openapi:"name"`
	RecipeVersion int                        `json:"recipe_version,omitempty" openapi:"version"`
	Params        map[string]json.RawMessage `json:"params,omitempty" openapi:"params"`
	Dataset       string                     `json:"dataset" openapi:"dataset"`
}

type trainRequest struct {
	Model  string                     `json:"model" openapi:"name"`
	Params map[string]json.RawMessage `json:"params,omitempty" openapi:"params"`
}

type scoreRequest struct {
	TrainedModel string                `json:"trained_model" openapi:"trainedModel"`
	Input        string                `json:"input" openapi:"dataset"`
	Output       *string               `json:"output,omitempty" openapi:"name"`
	Profile      *profileTargetRequest `json:"profile,omitempty"`
	Force        bool                  `json:"force,omitempty"`
}

// extendSchema says what the fields cannot: a scoring run writes its
// scores somewhere.
func (scoreRequest) extendSchema(s map[string]any) {
	s["anyOf"] = []any{
		map[string]any{"required": []any{"output"}, "properties": map[string]any{"output": map[string]any{"type": "string"}}},
		map[string]any{"required": []any{"profile"}, "properties": map[string]any{"profile": map[string]any{"type": "object"}}},
	}
}

func (req *scoreRequest) request() (server.ScoreRequest, error) {
	out := server.ScoreRequest{TrainedModel: req.TrainedModel, Input: req.Input, Force: req.Force}
	var err error
	if out.Output, err = optional(req.Output, "output"); err != nil {
		return out, err
	}
	if p := req.Profile; p != nil {
		out.Profile = &server.ProfileTarget{Name: p.Name, ID: p.ID}
	}
	return out, nil
}

type aliasRequest struct {
	Version int `json:"version" openapi:"exactVersion"`
}

type importResponse struct {
	Created bool `json:"created"`
	*server.RecipeVersion
}

type health struct {
	Status string `json:"status"`
}

// values turns JSON parameter values into text: strings unquoted, numbers
// and booleans as written.
func values(m map[string]json.RawMessage) (map[string]string, error) {
	out := map[string]string{}
	for k, raw := range m {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			out[k] = s
			continue
		}
		t := strings.TrimSpace(string(raw))
		if t == "" || t[0] == '{' || t[0] == '[' || t == "null" {
			return nil, server.Errorf(server.EINVALID, "parameter %s: give a string, number or boolean, not %s", k, t)
		}
		out[k] = t
	}
	return out, nil
}

func (s *Server) routes() []route {
	return append([]route{
		{method: "GET", path: "/api/health", summary: "Report that the server is up", status: 200, response: health{},
			handler: func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, health{Status: "ok"}) }},
		{method: "GET", path: "/api/openapi.json", summary: "This API's OpenAPI document", status: 200, response: map[string]any{},
			handler: func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.OpenAPI()) }},

		{method: "GET", path: "/api/recipes", summary: "List recipes", query: pageParams(server.RecipeOrders, param{name: "name", typ: "string", desc: "exact recipe name"}),
			status: 200, response: list[*server.Recipe]{}, handler: s.listRecipes},
		{method: "POST", path: "/api/recipes", summary: "Convert a notebook into a recipe version (200 when identical content exists)",
			body: notebookRequest{}, status: 201, response: importResponse{}, errors: []int{404, 413, 429}, handler: s.importNotebook},
		{method: "GET", path: "/api/recipes/{name}", summary: "Show a recipe", status: 200, response: server.Recipe{}, errors: []int{404},
			handler: s.getRecipe},
		{method: "GET", path: "/api/recipes/{name}/versions", summary: "List a recipe's versions", query: pageParams(server.VersionOrders), status: 200,
			response: list[*server.RecipeVersion]{}, errors: []int{404}, handler: s.listRecipeVersions},
		{method: "GET", path: "/api/recipes/{name}/versions/{version}", summary: "Show a recipe version (0 for the latest)", status: 200,
			response: server.RecipeVersion{}, errors: []int{404}, handler: s.getRecipeVersion},

		{method: "GET", path: "/api/models", summary: "List models", query: pageParams(server.ModelOrders, param{name: "recipe", typ: "string", desc: "only models of this recipe"}),
			status: 200, response: list[*server.Model]{}, handler: s.listModels},
		{method: "POST", path: "/api/models", summary: "Create a model from a recipe version, parameter values and a training dataset",
			body: modelRequest{}, status: 201, response: server.Model{}, errors: []int{404, 409, 413}, handler: s.createModel},
		{method: "GET", path: "/api/models/{name}", summary: "Show a model", status: 200, response: server.Model{}, errors: []int{404}, handler: s.getModel},
		{method: "GET", path: "/api/models/{name}/trained", summary: "List a model's trained versions", query: pageParams(server.TrainedModelOrders), status: 200,
			response: list[*server.TrainedModel]{}, errors: []int{404}, handler: s.listTrained},
		{method: "GET", path: "/api/models/{name}/trained/{ref}", summary: "Show a trained model by version number or alias", status: 200,
			response: server.TrainedModel{}, errors: []int{404}, handler: s.getTrained},
		{method: "PUT", path: "/api/models/{name}/aliases/{alias}", summary: "Point an alias (such as production) at a trained version",
			body: aliasRequest{}, status: 200, response: server.TrainedModel{}, errors: []int{404, 413}, handler: s.setAlias},

		{method: "GET", path: "/api/runs", summary: "List runs",
			query: pageParams(server.RunOrders,
				param{name: "kind", typ: "string", desc: "train or score", enum: []string{"train", "score"}},
				param{name: "state", typ: "string", desc: "run state", enum: []string{"queued", "running", "succeeded", "failed", "cancelled"}},
				param{name: "model", typ: "string", desc: "model name"},
				param{name: "schedule", typ: "string", desc: "name of the schedule that started the runs"}),
			status: 200, response: list[*server.Run]{}, handler: s.listRuns},
		{method: "POST", path: "/api/runs/train", summary: "Queue a training run", body: trainRequest{}, status: 201, response: server.Run{},
			errors: []int{404, 413}, handler: s.train},
		{method: "POST", path: "/api/runs/score", summary: "Queue a scoring run into an output dataset, a profile set or both (409 when the output is a model's training dataset and force is not set)", body: scoreRequest{}, status: 201, response: server.Run{},
			errors: []int{404, 409, 413}, handler: s.score},
		{method: "GET", path: "/api/runs/{id}", summary: "Show a run", status: 200, response: server.Run{}, errors: []int{404}, handler: s.getRun},
		{method: "POST", path: "/api/runs/{id}/cancel", summary: "Cancel a queued or running run", status: 200, response: server.Run{},
			errors: []int{404, 409}, handler: s.cancelRun},
		{method: "GET", path: "/api/runs/{id}/logs", summary: "A run's log lines after sequence number 'after'",
			query:  []param{{name: "after", typ: "count", desc: "return lines with a greater sequence number"}},
			status: 200, response: []server.LogLine{}, errors: []int{404}, handler: s.runLogs},
		{method: "GET", path: "/api/runs/{id}/parts", summary: "A partitioned scoring run's parts in order: rows, state, attempts, the process that ran each (empty for a run not split)",
			status: 200, response: []server.RunPart{}, errors: []int{404}, handler: s.runParts},

		{method: "GET", path: "/api/datasets", summary: "List datasets", query: pageParams(server.DatasetOrders), status: 200, response: list[*server.Dataset]{}, handler: s.listDatasets},
		{method: "GET", path: "/api/datasets/{name}", summary: "Show a dataset", status: 200, response: server.Dataset{}, errors: []int{404}, handler: s.getDataset},
		{method: "GET", path: "/api/datasets/{name}/versions", summary: "List a dataset's versions", query: pageParams(server.DatasetVersionOrders), status: 200,
			response: list[*server.DatasetVersion]{}, errors: []int{404}, handler: s.listDatasetVersions},
		{method: "POST", path: "/api/datasets/{name}/versions", summary: "Import CSV (with a header row) as the dataset's next version",
			bodyType: "text/csv", status: 201, response: server.DatasetVersion{}, errors: []int{413, 429}, handler: s.importDataset},
		{method: "GET", path: "/api/datasets/{name}/versions/{version}", summary: "Show a dataset version, with lineage for scoring output", status: 200,
			response: server.DatasetVersion{}, errors: []int{404}, handler: s.getDatasetVersion},
		{method: "GET", path: "/api/datasets/{name}/versions/{version}/data", summary: "Download a dataset version as CSV", status: 200,
			response: "csv", errors: []int{404}, handler: s.datasetData},
		{method: "GET", path: "/api/datasets/{name}/versions/{version}/parquet", summary: "Download a dataset version's Parquet snapshot, the file the server keeps (501 on a server that keeps datasets as CSV)", status: 200,
			response: "parquet", errors: []int{404, 501}, handler: s.datasetParquet},

		{method: "DELETE", path: "/api/recipes/{name}", summary: "Delete a recipe and its versions (409 while a model or run uses it)", status: 204,
			errors: []int{404, 409}, handler: s.deleteRecipe},
		{method: "DELETE", path: "/api/models/{name}", summary: "Delete a model (409 while it has trained versions or runs)", status: 204,
			errors: []int{404, 409}, handler: s.deleteModel},
		{method: "DELETE", path: "/api/models/{name}/trained/{ref}", summary: "Delete a trained version (409 while an alias points at it or a scoring run used it)", status: 204,
			errors: []int{404, 409}, handler: s.deleteTrained},
		{method: "DELETE", path: "/api/runs/{id}", summary: "Delete a finished run and its log (409 while it runs, or when a trained model or dataset came from it)", status: 204,
			errors: []int{404, 409}, handler: s.deleteRun},
		{method: "DELETE", path: "/api/datasets/{name}", summary: "Delete a dataset and its versions (409 while a model trains on it or a run read it)", status: 204,
			errors: []int{404, 409}, handler: s.deleteDataset},
	}, append(append(s.scheduleRoutes(), s.predictRoutes()...), s.profileRoutes()...)...)
}

func (s *Server) deleteDataset(w http.ResponseWriter, r *http.Request) {
	s.deleted(w, r, s.Datasets.DeleteDataset(r.Context(), r.PathValue("name")))
}

// deleted answers a DELETE.
func (s *Server) deleted(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteRecipe(w http.ResponseWriter, r *http.Request) {
	s.deleted(w, r, s.Recipes.DeleteRecipe(r.Context(), r.PathValue("name")))
}

func (s *Server) deleteModel(w http.ResponseWriter, r *http.Request) {
	s.deleted(w, r, s.Models.DeleteModel(r.Context(), r.PathValue("name")))
}

func (s *Server) deleteTrained(w http.ResponseWriter, r *http.Request) {
	s.deleted(w, r, s.TrainedModels.DeleteTrainedModel(r.Context(), r.PathValue("name")+"@"+r.PathValue("ref")))
}

func (s *Server) deleteRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.deleted(w, r, s.Runs.DeleteRun(r.Context(), id))
}

func (s *Server) listRecipes(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, func(p server.Page) ([]*server.Recipe, int, error) {
		return s.Recipes.FindRecipes(r.Context(), server.RecipeFilter{Name: r.URL.Query().Get("name"), Page: p})
	})
}

// listPage answers a list request: it reads the page the query asks for,
// finds it and writes it with respondList.
func listPage[T any](s *Server, w http.ResponseWriter, r *http.Request, find func(server.Page) ([]T, int, error)) {
	p, err := page(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	items, total, err := find(p)
	respondList(s, w, r, items, total, p, err)
}

func respondList[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, total int, p server.Page, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	if p.Limit == 0 {
		p.Limit = server.DefaultLimit
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, 200, list[T]{Items: items, Total: total, Offset: p.Offset, Limit: p.Limit})
}

func respond(s *Server, w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *Server) importNotebook(w http.ResponseWriter, r *http.Request) {
	var req notebookRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if len(req.Notebook) == 0 || req.Notebook[0] != '{' {
		s.error(w, r, server.Errorf(server.EINVALID, "notebook must be the notebook document itself (a JSON object)"))
		return
	}
	v, created, err := s.Recipes.ImportNotebook(r.Context(), server.NotebookImport{Recipe: req.Recipe, Author: req.Author, Notebook: req.Notebook})
	status := 200
	if created {
		status = 201
	}
	respond(s, w, r, status, importResponse{Created: created, RecipeVersion: v}, err)
}

func (s *Server) getRecipe(w http.ResponseWriter, r *http.Request) {
	v, err := s.Recipes.FindRecipe(r.Context(), r.PathValue("name"))
	respond(s, w, r, 200, v, err)
}

func (s *Server) listRecipeVersions(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, func(p server.Page) ([]*server.RecipeVersion, int, error) {
		return s.Recipes.FindRecipeVersions(r.Context(), r.PathValue("name"), p)
	})
}

func pathInt(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 0 {
		return 0, server.Errorf(server.EINVALID, "%s %q is not a whole number", name, r.PathValue(name))
	}
	return n, nil
}

func (s *Server) getRecipeVersion(w http.ResponseWriter, r *http.Request) {
	n, err := pathInt(r, "version")
	if err != nil || n > 1<<31 {
		s.error(w, r, server.Errorf(server.EINVALID, "version %q is not a version number", r.PathValue("version")))
		return
	}
	v, err := s.Recipes.FindRecipeVersion(r.Context(), r.PathValue("name"), int(n))
	respond(s, w, r, 200, v, err)
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, func(p server.Page) ([]*server.Model, int, error) {
		return s.Models.FindModels(r.Context(), server.ModelFilter{Recipe: r.URL.Query().Get("recipe"), Page: p})
	})
}

func (s *Server) createModel(w http.ResponseWriter, r *http.Request) {
	var req modelRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	params, err := values(req.Params)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if req.RecipeVersion < 0 {
		s.error(w, r, server.Errorf(server.EINVALID, "recipe_version must be positive, or 0 for the latest"))
		return
	}
	m := &server.Model{Name: req.Name, Recipe: req.Recipe, RecipeVersion: req.RecipeVersion, Params: params, Dataset: req.Dataset}
	err = s.Models.CreateModel(r.Context(), m)
	respond(s, w, r, 201, m, err)
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	m, err := s.Models.FindModel(r.Context(), r.PathValue("name"))
	respond(s, w, r, 200, m, err)
}

func (s *Server) listTrained(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	listPage(s, w, r, func(p server.Page) ([]*server.TrainedModel, int, error) {
		if _, err := s.Models.FindModel(r.Context(), name); err != nil {
			return nil, 0, err
		}
		return s.TrainedModels.FindTrainedModels(r.Context(), server.TrainedModelFilter{Model: name, Page: p})
	})
}

func (s *Server) getTrained(w http.ResponseWriter, r *http.Request) {
	t, err := s.TrainedModels.FindTrainedModel(r.Context(), r.PathValue("name")+"@"+r.PathValue("ref"))
	respond(s, w, r, 200, t, err)
}

func (s *Server) setAlias(w http.ResponseWriter, r *http.Request) {
	var req aliasRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.warmBeforeAlias(r, r.PathValue("name"), req.Version); err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.TrainedModels.SetAlias(r.Context(), r.PathValue("name"), r.PathValue("alias"), req.Version)
	if err == nil && s.Predict != nil {
		s.Predict.Moved(r.PathValue("name"))
	}
	respond(s, w, r, 200, t, err)
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	listPage(s, w, r, func(p server.Page) ([]*server.Run, int, error) {
		return s.Runs.FindRuns(r.Context(), server.RunFilter{Kind: server.RunKind(q.Get("kind")), State: server.RunState(q.Get("state")), Model: q.Get("model"),
			Schedule: q.Get("schedule"), Page: p})
	})
}

func (s *Server) train(w http.ResponseWriter, r *http.Request) {
	var req trainRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	params, err := values(req.Params)
	if err != nil {
		s.error(w, r, err)
		return
	}
	run, err := s.Runs.Train(r.Context(), server.TrainRequest{Model: req.Model, Params: params})
	respond(s, w, r, 201, run, err)
}

func (s *Server) score(w http.ResponseWriter, r *http.Request) {
	var req scoreRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	sr, err := req.request()
	if err != nil {
		s.error(w, r, err)
		return
	}
	run, err := s.Runs.Score(r.Context(), sr)
	respond(s, w, r, 201, run, err)
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	run, err := s.Runs.FindRun(r.Context(), id)
	respond(s, w, r, 200, run, err)
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	run, err := s.Runs.CancelRun(r.Context(), id)
	respond(s, w, r, 200, run, err)
}

func (s *Server) runLogs(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	after := 0
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.error(w, r, server.Errorf(server.EINVALID, "after=%q is not a sequence number", v))
			return
		}
		after = n
	}
	lines, err := s.Runs.RunLogs(r.Context(), id, after)
	respond(s, w, r, 200, lines, err)
}

func (s *Server) runParts(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.Runs.FindRun(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	parts, err := s.Runs.FindParts(r.Context(), id)
	if parts == nil {
		parts = []*server.RunPart{}
	}
	respond(s, w, r, 200, parts, err)
}

func (s *Server) listDatasets(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, func(p server.Page) ([]*server.Dataset, int, error) {
		return s.Datasets.FindDatasets(r.Context(), server.DatasetFilter{Page: p})
	})
}

func (s *Server) getDataset(w http.ResponseWriter, r *http.Request) {
	d, err := s.Datasets.FindDataset(r.Context(), r.PathValue("name"))
	respond(s, w, r, 200, d, err)
}

func (s *Server) listDatasetVersions(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, func(p server.Page) ([]*server.DatasetVersion, int, error) {
		return s.Datasets.FindDatasetVersions(r.Context(), r.PathValue("name"), p)
	})
}

func (s *Server) importDataset(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.MaxDatasetBytes {
		s.error(w, r, &http.MaxBytesError{Limit: s.MaxDatasetBytes})
		return
	}
	release, ok := s.uploads.acquire(clientOf(r), s.MaxUploads)
	if !ok {
		s.error(w, r, server.Errorf(server.ETOOMANY, "this client already has %d uploads under way: wait for one to finish", s.MaxUploads))
		return
	}
	defer release()
	body := &uploadBody{r: http.MaxBytesReader(w, r.Body, s.MaxDatasetBytes)}
	v, err := s.Datasets.ImportDataset(r.Context(), r.PathValue("name"), body)
	if err != nil {
		io.Copy(io.Discard, body)
	}
	respond(s, w, r, 201, v, err)
}

func (s *Server) datasetVersion(r *http.Request) (*server.DatasetVersion, error) {
	n, err := pathInt(r, "version")
	if err != nil {
		return nil, err
	}
	ref := r.PathValue("name")
	if n > 0 {
		ref += "@" + strconv.FormatInt(n, 10)
	}
	return s.Datasets.FindDatasetVersion(r.Context(), ref)
}

func (s *Server) getDatasetVersion(w http.ResponseWriter, r *http.Request) {
	v, err := s.datasetVersion(r)
	respond(s, w, r, 200, v, err)
}

// csvExporter is implemented by dataset services whose files are not CSV.
type csvExporter interface {
	ExportCSV(ctx context.Context, ref, path string) error
}

func (s *Server) datasetData(w http.ResponseWriter, r *http.Request) {
	v, err := s.datasetVersion(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	path := v.Path
	if ex, ok := s.Datasets.(csvExporter); ok && v.Format != "csv" {
		dir, err := os.MkdirTemp("", "galley-export-")
		if err != nil {
			s.error(w, r, err)
			return
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "data.csv")
		if err := ex.ExportCSV(r.Context(), v.Snapshot(), path); err != nil {
			s.error(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", v.Name+"-"+strconv.Itoa(v.Version)+".csv"))
	http.ServeFile(w, r, path)
}

// snapshotUser is implemented by dataset services whose versions' files
// may have to be fetched before they are read (the shared catalog's live in
// the object store); the local copy stays until release is called.
type snapshotUser interface {
	Use(ctx context.Context, v *server.DatasetVersion) (release func(), err error)
}

func (s *Server) datasetParquet(w http.ResponseWriter, r *http.Request) {
	v, err := s.datasetVersion(r)
	if err == nil && v.Format != "parquet" {
		err = server.Errorf(server.ENOTIMPLEMENTED, "this server keeps dataset %s as %s, not Parquet: download it from /api/datasets/%s/versions/%d/data", v.Name, v.Format, v.Name, v.Version)
	}
	if err == nil {
		if u, ok := s.Datasets.(snapshotUser); ok {
			var release func()
			if release, err = u.Use(r.Context(), v); err == nil {
				defer release()
			}
		}
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ParquetType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", v.Name+"-"+strconv.Itoa(v.Version)+".parquet"))
	http.ServeFile(w, r, v.Path)
}

// ParquetType is the media type of Parquet files.
const ParquetType = "application/vnd.apache.parquet"

// Routes lists the served routes as "METHOD /path", for tests and docs.
func Routes() []string {
	var out []string
	for _, r := range (&Server{}).routes() {
		out = append(out, r.method+" "+r.path)
	}
	return out
}
