package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/sample"
)

// sharedDataset returns the path of a real dataset under ../shared/datasets
// (or $GALLEY_DATASETS), or "" outside CI when it is absent.
func sharedDataset(t testing.TB, name string) string {
	t.Helper()
	candidates := []string{filepath.Join("..", "..", "..", "shared", "datasets", name)}
	if d := os.Getenv("GALLEY_DATASETS"); d != "" {
		candidates = append([]string{filepath.Join(d, name)}, candidates...)
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found in $GALLEY_DATASETS or ../shared/datasets; CI must provide it", name)
	}
	return ""
}

// thousandRows writes 1,000 rows of a template's data as CSV: rows spread
// evenly over the real file when it is present (both classes appear),
// otherwise synthetic rows of the same shape.
func thousandRows(t *testing.T, file string, synthetic func() (*data.Frame, error)) string {
	t.Helper()
	var f *data.Frame
	var err error
	if real := sharedDataset(t, file); real != "" {
		all, rerr := data.ReadCSV(real)
		if rerr != nil {
			t.Fatal(rerr)
		}
		step := all.NumRows() / 1000
		idx := make([]int, 1000)
		for i := range idx {
			idx[i] = i * step
		}
		f, err = all.Take(idx)
		all.Release()
	} else {
		f, err = synthetic()
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(file, ".csv")+"-1000.csv")
	if err := f.WriteCSV(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// readCSV reads a CSV file's header and rows as text.
func readCSV(t testing.TB, r io.Reader) ([]string, [][]string) {
	t.Helper()
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("reading CSV: %v", err)
	}
	return recs[0], recs[1:]
}

func column(t testing.TB, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

// predictHTTP posts body to the predict endpoint and returns the status,
// the Galley-Trained-Model header and the body.
func predictHTTP(t testing.TB, base, token, ref string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/models/"+ref+"/predict", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(galleyhttp.TrainedModelHeader), b
}

type predictBody struct {
	Predictions  []map[string]any `json:"predictions"`
	TrainedModel string           `json:"trained_model"`
	Version      int              `json:"version"`
}

// setupTemplate imports rows, creates the template's recipe and a model
// training on the rows, trains it and scores the rows in a scoring run.
// It returns the scoring run's output as CSV text.
func setupTemplate(t *testing.T, url, template, dataset, rows string, params ...string) string {
	t.Helper()
	// The template's notebook dry-runs on the dataset it names.
	galley(t, url, 0, "dataset", "import", rows, "--name", dataset)
	galley(t, url, 0, "recipe", "create", template, filepath.Join("..", "..", "templates", template, template+".ipynb"))
	args := []string{"model", "create", template, "--recipe", template, "--dataset", dataset}
	for _, p := range params {
		args = append(args, "-p", p)
	}
	galley(t, url, 0, args...)
	out, _ := galley(t, url, 0, "train", template, "--wait", "--json")
	if r := decodeRun(t, out); r.State != "succeeded" {
		t.Fatalf("training %s: %+v", template, r)
	}
	out, _ = galley(t, url, 0, "score", template+"@1", "--input", dataset, "--output", template+"-scores", "--wait", "--json")
	if r := decodeRun(t, out); r.State != "succeeded" {
		t.Fatalf("scoring %s: %+v", template, r)
	}
	scores, _ := galley(t, url, 0, "dataset", "show", template+"-scores", "--data")
	return scores
}

// TestOnlineScoring runs one galley serve for the online scoring tests:
// online scores equal batch scores to the last bit on both templates, an
// alias moves under load without a failed request, bad input gets clear
// errors, and the counters count.
func TestOnlineScoring(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url, token := m.URL(), m.Token

	churnRows := thousandRows(t, "telco-churn.csv", func() (*data.Frame, error) { return sample.Churn(1000, 1) })
	bankRows := thousandRows(t, "bank-marketing.csv", func() (*data.Frame, error) { return sample.Bank(1000, 1) })

	if !t.Run("churn online equals batch", func(t *testing.T) {
		batch := setupTemplate(t, url, "churn", "telco-churn", churnRows, "trees=40")
		bh, brows := readCSV(t, strings.NewReader(batch))
		f, err := os.Open(churnRows)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		header, rows := readCSV(t, f)
		if len(rows) != 1000 || len(brows) != 1000 {
			t.Fatalf("%d input rows, %d batch scores; want 1000 each", len(rows), len(brows))
		}
		idCol, pCol := column(t, bh, "customerID"), column(t, bh, "churn_probability")
		// One row per request, as a caller scoring one customer sends it,
		// in MLflow's dataframe_split form with the file's text.
		for i, row := range rows {
			body, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": header, "data": [][]string{row}}})
			status, served, b := predictHTTP(t, url, token, "churn@1", body)
			if status != 200 || served != "churn@1" {
				t.Fatalf("row %d: %d %q %s", i, status, served, b)
			}
			var got predictBody
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&got); err != nil || len(got.Predictions) != 1 || got.TrainedModel != "churn@1" {
				t.Fatalf("row %d: %v %s", i, err, b)
			}
			if id := fmt.Sprint(got.Predictions[0]["customerID"]); id != brows[i][idCol] {
				t.Fatalf("row %d: customerID %q online, %q in batch", i, id, brows[i][idCol])
			}
			sameBits(t, i, fmt.Sprint(got.Predictions[0]["churn_probability"]), brows[i][pCol])
		}
	}) {
		return
	}

	if !t.Run("propensity online equals batch", func(t *testing.T) {
		batch := setupTemplate(t, url, "propensity", "bank-marketing", bankRows, "trees=40")
		bh, brows := readCSV(t, strings.NewReader(batch))
		f, err := os.Open(bankRows)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		header, rows := readCSV(t, f)
		pCol := column(t, bh, "subscribe_probability")
		// Records with numbers as JSON numbers, 100 rows per request: the
		// recipe's Load numbers rows (row_id), so only the scores compare.
		for start := 0; start < len(rows); start += 100 {
			var recs []map[string]any
			for _, row := range rows[start : start+100] {
				rec := map[string]any{}
				for j, c := range row {
					if _, err := strconv.ParseFloat(c, 64); err == nil {
						rec[header[j]] = json.Number(c)
					} else {
						rec[header[j]] = c
					}
				}
				recs = append(recs, rec)
			}
			body, _ := json.Marshal(map[string]any{"dataframe_records": recs})
			status, served, b := predictHTTP(t, url, token, "propensity", body)
			if status != 200 || served != "propensity@1" {
				t.Fatalf("rows %d+: %d %q %s", start, status, served, b)
			}
			var got predictBody
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&got); err != nil || len(got.Predictions) != 100 {
				t.Fatalf("rows %d+: %v %s", start, err, b)
			}
			for k, p := range got.Predictions {
				sameBits(t, start+k, fmt.Sprint(p["subscribe_probability"]), brows[start+k][pCol])
			}
		}
	}) {
		return
	}

	t.Run("alias switch under load", func(t *testing.T) {
		// A second churn version, trained with other parameters.
		out, _ := galley(t, url, 0, "train", "churn", "--wait", "--json", "-p", "trees=20")
		if r := decodeRun(t, out); r.State != "succeeded" || r.TrainedModel != "churn@2" {
			t.Fatalf("second training: %+v", r)
		}
		galley(t, url, 0, "model", "alias", "churn", "production", "1")
		f, _ := os.Open(churnRows)
		header, rows := readCSV(t, f)
		f.Close()
		body, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": header, "data": [][]string{rows[0]}}})
		// Warm: the alias's version serves before the load starts.
		if status, _, b := predictHTTP(t, url, token, "churn@production", body); status != 200 {
			t.Fatalf("first request: %d %s", status, b)
		}
		var (
			stop              atomic.Bool
			switched          atomic.Int64 // unix nanos when the alias had moved
			total, v1, v2     atomic.Int64
			mu                sync.Mutex
			failures          []string
			lateOld           int
			wg                sync.WaitGroup
			prob1, prob2      sync.Map
			switchAt          = 800 * time.Millisecond
			loadFor           = 2 * time.Second
			clients           = 3
			probabilityColumn = "churn_probability"
		)
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					sent := time.Now().UnixNano()
					status, served, b := predictHTTP(t, url, token, "churn@production", body)
					total.Add(1)
					var got predictBody
					err := json.Unmarshal(b, &got)
					mu.Lock()
					switch {
					case status != 200 || err != nil || len(got.Predictions) != 1:
						failures = append(failures, fmt.Sprintf("%d %s", status, b))
					case served != got.TrainedModel:
						failures = append(failures, fmt.Sprintf("header says %q, body %q", served, got.TrainedModel))
					case served == "churn@1":
						v1.Add(1)
						prob1.Store(fmt.Sprint(got.Predictions[0][probabilityColumn]), true)
						if at := switched.Load(); at != 0 && sent > at {
							lateOld++
						}
					case served == "churn@2":
						v2.Add(1)
						prob2.Store(fmt.Sprint(got.Predictions[0][probabilityColumn]), true)
					default:
						failures = append(failures, "served by "+served)
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(switchAt)
		galley(t, url, 0, "model", "alias", "churn", "production", "2")
		switched.Store(time.Now().UnixNano())
		time.Sleep(loadFor - switchAt)
		stop.Store(true)
		wg.Wait()
		t.Logf("%d requests: %d by churn@1, %d by churn@2", total.Load(), v1.Load(), v2.Load())
		if len(failures) > 0 {
			t.Fatalf("%d of %d requests failed across the alias switch; first: %s", len(failures), total.Load(), failures[0])
		}
		if v1.Load() == 0 || v2.Load() == 0 {
			t.Fatalf("versions served: churn@1 %d, churn@2 %d; want both", v1.Load(), v2.Load())
		}
		if lateOld > 0 {
			t.Errorf("%d requests sent after the alias moved were served by the old version", lateOld)
		}
		// The two versions are different models: their scores differ.
		prob1.Range(func(k, _ any) bool {
			if _, same := prob2.Load(k); same {
				t.Errorf("both versions scored the row %v: are they the same model?", k)
			}
			return true
		})
	})

	t.Run("bad input", func(t *testing.T) {
		f, _ := os.Open(churnRows)
		header, rows := readCSV(t, f)
		f.Close()
		split := func(cols []string, row []any) []byte {
			b, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": cols, "data": [][]any{row}}})
			return b
		}
		row := make([]any, len(header))
		for i, c := range rows[0] {
			row[i] = c
		}
		good := split(header, row)
		tenure := column(t, header, "tenure")
		missing := split(append(append([]string{}, header[:tenure]...), header[tenure+1:]...), append(append([]any{}, row[:tenure]...), row[tenure+1:]...))
		wrong := append([]any{}, row...)
		wrong[tenure] = "eleven"
		huge := bytes.Repeat([]byte(" "), 10<<20)
		copy(huge, `{"dataframe_records": [`)
		cases := []struct {
			name, ref string
			body      []byte
			status    int
			code      string
			mention   string
		}{
			{"missing column", "churn@1", missing, 400, "invalid", "tenure"},
			{"wrong type", "churn@1", split(header, wrong), 400, "invalid", "tenure"},
			{"nested value", "churn@1", split(header, append([]any{map[string]any{"a": 1}}, row[1:]...)), 400, "invalid", "customerID"},
			{"empty body", "churn@1", nil, 400, "invalid", "JSON"},
			{"no rows", "churn@1", []byte(`{"dataframe_records": []}`), 400, "invalid", "rows"},
			{"two forms", "churn@1", []byte(`{"dataframe_records": [{"a": 1}], "instances": [{"a": 1}]}`), 400, "invalid", "one form"},
			{"10 MB body", "churn@1", huge, 413, "too_large", "--max-predict-body"},
			{"unknown model", "nosuchmodel@1", good, 404, "not_found", "nosuchmodel"},
			{"unknown alias", "churn@staging", good, 404, "not_found", "staging"},
			{"unknown version", "churn@99", good, 404, "not_found", "99"},
			{"malformed JSON", "churn@1", []byte(`{"dataframe_split": {"columns": ["a"], "data": [[1,]]}}`), 400, "invalid", "JSON"},
			{"instances of scalars", "churn@1", []byte(`{"instances": [1, 2]}`), 400, "invalid", "instances"},
		}
		for _, c := range cases {
			status, _, b := predictHTTP(t, url, token, c.ref, c.body)
			var e struct{ Code, Message string }
			if err := json.Unmarshal(b, &e); err != nil || status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.mention) {
				t.Errorf("%s: %d %s; want %d %s mentioning %q", c.name, status, b, c.status, c.code, c.mention)
			}
			// The service keeps serving.
			if status, served, b := predictHTTP(t, url, token, "churn@1", good); status != 200 || served != "churn@1" {
				t.Fatalf("after %s: %d %s", c.name, status, b)
			}
		}
	})

	t.Run("metrics and CLI", func(t *testing.T) {
		code, body := request(t, "GET", url+"/metrics", "", nil)
		if code != 401 {
			t.Errorf("/metrics without the token: %d %s", code, body)
		}
		code, body = request(t, "GET", url+"/metrics", "", map[string]string{"Authorization": "Bearer " + token})
		if code != 200 {
			t.Fatalf("/metrics: %d %s", code, body)
		}
		for _, want := range []string{`galley_predict_requests_total{code="ok",model="churn",version="1"}`, `galley_predict_requests_total{code="not_found",model="",version=""}`,
			`galley_predict_errors_total{code="invalid",model="churn"}`, `galley_predict_latency_seconds_bucket{model="propensity",version="1",le=`, "galley_predict_warm_versions",
			"\ngalley_predict_config_stale 0\n"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		rows := `{"dataframe_records": [{"customerID": "X-1", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No", "tenure": 3, "PhoneService": "Yes", "MultipleLines": "No", "InternetService": "Fiber optic", "OnlineSecurity": "No", "OnlineBackup": "No", "DeviceProtection": "No", "TechSupport": "No", "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month", "PaperlessBilling": "Yes", "PaymentMethod": "Electronic check", "MonthlyCharges": 80.5, "TotalCharges": 241.5}]}`
		out, _ := galley(t, url, 0, "predict", "churn@production", "--json", rows)
		var got galleyhttp.PredictResponse
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.TrainedModel != "churn@2" || len(got.Predictions) != 1 || got.Predictions[0]["customerID"] != "X-1" {
			t.Fatalf("galley predict: %v %s", err, out)
		}
		file := filepath.Join(t.TempDir(), "rows.json")
		os.WriteFile(file, []byte(rows), 0o644)
		out, _ = galley(t, url, 0, "predict", "churn@1", "--json", "@"+file)
		if !strings.Contains(out, `"trained_model": "churn@1"`) {
			t.Errorf("galley predict @file: %s", out)
		}
		_, stderr := galley(t, url, 1, "predict", "churn@nope", "--json", rows)
		if !strings.Contains(stderr, "nope") {
			t.Errorf("galley predict of an unknown alias: %s", stderr)
		}
		// A canary sends every default request to version 1 at weight 1.
		galley(t, url, 0, "predict", "canary", "churn", "--version", "1", "--weight", "1")
		out, _ = galley(t, url, 0, "predict", "churn", "--json", rows)
		if !strings.Contains(out, `"trained_model": "churn@1"`) {
			t.Errorf("with a full canary on version 1, churn was served by: %s", out)
		}
		out, _ = galley(t, url, 0, "predict", "churn@2", "--json", rows)
		if !strings.Contains(out, `"trained_model": "churn@2"`) {
			t.Errorf("an explicit version must not go to the canary: %s", out)
		}
		galley(t, url, 0, "predict", "canary", "churn", "--weight", "0")
		out, _ = galley(t, url, 0, "predict", "status", "--json")
		for _, want := range []string{`"ref": "churn@1"`, `"ref": "churn@2"`, `"ref": "propensity@1"`} {
			if !strings.Contains(out, want) {
				t.Errorf("predict status lacks %s: %s", want, out)
			}
		}
	})

	t.Run("services page", func(t *testing.T) {
		code, body := request(t, "GET", url+"/ui/services", "", map[string]string{"Authorization": "Bearer " + token})
		if code != 200 || !strings.Contains(body, `data-serving="churn@1"`) || !strings.Contains(body, `data-serving="propensity@1"`) {
			t.Errorf("services page: %d %s", code, body)
		}
	})
}

// sameBits fails unless two score texts are the same float64.
func sameBits(t *testing.T, row int, online, batch string) {
	t.Helper()
	a, err1 := strconv.ParseFloat(online, 64)
	b, err2 := strconv.ParseFloat(batch, 64)
	if err1 != nil || err2 != nil || math.Float64bits(a) != math.Float64bits(b) {
		t.Fatalf("row %d: online score %q, batch score %q", row, online, batch)
	}
}
