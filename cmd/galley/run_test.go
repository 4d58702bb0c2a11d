package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/galley-dev/galley/kernel/jupytertest"
)

// executedNotebook is what the tests read back from a run's output.
type executedNotebook struct {
	Cells []struct {
		CellType string         `json:"cell_type"`
		ID       string         `json:"id"`
		Metadata map[string]any `json:"metadata"`
		Source   any            `json:"source"`
		Count    *int           `json:"execution_count"`
		Outputs  []struct {
			OutputType string   `json:"output_type"`
			Text       string   `json:"text"`
			Ename      string   `json:"ename"`
			Evalue     string   `json:"evalue"`
			Traceback  []string `json:"traceback"`
		} `json:"outputs"`
	} `json:"cells"`
}

func readExecuted(t *testing.T, path string) *executedNotebook {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb executedNotebook
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &nb
}

// runGalley executes the real binary, since `galley run` starts
// `galley kernel` from its own executable.
func runGalley(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(galleyBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GALLEY_HOME="+t.TempDir(), "GALLEY_HISTORY_FILE="+filepath.Join(t.TempDir(), "history.jsonl"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestRunNotebookWithParameters(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "notebooks", "params.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "params.ipynb"), src, 0o644)

	_, stderr, code := runGalley(t, dir, "run", "params.ipynb", "-p", "epochs=4", "-p", "rate=0.25", "-p", "label=hello world",
		"-p", "verbose=true", "-p", "wait=2s", "-p", `columns=x, "y,z"`, "-p", "weights=[0.5, 3]", "-o", "out.ipynb")
	if code != 0 {
		t.Fatalf("galley run: exit %d\n%s", code, stderr)
	}
	// One progress line per code cell, the injected one included.
	if n := len(regexp.MustCompile(`(?m)^cell \d/6 .*: ok \(`).FindAllString(stderr, -1)); n != 6 {
		t.Errorf("progress lines: %d, want 6:\n%s", n, stderr)
	}
	nb := readExecuted(t, filepath.Join(dir, "out.ipynb"))
	if len(nb.Cells) != 7 {
		t.Fatalf("executed notebook has %d cells, want the 6 and the injected one", len(nb.Cells))
	}
	inj := nb.Cells[3]
	if tags, _ := inj.Metadata["tags"].([]any); len(tags) != 1 || tags[0] != "injected-parameters" || inj.ID == "" {
		t.Errorf("cell 3 = %+v, want the injected-parameters cell after the parameters cell", inj)
	}
	var printed strings.Builder
	for i, c := range nb.Cells {
		if c.CellType == "code" && (c.Count == nil || *c.Count == 0) {
			t.Errorf("cell %d has no execution count", i)
		}
		for _, o := range c.Outputs {
			printed.WriteString(o.Text)
		}
	}
	for _, want := range []string{
		"epochs=4 rate=0.25 total=1 label=hello world verbose=true wait=2s\n",
		`columns=["x" "y,z"] weights=[0.5 3]` + "\n",
		"not failed\nlast cell ran\n",
	} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("outputs lack %q:\n%s", want, printed.String())
		}
	}
	validate(t, filepath.Join(dir, "out.ipynb"))

	// A failing cell: exit status 1, its error stored, later cells left
	// unexecuted; the output is written all the same.
	_, stderr, code = runGalley(t, dir, "run", "params.ipynb", "-p", "fail=true", "-o", "failed.ipynb")
	if code != 1 || !strings.Contains(stderr, "cell 5 (id maybe-fail) failed: ") || !strings.Contains(stderr, "asked to fail") {
		t.Fatalf("failing run: exit %d\n%s", code, stderr)
	}
	nb = readExecuted(t, filepath.Join(dir, "failed.ipynb"))
	failed := nb.Cells[5]
	if len(failed.Outputs) != 1 || failed.Outputs[0].OutputType != "error" || !strings.Contains(failed.Outputs[0].Evalue, "asked to fail") {
		t.Errorf("the failing cell's outputs = %+v", failed.Outputs)
	}
	if last := nb.Cells[6]; last.Count != nil || len(last.Outputs) != 0 {
		t.Errorf("the cell after the failure ran: %+v", last)
	}
	validate(t, filepath.Join(dir, "failed.ipynb"))

	// A cell past --cell-timeout is interrupted and the run fails saying so.
	_, stderr, code = runGalley(t, dir, "run", "params.ipynb", "-p", "nap=1h", "--cell-timeout", "1s", "-o", "slow.ipynb")
	if code != 1 || !strings.Contains(stderr, "cell 5/6 (index 5, id maybe-fail): interrupted after the cell timeout of 1s") {
		t.Errorf("timed-out run: exit %d\n%s", code, stderr)
	}
	if nb := readExecuted(t, filepath.Join(dir, "slow.ipynb")); len(nb.Cells[5].Outputs) != 1 || nb.Cells[5].Outputs[0].OutputType != "error" {
		t.Errorf("the interrupted cell's outputs = %+v", nb.Cells[5].Outputs)
	}

	// Bad parameters are refused before anything runs.
	for _, tt := range []struct{ p, want string }{
		{"epoch=5", "parameter epoch is not declared in the parameters cell (cell 2); it declares: epochs, rate, label, verbose, wait, columns, weights, fail, nap"},
		{"epochs=many", `parameter epochs: "many" is not an integer`},
		{"weights=1,x", `parameter weights: element 2 of []float64: "x" is not a number`},
	} {
		_, stderr, code := runGalley(t, dir, "run", "params.ipynb", "-p", tt.p)
		if code != 1 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "cell 1/") {
			t.Errorf("-p %s: exit %d, stderr %q; want %q and no cell run", tt.p, code, stderr, tt.want)
		}
	}
}

// validate checks path against the nbformat schema with the nbformat
// package the Jupyter tools use.
func validate(t *testing.T, path string) {
	t.Helper()
	py := jupytertest.Python(t)
	out, err := exec.Command(py, "-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path).CombinedOutput()
	if err != nil {
		t.Errorf("%s is not a valid notebook: %v\n%s", path, err, out)
	}
}
