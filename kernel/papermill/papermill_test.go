package papermill

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/kernel/jupytertest"
)

func TestWheelMatchesPyproject(t *testing.T) {
	py, err := os.ReadFile("pyproject.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(py), `version = "`+Version+`"`) {
		t.Errorf("pyproject.toml does not say version %s", Version)
	}
	if !strings.Contains(string(py), `galley = "galley_papermill:GalleyEngine"`) {
		t.Errorf("pyproject.toml lacks the papermill.engine entry point the wheel declares")
	}
	name, data, err := Wheel()
	if err != nil {
		t.Fatal(err)
	}
	if name != "galley_papermill-"+Version+"-py3-none-any.whl" {
		t.Errorf("wheel name %s", name)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "galley_papermill/__init__.py") || !strings.Contains(got, ".dist-info/RECORD") {
		t.Errorf("wheel holds %s", got)
	}
}

// TestPapermillInjectsParameters runs the real papermill on a Go notebook
// with the galley kernel, the translator installed the way `galley kernel
// install` installs it (into a target folder here, to leave the venv alone).
func TestPapermillInjectsParameters(t *testing.T) {
	py := jupytertest.Python(t)
	ctx := context.Background()
	if !HasPapermill(ctx, py) {
		jupytertest.Missing(t, "papermill in "+py+" (pip install -r testdata/python/requirements-test.txt)")
	}
	target := t.TempDir()
	if ok, err := Install(ctx, py, "--target", target); !ok || err != nil {
		t.Fatalf("Install = %v, %v", ok, err)
	}
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley")
	root := jupytertest.RepoRoot(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "params.ipynb"), filepath.Join(dir, "out.ipynb")
	src, err := os.ReadFile(filepath.Join(root, "testdata", "notebooks", "params.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(in, src, 0o644)

	cmd := exec.Command(py, "-m", "papermill", "-p", "epochs", "5", "-p", "rate", "0.5", "-p", "label", `say "hi"`,
		"-p", "verbose", "True", "-y", "columns: [x, y]\nweights: [1, 2.5]", in, out, "-k", "galley", "--cwd", dir)
	cmd.Env = append(jupytertest.KernelEnv(t, prefix), "PYTHONPATH="+target, "GALLEY_HOME="+t.TempDir())
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("papermill: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Metadata struct{ Tags []string } `json:"metadata"`
			Source   any                     `json:"source"`
			Outputs  []struct {
				Text any `json:"text"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != 7 || len(nb.Cells[3].Metadata.Tags) == 0 || nb.Cells[3].Metadata.Tags[0] != "injected-parameters" {
		t.Fatalf("papermill did not inject a cell after the parameters cell:\n%s", raw)
	}
	injected := text(nb.Cells[3].Source)
	for _, want := range []string{"// Parameters", "epochs = 5", "rate = 0.5", `label = "say \"hi\""`, "verbose = true", `columns = []string{"x", "y"}`, "weights = []float64{1, 2.5}"} {
		if !strings.Contains(injected, want) {
			t.Errorf("injected cell lacks %q:\n%s", want, injected)
		}
	}
	// papermill --help-notebook lists the declarations, through the same
	// translator.
	cmd = exec.Command(py, "-m", "papermill", "--help-notebook", in, "-k", "galley")
	cmd.Env = append(jupytertest.KernelEnv(t, prefix), "PYTHONPATH="+target)
	help, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("papermill --help-notebook: %v\n%s", err, help)
	}
	for _, want := range []string{"epochs: int (default 3)", "training rounds", "rate: float64 (default 0.5)", "wait: time.Duration (default 1000000)", "columns: []string"} {
		if !strings.Contains(string(help), want) {
			t.Errorf("papermill --help-notebook lacks %q:\n%s", want, help)
		}
	}

	var printed strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			printed.WriteString(text(o.Text))
		}
	}
	for _, want := range []string{
		`epochs=5 rate=0.5 total=2.5 label=say "hi" verbose=true wait=1ms`,
		`columns=["x" "y"] weights=[1 2.5]`,
		"last cell ran",
	} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("outputs lack %q:\n%s", want, printed.String())
		}
	}
}

// text joins nbformat multiline text.
func text(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []any:
		var b strings.Builder
		for _, l := range s {
			b.WriteString(l.(string))
		}
		return b.String()
	}
	return ""
}
