// Package http serves galley's REST API and provides a client for it.
//
// Errors are JSON objects {"code": "...", "message": "..."} with the status
// from one table (statusOf). Lists take limit, offset and order query
// parameters and answer {"items": [...], "total": N, "offset": N, "limit": N}.
// The OpenAPI document at /api/openapi.json is generated from the same route
// table the server mounts, so the two cannot drift apart.
//
// Client implements the server package's service interfaces over the API.
package http

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
)

// statusOf maps error codes to HTTP statuses.
var statusOf = map[string]int{
	server.EINVALID:        http.StatusBadRequest,
	server.EUNAUTHORIZED:   http.StatusUnauthorized,
	server.ENOTFOUND:       http.StatusNotFound,
	server.ECONFLICT:       http.StatusConflict,
	server.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	server.EINTERNAL:       http.StatusInternalServerError,
	server.ENOTIMPLEMENTED: http.StatusNotImplemented,
}

// codeOf is the reverse of statusOf, for the client.
func codeOf(status int) string {
	for c, s := range statusOf {
		if s == status {
			return c
		}
	}
	if status >= 500 {
		return server.EINTERNAL
	}
	return server.EINVALID
}

// Defaults for Server's limits.
const (
	DefaultMaxBodyBytes    = 16 << 20
	DefaultMaxDatasetBytes = 1 << 30
)

// Server is the API's HTTP handler.
type Server struct {
	Recipes       server.RecipeService
	Models        server.ModelService
	TrainedModels server.TrainedModelService
	Runs          server.RunService
	Datasets      server.DatasetService

	// Token, when set, must be presented as "Authorization: Bearer TOKEN"
	// on every request except the health check and the OpenAPI document.
	Token string
	// MaxBodyBytes bounds JSON request bodies (notebooks included);
	// MaxDatasetBytes bounds dataset uploads.
	MaxBodyBytes    int64
	MaxDatasetBytes int64
	Log             *slog.Logger

	mux *http.ServeMux
}

// Handler returns the API handler.
func (s *Server) Handler() http.Handler {
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.MaxDatasetBytes <= 0 {
		s.MaxDatasetBytes = DefaultMaxDatasetBytes
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.mux = http.NewServeMux()
	for _, r := range s.routes() {
		s.mux.HandleFunc(r.method+" "+r.path, r.handler)
	}
	type pattern struct {
		re     *regexp.Regexp
		method string
	}
	var patterns []pattern
	for _, r := range s.routes() {
		patterns = append(patterns, pattern{regexp.MustCompile("^" + pathParamRE.ReplaceAllString(r.path, "[^/]+") + "$"), r.method})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, p := range patterns {
			if p.re.MatchString(r.URL.EscapedPath()) {
				allowed = append(allowed, p.method)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Code: server.EINVALID, Message: fmt.Sprintf("method %s is not allowed on %s (allowed: %s): see /api/openapi.json", r.Method, r.URL.Path, strings.Join(allowed, ", "))})
			return
		}
		s.error(w, r, server.Errorf(server.ENOTFOUND, "no such endpoint %s %s: see /api/openapi.json", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP authenticates and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	open := r.URL.Path == "/api/health" || r.URL.Path == "/api/openapi.json"
	if s.Token != "" && !open {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.Token)) != 1 {
			s.error(w, r, server.Errorf(server.EUNAUTHORIZED, "missing or wrong bearer token: set GALLEY_TOKEN to the server's token"))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = server.Errorf(server.ETOOLARGE, "the request body is larger than this server's limit of %s: split the upload or raise the server's limit (--max-upload for datasets, --max-body for notebooks)", size(mbe.Limit))
	}
	code := server.ErrorCode(err)
	if code == server.EINTERNAL {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, errorBody{Code: code, Message: server.ErrorMessage(err)})
}

func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// list is the shape of every list response.
type list[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

func page(r *http.Request) (server.Page, error) {
	var p server.Page
	q := r.URL.Query()
	for name, dst := range map[string]*int{"limit": &p.Limit, "offset": &p.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return p, server.Errorf(server.EINVALID, "%s=%q is not a whole number", name, v)
			}
			*dst = n
		}
	}
	p.Order = q.Get("order")
	if p.Limit < 0 || p.Limit > server.MaxLimit || p.Offset < 0 {
		return p, server.Errorf(server.EINVALID, "limit must be 1 to %d and offset 0 or more", server.MaxLimit)
	}
	return p, nil
}

// decode reads a JSON body of at most MaxBodyBytes into v.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return server.Errorf(server.EINVALID, "the request body is not the expected JSON: %v", err)
	}
	return nil
}
