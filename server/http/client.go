package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/catalog"
)

// Client talks to a galley server. It implements the server package's
// service interfaces.
type Client struct {
	// URL is the server's base URL, such as http://127.0.0.1:8780.
	URL string
	// Token is sent as a bearer token when set.
	Token string
	HTTP  *http.Client
}

var (
	_ server.RecipeService       = (*Client)(nil)
	_ server.ModelService        = (*Client)(nil)
	_ server.TrainedModelService = (*Client)(nil)
	_ server.RunService          = (*Client)(nil)
	_ server.DatasetService      = (*Client)(nil)
)

// NewClient returns a client for the server at base.
func NewClient(base, token string) *Client {
	return &Client{URL: strings.TrimRight(base, "/"), Token: token, HTTP: http.DefaultClient}
}

// do sends a request and decodes a JSON response into out (when non-nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string, out any) error {
	u := c.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the galley server at %s: %w (start one with 'galley serve' or set --server / GALLEY_SERVER)", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var e errorBody
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Code == "" {
			return server.Errorf(codeOf(resp.StatusCode), "server answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
		}
		return &server.Error{Code: e.Code, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err := io.Copy(w, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the server's answer to %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) json(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.do(ctx, method, path, nil, body, ct, out)
}

func pageQuery(p server.Page, extra ...string) url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset != 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	if p.Order != "" {
		q.Set("order", p.Order)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q
}

func seg(s string) string { return url.PathEscape(s) }

// ImportNotebook implements server.RecipeService.
func (c *Client) ImportNotebook(ctx context.Context, imp server.NotebookImport) (*server.RecipeVersion, bool, error) {
	if !json.Valid(imp.Notebook) {
		return nil, false, server.Errorf(server.EINVALID, "the notebook is not valid JSON: save it from Jupyter and try again")
	}
	var out importResponse
	err := c.json(ctx, "POST", "/api/recipes", notebookRequest{Recipe: imp.Recipe, Author: imp.Author, Notebook: imp.Notebook}, &out)
	if err != nil {
		return nil, false, err
	}
	return out.RecipeVersion, out.Created, nil
}

// FindRecipe implements server.RecipeService.
func (c *Client) FindRecipe(ctx context.Context, name string) (*server.Recipe, error) {
	var out server.Recipe
	return &out, c.json(ctx, "GET", "/api/recipes/"+seg(name), nil, &out)
}

// FindRecipes implements server.RecipeService.
func (c *Client) FindRecipes(ctx context.Context, f server.RecipeFilter) ([]*server.Recipe, int, error) {
	var out list[*server.Recipe]
	err := c.do(ctx, "GET", "/api/recipes", pageQuery(f.Page, "name", f.Name), nil, "", &out)
	return out.Items, out.Total, err
}

// FindRecipeVersion implements server.RecipeService.
func (c *Client) FindRecipeVersion(ctx context.Context, name string, version int) (*server.RecipeVersion, error) {
	var out server.RecipeVersion
	return &out, c.json(ctx, "GET", "/api/recipes/"+seg(name)+"/versions/"+strconv.Itoa(version), nil, &out)
}

// FindRecipeVersions implements server.RecipeService.
func (c *Client) FindRecipeVersions(ctx context.Context, name string, p server.Page) ([]*server.RecipeVersion, int, error) {
	var out list[*server.RecipeVersion]
	err := c.do(ctx, "GET", "/api/recipes/"+seg(name)+"/versions", pageQuery(p), nil, "", &out)
	return out.Items, out.Total, err
}

func rawParams(m map[string]string) map[string]json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	out := map[string]json.RawMessage{}
	for k, v := range m {
		b, _ := json.Marshal(v)
		out[k] = b
	}
	return out
}

// CreateModel implements server.ModelService.
func (c *Client) CreateModel(ctx context.Context, m *server.Model) error {
	req := modelRequest{Name: m.Name, Recipe: m.Recipe, RecipeVersion: m.RecipeVersion, Params: rawParams(m.Params), Dataset: m.Dataset}
	return c.json(ctx, "POST", "/api/models", req, m)
}

// FindModel implements server.ModelService.
func (c *Client) FindModel(ctx context.Context, name string) (*server.Model, error) {
	var out server.Model
	return &out, c.json(ctx, "GET", "/api/models/"+seg(name), nil, &out)
}

// FindModels implements server.ModelService.
func (c *Client) FindModels(ctx context.Context, f server.ModelFilter) ([]*server.Model, int, error) {
	var out list[*server.Model]
	err := c.do(ctx, "GET", "/api/models", pageQuery(f.Page, "recipe", f.Recipe), nil, "", &out)
	return out.Items, out.Total, err
}

// FindTrainedModel implements server.TrainedModelService.
func (c *Client) FindTrainedModel(ctx context.Context, ref string) (*server.TrainedModel, error) {
	name, sel, _ := strings.Cut(ref, "@")
	if sel == "" {
		list, _, err := c.FindTrainedModels(ctx, server.TrainedModelFilter{Model: name, Page: server.Page{Limit: 1, Order: "-version"}})
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, server.Errorf(server.ENOTFOUND, "model %s has not been trained yet: run 'galley train %s'", name, name)
		}
		return list[0], nil
	}
	var out server.TrainedModel
	return &out, c.json(ctx, "GET", "/api/models/"+seg(name)+"/trained/"+seg(sel), nil, &out)
}

// FindTrainedModels implements server.TrainedModelService.
func (c *Client) FindTrainedModels(ctx context.Context, f server.TrainedModelFilter) ([]*server.TrainedModel, int, error) {
	var out list[*server.TrainedModel]
	err := c.do(ctx, "GET", "/api/models/"+seg(f.Model)+"/trained", pageQuery(f.Page), nil, "", &out)
	return out.Items, out.Total, err
}

// SetAlias implements server.TrainedModelService.
func (c *Client) SetAlias(ctx context.Context, model, alias string, version int) (*server.TrainedModel, error) {
	var out server.TrainedModel
	return &out, c.json(ctx, "PUT", "/api/models/"+seg(model)+"/aliases/"+seg(alias), aliasRequest{Version: version}, &out)
}

// Train implements server.RunService.
func (c *Client) Train(ctx context.Context, req server.TrainRequest) (*server.Run, error) {
	var out server.Run
	return &out, c.json(ctx, "POST", "/api/runs/train", trainRequest{Model: req.Model, Params: rawParams(req.Params)}, &out)
}

// Score implements server.RunService.
func (c *Client) Score(ctx context.Context, req server.ScoreRequest) (*server.Run, error) {
	var out server.Run
	return &out, c.json(ctx, "POST", "/api/runs/score", req, &out)
}

// FindRun implements server.RunService.
func (c *Client) FindRun(ctx context.Context, id int64) (*server.Run, error) {
	var out server.Run
	return &out, c.json(ctx, "GET", "/api/runs/"+strconv.FormatInt(id, 10), nil, &out)
}

// FindRuns implements server.RunService.
func (c *Client) FindRuns(ctx context.Context, f server.RunFilter) ([]*server.Run, int, error) {
	var out list[*server.Run]
	err := c.do(ctx, "GET", "/api/runs", pageQuery(f.Page, "kind", string(f.Kind), "state", string(f.State), "model", f.Model, "schedule", f.Schedule), nil, "", &out)
	return out.Items, out.Total, err
}

// CancelRun implements server.RunService.
func (c *Client) CancelRun(ctx context.Context, id int64) (*server.Run, error) {
	var out server.Run
	return &out, c.json(ctx, "POST", "/api/runs/"+strconv.FormatInt(id, 10)+"/cancel", nil, &out)
}

// RunLogs implements server.RunService.
func (c *Client) RunLogs(ctx context.Context, id int64, after int) ([]server.LogLine, error) {
	var out []server.LogLine
	q := url.Values{"after": {strconv.Itoa(after)}}
	return out, c.do(ctx, "GET", "/api/runs/"+strconv.FormatInt(id, 10)+"/logs", q, nil, "", &out)
}

// FindParts implements server.RunService.
func (c *Client) FindParts(ctx context.Context, run int64) ([]*server.RunPart, error) {
	var out []*server.RunPart
	return out, c.do(ctx, "GET", "/api/runs/"+strconv.FormatInt(run, 10)+"/parts", nil, nil, "", &out)
}

// ImportDataset implements server.DatasetService.
func (c *Client) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	var out server.DatasetVersion
	return &out, c.do(ctx, "POST", "/api/datasets/"+seg(name)+"/versions", nil, r, "text/csv", &out)
}

// FindDataset implements server.DatasetService.
func (c *Client) FindDataset(ctx context.Context, name string) (*server.Dataset, error) {
	var out server.Dataset
	return &out, c.json(ctx, "GET", "/api/datasets/"+seg(name), nil, &out)
}

// FindDatasets implements server.DatasetService.
func (c *Client) FindDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	var out list[*server.Dataset]
	err := c.do(ctx, "GET", "/api/datasets", pageQuery(f.Page), nil, "", &out)
	return out.Items, out.Total, err
}

// FindDatasetVersion implements server.DatasetService.
func (c *Client) FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error) {
	var out server.DatasetVersion
	return &out, c.json(ctx, "GET", versionPath(ref), nil, &out)
}

// FindDatasetVersions implements server.DatasetService.
func (c *Client) FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	var out list[*server.DatasetVersion]
	err := c.do(ctx, "GET", "/api/datasets/"+seg(name)+"/versions", pageQuery(p), nil, "", &out)
	return out.Items, out.Total, err
}

// DatasetData writes the CSV of dataset version ref ("name" or "name@N")
// to w: the file a run reading that version gets as its input.
func (c *Client) DatasetData(ctx context.Context, ref string, w io.Writer) error {
	return c.do(ctx, "GET", versionPath(ref)+"/data", nil, nil, "", w)
}

// DatasetParquet writes the Parquet snapshot of dataset version ref ("name"
// or "name@N") to w, as the server keeps it; ENOTIMPLEMENTED from a server
// that keeps datasets as CSV.
func (c *Client) DatasetParquet(ctx context.Context, ref string, w io.Writer) error {
	return c.do(ctx, "GET", versionPath(ref)+"/parquet", nil, nil, "", w)
}

// versionPath is the API path of dataset version ref, version 0 standing
// for the latest.
func versionPath(ref string) string {
	name, sel, _ := strings.Cut(ref, "@")
	if sel == "" {
		sel = "0"
	}
	return "/api/datasets/" + seg(name) + "/versions/" + seg(strings.TrimPrefix(sel, "v"))
}

// DeleteRecipe implements server.RecipeService.
func (c *Client) DeleteRecipe(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/recipes/"+seg(name), nil, nil, "", nil)
}

// DeleteModel implements server.ModelService.
func (c *Client) DeleteModel(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/models/"+seg(name), nil, nil, "", nil)
}

// DeleteTrainedModel implements server.TrainedModelService.
func (c *Client) DeleteTrainedModel(ctx context.Context, ref string) error {
	name, sel, _ := strings.Cut(ref, "@")
	if sel == "" {
		return server.Errorf(server.EINVALID, "name the trained version to delete: %s@VERSION", name)
	}
	return c.do(ctx, "DELETE", "/api/models/"+seg(name)+"/trained/"+seg(sel), nil, nil, "", nil)
}

// DeleteRun implements server.RunService.
func (c *Client) DeleteRun(ctx context.Context, id int64) error {
	return c.do(ctx, "DELETE", "/api/runs/"+strconv.FormatInt(id, 10), nil, nil, "", nil)
}

// DeleteDataset implements server.DatasetService.
func (c *Client) DeleteDataset(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/datasets/"+seg(name), nil, nil, "", nil)
}

// DefaultURL is where 'galley serve' listens unless told otherwise.
const DefaultURL = "http://127.0.0.1:8780"

// ClientFromEnv returns a client for url, falling back to $GALLEY_SERVER and
// then DefaultURL, with the token from $GALLEY_TOKEN or, for a server on
// this machine, from the token file under $GALLEY_HOME (see TokenPath).
func ClientFromEnv(url string) *Client {
	if url == "" {
		url = os.Getenv("GALLEY_SERVER")
	}
	if url == "" {
		url = DefaultURL
	}
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	return NewClient(url, clientToken(url, catalog.Home()))
}

// PredictResponse is the answer to a prediction request.
type PredictResponse struct {
	// Predictions hold one object per row of the recipe's scores.
	Predictions  []map[string]any `json:"predictions"`
	TrainedModel string           `json:"trained_model"`
	Model        string           `json:"model"`
	Version      int              `json:"version"`
}

// PredictJSON scores rows given in one of the MLflow JSON forms
// (dataframe_split, dataframe_records, instances) with the trained model
// ref names. Numbers keep their exact value (json.Number).
func (c *Client) PredictJSON(ctx context.Context, ref string, rows []byte) (*PredictResponse, error) {
	var raw bytes.Buffer
	if err := c.do(ctx, "POST", "/api/models/"+seg(ref)+"/predict", nil, bytes.NewReader(rows), "application/json", &raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(&raw)
	dec.UseNumber()
	var out PredictResponse
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding the server's predictions: %w", err)
	}
	return &out, nil
}

var _ server.CanaryService = (*Client)(nil)

// SetCanary implements server.CanaryService.
func (c *Client) SetCanary(ctx context.Context, cn server.Canary) (*server.Canary, error) {
	// JSON has no NaN or infinity to send.
	if err := cn.CheckWeight(); err != nil {
		return nil, err
	}
	req := canaryRequest{Weight: cn.Weight}
	if cn.Version != 0 {
		req.Version = &cn.Version
	}
	var out server.Canary
	err := c.json(ctx, "PUT", "/api/models/"+seg(cn.Model)+"/canary", req, &out)
	return &out, err
}

// Canary returns model's canary, one of weight 0 when it has none.
func (c *Client) Canary(ctx context.Context, model string) (*server.Canary, error) {
	var out server.Canary
	err := c.json(ctx, "GET", "/api/models/"+seg(model)+"/canary", nil, &out)
	return &out, err
}

// FindCanaries implements server.CanaryService.
func (c *Client) FindCanaries(ctx context.Context) ([]server.Canary, error) {
	_, canaries, err := c.ServingStatus(ctx)
	return canaries, err
}

// ServingStatus returns the warm versions and canaries of the online
// scoring service.
func (c *Client) ServingStatus(ctx context.Context) ([]server.ServingModel, []server.Canary, error) {
	var out servingResponse
	err := c.json(ctx, "GET", "/api/serving", nil, &out)
	return out.Serving, out.Canaries, err
}
