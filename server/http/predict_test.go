package http

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

func TestPredictRequestForms(t *testing.T) {
	want := server.Rows{Columns: []string{"a", "b", "c", "d"}, Data: [][]string{{"1.50", "x", "true", ""}, {"-2e3", "y,z", "false", "q"}}}
	for _, c := range []struct {
		name, body string
		want       server.Rows
	}{
		{"dataframe_split", `{"dataframe_split": {"columns": ["a","b","c","d"], "data": [[1.50, "x", true, null], [-2e3, "y,z", false, "q"]]}}`, want},
		{"dataframe_split with index", `{"dataframe_split": {"index": [0, 1], "columns": ["a","b","c","d"], "data": [[1.50, "x", true, null], [-2e3, "y,z", false, "q"]]}}`, want},
		// Keys are taken in sorted order; a key a record lacks is blank.
		{"dataframe_records", `{"dataframe_records": [{"b": "x", "a": 1.50, "c": true}, {"d": "q", "a": -2e3, "b": "y,z", "c": false}]}`, want},
		{"instances", `{"instances": [{"a": 1.50, "b": "x", "c": true, "d": null}, {"a": -2e3, "b": "y,z", "c": false, "d": "q"}]}`, want},
		{"inputs", `{"inputs": [{"a": 1.50, "b": "x", "c": true, "d": null}, {"a": -2e3, "b": "y,z", "c": false, "d": "q"}]}`, want},
	} {
		var req predictRequest
		if err := json.Unmarshal([]byte(c.body), &req); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := req.rows()
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	for _, c := range []struct{ name, body, want string }{
		{"nothing", `{}`, "no rows given"},
		{"two forms", `{"instances": [{"a": 1}], "inputs": [{"a": 1}]}`, "one form, not 2"},
		{"short row", `{"dataframe_split": {"columns": ["a","b"], "data": [[1]]}}`, "row 1 has 1 values for 2 columns"},
		{"row not an array", `{"dataframe_split": {"columns": ["a"], "data": [1]}}`, "row 1 is not an array"},
		{"nested", `{"dataframe_records": [{"a": [1, 2]}]}`, `record 1 column "a": nested`},
	} {
		var req predictRequest
		if err := json.Unmarshal([]byte(c.body), &req); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := req.rows(); err == nil || server.ErrorCode(err) != server.EINVALID || !strings.Contains(server.ErrorMessage(err), c.want) {
			t.Errorf("%s: %v, want an invalid error mentioning %q", c.name, err, c.want)
		}
	}
}

func TestEncodePrediction(t *testing.T) {
	// Scores keep the recipe's text: each reads back to the same float64.
	third := strconv.FormatFloat(1.0/3, 'g', -1, 64)
	p := &server.Prediction{Model: "m", Version: 2, Ref: "m@2", Columns: []string{"id", "p", "n", "ok", "note"},
		Types: []string{"string", "float64", "int64", "bool", ""},
		Data:  [][]string{{"007", third, "3", "true", "1e-05"}, {"x\"y", "NaN", "", "maybe", "text"}}}
	b := encodePrediction(p)
	var got struct {
		Predictions  []map[string]any `json:"predictions"`
		TrainedModel string           `json:"trained_model"`
		Model        string           `json:"model"`
		Version      int              `json:"version"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	want := []map[string]any{
		{"id": "007", "p": 1.0 / 3, "n": 3.0, "ok": true, "note": 1e-05},
		{"id": "x\"y", "p": nil, "n": nil, "ok": nil, "note": "text"},
	}
	if !reflect.DeepEqual(got.Predictions, want) || got.TrainedModel != "m@2" || got.Model != "m" || got.Version != 2 {
		t.Fatalf("got %+v from %s", got, b)
	}
	if math.Float64bits(got.Predictions[0]["p"].(float64)) != math.Float64bits(1.0/3) {
		t.Error("the score does not read back to the same bits")
	}
	if !strings.HasPrefix(string(b), `{"predictions":[{"id":"007","p":`) {
		t.Errorf("columns are not in the recipe's order: %s", b)
	}
}
