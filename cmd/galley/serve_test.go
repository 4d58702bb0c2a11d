package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

// These tests drive the real program: galley serve on 127.0.0.1:0 with a
// temporary home, worker processes from a freshly built galley binary, and
// the CLI commands users type.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// galleyBinary builds cmd/galley once per test process, unless
// $GALLEY_TEST_BINARY names a binary built already.
func galleyBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GALLEY_TEST_BINARY"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		// A fixed location per checkout, rebuilt each run, so repeated
		// runs leave nothing behind and two checkouts tested at once do
		// not run each other's workers.
		wd, _ := os.Getwd()
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("galley-e2e-%d-%08x", os.Getuid(), crc32.ChecksumIEEE([]byte(wd))))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "galley")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building galley: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// churnCSV returns the telco churn data: the real file when present,
// otherwise (outside CI) synthetic rows with the same columns.
func churnCSV(t testing.TB) (path string, rows int) {
	t.Helper()
	candidates := []string{filepath.Join("..", "..", "..", "shared", "datasets", "telco-churn.csv")}
	if d := os.Getenv("GALLEY_DATASETS"); d != "" {
		candidates = append([]string{filepath.Join(d, "telco-churn.csv")}, candidates...)
	}
	for _, c := range candidates {
		if b, err := os.ReadFile(c); err == nil {
			return c, bytes.Count(b, []byte("\n")) - 1
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("telco-churn.csv not found in $GALLEY_DATASETS or ../shared/datasets; CI must provide it")
	}
	p := filepath.Join(t.TempDir(), "telco-churn.csv")
	if err := os.WriteFile(p, syntheticChurn(3000, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, 3000
}

// syntheticChurn generates rows shaped like the telco churn data in which
// short tenure, month-to-month contracts and fibre raise churn.
func syntheticChurn(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	b.WriteString("customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn\n")
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	for i := 0; i < n; i++ {
		tenure := rng.Intn(72)
		contract := pick("Month-to-month", "One year", "Two year")
		internet := pick("DSL", "Fiber optic", "No")
		monthly := 20 + rng.Float64()*90
		total := fmt.Sprintf("%.2f", monthly*float64(tenure))
		if tenure == 0 {
			total = " "
		}
		z := -1.0 - 0.04*float64(tenure)
		if contract == "Month-to-month" {
			z += 1.5
		}
		if internet == "Fiber optic" {
			z += 0.8
		}
		churn := "No"
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			churn = "Yes"
		}
		fmt.Fprintf(&b, "C%05d,%s,%d,Yes,No,%d,Yes,No,%s,No,No,No,%s,No,No,%s,%s,%s,%.2f,%s,%s\n",
			i, pick("Male", "Female"), rng.Intn(2), tenure, internet, pick("Yes", "No"), contract, pick("Yes", "No"),
			pick("Electronic check", "Mailed check", "Credit card (automatic)"), monthly, total, churn)
	}
	return b.Bytes()
}

// startServe starts galley serve in this process.
func startServe(t testing.TB, home string, tweak func(m *serveMain)) *serveMain {
	t.Helper()
	m := &serveMain{Addr: "127.0.0.1:0", Home: home,
		MaxAttempts: 2, MaxUpload: 64 << 20, MaxBody: 8 << 20, execution: execution{Workers: 2, RunTimeout: 2 * time.Minute, MemoryLimit: 1 << 30, WorkerCommand: []string{galleyBinary(t), "run-attempt"}}}
	if tweak != nil {
		tweak(m)
	}
	// The CLI run in this process finds the server's token under its home.
	t.Setenv("GALLEY_HOME", home)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// startServeProcess starts galley serve as a process of its own on
// 127.0.0.1:0 with home as its home and its log going to stderr, and returns
// it with its URL. The process is killed when the test ends.
func startServeProcess(t testing.TB, home string, stderr io.Writer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	t.Setenv("GALLEY_HOME", home)
	cmd := exec.Command(galleyBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--home", home}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	// A process group of its own, as a shell gives a command it starts:
	// tests may signal the group as a terminal's Ctrl-C does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("galley serve did not report its address: %v", err)
	}
	url, ok := strings.CutPrefix(line, "galley serve: listening on ")
	if !ok {
		t.Fatalf("galley serve printed %q, want its address", line)
	}
	return cmd, strings.Fields(url)[0]
}

// galley runs a CLI command against url and returns its stdout; it fails
// the test when the exit status is not want.
func galley(t testing.TB, url string, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--server", url)
	code := run(context.Background(), args, &out, &errb)
	if code != want {
		t.Fatalf("galley %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func decodeRun(t testing.TB, s string) *server.Run {
	t.Helper()
	var r server.Run
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("decoding run %q: %v", s, err)
	}
	return &r
}

func TestEndToEndChurn(t *testing.T) {
	csv, rows := churnCSV(t)
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()

	out, _ := galley(t, url, 0, "dataset", "import", csv, "--name", "telco-churn")
	if !strings.Contains(out, fmt.Sprintf("imported telco-churn@1: %d rows, 21 columns", rows)) {
		t.Fatalf("import: %s", out)
	}
	nb := filepath.Join("..", "..", "testdata", "recipes", "churn.ipynb")
	out, _ = galley(t, url, 0, "recipe", "create", "churn", nb, "--author", "tester")
	if !strings.Contains(out, "created recipe churn version 1 (5 parameters") {
		t.Fatalf("recipe create: %s", out)
	}
	out, _ = galley(t, url, 0, "recipe", "create", nb, "--name", "churn")
	if !strings.Contains(out, "version 1 already has this content") {
		t.Fatalf("second recipe create: %s", out)
	}
	out, _ = galley(t, url, 0, "recipe", "show", "churn")
	if !strings.Contains(out, "epochs        int      40") || !strings.Contains(out, "author   tester") {
		t.Errorf("recipe show: %s", out)
	}
	galley(t, url, 0, "model", "create", "churn-model", "--recipe", "churn", "--dataset", "telco-churn", "-p", "epochs=25")

	start := time.Now()
	out, _ = galley(t, url, 0, "train", "churn-model", "--wait", "--json", "-p", "learningRate=0.4")
	r := decodeRun(t, out)
	t.Logf("training on %d rows took %s (run duration %dms)", rows, time.Since(start).Round(time.Millisecond), r.DurationMS)
	if r.State != server.RunSucceeded || r.TrainedModel != "churn-model@1" || r.RowsIn != rows || r.Params["epochs"] != "25" || r.Params["learningRate"] != "0.4" {
		t.Fatalf("training run = %+v", r)
	}
	if auc := r.Metrics["auc"]; auc < 0.7 || auc > 1 {
		t.Errorf("auc = %v, want a model better than chance", auc)
	}
	for _, k := range []string{"accuracy", "logloss"} {
		if _, ok := r.Metrics[k]; !ok {
			t.Errorf("metric %s not recorded: %v", k, r.Metrics)
		}
	}
	logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(r.ID))
	if !strings.Contains(logs, "for 25 epochs") || !strings.Contains(logs, "attempt 1 of 2 succeeded") {
		t.Errorf("logs: %s", logs)
	}
	galley(t, url, 0, "model", "alias", "churn-model", "production", "1")

	out, _ = galley(t, url, 0, "score", "churn-model@production", "--input", "telco-churn", "--output", "churn-scores", "--wait", "--json")
	s := decodeRun(t, out)
	if s.State != server.RunSucceeded || s.OutputSnapshot != "churn-scores@1" || s.RowsIn != rows || s.RowsOut != rows || s.TrainedModel != "churn-model@1" {
		t.Fatalf("scoring run = %+v", s)
	}
	out, _ = galley(t, url, 0, "dataset", "show", "churn-scores", "--json")
	var v server.DatasetVersion
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	l := v.Lineage
	if v.Rows != rows || strings.Join(v.Columns, ",") != "customerID,churn_probability,churn_predicted" || l == nil {
		t.Fatalf("output dataset = %+v", v)
	}
	if l.Recipe != "churn" || l.RecipeVersion != 1 || l.TrainedModel != "churn-model@1" || l.InputSnapshot != "telco-churn@1" || l.Params["epochs"] != "25" || l.RunID != s.ID {
		t.Errorf("lineage = %+v", l)
	}
	data, _ := galley(t, url, 0, "dataset", "show", "churn-scores", "--data")
	if got := strings.Count(data, "\n"); got != rows+1 {
		t.Errorf("output has %d lines, want %d", got, rows+1)
	}
	out, _ = galley(t, url, 0, "runs", "list")
	if !strings.Contains(out, "churn-scores@1") || !strings.Contains(out, "churn-model@1") {
		t.Errorf("runs list: %s", out)
	}
}

// sleepyNotebook is a recipe whose training sleeps for naptime
// milliseconds, for tests that need runs to be in flight.
func sleepyNotebook(t testing.TB) string {
	cell := func(tags []string, src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": fmt.Sprintf("c%d", len(src)), "metadata": map[string]any{"tags": tags}, "source": src, "outputs": []any{}}
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "metadata": map[string]any{}, "cells": []any{
		cell([]string{"parameters"}, "naptime := 0 // milliseconds Train sleeps\nscorenap := 0 // milliseconds Score sleeps"),
		cell(nil, `import (
	"fmt"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type Model struct{ Rows int }

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	fmt.Println("napping", naptime, "ms")
	time.Sleep(time.Duration(naptime) * time.Millisecond)
	return Model{Rows: f.NumRows()}, nil
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	time.Sleep(time.Duration(scorenap) * time.Millisecond)
	return f, nil
}`),
	}})
	p := filepath.Join(t.TempDir(), "sleepy.ipynb")
	os.WriteFile(p, b, 0o644)
	return p
}

func setupSleepy(t testing.TB, url string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "small.csv")
	os.WriteFile(data, syntheticChurn(50, 2), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "small")
	galley(t, url, 0, "recipe", "create", "sleepy", sleepyNotebook(t))
	galley(t, url, 0, "model", "create", "nap", "--recipe", "sleepy", "--dataset", "small")
}

func waitRun(t testing.TB, c *galleyhttp.Client, id int64, cond func(*server.Run) bool) *server.Run {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		r, err := c.FindRun(context.Background(), id)
		if err == nil && cond(r) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	r, _ := c.FindRun(context.Background(), id)
	t.Fatalf("run %d never reached the expected state; last: %+v", id, r)
	return nil
}

func TestTwentyRunsPoolOfTwo(t *testing.T) {
	// Datasets as CSV beside the database here; the other tests use the
	// Parquet catalog.
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.Datasets = "csv" })
	url := m.URL()
	setupSleepy(t, url)
	c := galleyhttp.ClientFromEnv(url)
	start := time.Now()
	var ids []int64
	for i := 0; i < 20; i++ {
		out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=50", "--json")
		ids = append(ids, decodeRun(t, out).ID)
	}
	maxRunning := 0
	for {
		running, _, err := c.FindRuns(context.Background(), server.RunFilter{State: server.RunRunning})
		if err != nil {
			t.Fatal(err)
		}
		maxRunning = max(maxRunning, len(running))
		done, _, _ := c.FindRuns(context.Background(), server.RunFilter{State: server.RunSucceeded})
		if len(done) == 20 {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("only %d of 20 runs succeeded", len(done))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if maxRunning > 2 {
		t.Errorf("%d runs ran at once with a pool of 2", maxRunning)
	}
	for _, id := range ids {
		r, err := c.FindRun(context.Background(), id)
		if err != nil || r.State != server.RunSucceeded {
			t.Errorf("queued run %d: %+v (%v)", id, r, err)
		}
	}
	versions, total, err := c.FindTrainedModels(context.Background(), server.TrainedModelFilter{Model: "nap", Page: server.Page{Limit: 100}})
	if err != nil || total != 20 || versions[0].Version != 20 {
		t.Errorf("trained versions: %d (%v)", total, err)
	}
	t.Logf("20 runs with a pool of 2 finished in %s; at most %d ran at once", time.Since(start).Round(time.Millisecond), maxRunning)
}

func TestKilledWorkerIsRetried(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	setupSleepy(t, url)
	c := galleyhttp.ClientFromEnv(url)
	out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=1500", "--json")
	id := decodeRun(t, out).ID
	r := waitRun(t, c, id, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	if err := syscall.Kill(r.WorkerPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r = waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunSucceeded || r.Attempt != 2 {
		t.Fatalf("run after its worker was killed = state %s attempt %d error %q; want succeeded on attempt 2", r.State, r.Attempt, r.Error)
	}
	logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(id))
	if !strings.Contains(logs, "attempt 1 of 2 failed: the worker process died: signal: killed") {
		t.Errorf("logs do not record the kill:\n%s", logs)
	}

	// With no attempts left the kill fails the run, and only that run.
	out, _ = galley(t, url, 0, "train", "nap", "-p", "naptime=1500", "--json")
	id = decodeRun(t, out).ID
	out, _ = galley(t, url, 0, "train", "nap", "-p", "naptime=10", "--json")
	other := decodeRun(t, out).ID
	for attempt := 1; attempt <= 2; attempt++ {
		r = waitRun(t, c, id, func(r *server.Run) bool {
			return r.Attempt == attempt && r.State == server.RunRunning && r.WorkerPID != 0
		})
		syscall.Kill(r.WorkerPID, syscall.SIGKILL)
	}
	r = waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunFailed || !strings.Contains(r.Error, "signal: killed") {
		t.Errorf("run killed twice = %s %q; want failed", r.State, r.Error)
	}
	if o := waitRun(t, c, other, func(r *server.Run) bool { return r.State.Final() }); o.State != server.RunSucceeded {
		t.Errorf("an unrelated run ended %s: %s", o.State, o.Error)
	}
}

func TestServerRestartMidRun(t *testing.T) {
	home := t.TempDir()
	// The first server is a separate process so it can be killed outright.
	cmd, url := startServeProcess(t, home, os.Stderr, "--max-attempts", "2")
	setupSleepy(t, url)
	c := galleyhttp.ClientFromEnv(url)
	out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=1000", "--json")
	id := decodeRun(t, out).ID
	r := waitRun(t, c, id, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	workerPID := r.WorkerPID
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The worker must not outlive its server.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(workerPID, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("worker %d outlived its server", workerPID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := startServe(t, home, nil)
	c = galleyhttp.ClientFromEnv(m.URL())
	r = waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunSucceeded || r.Attempt != 2 {
		t.Fatalf("run after the server restarted = %s attempt %d (%s); want succeeded on attempt 2", r.State, r.Attempt, r.Error)
	}
	running, _, _ := c.FindRuns(context.Background(), server.RunFilter{State: server.RunRunning})
	if len(running) != 0 {
		t.Errorf("%d runs still running", len(running))
	}
}

func TestBadInput(t *testing.T) {
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.MaxUpload = 16 << 10 })
	url := m.URL()
	setupSleepy(t, url)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	sleepy, _ := os.ReadFile(sleepyNotebook(t))
	noScore := strings.Replace(string(sleepy), "func Score(", "func Rate(", 1)
	broken := strings.Replace(string(sleepy), "return Model{Rows: f.NumRows()}, nil", "return Model{Rows: f.NumRows()}, nil, 1", 1)
	big := "a,b\n" + strings.Repeat("1,2\n", 8000)
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"nbformat 3", []string{"recipe", "create", "x", write("old.ipynb", `{"nbformat":3,"nbformat_minor":0,"worksheets":[]}`)}, "missing nbformat, nbformat_minor or cells"},
		{"not json", []string{"recipe", "create", "x", write("bad.ipynb", `{"cells": [`)}, "not valid JSON"},
		{"missing Score", []string{"recipe", "create", "x", write("noscore.ipynb", noScore)}, "the recipe has no Score: add func Score(cfg recipe.Config"},
		{"compile error names the cell", []string{"recipe", "create", "x", write("broken.ipynb", broken)}, "cell 1 (id "},
		{"wrong parameter type", []string{"model", "create", "m2", "--recipe", "sleepy", "--dataset", "small", "-p", "naptime=soon"}, `parameter naptime: "soon" is not an integer (want int)`},
		{"unknown parameter", []string{"train", "nap", "-p", "colour=red"}, `has no parameter "colour"`},
		{"unknown run", []string{"runs", "show", "999"}, "run 999 not found"},
		{"unknown model", []string{"train", "nope"}, `model "nope" not found`},
		{"unknown dataset", []string{"score", "nap", "--input", "nope", "--output", "o"}, "has not been trained yet"},
		{"unknown recipe", []string{"recipe", "show", "nope"}, `recipe "nope" not found`},
		{"oversized upload", []string{"dataset", "import", write("big.csv", big)}, "larger than this server's limit of 16 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := galley(t, url, 1, tt.args...)
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.msg)
			}
		})
	}
	// The same failures as HTTP statuses.
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/runs/999", "", 404},
		{"POST", "/api/models", `{"name":"m3","recipe":"sleepy","dataset":"small","params":{"naptime":"soon"}}`, 400},
		{"POST", "/api/recipes", `{"recipe":"x","notebook":{"nbformat":4,"nbformat_minor":9,"cells":[]}}`, 400},
		{"POST", "/api/datasets/big/versions", big, 413},
	} {
		req, _ := http.NewRequest(c.method, url+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+m.Token)
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(c.path, "/api/datasets/") {
			req.Header.Set("Content-Type", "text/csv")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}
}

func TestCancelAndFollowLogs(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	setupSleepy(t, url)
	c := galleyhttp.ClientFromEnv(url)
	out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=20000", "--json")
	id := decodeRun(t, out).ID
	waitRun(t, c, id, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	followed := make(chan string, 1)
	go func() {
		var out, errb bytes.Buffer
		run(context.Background(), []string{"runs", "logs", fmt.Sprint(id), "-f", "--server", url}, &out, &errb)
		followed <- out.String() + errb.String()
	}()
	waitRun(t, c, id, func(r *server.Run) bool {
		logs, _ := c.RunLogs(context.Background(), id, 0)
		return len(logs) > 1
	})
	start := time.Now()
	out, _ = galley(t, url, 0, "runs", "cancel", fmt.Sprint(id))
	if !strings.Contains(out, "running") {
		t.Errorf("cancel answered %q", out)
	}
	r := waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunCancelled || time.Since(start) > 10*time.Second {
		t.Errorf("run = %s after %s, want cancelled promptly", r.State, time.Since(start))
	}
	select {
	case logs := <-followed:
		if !strings.Contains(logs, "napping 20000 ms") || !strings.Contains(logs, "cancelled") {
			t.Errorf("followed logs:\n%s", logs)
		}
	case <-time.After(10 * time.Second):
		t.Error("runs logs -f did not return after the run was cancelled")
	}
	_, stderr := galley(t, url, 1, "runs", "cancel", fmt.Sprint(id))
	if !strings.Contains(stderr, "already cancelled") {
		t.Errorf("second cancel: %s", stderr)
	}
}
