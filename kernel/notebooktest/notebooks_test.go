// Package notebooks holds galley's example notebooks. Its test executes each
// of them with the galley kernel through nbclient, as a user's "Run All"
// would, and fails on any error output.
package notebooks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/kernel/jupytertest"
)

func TestExamplesRun(t *testing.T) {
	paths, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no example notebooks found in notebooks/")
	}
	py := jupytertest.Python(t)
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley")
	root := jupytertest.RepoRoot(t)
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), p)
			cmd := exec.Command(py, filepath.Join(root, "testdata", "python", "run_notebook.py"),
				p, out, "--kernel", "galley", "--timeout", "300", "--cwd", ".")
			cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
				"GALLEY_HOME="+t.TempDir(), "GALLEY_HISTORY_FILE="+filepath.Join(t.TempDir(), "history.jsonl"))
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("nbclient run of %s failed: %v\n%s", p, err, b)
			}
			checkOutputs(t, out)
		})
	}
}

// checkOutputs asserts that every code cell ran and that the notebook shows
// something: a notebook whose cells all ran silently proves little.
func checkOutputs(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			CellType       string            `json:"cell_type"`
			ExecutionCount *int              `json:"execution_count"`
			Outputs        []json.RawMessage `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("executed notebook %s is not JSON: %v", path, err)
	}
	outputs, rich := 0, 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		if c.ExecutionCount == nil {
			t.Errorf("cell %d did not run", i)
		}
		outputs += len(c.Outputs)
		for _, o := range c.Outputs {
			var out struct {
				Data map[string]json.RawMessage `json:"data"`
			}
			_ = json.Unmarshal(o, &out)
			if out.Data["text/html"] != nil || out.Data["application/vnd.vegalite.v5+json"] != nil {
				rich++
			}
		}
	}
	if outputs == 0 {
		t.Errorf("%s produced no outputs at all", path)
	}
	if rich == 0 {
		t.Errorf("%s produced no HTML table or Vega-Lite chart", path)
	}
	t.Logf("%s: %d outputs, %d of them HTML or Vega-Lite", path, outputs, rich)
}
