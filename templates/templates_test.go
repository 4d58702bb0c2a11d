// The tests take each template both ways: through nbclient with the real
// galley kernel, and through the real `galley serve` with the CLI commands
// templates/README.md gives.

package templates

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/sample"
)

// template describes one template and what its runs must show.
type template struct {
	name    string // directory, notebook and recipe name
	dataset string // the dataset its notebook metadata samples for the dry run
	file    string // the real file, as stdlib/sample names it
	// synthetic is the look-alike used when the real file is absent.
	synthetic func() (*data.Frame, error)
	label     string // label column and its positive value
	positive  string
	id, score string // the scored output's columns
	// drivers is how many top drivers Score writes after the score, three
	// columns each.
	drivers int
	rate    string // metric holding the held-out positive rate
	// minAUC is the held-out AUC the default model must reach on the real
	// data and on the synthetic look-alike, whose signal is weaker.
	minAUC, minAUCSynthetic float64
}

var templates = []template{
	{
		name: "churn", dataset: "telco-churn", file: sample.TelcoFile,
		synthetic: func() (*data.Frame, error) { return sample.Churn(7043, 1) },
		label:     "Churn", positive: "Yes", id: "customerID", score: "churn_probability", rate: "churn_rate", drivers: 3,
		minAUC: 0.80, minAUCSynthetic: 0.72,
	},
	{
		name: "propensity", dataset: "bank-marketing", file: sample.BankFile,
		synthetic: func() (*data.Frame, error) { return sample.Bank(41188, 1) },
		label:     "y", positive: "1", id: "row_id", score: "subscribe_probability", rate: "subscribe_rate",
		minAUC: 0.76, minAUCSynthetic: 0.62,
	},
}

// input is the dataset a template runs on.
type input struct {
	path string
	real bool
	rows int
	ids  []string // the id column as Score should reproduce it
	rate float64  // share of positive labels
}

// dataFor returns the real file when it is available (CI must provide it)
// and otherwise writes the synthetic look-alike to a temporary CSV.
func dataFor(t *testing.T, tp template) input {
	t.Helper()
	in := input{}
	in.path, in.real = sample.Locate(tp.file)
	var f *data.Frame
	var err error
	if in.real {
		f, err = data.ReadCSV(in.path)
	} else {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found in $GALLEY_DATASETS or ../shared/datasets; CI must provide it", tp.file)
		}
		t.Logf("%s not found: using the synthetic look-alike", tp.file)
		if f, err = tp.synthetic(); err == nil {
			in.path = filepath.Join(t.TempDir(), tp.file)
			err = f.WriteCSV(in.path)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	in.rows = f.NumRows()
	labels, err := f.Column(tp.label)
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	for i := 0; i < in.rows; i++ {
		if fmt.Sprint(labels.Value(i)) == tp.positive {
			pos++
		}
	}
	in.rate = float64(pos) / float64(in.rows)
	if f.Has(tp.id) {
		c, _ := f.Column(tp.id)
		if in.ids, err = c.Strings(); err != nil {
			t.Fatal(err)
		}
	} else {
		// The file has no id: Load numbers the rows from 1.
		for i := 1; i <= in.rows; i++ {
			in.ids = append(in.ids, strconv.Itoa(i))
		}
	}
	return in
}

// checkMetrics asserts that a model trained by the template learned
// something real: it must beat chance on AUC, beat the constant prediction
// on log loss, and put more positives in its top tenth than a random tenth
// holds.
func checkMetrics(t *testing.T, tp template, in input, m map[string]float64, minAUC float64) {
	t.Helper()
	for _, k := range []string{"auc", "auc_pr", "logloss", "accuracy", "lift_top_decile", "gain_top_30_pct", tp.rate} {
		v, ok := m[k]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("metric %s = %v (recorded: %v), want a finite value", k, v, ok)
		}
	}
	if m["auc"] < minAUC || m["auc"] > 1 {
		t.Errorf("auc = %.4f, want at least %.2f", m["auc"], minAUC)
	}
	// The held-out part is stratified, so its positive rate is the file's.
	if r := m[tp.rate]; math.Abs(r-in.rate) > 0.01 {
		t.Errorf("%s = %.4f, but %.4f of the rows are positive", tp.rate, r, in.rate)
	}
	r := in.rate
	constant := -(r*math.Log(r) + (1-r)*math.Log(1-r))
	if m["logloss"] <= 0 || m["logloss"] >= constant {
		t.Errorf("logloss = %.4f, want below %.4f, the log loss of always predicting the base rate", m["logloss"], constant)
	}
	if m["lift_top_decile"] < 1.5 {
		t.Errorf("lift_top_decile = %.3f, want the top tenth well above the base rate", m["lift_top_decile"])
	}
	if g := m["gain_top_30_pct"]; g <= 0.35 || g > 1 {
		t.Errorf("gain_top_30_pct = %.3f, want more than a random 30%% would hold", g)
	}
	if a := m["accuracy"]; a < 1-r-0.02 || a > 1 {
		t.Errorf("accuracy = %.4f, want at least about the majority share %.4f", a, 1-r)
	}
}

func (tp template) auc(in input) float64 {
	if in.real {
		return tp.minAUC
	}
	return tp.minAUCSynthetic
}

// executed is the part of an executed notebook the tests read.
type executed struct {
	Cells []struct {
		CellType       string `json:"cell_type"`
		ExecutionCount *int   `json:"execution_count"`
		Outputs        []struct {
			OutputType string                     `json:"output_type"`
			Text       multiline                  `json:"text"`
			Data       map[string]json.RawMessage `json:"data"`
		} `json:"outputs"`
	} `json:"cells"`
}

// multiline is nbformat text: a string or a list of lines.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*m = multiline(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return err
	}
	*m = multiline(strings.Join(lines, ""))
	return nil
}

// text returns everything the notebook printed or displayed as plain text.
func (nb *executed) text() string {
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			b.WriteString(string(o.Text))
			if raw, ok := o.Data["text/plain"]; ok {
				var s multiline
				if json.Unmarshal(raw, &s) == nil {
					b.WriteString(string(s) + "\n")
				}
			}
		}
	}
	return b.String()
}

var (
	metricLine  = regexp.MustCompile(`(?m)^([a-z_0-9]+) = (-?[0-9.]+)$`)
	tryLine     = regexp.MustCompile(`(?m)^rows (\d+) \(train (\d+), test (\d+)\)`)
	scoredLine  = regexp.MustCompile(`(?m)^scored rows (\d+)$`)
	realLine    = regexp.MustCompile(`(?m)^real data: (true|false)$`)
	leakLine    = regexp.MustCompile(`(?m)^with duration (true|false) +held-out AUC ([0-9.]+)$`)
	trainedLine = regexp.MustCompile(`trained (gbm|logistic) on (\d+) `)
)

// TestNotebooksRunInKernel executes each template top to bottom with the
// galley kernel through nbclient, as "Run All" would, and checks what the
// cells printed: the data it found, the metrics recipe.Try measured and the
// scored rows.
func TestNotebooksRunInKernel(t *testing.T) {
	py := jupytertest.Python(t)
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley")
	root := jupytertest.RepoRoot(t)
	for _, tp := range templates {
		t.Run(tp.name, func(t *testing.T) {
			in := dataFor(t, tp)
			dir, err := filepath.Abs(tp.name)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), tp.name+".ipynb")
			cmd := exec.Command(py, filepath.Join(root, "testdata", "python", "run_notebook.py"),
				filepath.Join(dir, tp.name+".ipynb"), out, "--kernel", "galley", "--timeout", "300", "--cwd", dir)
			// The kernel's TMPDIR is the test's, so a synthetic file written
			// there is cleaned up with it.
			cmd.Env = append(jupytertest.KernelEnv(t, prefix), "GALLEY_HOME="+t.TempDir(), "TMPDIR="+t.TempDir())
			start := time.Now()
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("nbclient run of %s failed: %v\n%s", tp.name, err, b)
			}
			t.Logf("%s ran in the kernel in %s", tp.name, time.Since(start).Round(time.Millisecond))
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var nb executed
			if err := json.Unmarshal(raw, &nb); err != nil {
				t.Fatal(err)
			}
			for i, c := range nb.Cells {
				if c.CellType == "code" && c.ExecutionCount == nil {
					t.Errorf("cell %d did not run", i)
				}
			}
			text := nb.text()

			if m := realLine.FindStringSubmatch(text); m == nil || m[1] != strconv.FormatBool(in.real) {
				t.Errorf("the notebook reports real data %v, the test found real data %v", m, in.real)
			}
			m := tryLine.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no recipe.Try summary in the output:\n%.3000s", text)
			}
			rows, _ := strconv.Atoi(m[1])
			trainRows, _ := strconv.Atoi(m[2])
			testRows, _ := strconv.Atoi(m[3])
			if rows != in.rows || trainRows+testRows != rows || math.Abs(float64(testRows)/float64(rows)-0.25) > 0.01 {
				t.Errorf("recipe.Try: rows %d (train %d, test %d), want %d rows with a quarter held out", rows, trainRows, testRows, in.rows)
			}
			if m := scoredLine.FindStringSubmatch(text); m == nil || m[1] != strconv.Itoa(in.rows) {
				t.Errorf("scored rows = %v, want %d", m, in.rows)
			}
			metrics := map[string]float64{}
			for _, m := range metricLine.FindAllStringSubmatch(text, -1) {
				v, err := strconv.ParseFloat(m[2], 64)
				if err != nil {
					t.Fatal(err)
				}
				metrics[m[1]] = v
			}
			checkMetrics(t, tp, in, metrics, tp.auc(in))
			t.Logf("%s in the kernel (real data %v): auc %.4f, logloss %.4f, lift_top_decile %.2f, gain_top_30_pct %.3f",
				tp.name, in.real, metrics["auc"], metrics["logloss"], metrics["lift_top_decile"], metrics["gain_top_30_pct"])
			if m := trainedLine.FindStringSubmatch(text); m == nil || m[1] != "gbm" || m[2] != strconv.Itoa(trainRows) {
				t.Errorf("Train printed %v, want gbm on the %d training rows", m, trainRows)
			}
			// The last cell shows the head of the scores.
			head := fmt.Sprintf("Frame 5 rows × %d columns\n%s", len(tp.columns()), tp.id)
			if !strings.Contains(text, head) || !strings.Contains(text, tp.score) {
				t.Errorf("no head of the scores with columns %s, %s in the output", tp.id, tp.score)
			}
			switch tp.name {
			case "churn":
				// The explanations and tuning section: a table of drivers
				// for eight customers, a waterfall and a ranked search.
				if !strings.Contains(text, "Top 3 drivers per row (contributions in log-odds") {
					t.Errorf("no table of explanations in the output")
				}
				if !regexp.MustCompile(`(?m)^Search: 4 trials ranked by mean auc over folds$`).MatchString(text) {
					t.Errorf("no search results table in the output")
				}
				// Load fills the blank TotalCharges of new customers.
				if !regexp.MustCompile(`(?m)^TotalCharges +float64 +null +0\.0% `).MatchString(text) {
					t.Errorf("the profile does not show TotalCharges as a float64 column without nulls")
				}
			case "propensity":
				checkLeak(t, text)
			}
		})
	}
}

// checkLeak asserts what the propensity notebook explains: with duration a
// model scores much higher on the held-out rows than it can before a call.
func checkLeak(t *testing.T, text string) {
	t.Helper()
	auc := map[string]float64{}
	for _, m := range leakLine.FindAllStringSubmatch(text, -1) {
		auc[m[1]], _ = strconv.ParseFloat(m[2], 64)
	}
	if len(auc) != 2 {
		t.Fatalf("the duration comparison printed %v, want the AUC with and without duration", auc)
	}
	if auc["true"] < auc["false"]+0.1 {
		t.Errorf("AUC with duration %.3f, without %.3f: the leak should stand out", auc["true"], auc["false"])
	}
	t.Logf("duration leak: held-out AUC %.3f with it, %.3f without", auc["true"], auc["false"])
}

// serve is a `galley serve` process on 127.0.0.1:0 with a temporary home.
type serve struct {
	bin, url string
	home     string // the CLI finds the server's token under it
	mu       sync.Mutex
	log      bytes.Buffer
}

func (s *serve) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

func (s *serve) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func startServe(t *testing.T, bin string) *serve {
	t.Helper()
	s := &serve{bin: bin, home: t.TempDir()}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--home", s.home, "--workers", "2", "--run-timeout", "5m")
	cmd.Env = append(os.Environ(), "GALLEY_TOKEN=")
	cmd.Stderr = s
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("galley serve did not stop within 15s of SIGTERM")
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	select {
	case l := <-lines:
		m := addr.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("galley serve printed %q, want its address", l)
		}
		s.url = m[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("galley serve did not report its address in 30s\n%s", s.logs())
	}
	return s
}

// galley runs a CLI command against the server and returns its stdout.
func (s *serve) galley(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append(args, "--server", s.url)...)
	cmd.Env = append(os.Environ(), "GALLEY_TOKEN=", "GALLEY_HOME="+s.home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("galley %s: %v\nstdout: %s\nstderr: %s\nserver log:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String(), s.logs())
	}
	return stdout.String()
}

func (s *serve) run(t *testing.T, args ...string) *server.Run {
	t.Helper()
	out := s.galley(t, append(args, "--wait", "--json")...)
	var r server.Run
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decoding the run printed by galley %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if r.State != server.RunSucceeded {
		logs := s.galley(t, "runs", "logs", strconv.FormatInt(r.ID, 10))
		t.Fatalf("galley %s: run %d %s: %s\nlogs:\n%s", strings.Join(args, " "), r.ID, r.State, r.Error, logs)
	}
	return &r
}

// TestTemplatesOnServer takes each template through the real galley binary
// the way templates/README.md says: import the data, create the recipe from
// the notebook (which dry-runs it on a sample), create a model, train it
// (with the default GBM and, overriding a parameter per run, the logistic
// regression), score the dataset and read the scores back.
func TestTemplatesOnServer(t *testing.T) {
	bin := jupytertest.BuildGalley(t)
	s := startServe(t, bin)
	for _, tp := range templates {
		t.Run(tp.name, func(t *testing.T) {
			in := dataFor(t, tp)
			out := s.galley(t, "dataset", "import", in.path, "--name", tp.dataset)
			if want := fmt.Sprintf("imported %s@1: %d rows", tp.dataset, in.rows); !strings.Contains(out, want) {
				t.Fatalf("dataset import printed %q, want %q", out, want)
			}

			nb := filepath.Join(tp.name, tp.name+".ipynb")
			start := time.Now()
			out = s.galley(t, "recipe", "create", nb, "--name", tp.name)
			if !strings.Contains(out, fmt.Sprintf("created recipe %s version 1 (%d parameters", tp.name, len(tp.params()))) {
				t.Fatalf("recipe create: %s", out)
			}
			t.Logf("recipe create with its dry run took %s", time.Since(start).Round(time.Millisecond))
			out = s.galley(t, "recipe", "show", tp.name)
			for _, p := range tp.params() {
				if !strings.Contains(out, p) {
					t.Errorf("recipe show lists no parameter %s:\n%s", p, out)
				}
			}
			// The comment on each parameter line is its description.
			for _, d := range []string{"for gradient-boosted trees", "boosting rounds (gbm)", "seeds the split"} {
				if !strings.Contains(out, d) {
					t.Errorf("recipe show lacks the description %q:\n%s", d, out)
				}
			}
			src := s.galley(t, "recipe", "show", tp.name, "--source")
			for _, fn := range []string{"func Load(", "func Split(", "func Train(", "func Evaluate(", "func Score("} {
				if !strings.Contains(src, fn) {
					t.Errorf("recipe source has no %s", fn)
				}
			}
			// Exploration cells stay in the notebook.
			for _, gone := range []string{"sample.Locate", "recipe.Try", "data.Profile", "ml.Search", ".Waterfall("} {
				if strings.Contains(src, gone) {
					t.Errorf("recipe source contains %s, which only exploration cells use", gone)
				}
			}

			model := tp.name + "-model"
			s.galley(t, "model", "create", model, "--recipe", tp.name, "--dataset", tp.dataset, "-p", "trees=250")
			start = time.Now()
			r := s.run(t, "train", model)
			t.Logf("training the gbm on %d rows took %s", in.rows, time.Since(start).Round(time.Millisecond))
			if r.TrainedModel != model+"@1" || r.RowsIn != in.rows || r.Params["trees"] != "250" {
				t.Errorf("training run = %+v", r)
			}
			checkMetrics(t, tp, in, r.Metrics, tp.auc(in))
			if tp.name == "churn" {
				// The churn template records the curves the model comparison overlays.
				for _, name := range []string{"roc", "lift"} {
					if c := r.Curves[name]; len(c.X) < 2 || len(c.X) != len(c.Y) {
						t.Errorf("training run curve %s = %+v, want its points", name, c)
					}
				}
			}
			logs := s.galley(t, "runs", "logs", strconv.FormatInt(r.ID, 10))
			if m := trainedLine.FindStringSubmatch(logs); m == nil || m[1] != "gbm" {
				t.Errorf("training logs: %s", logs)
			}
			t.Logf("%s gbm on the server: %s", tp.name, metricSummary(r.Metrics))

			r2 := s.run(t, "train", model, "-p", "modelKind=logistic")
			if r2.TrainedModel != model+"@2" || r2.Params["modelKind"] != "logistic" || r2.Params["trees"] != "250" {
				t.Errorf("logistic training run = %+v", r2)
			}
			checkMetrics(t, tp, in, r2.Metrics, tp.auc(in)-0.03)
			logs = s.galley(t, "runs", "logs", strconv.FormatInt(r2.ID, 10))
			if m := trainedLine.FindStringSubmatch(logs); m == nil || m[1] != "logistic" {
				t.Errorf("logistic training logs: %s", logs)
			}
			t.Logf("%s logistic on the server: %s", tp.name, metricSummary(r2.Metrics))

			scores := tp.name + "-scores"
			start = time.Now()
			sc := s.run(t, "score", model+"@1", "--input", tp.dataset, "--output", scores)
			t.Logf("scoring %d rows took %s", in.rows, time.Since(start).Round(time.Millisecond))
			if sc.RowsIn != in.rows || sc.RowsOut != in.rows || sc.OutputSnapshot != scores+"@1" {
				t.Errorf("scoring run = %+v", sc)
			}
			var v server.DatasetVersion
			if err := json.Unmarshal([]byte(s.galley(t, "dataset", "show", scores, "--json")), &v); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Columns, tp.columns()) || v.Rows != in.rows {
				t.Errorf("scores dataset = %d rows, columns %v; want %d rows of %v", v.Rows, v.Columns, in.rows, tp.columns())
			}
			if l := v.Lineage; l == nil || l.Recipe != tp.name || l.TrainedModel != model+"@1" || l.InputSnapshot != tp.dataset+"@1" || l.RunID != sc.ID {
				t.Errorf("scores lineage = %+v", v.Lineage)
			}
			data := s.galley(t, "dataset", "show", scores, "--data")
			checkScores(t, tp, in, data)
			if tp.name == "propensity" {
				checkNoDuration(t, s, in, model, data)
			}
			if tp.name == "churn" {
				checkProfiles(t, s, tp, in, model, data)
			}
		})
	}
}

func metricSummary(m map[string]float64) string {
	return fmt.Sprintf("auc %.4f, logloss %.4f, lift_top_decile %.2f, gain_top_30_pct %.3f, accuracy %.4f",
		m["auc"], m["logloss"], m["lift_top_decile"], m["gain_top_30_pct"], m["accuracy"])
}

// params returns the parameters the template's recipe declares.
func (tp template) params() []string {
	p := []string{"modelKind", "trees", "learningRate", "maxLeaves", "testFraction", "seed"}
	if tp.drivers > 0 {
		p = append(p, "drivers")
	}
	return p
}

// columns returns the scored output's columns.
func (tp template) columns() []string {
	cols := []string{tp.id, tp.score}
	for i := 1; i <= tp.drivers; i++ {
		d := fmt.Sprintf("driver_%d", i)
		cols = append(cols, d, d+"_value", d+"_contribution")
	}
	return cols
}

// checkDrivers checks a score row's drivers: distinct input columns, each
// with a value and a contribution no smaller than the next one's.
func checkDrivers(t *testing.T, tp template, row int, r []string) {
	t.Helper()
	seen := map[string]bool{}
	prev := math.Inf(1)
	for i := 0; i < tp.drivers; i++ {
		name, value, contrib := r[3*i], r[3*i+1], r[3*i+2]
		c, err := strconv.ParseFloat(contrib, 64)
		if name == "" || name == tp.id || name == tp.label || seen[name] || value == "" || err != nil || math.Abs(c) > prev+1e-12 {
			t.Fatalf("score row %d: driver %d is %q = %q contributing %q; want distinct feature columns with values, by falling size", row, i+1, name, value, contrib)
		}
		seen[name], prev = true, math.Abs(c)
	}
}

// checkScores reads the scoring output: one row per input row in input
// order, keyed by the id the input has (or the row number Load gives it),
// with probabilities that vary and rank positives above negatives.
func checkScores(t *testing.T, tp template, in input, text string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("scores are not CSV: %v", err)
	}
	if len(recs) != in.rows+1 || !slices.Equal(recs[0], tp.columns()) {
		t.Fatalf("scores: %d lines, header %v; want %d rows under %v", len(recs), recs[0], in.rows, tp.columns())
	}
	lo, hi, sum := 1.0, 0.0, 0.0
	for i, r := range recs[1:] {
		if r[0] != in.ids[i] {
			t.Fatalf("score row %d has id %q, want %q: scores must keep the input's ids in order", i+1, r[0], in.ids[i])
		}
		p, err := strconv.ParseFloat(r[1], 64)
		if err != nil || p < 0 || p > 1 {
			t.Fatalf("score row %d: %s = %q, want a probability", i+1, tp.score, r[1])
		}
		lo, hi, sum = min(lo, p), max(hi, p), sum+p
		checkDrivers(t, tp, i+1, r[2:])
	}
	mean := sum / float64(in.rows)
	if hi-lo < 0.3 || math.Abs(mean-in.rate) > 0.05 {
		t.Errorf("probabilities range over [%.3f, %.3f] with mean %.3f; want a spread around the base rate %.3f", lo, hi, mean, in.rate)
	}
}

// galleyFails runs a CLI command that must fail and returns its stderr.
func (s *serve) galleyFails(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append(args, "--server", s.url)...)
	cmd.Env = append(os.Environ(), "GALLEY_TOKEN=", "GALLEY_HOME="+s.home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("galley %s succeeded; want it refused", strings.Join(args, " "))
	}
	return stderr.String()
}

// checkProfiles takes the churn template where its README ends: the scores
// of both trained versions land in the customers profile set keyed by
// customerID. Each customer has one profile holding the newer run's
// scores (the same as that run's output dataset) and a history of both
// runs; scoring the same version again changes nothing; export writes every
// profile. Scoring into the model's own training dataset is refused.
func checkProfiles(t *testing.T, s *serve, tp template, in input, model, firstScores string) {
	t.Helper()
	stderr := s.galleyFails(t, "score", model+"@1", "--input", tp.dataset, "--output", tp.dataset)
	if !strings.Contains(stderr, "training dataset of model "+model) || !strings.Contains(stderr, "--force") {
		t.Errorf("scoring into the training dataset: %s", stderr)
	}
	first := s.run(t, "score", model+"@1", "--input", tp.dataset, "--profile", "customers", "--id", tp.id)
	if first.Profile == nil || first.Profile.Name != "customers" || first.RowsOut != in.rows || first.OutputSnapshot != "" {
		t.Errorf("scoring run into the profile set = %+v", first)
	}
	second := s.run(t, "score", model+"@2", "--input", tp.dataset, "--profile", "customers", "--id", tp.id, "--output", "churn-scores-2")
	var sets []server.ProfileSet
	if err := json.Unmarshal([]byte(s.galley(t, "profile", "list", "--json")), &sets); err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 || sets[0].Name != "customers" || sets[0].Profiles != in.rows || !slices.Equal(sets[0].Models, []string{model}) {
		t.Fatalf("profile sets = %+v; want customers with one profile for each of %d customers", sets, in.rows)
	}
	// The newer run's scores, as its output dataset has them.
	second2, secondRow := map[string]string{}, map[string][]string{}
	recs, err := csv.NewReader(strings.NewReader(s.galley(t, "dataset", "show", "churn-scores-2", "--data"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		second2[r[0]], secondRow[r[0]] = r[1], r
	}
	firstOf, firstRow := map[string]string{}, map[string][]string{}
	recs, _ = csv.NewReader(strings.NewReader(firstScores)).ReadAll()
	for _, r := range recs[1:] {
		firstOf[r[0]], firstRow[r[0]] = r[1], r
	}
	type shown struct {
		server.Profile
		History []server.ProfileChange `json:"history"`
	}
	for _, id := range []string{in.ids[0], in.ids[len(in.ids)/2], in.ids[len(in.ids)-1]} {
		var p shown
		if err := json.Unmarshal([]byte(s.galley(t, "profile", "show", "customers", id, "--json")), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Attributes) != 1 {
			t.Fatalf("profile %s = %+v", id, p)
		}
		a := p.Attributes[0]
		want, _ := strconv.ParseFloat(second2[id], 64)
		if a.TrainedModel != model+"@2" || a.RunID != second.ID || a.Scores[tp.score] != want {
			t.Errorf("profile %s = %+v; want run %d's %s = %v", id, a, second.ID, tp.score, want)
		}
		was, _ := strconv.ParseFloat(firstOf[id], 64)
		if len(p.History) != 2 || p.History[0].RunID != second.ID || p.History[1].RunID != first.ID || p.History[1].Scores[tp.score] != was {
			t.Fatalf("history of %s = %+v; want run %d, then run %d with %v", id, p.History, second.ID, first.ID, was)
		}
		// The drivers beside each score, as each run's output has them.
		sameDrivers(t, tp, "profile "+id, a.Drivers, secondRow[id])
		sameDrivers(t, tp, "latest history entry of "+id, p.History[0].Drivers, secondRow[id])
		sameDrivers(t, tp, "earlier history entry of "+id, p.History[1].Drivers, firstRow[id])
	}
	if out := s.galley(t, "profile", "show", "customers", in.ids[0]); !strings.Contains(out, "drivers (contribution") || !strings.Contains(out, secondRow[in.ids[0]][2]+" = "+secondRow[in.ids[0]][3]) {
		t.Errorf("profile show lists no drivers:\n%s", out)
	}
	// The precomputed lookup.
	var looked server.ProfileAttributes
	if err := json.Unmarshal([]byte(s.galley(t, "profile", "scores", "customers", in.ids[0], "--json")), &looked); err != nil {
		t.Fatal(err)
	}
	if want, _ := strconv.ParseFloat(second2[in.ids[0]], 64); looked.Scores[tp.score] != want || looked.RunID != second.ID {
		t.Errorf("profile scores of %s = %+v, want %v from run %d", in.ids[0], looked, want, second.ID)
	}
	sameDrivers(t, tp, "profile scores of "+in.ids[0], looked.Drivers, secondRow[in.ids[0]])
	// Scoring the same version again computes the same values: nothing
	// changes.
	third := s.run(t, "score", model+"@2", "--input", tp.dataset, "--profile", "customers", "--id", tp.id)
	var p shown
	if err := json.Unmarshal([]byte(s.galley(t, "profile", "show", "customers", in.ids[1], "--json")), &p); err != nil {
		t.Fatal(err)
	}
	if p.Attributes[0].RunID != second.ID || len(p.History) != 2 {
		t.Errorf("after run %d scored the same values again, profile %s = %+v with %d history entries; want run %d's and 2", third.ID, in.ids[1], p.Attributes[0], len(p.History), second.ID)
	}
	// Customers at risk: churn_probability >= 0.7, highest first.
	var risky []server.Profile
	if err := json.Unmarshal([]byte(s.galley(t, "profile", "list", "customers", "--model", model, "--score", tp.score, "--min", "0.7", "--limit", "1000", "--json")), &risky); err != nil {
		t.Fatal(err)
	}
	wantRisky := 0
	for _, v := range second2 {
		if x, _ := strconv.ParseFloat(v, 64); x >= 0.7 {
			wantRisky++
		}
	}
	if len(risky) != min(wantRisky, 1000) || len(risky) > 1 && risky[0].Attributes[0].Scores[tp.score] < risky[len(risky)-1].Attributes[0].Scores[tp.score] {
		t.Errorf("profiles with %s >= 0.7: %d listed, want %d, highest first", tp.score, len(risky), min(wantRisky, 1000))
	}
	dir := t.TempDir()
	for _, format := range []string{"csv", "parquet"} {
		path := filepath.Join(dir, "customers."+format)
		s.galley(t, "profile", "export", "customers", "--format", format, "-o", path)
		var f *data.Frame
		if format == "csv" {
			f, err = data.ReadCSV(path, data.CSVOptions{Types: map[string]data.DType{"id": data.String}})
		} else {
			f, err = data.ReadParquet(path)
		}
		if err != nil {
			t.Fatalf("reading the %s export: %v", format, err)
		}
		col, _ := f.Column(tp.score)
		ids, _ := f.Column("id")
		if last := fmt.Sprintf("driver_%d_contribution", tp.drivers); !f.Has(last) {
			t.Errorf("%s export has columns %v, without the drivers' (%s)", format, f.Names(), last)
		}
		if f.NumRows() != in.rows || col == nil || ids == nil {
			t.Errorf("%s export: %d rows, columns %v; want %d with %s", format, f.NumRows(), f.Names(), in.rows, tp.score)
		} else if got, want := fmt.Sprint(col.Value(0)), second2[fmt.Sprint(ids.Value(0))]; got != want {
			t.Errorf("%s export: first profile's %s = %s, want %s", format, tp.score, got, want)
		}
		f.Release()
	}
}

// sameDrivers fails unless drivers are the ones of a scoring output row
// (id, score, then three columns per driver), contributions to the bit.
func sameDrivers(t *testing.T, tp template, what string, drivers []server.Driver, row []string) {
	t.Helper()
	var want []server.Driver
	for i := 0; i < tp.drivers; i++ {
		c, err := strconv.ParseFloat(row[2+3*i+2], 64)
		if err != nil {
			t.Fatalf("output row %v: %v", row, err)
		}
		want = append(want, server.Driver{Feature: row[2+3*i], Value: row[2+3*i+1], Contribution: c})
	}
	if len(want) == 0 || !slices.Equal(drivers, want) {
		t.Errorf("%s: drivers %+v, want %+v as the scoring output has them", what, drivers, want)
	}
}

// checkNoDuration scores the input again without its duration column: the
// scores must not change, since the model may not use what is known only
// after the call, and scoring inputs need not have it.
func checkNoDuration(t *testing.T, s *serve, in input, model, scores string) {
	t.Helper()
	f, err := data.ReadCSV(in.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	without, err := f.Drop("duration")
	if err != nil {
		t.Fatal(err)
	}
	defer without.Release()
	path := filepath.Join(t.TempDir(), "bank-without-duration.csv")
	if err := without.WriteCSV(path); err != nil {
		t.Fatal(err)
	}
	s.galley(t, "dataset", "import", path, "--name", "bank-without-duration")
	s.run(t, "score", model+"@1", "--input", "bank-without-duration", "--output", "scores-without-duration")
	if again := s.galley(t, "dataset", "show", "scores-without-duration", "--data"); again != scores {
		t.Errorf("scores change when the input has no duration column: the model uses it")
	}
}
