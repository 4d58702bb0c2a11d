package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

// notebookCatalogScript drives real kernels through jupyter_client: one
// started for the server (GALLEY_SERVER and its token), one sending a wrong
// token, one for a server nobody runs, one whose cache is too small for a
// version and one with no server. Each cell's stdout and status are
// printed as JSON.
const notebookCatalogScript = `
import json, os
from jupyter_client.manager import start_new_kernel

IMPORTS = 'import (\n\t"fmt"\n\t"strings"\n\n\t"github.com/galley-dev/galley/stdlib/catalog"\n\t"github.com/galley-dev/galley/stdlib/recipe"\n)'

def run(kc, code):
    out = []
    reply = kc.execute_interactive(code, timeout=120,
        output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    c = reply["content"]
    return {"status": c["status"], "evalue": c.get("evalue") or "", "stdout": "".join(out).strip()}

def session(env, cells):
    km, kc = start_new_kernel(kernel_name="galley-catalog", env=env)
    try:
        res = {"imports": run(kc, IMPORTS)}
        for name, code in cells:
            res[name] = run(kc, code)
        return res
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)

def loaded(ref):
    return 'f, err := catalog.Load("%s")\nif err != nil {\n\tpanic(err)\n}\nfmt.Println(f.NumRows())' % ref

def failure(ref):
    return '_, err := catalog.Load("%s")\nfmt.Println(err)' % ref

env = dict(os.environ)
results = {"shared": session(env, [
    ("names", 'fmt.Println(strings.Join(catalog.Names(), " "))'),
    ("latest", loaded("small")),
    ("v1", loaded("small@1")),
    ("again", loaded("small@1")),
    ("file", 'p, err := catalog.File("small@1")\nif err != nil {\n\tpanic(err)\n}\nfmt.Println(p)'),
    ("recipe", 'cfg := recipe.NewConfig(p)\ntbl, err := recipe.ReadCSV(cfg.Input(), cfg.Limit())\nif err != nil {\n\tpanic(err)\n}\nfmt.Println(tbl.NumRows())'),
    ("local", loaded("localonly")),
    ("missing", failure("nosuch")),
    ("noversion", failure("small@9")),
])}
results["badtoken"] = session(env | {"GALLEY_TOKEN": "not-the-token"}, [("load", failure("small"))])
results["unreachable"] = session(env | {"GALLEY_SERVER": "http://127.0.0.1:1"}, [("load", failure("small"))])
results["tinycache"] = session(env | {"GALLEY_CATALOG_CACHE": "1KiB", "GALLEY_HOME": os.environ["OTHER_HOME"]}, [("load", failure("small@1"))])
results["noserver"] = session({k: v for k, v in env.items() if k != "GALLEY_SERVER"}, [("load", failure("small"))])
print("RESULTS " + json.dumps(results))
`

// TestNotebookReadsSharedCatalog: a kernel started for a server with a
// shared catalog (--storage) loads its datasets by name and by name@version,
// File gives the very bytes a training run on the server read as its input,
// the Parquet it reads is the object the server stores, names the server
// lacks still come from the local files folder, and unknown datasets,
// unknown versions, a refused token, an unreachable server and a version
// larger than the cache each get an error saying what to do.
func TestNotebookReadsSharedCatalog(t *testing.T) {
	py := jupytertest.Python(t)
	bin := galleyBinary(t)
	prefix := jupytertest.InstallKernelspec(t, bin, "galley-catalog")
	storage := t.TempDir()
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.Storage = "file://" + storage })
	url := m.URL()
	setupSleepy(t, url) // small@1: 50 rows, and a model training on it
	c := galleyhttp.ClientFromEnv(url)
	out, _ := galley(t, url, 0, "train", "nap", "--wait", "--json")
	if r := decodeRun(t, out); r.State != server.RunSucceeded {
		t.Fatalf("training = %+v", r)
	}
	v2 := filepath.Join(t.TempDir(), "small.csv")
	os.WriteFile(v2, syntheticChurn(30, 3), 0o644)
	galley(t, url, 0, "dataset", "import", v2, "--name", "small")

	// The notebook's machine: a home of its own (no catalog there), and a
	// files folder with a dataset the server does not hold.
	home, files := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(files, "localonly.csv"), []byte("a,b\n1,x\n2,y\n"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", notebookCatalogScript)
	cmd.Dir = t.TempDir()
	cmd.Env = append(jupytertest.KernelEnv(t, prefix), "GALLEY_SERVER="+url, "GALLEY_TOKEN="+c.Token,
		"GALLEY_HOME="+home, "GALLEY_DATASETS="+files, "GALLEY_CATALOG_CACHE=64MiB", "OTHER_HOME="+t.TempDir())
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("driving the kernels: %v\n%s", err, raw)
	}
	_, js, ok := strings.Cut(string(raw), "RESULTS ")
	if !ok {
		t.Fatalf("no results:\n%s", raw)
	}
	type result struct{ Status, Evalue, Stdout string }
	var res map[string]map[string]result
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	sh := res["shared"]
	for _, cell := range []string{"imports", "names", "latest", "v1", "again", "file", "recipe", "local", "missing", "noversion"} {
		if sh[cell].Status != "ok" {
			t.Errorf("cell %s: %+v", cell, sh[cell])
		}
	}
	if got := sh["names"].Stdout; got != "small localonly" {
		t.Errorf("catalog.Names() = %q, want the server's dataset, then the local file's", got)
	}
	if sh["latest"].Stdout != "30" || sh["v1"].Stdout != "50" || sh["again"].Stdout != "50" {
		t.Errorf("rows of small, small@1, small@1 again = %q, %q, %q; want 30, 50, 50", sh["latest"].Stdout, sh["v1"].Stdout, sh["again"].Stdout)
	}
	if sh["local"].Stdout != "2" {
		t.Errorf("localonly from the files folder: %+v", sh["local"])
	}

	// File's CSV is byte for byte the input the training run read, which
	// the server published to the object store for it.
	path := sh["file"].Stdout
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("catalog.File(small@1) = %q: %v", path, err)
	}
	runInput, err := os.ReadFile(filepath.Join(storage, "snapshots", "small", "v1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, runInput) || len(got) == 0 {
		t.Errorf("catalog.File(small@1) has %d bytes, the run's input %d; they differ", len(got), len(runInput))
	}
	if sh["recipe"].Stdout != "50" {
		t.Errorf("the recipe's Load in the notebook read %q rows, want 50", sh["recipe"].Stdout)
	}
	// The Parquet Load read is a copy of the version's object in the store.
	cache := filepath.Join(home, "cache", "datasets")
	copies, _ := filepath.Glob(filepath.Join(cache, "*", "small", "v000001-*.parquet"))
	if len(copies) != 1 {
		t.Fatalf("cached copies of small@1: %v", copies)
	}
	cached, _ := os.ReadFile(copies[0])
	objects, _ := filepath.Glob(filepath.Join(storage, "datasets", "small", "*.parquet"))
	same := false
	for _, o := range objects {
		if b, err := os.ReadFile(o); err == nil && bytes.Equal(b, cached) {
			same = true
		}
	}
	if !same || len(cached) == 0 {
		t.Errorf("the cached small@1 (%d bytes) matches none of the stored objects %v", len(cached), objects)
	}
	if !strings.HasPrefix(path, cache) {
		t.Errorf("catalog.File(small@1) = %s, outside the cache %s", path, cache)
	}

	where := "the galley server at " + url + " ($GALLEY_SERVER)"
	for cell, want := range map[string][]string{
		"missing":   {`dataset "nosuch": not found`, where + " holds small", "the folder " + files + " holds localonly"},
		"noversion": {"dataset small has no version 9", where},
	} {
		for _, w := range want {
			if !strings.Contains(sh[cell].Stdout, w) {
				t.Errorf("%s: %q does not say %q", cell, sh[cell].Stdout, w)
			}
		}
	}
	if got := res["badtoken"]["load"].Stdout; !strings.Contains(got, where+" refused the token (the token in $GALLEY_TOKEN)") || !strings.Contains(got, "set GALLEY_TOKEN") {
		t.Errorf("a wrong token: %q", got)
	}
	if got := res["unreachable"]["load"].Stdout; !strings.Contains(got, "cannot reach the galley server at http://127.0.0.1:1 ($GALLEY_SERVER)") ||
		!strings.Contains(got, "connection refused") || !strings.Contains(got, "correct GALLEY_SERVER") {
		t.Errorf("an unreachable server: %q", got)
	}
	if got := res["tinycache"]["load"].Stdout; !strings.Contains(got, "more than the 1024 bytes its local copies may take: raise GALLEY_CATALOG_CACHE") {
		t.Errorf("a version larger than GALLEY_CATALOG_CACHE: %q", got)
	}
	// Without GALLEY_SERVER the kernel reads the catalog under its home, as
	// before, which holds nothing here.
	if got := res["noserver"]["load"].Stdout; !strings.Contains(got, "the catalog "+filepath.Join(home, "datasets")+" holds no datasets") {
		t.Errorf("a kernel with no server: %q", got)
	}
}
