package notebooktest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/stdlib/catalog"
)

// trackedNotebooks lists the notebooks git tracks under the given folders
// (paths relative to the repository root). Without git (an exported
// tree), it walks the folders instead.
func trackedNotebooks(t *testing.T, root string, dirs ...string) []string {
	t.Helper()
	args := []string{"-C", root, "ls-files", "--"}
	for _, d := range dirs {
		args = append(args, d+"/*.ipynb")
	}
	if out, err := exec.Command("git", args...).Output(); err == nil {
		return strings.Fields(string(out))
	}
	var paths []string
	for _, d := range dirs {
		filepath.WalkDir(filepath.Join(root, d), func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".ipynb") && !strings.Contains(p, ".ipynb_checkpoints") {
				rel, _ := filepath.Rel(root, p)
				paths = append(paths, rel)
			}
			return nil
		})
	}
	return paths
}

// TestNoStoredOutputs fails on outputs saved into a tracked notebook: the
// examples and templates are read as documents and diffed as code, and
// JupyterLab's autosave would otherwise commit megabytes of results.
func TestNoStoredOutputs(t *testing.T) {
	root := jupytertest.RepoRoot(t)
	paths := trackedNotebooks(t, root, "notebooks", "templates", "testdata")
	if len(paths) == 0 {
		t.Fatal("no tracked notebooks found")
	}
	for _, p := range paths {
		found, err := StoredOutputs(filepath.Join(root, p))
		if err != nil {
			t.Error(err)
			continue
		}
		for _, f := range found {
			t.Errorf("%s (clear the outputs: Edit > Clear Outputs of All Cells, then save)", f)
		}
	}
	t.Logf("%d tracked notebooks checked", len(paths))
}

func TestStoredOutputsFound(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nb.ipynb")
	os.WriteFile(p, []byte(`{"cells":[{"cell_type":"markdown","source":"x"},{"cell_type":"code","id":"ab","execution_count":3,"outputs":[{"output_type":"stream","name":"stdout","text":"hi"}],"source":"x"},{"cell_type":"code","execution_count":null,"outputs":[],"source":"y"}]}`), 0o644)
	found, err := StoredOutputs(p)
	if err != nil || len(found) != 1 || !strings.Contains(found[0], "cell 1 (id ab) holds 1 outputs, execution count 3") {
		t.Errorf("StoredOutputs = %q, %v", found, err)
	}
}

// TestExamplesListed keeps Examples in step with the notebooks tracked in
// notebooks/, so a new example is executed by TestExamplesRun.
func TestExamplesListed(t *testing.T) {
	root := jupytertest.RepoRoot(t)
	var tracked []string
	for _, p := range trackedNotebooks(t, root, "notebooks") {
		tracked = append(tracked, filepath.Base(p))
	}
	want := slices.Clone(Examples)
	slices.Sort(tracked)
	slices.Sort(want)
	if !slices.Equal(tracked, want) {
		t.Errorf("notebooks/ tracks %v, but Examples lists %v", tracked, want)
	}
}

// TestExamplesRun executes each example with the galley kernel through
// nbclient, as a user's "Run All" would, and fails on any error output. Each
// runs as a copy in a temporary directory, which is also the kernel's
// working directory.
func TestExamplesRun(t *testing.T) {
	py := jupytertest.Python(t)
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley")
	root := jupytertest.RepoRoot(t)
	// The copies run outside the repository, so the datasets folder is
	// passed on explicitly.
	datasets := catalog.FilesDir()
	if datasets == "" {
		jupytertest.Missing(t, "the datasets the examples load by name (telco-churn.csv in $GALLEY_DATASETS or ../shared/datasets)")
	}
	for _, name := range Examples {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src, err := os.ReadFile(filepath.Join(root, "notebooks", name))
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, name)
			if err := os.WriteFile(in, src, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), name)
			cmd := exec.Command(py, filepath.Join(root, "testdata", "python", "run_notebook.py"),
				in, out, "--kernel", "galley", "--timeout", "300", "--cwd", dir)
			cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
				"GALLEY_HOME="+t.TempDir(), "GALLEY_HISTORY_FILE="+filepath.Join(t.TempDir(), "history.jsonl"),
				"GALLEY_DATASETS="+datasets)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("nbclient run of %s failed: %v\n%s", name, err, b)
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
