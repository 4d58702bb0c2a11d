package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/online"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/sqlite/sqlitetest"
	"github.com/galley-dev/galley/server/storetest"
)

func newServer(t *testing.T, tweak func(*galleyhttp.Server)) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db, ds := sqlitetest.Open(t)
	db.MaxAttempts = 2
	// As galley serve wires them: the catalog asks the database before
	// deleting a dataset that models or runs use.
	ds.InUse = db.DatasetInUse
	recipes := struct {
		*sqlite.DB
		storetest.Converter
	}{db, storetest.Converter{Store: db}}
	s := &galleyhttp.Server{Recipes: recipes, Models: db, TrainedModels: db, Runs: db, Datasets: ds, Schedules: db, Profiles: db}
	if tweak != nil {
		tweak(s)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, db
}

// remote is a store whose services go through HTTP and whose queue side
// goes straight to the database, as the worker pool's does.
type remote struct {
	*galleyhttp.Client
	server.RunQueue
	profileWriter
}

// profileWriter is the store side of profiles: scoring runs write them.
type profileWriter interface {
	UpsertProfiles(ctx context.Context, w *server.ProfileWrite) (server.ProfileWriteResult, error)
	SetProfileRetention(server.ProfileRetention)
}

// TestConformanceOverHTTP runs the store suite through the client and the
// handlers, so both keep every contract the store keeps.
func TestConformanceOverHTTP(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) storetest.Store {
		// Canaries go through the online scoring service to the store; no
		// request here scores rows, so it needs no workers.
		ps := &online.Service{}
		ts, db := newServer(t, func(s *galleyhttp.Server) { s.Predict = ps })
		ps.Store = db
		return remote{Client: galleyhttp.NewClient(ts.URL, ""), RunQueue: db, profileWriter: db}
	})
}

func do(t *testing.T, method, url, token, ctype string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func TestErrorsAndLimits(t *testing.T) {
	ts, _ := newServer(t, func(s *galleyhttp.Server) {
		s.Token = "s3cret"
		s.MaxBodyBytes = 64 << 10
		s.MaxDatasetBytes = 1 << 10
	})
	tests := []struct {
		name, method, path, token, ctype, body string
		status                                 int
		code, msg                              string
	}{
		{"no token", "GET", "/api/recipes", "", "", "", 401, "unauthorized", "GALLEY_TOKEN"},
		{"wrong token", "GET", "/api/recipes", "nope", "", "", 401, "unauthorized", "bearer token"},
		{"health is open", "GET", "/api/health", "", "", "", 200, "", ""},
		{"unknown recipe", "GET", "/api/recipes/zzz", "s3cret", "", "", 404, "not_found", `recipe "zzz" not found`},
		{"unknown run", "GET", "/api/runs/77", "s3cret", "", "", 404, "not_found", "run 77 not found"},
		{"bad run id", "GET", "/api/runs/abc", "s3cret", "", "", 400, "invalid", "not a whole number"},
		{"parts of an unknown run", "GET", "/api/runs/77/parts", "s3cret", "", "", 404, "not_found", "run 77 not found"},
		{"unknown endpoint", "GET", "/api/nothing", "s3cret", "", "", 404, "not_found", "no such endpoint"},
		{"wrong method", "DELETE", "/api/recipes", "s3cret", "", "", 405, "invalid", "not allowed"},
		{"bad json", "POST", "/api/recipes", "s3cret", "application/json", "{", 400, "invalid", "not the expected JSON"},
		{"invalid notebook", "POST", "/api/recipes", "s3cret", "application/json", `{"recipe":"r","notebook":{"nbformat":3,"nbformat_minor":0,"cells":[]}}`, 400, "invalid", "nbformat 3.0 is not supported"},
		{"notebook not an object", "POST", "/api/recipes", "s3cret", "application/json", `{"recipe":"r","notebook":"x"}`, 400, "invalid", "JSON object"},
		{"oversized notebook", "POST", "/api/recipes", "s3cret", "application/json", `{"recipe":"r","notebook":{"cells":"` + strings.Repeat("x", 70<<10) + `"}}`, 413, "too_large", "64 KiB"},
		{"oversized dataset", "POST", "/api/datasets/big/versions", "s3cret", "text/csv", "a,b\n" + strings.Repeat("1,2\n", 400), 413, "too_large", "1 KiB"},
		{"bad csv", "POST", "/api/datasets/d/versions", "s3cret", "text/csv", "a,b\n1\n", 400, "invalid", "line 2"},
		{"bad limit", "GET", "/api/runs?limit=5000", "s3cret", "", "", 400, "invalid", "limit"},
		{"empty limit", "GET", "/api/runs?limit=", "s3cret", "", "", 400, "invalid", "not a whole number"},
		{"empty offset", "GET", "/api/datasets?offset=", "s3cret", "", "", 400, "invalid", "not a whole number"},
		{"empty order", "GET", "/api/models?order=", "s3cret", "", "", 400, "invalid", "order is empty"},
		{"repeated parameter", "GET", "/api/runs/1/logs?after=&after=3", "s3cret", "", "", 400, "invalid", "after is given 2 times"},
		{"offset beyond int64", "GET", "/api/recipes?offset=9223372036854775808", "s3cret", "", "", 400, "invalid", "not a whole number"},
		{"negative after", "GET", "/api/runs/1/logs?after=-1", "s3cret", "", "", 400, "invalid", "out of range"},
		{"empty state", "GET", "/api/runs?state=", "s3cret", "", "", 400, "invalid", "state is empty"},
		{"GET on a literal path beside a wildcard", "GET", "/api/runs/score", "s3cret", "", "", 405, "invalid", "allowed: POST"},
		{"bad order", "GET", "/api/runs?order=colour", "s3cret", "", "", 400, "invalid", "cannot order by"},
		{"bad state", "GET", "/api/runs?state=asleep", "s3cret", "", "", 400, "invalid", "state"},
		{"param object", "POST", "/api/models", "s3cret", "application/json", `{"name":"m","recipe":"r","dataset":"d","params":{"a":{}}}`, 400, "invalid", "string, number or boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.method, ts.URL+tt.path, tt.token, tt.ctype, strings.NewReader(tt.body))
			if status != tt.status {
				t.Fatalf("status = %d, want %d (%v)", status, tt.status, body)
			}
			if tt.code != "" && (body["code"] != tt.code || !strings.Contains(body["message"].(string), tt.msg)) {
				t.Errorf("body = %v, want code %s and message containing %q", body, tt.code, tt.msg)
			}
		})
	}
}

// TestWithoutProfiles checks that a server without a profile service
// answers every profile endpoint with 501, and only once.
func TestWithoutProfiles(t *testing.T) {
	ts, _ := newServer(t, func(s *galleyhttp.Server) { s.Profiles = nil })
	for _, path := range []string{"/api/profiles", "/api/profiles/customers", "/api/profiles/customers/c1",
		"/api/profiles/customers/c1/history", "/api/profiles/customers/c1/scores"} {
		status, body := do(t, "GET", ts.URL+path, "", "", nil)
		if status != 501 || body["code"] != "not_implemented" || body["message"] != "this server keeps no profiles" {
			t.Errorf("GET %s = %d %v, want 501 saying the server keeps no profiles", path, status, body)
		}
	}
}

// TestAllowHeader checks that 405 answers list the methods of the resource
// the path names, not those of a wildcard route that also matches it.
func TestAllowHeader(t *testing.T) {
	ts, _ := newServer(t, nil)
	for _, tt := range []struct{ method, path, allow string }{
		{"OPTIONS", "/api/runs/score", "POST"},
		{"GET", "/api/runs/train", "POST"},
		{"HEAD", "/api/runs/score", "POST"},
		{"PUT", "/api/runs/7", "GET, DELETE"},
		{"PUT", "/api/recipes", "GET, POST"},
		{"DELETE", "/api/models/m/aliases/production", "PUT"},
	} {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d with Allow %q, want 405 with Allow %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.allow)
		}
	}
}

// TestOpenAPIMatchesRoutes checks that every documented operation is served
// and that every served route is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts, _ := newServer(t, nil)
	resp, err := http.Get(ts.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc.OpenAPI != "3.0.3" || len(doc.Paths) < 15 {
		t.Fatalf("document: openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	documented := map[string]bool{}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	for path, ops := range doc.Paths {
		for method := range ops {
			m := strings.ToUpper(method)
			documented[m+" "+path] = true
			concrete := param.ReplaceAllString(path, "1")
			req, _ := http.NewRequest(m, ts.URL+concrete, bytes.NewReader(nil))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if msg, _ := body["message"].(string); resp.StatusCode == 405 || strings.Contains(msg, "no such endpoint") {
				t.Errorf("%s %s is documented but not served: %d %v", m, path, resp.StatusCode, body)
			}
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s answered %d", m, path, resp.StatusCode)
			}
		}
	}
	for _, r := range galleyhttp.Routes() {
		if !documented[r] {
			t.Errorf("served route %s is not in the OpenAPI document", r)
		}
	}
	if len(galleyhttp.Routes()) != len(documented) {
		t.Errorf("%d routes served, %d documented", len(galleyhttp.Routes()), len(documented))
	}
}

func TestClientErrors(t *testing.T) {
	ts, _ := newServer(t, func(s *galleyhttp.Server) { s.Token = "t" })
	c := galleyhttp.NewClient(ts.URL, "t")
	_, err := c.FindModel(context.Background(), "nope")
	if server.ErrorCode(err) != server.ENOTFOUND || !strings.Contains(server.ErrorMessage(err), "galley model list") {
		t.Errorf("err = %v", err)
	}
	bad := galleyhttp.NewClient(ts.URL, "wrong")
	_, _, err = bad.FindRuns(context.Background(), server.RunFilter{})
	if server.ErrorCode(err) != server.EUNAUTHORIZED {
		t.Errorf("err = %v", err)
	}
	down := galleyhttp.NewClient("http://127.0.0.1:1", "")
	_, err = down.FindRun(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "galley serve") {
		t.Errorf("err = %v", err)
	}
}
