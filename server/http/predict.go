package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
)

// Online scoring. A prediction request carries rows in one of the JSON
// forms MLflow's scoring server accepts:
//
//	{"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}}
//	{"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}
//	{"instances": [{"a": 1, "b": "x"}]}        (or "inputs")
//
// Values become CSV cells as a dataset file holds them: strings as they
// are, numbers as written, booleans as true/false, null as a blank cell.
// The answer is {"predictions": [{column: value, ...}, ...]} with one
// object per row of the recipe's scores, and the trained version that
// computed them, also in the Galley-Trained-Model response header.

// TrainedModelHeader names the trained version that answered a prediction.
const TrainedModelHeader = "Galley-Trained-Model"

// DefaultMaxPredictBytes bounds prediction request bodies.
const DefaultMaxPredictBytes = 4 << 20

type frameSplit struct {
	Columns []string          `json:"columns"`
	Data    []json.RawMessage `json:"data"`
}

// predictRequest is the wire form of a prediction request: exactly one
// field is given.
type predictRequest struct {
	DataframeSplit   *frameSplit                  `json:"dataframe_split,omitempty" openapi:"frameSplit"`
	DataframeRecords []map[string]json.RawMessage `json:"dataframe_records,omitempty" openapi:"frameRecords"`
	Instances        []map[string]json.RawMessage `json:"instances,omitempty" openapi:"frameRecords"`
	Inputs           []map[string]json.RawMessage `json:"inputs,omitempty" openapi:"frameRecords"`
}

// predictResponse documents the answer; predict writes it by hand to keep
// the columns in the recipe's order.
type predictResponse struct {
	Predictions  []map[string]any `json:"predictions"`
	TrainedModel string           `json:"trained_model"`
	Model        string           `json:"model"`
	Version      int              `json:"version"`
}

// canaryRequest sets a canary; removing one (weight 0) needs no version.
type canaryRequest struct {
	Version *int    `json:"version,omitempty" openapi:"exactVersion"`
	Weight  float64 `json:"weight" openapi:"weight"`
}

type servingResponse struct {
	Serving  []server.ServingModel `json:"serving"`
	Canaries []server.Canary       `json:"canaries"`
}

func (s *Server) predictRoutes() []route {
	return []route{
		{method: "POST", path: "/api/models/{model}/predict", summary: "Score rows online with a trained model (MODEL, MODEL@VERSION or MODEL@ALIAS); MLflow-compatible JSON",
			body: predictRequest{}, status: 200, response: predictResponse{}, errors: []int{404, 413}, handler: s.predict},
		{method: "GET", path: "/api/models/{name}/canary", summary: "Show the model's canary: the share of its alias and default prediction requests sent to another version (weight 0: none)",
			status: 200, response: server.Canary{}, errors: []int{404}, handler: s.getCanary},
		{method: "PUT", path: "/api/models/{name}/canary", summary: "Send a share (weight 0 to 1; 0 removes the canary) of the model's alias and default prediction requests to a version",
			body: canaryRequest{}, status: 200, response: server.Canary{}, errors: []int{404, 413}, handler: s.setCanary},
		{method: "GET", path: "/api/serving", summary: "Trained versions kept warm for online scoring, with their counters, and canaries",
			status: 200, response: servingResponse{}, errors: []int{404}, handler: s.serving},
	}
}

func (s *Server) predictService() (server.PredictService, error) {
	if s.Predict == nil {
		return nil, server.Errorf(server.ENOTFOUND, "this server does not score online")
	}
	return s.Predict, nil
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	ps, err := s.predictService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req predictRequest
	if err := s.decodeLimit(w, r, &req, s.MaxPredictBytes); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = server.Errorf(server.ETOOLARGE, "the request body is larger than this server's limit of %s for predictions: send fewer rows per request, or raise --max-predict-body", size(mbe.Limit))
		}
		s.error(w, r, err)
		return
	}
	rows, err := req.rows()
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := ps.Predict(r.Context(), r.PathValue("model"), rows)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set(TrainedModelHeader, p.Ref)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.Write(encodePrediction(p))
}

// rows reads the one form of rows the request gives.
func (req *predictRequest) rows() (server.Rows, error) {
	var given []string
	for name, set := range map[string]bool{"dataframe_split": req.DataframeSplit != nil, "dataframe_records": req.DataframeRecords != nil,
		"instances": req.Instances != nil, "inputs": req.Inputs != nil} {
		if set {
			given = append(given, name)
		}
	}
	switch {
	case len(given) == 0:
		return server.Rows{}, server.Errorf(server.EINVALID, "no rows given: send {\"dataframe_split\": {\"columns\": [...], \"data\": [[...]]}} or {\"dataframe_records\": [{...}]}")
	case len(given) > 1:
		return server.Rows{}, server.Errorf(server.EINVALID, "give the rows in one form, not %d (%s)", len(given), strings.Join(given, ", "))
	}
	if sp := req.DataframeSplit; sp != nil {
		rows := server.Rows{Columns: sp.Columns}
		for i, raw := range sp.Data {
			var vals []json.RawMessage
			if err := json.Unmarshal(raw, &vals); err != nil {
				return server.Rows{}, server.Errorf(server.EINVALID, "dataframe_split row %d is not an array of values", i+1)
			}
			if len(vals) != len(sp.Columns) {
				return server.Rows{}, server.Errorf(server.EINVALID, "dataframe_split row %d has %d values for %d columns", i+1, len(vals), len(sp.Columns))
			}
			row := make([]string, len(vals))
			for j, v := range vals {
				c, err := cell(v)
				if err != nil {
					return server.Rows{}, server.Errorf(server.EINVALID, "row %d column %q: %v", i+1, sp.Columns[j], err)
				}
				row[j] = c
			}
			rows.Data = append(rows.Data, row)
		}
		return rows, nil
	}
	recs := req.DataframeRecords
	if recs == nil {
		recs = req.Instances
	}
	if recs == nil {
		recs = req.Inputs
	}
	return recordRows(recs)
}

// recordRows reads records; the columns are the keys in the order they
// first appear (JSON objects are read in key order for a stable result),
// and a key a record lacks is a blank cell.
func recordRows(recs []map[string]json.RawMessage) (server.Rows, error) {
	var rows server.Rows
	index := map[string]int{}
	for _, rec := range recs {
		keys := make([]string, 0, len(rec))
		for k := range rec {
			if _, ok := index[k]; !ok {
				keys = append(keys, k)
			}
		}
		sortStrings(keys)
		for _, k := range keys {
			index[k] = len(rows.Columns)
			rows.Columns = append(rows.Columns, k)
		}
	}
	for i, rec := range recs {
		row := make([]string, len(rows.Columns))
		for k, v := range rec {
			c, err := cell(v)
			if err != nil {
				return server.Rows{}, server.Errorf(server.EINVALID, "record %d column %q: %v", i+1, k, err)
			}
			row[index[k]] = c
		}
		rows.Data = append(rows.Data, row)
	}
	return rows, nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// cell turns a JSON value into CSV cell text.
func cell(raw json.RawMessage) (string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "", errors.New("no value")
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n':
		return "", nil
	case 't', 'f':
		return string(t), nil
	case '{', '[':
		return "", errors.New("nested objects and arrays are not values: give a string, number, boolean or null")
	}
	return string(t), nil
}

// encodePrediction writes the answer with each row's columns in the
// recipe's order and numbers exactly as the recipe's scores hold them.
func encodePrediction(p *server.Prediction) []byte {
	var b bytes.Buffer
	b.WriteString(`{"predictions":[`)
	names := make([][]byte, len(p.Columns))
	for i, c := range p.Columns {
		names[i], _ = json.Marshal(c)
	}
	for i, row := range p.Data {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, v := range row {
			if j >= len(names) {
				break
			}
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(names[j])
			b.WriteByte(':')
			writeValue(&b, p.Types[j], v)
		}
		b.WriteByte('}')
	}
	b.WriteString(`],"trained_model":`)
	ref, _ := json.Marshal(p.Ref)
	b.Write(ref)
	model, _ := json.Marshal(p.Model)
	b.WriteString(`,"model":`)
	b.Write(model)
	b.WriteString(`,"version":`)
	b.WriteString(strconv.Itoa(p.Version))
	b.WriteString("}\n")
	return b.Bytes()
}

// writeValue writes a score cell as JSON: numbers as the recipe wrote them
// (so that they read back to the same float64), blanks and non-finite
// numbers as null.
func writeValue(b *bytes.Buffer, typ, v string) {
	number := func() bool {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || !json.Valid([]byte(v)) {
			return false
		}
		b.WriteString(v)
		return true
	}
	switch {
	case strings.HasPrefix(typ, "float") || strings.HasPrefix(typ, "int") || strings.HasPrefix(typ, "uint"):
		if !number() {
			b.WriteString("null")
		}
		return
	case typ == "bool":
		if v == "true" || v == "false" {
			b.WriteString(v)
			return
		}
		b.WriteString("null")
		return
	case typ == "" && v != "" && number():
		return
	}
	s, _ := json.Marshal(v)
	b.Write(s)
}

func (s *Server) getCanary(w http.ResponseWriter, r *http.Request) {
	ps, err := s.predictService()
	if err == nil {
		_, err = s.Models.FindModel(r.Context(), r.PathValue("name"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := ps.Canaries(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	// A model without a canary has one of weight 0.
	c := server.Canary{Model: r.PathValue("name")}
	for _, x := range list {
		if x.Model == c.Model {
			c = x
		}
	}
	writeJSON(w, 200, c)
}

func (s *Server) setCanary(w http.ResponseWriter, r *http.Request) {
	ps, err := s.predictService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Decoded with pointers to tell a missing field from zero; both are
	// required (canaryRequest documents them).
	var req struct {
		Version *int     `json:"version"`
		Weight  *float64 `json:"weight"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	version := 0
	switch {
	case req.Weight == nil:
		s.error(w, r, server.Errorf(server.EINVALID, "give the weight: the share of requests for the canary, from 0 to 1 (0 removes it)"))
		return
	case req.Version != nil && *req.Version < 1:
		s.error(w, r, server.Errorf(server.EINVALID, "version %d is not a trained version number", *req.Version))
		return
	case req.Version != nil:
		version = *req.Version
	case *req.Weight != 0:
		s.error(w, r, server.Errorf(server.EINVALID, "give the version the canary's requests go to"))
		return
	}
	if _, err := s.Models.FindModel(r.Context(), r.PathValue("name")); err != nil {
		s.error(w, r, err)
		return
	}
	c, err := ps.SetCanary(r.Context(), server.Canary{Model: r.PathValue("name"), Version: version, Weight: *req.Weight})
	respond(s, w, r, 200, c, err)
}

func (s *Server) serving(w http.ResponseWriter, r *http.Request) {
	ps, err := s.predictService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	canaries, err := ps.Canaries(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, 200, servingResponse{Serving: ps.Serving(r.Context()), Canaries: canaries})
}

// warmBeforeAlias loads the version an alias is about to name, when the
// model serves online requests, so that no request waits for it after the
// move. A version that cannot be served refuses the move: requests for
// the alias would all fail.
func (s *Server) warmBeforeAlias(r *http.Request, model string, version int) error {
	if s.Predict == nil {
		return nil
	}
	if err := s.Predict.Warm(r.Context(), model, version); err != nil {
		if server.ErrorCode(err) == server.ENOTFOUND {
			return err
		}
		return server.Errorf(server.ECONFLICT, "%s@%d cannot be served online, so the alias was not moved: %s", model, version, server.ErrorMessage(err))
	}
	return nil
}

// metricsHandler serves the online scoring counters, behind the token.
func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		s.error(w, r, server.Errorf(server.ENOTFOUND, "this server keeps no metrics"))
		return
	}
	s.Metrics.ServeHTTP(w, r)
}
