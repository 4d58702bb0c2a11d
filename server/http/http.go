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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"slices"
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
	server.EFORBIDDEN:      http.StatusForbidden,
	server.EMEDIATYPE:      http.StatusUnsupportedMediaType,
	server.ETOOMANY:        http.StatusTooManyRequests,
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
	DefaultMaxUploads      = 4
)

// Server is the API's HTTP handler.
type Server struct {
	Recipes       server.RecipeService
	Models        server.ModelService
	TrainedModels server.TrainedModelService
	Runs          server.RunService
	Datasets      server.DatasetService
	Schedules     server.ScheduleService
	// Predict scores rows online; Metrics serves its counters at /metrics
	// in Prometheus text format, behind the token like the API.
	Predict server.PredictService
	Metrics http.Handler
	// Profiles serves profile sets; nil answers their routes with 501.
	Profiles server.ProfileService

	// Token, when set, must be presented as "Authorization: Bearer TOKEN"
	// on every request except the health check and the OpenAPI document.
	// TokenFile, when set, holds the token instead and is read again when
	// it changes ('galley token rotate'). With neither, requests need no
	// token: only for a loopback server whose user asked for that.
	Token     string
	TokenFile string
	// AllowedHosts are host names the server answers to besides IP
	// addresses and localhost; AllowedOrigins are the web origins (such as
	// https://app.example) allowed to call it from a browser ("*" for any).
	AllowedHosts   []string
	AllowedOrigins []string
	// MaxBodyBytes bounds JSON request bodies (notebooks included);
	// MaxDatasetBytes bounds dataset uploads.
	MaxBodyBytes    int64
	MaxDatasetBytes int64
	// MaxPredictBytes bounds prediction request bodies.
	MaxPredictBytes int64
	// MaxUploads bounds the dataset uploads one client (IP address) may
	// have under way at once, so that a few slow clients cannot hold
	// every connection and temporary file.
	MaxUploads int
	Log        *slog.Logger
	// Pages, when set, serves every path outside /api behind the same
	// guard; a browser signs in once with the token (pages.go).
	Pages http.Handler

	mux     *http.ServeMux
	tokens  tokenCache
	uploads uploadCount
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
	if s.MaxUploads <= 0 {
		s.MaxUploads = DefaultMaxUploads
	}
	if s.MaxPredictBytes <= 0 {
		s.MaxPredictBytes = DefaultMaxPredictBytes
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /metrics", s.metricsHandler)
	routes := s.routes()
	for _, r := range routes {
		h := s.checkQuery(r.query, r.handler)
		if t := r.contentType(); t != "" {
			h = s.checkContentType(t, h)
		}
		s.mux.HandleFunc(r.method+" "+r.path, h)
	}
	resources := resourcesOf(routes)
	// A literal path such as /api/runs/score also matches a wildcard route
	// such as GET /api/runs/{id}, which the mux would hand it to for GET.
	// Answer 405 for such methods instead, as for any other unsupported one.
	for _, res := range resources {
		for _, other := range resources {
			if other.path == res.path || !other.re.MatchString(res.path) {
				continue
			}
			for _, m := range other.methods {
				if !slices.Contains(res.methods, m) {
					s.mux.HandleFunc(m+" "+res.path, s.methodNotAllowed(res.methods))
				}
			}
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The most specific resource matching the path decides, as in the mux.
		var best *resource
		for i, res := range resources {
			if res.re.MatchString(r.URL.EscapedPath()) && (best == nil || res.wildcards < best.wildcards) {
				best = &resources[i]
			}
		}
		if best != nil {
			s.methodNotAllowed(best.methods)(w, r)
			return
		}
		s.error(w, r, server.Errorf(server.ENOTFOUND, "no such endpoint %s %s: see /api/openapi.json", r.Method, r.URL.Path))
	})
	return s
}

// resource is a path template and the methods served on it.
type resource struct {
	path      string
	re        *regexp.Regexp // matches the escaped paths the template covers
	wildcards int
	methods   []string
}

func resourcesOf(routes []route) []resource {
	var out []resource
	index := map[string]int{}
	for _, r := range routes {
		i, ok := index[r.path]
		if !ok {
			i = len(out)
			index[r.path] = i
			out = append(out, resource{
				path:      r.path,
				re:        templateRE(r.path),
				wildcards: len(pathParamRE.FindAllString(r.path, -1)),
			})
		}
		out[i].methods = append(out[i].methods, r.method)
	}
	return out
}

// templateRE matches the escaped paths a template such as /api/runs/{id}
// covers.
func templateRE(path string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i, lit := range pathParamRE.Split(path, -1) {
		if i > 0 {
			b.WriteString("[^/]+")
		}
		b.WriteString(regexp.QuoteMeta(lit))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (s *Server) methodNotAllowed(allowed []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Code: server.EINVALID, Message: fmt.Sprintf("method %s is not allowed on %s (allowed: %s): see /api/openapi.json", r.Method, r.URL.Path, strings.Join(allowed, ", "))})
	}
}

// checkQuery rejects what handlers would otherwise read loosely: a query
// parameter given twice (url.Values.Get would take the first), an integer
// that is not one or out of its documented range, and an enumerated value
// given empty. Handlers and services check the rest.
func (s *Server) checkQuery(params []param, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, p := range params {
			vs, given := q[p.name]
			if !given {
				continue
			}
			v := vs[0]
			var err error
			switch {
			case len(vs) > 1:
				err = server.Errorf(server.EINVALID, "%s is given %d times: give it once", p.name, len(vs))
			case p.typ != "string" && constraints[p.typ]["type"] == "number":
				if x, perr := strconv.ParseFloat(v, 64); perr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
					err = server.Errorf(server.EINVALID, "%s=%q is not a finite number", p.name, v)
				}
			case p.typ != "string" && constraints[p.typ]["type"] == "string":
				c := constraints[p.typ]
				if re, ok := c["pattern"].(string); ok && !regexp.MustCompile(re).MatchString(v) {
					err = server.Errorf(server.EINVALID, "%s=%q is invalid: it must match %s", p.name, v, re)
				}
			case p.typ != "string":
				c := constraints[p.typ]
				lo, hi := bound(c["minimum"]), bound(c["maximum"])
				if n, perr := strconv.ParseInt(v, 10, 64); perr != nil {
					err = server.Errorf(server.EINVALID, "%s=%q is not a whole number", p.name, v)
				} else if n < lo || n > hi {
					err = server.Errorf(server.EINVALID, "%s=%d is out of range: use %d to %d", p.name, n, lo, hi)
				}
			case p.enum != nil && v == "":
				err = server.Errorf(server.EINVALID, "%s is empty: give one of %s, or leave the parameter out", p.name, strings.Join(p.enum, ", "))
			}
			if err != nil {
				s.error(w, r, err)
				return
			}
		}
		next(w, r)
	}
}

// bound reads a constraint's minimum or maximum.
func bound(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	panic(fmt.Sprintf("http: bound %v (%T) is not an integer", v, v))
}

// ServeHTTP checks where the request comes from, authenticates and
// dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.guard(w, r) {
		return
	}
	if s.page(r) {
		s.servePages(w, r)
		return
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

// decode reads a JSON body of at most MaxBodyBytes into v: one JSON value
// and nothing after it but white space.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return s.decodeLimit(w, r, v, s.MaxBodyBytes)
}

// decodeLimit is decode with a limit of its own.
func (s *Server) decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("unexpected data after the JSON value at byte %d", dec.InputOffset())
			var mbe *http.MaxBytesError
			if errors.As(terr, &mbe) {
				err = terr
			}
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return server.Errorf(server.EINVALID, "the request body is not the expected JSON: %s", jsonProblem(err))
	}
	return nil
}

// jsonProblem describes a decoding error in the API's terms, not Go's:
// encoding/json names Go types ("cannot unmarshal string into Go struct
// field trainRequest.model of type string").
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return fmt.Sprintf("expected %s, got a JSON %s at byte %d", jsonKind(te.Type.Kind().String()), te.Value, te.Offset)
		}
		return fmt.Sprintf("field %s: expected %s, got a JSON %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	if strings.HasPrefix(goKind, "int") || strings.HasPrefix(goKind, "uint") || strings.HasPrefix(goKind, "float") {
		return "a number"
	}
	return "a JSON value"
}
