package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/jupytertest"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

// The %recipe magic, typed into a cell of a real kernel started by
// jupyter_client the way jupyter_server starts it (JPY_SESSION_NAME naming
// the notebook), registers that notebook as a recipe on a real server.
const recipeMagicScript = `
import json, os, subprocess, sys
from jupyter_client.manager import start_new_kernel

def run(kc, code):
    out, err = [], None
    reply = kc.execute_interactive(code, timeout=120,
        output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    c = reply["content"]
    return {"status": c["status"], "ename": c.get("ename"), "evalue": c.get("evalue"), "stdout": "".join(out)}

km, kc = start_new_kernel(kernel_name="galley-magic", env=dict(os.environ))
try:
    res = {
        "create": run(kc, "%recipe create churn"),
        "again": run(kc, "%recipe create churn --author someone-else"),
        "unmodelled": run(kc, '%schedule nightly --cron "0 2 * * *" --input telco-churn --output churn-scores'),
    }
    # Between cells, the user trains a model of the recipe and promotes it.
    for args in (["model", "create", "churn-model", "--recipe", "churn", "--dataset", "telco-churn", "-p", "epochs=1"],
                 ["train", "churn-model", "--wait"], ["model", "alias", "churn-model", "production", "1"]):
        subprocess.run([os.environ["GALLEY_BIN"]] + args, check=True, capture_output=True)
    res |= {
        "schedule": run(kc, '%schedule nightly --cron "0 2 * * *" --tz Europe/Berlin --input telco-churn --output churn-scores'),
        "explicit": run(kc, '%recipe create churn2 "' + os.environ["EXPLICIT_NB"] + '"'),
        "missing": run(kc, "%recipe create churn3 no-such.ipynb"),
        "usage": run(kc, "%recipe"),
        "modulo": run(kc, "x := 7\nx %recipe"),
        "after": run(kc, "1 + 2"),
    }
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)
print("RESULTS " + json.dumps(res))
`

func TestRecipeMagicInKernel(t *testing.T) {
	py := jupytertest.Python(t)
	bin := galleyBinary(t)
	prefix := jupytertest.InstallKernelspec(t, bin, "galley-magic")
	m := startServe(t, t.TempDir(), nil)
	csv, _ := churnCSV(t)
	galley(t, m.URL(), 0, "dataset", "import", csv, "--name", "telco-churn")

	// The notebook sits in the kernel's working directory, as it does
	// when jupyter_server starts a kernel for it.
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "recipes", "churn.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	nbPath := filepath.Join(dir, "churn.ipynb")
	if err := os.WriteFile(nbPath, src, 0o644); err != nil {
		t.Fatal(err)
	}
	spaced := filepath.Join(dir, "with space.ipynb")
	if err := os.WriteFile(spaced, src, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", recipeMagicScript)
	cmd.Dir = dir
	cmd.Env = append(jupytertest.KernelEnv(t, prefix),
		"GALLEY_SERVER="+m.URL(), "JPY_SESSION_NAME=churn.ipynb", "EXPLICIT_NB="+spaced, "GALLEY_BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("driving the kernel: %v\n%s", err, out)
	}
	_, js, ok := strings.Cut(string(out), "RESULTS ")
	if !ok {
		t.Fatalf("no results:\n%s", out)
	}
	type result struct{ Status, Ename, Evalue, Stdout string }
	var res map[string]result
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	if r := res["create"]; r.Status != "ok" || !strings.Contains(r.Stdout, "converting "+nbPath) ||
		!strings.Contains(r.Stdout, "created recipe churn version 1 (5 parameters") || !strings.Contains(r.Stdout, "epochs int = 40") {
		t.Errorf("%%recipe create churn = %+v", r)
	}
	if r := res["again"]; r.Status != "ok" || !strings.Contains(r.Stdout, "recipe churn version 1 already has this content") {
		t.Errorf("second %%recipe create = %+v", r)
	}
	// %schedule scores with the model of the recipe %recipe created.
	if r := res["unmodelled"]; r.Status != "error" || r.Ename != "MagicError" || !strings.Contains(r.Evalue, "recipe churn has no model yet") {
		t.Errorf("%%schedule before a model exists = %+v", r)
	}
	if r := res["schedule"]; r.Status != "ok" || !strings.Contains(r.Stdout, "created scoring schedule nightly: churn-model@production scores telco-churn into churn-scores") ||
		!strings.Contains(r.Stdout, "T02:00 (") {
		t.Errorf("%%schedule = %+v", r)
	}
	if r := res["explicit"]; r.Status != "ok" || !strings.Contains(r.Stdout, "created recipe churn2 version 1") {
		t.Errorf("%%recipe create with an explicit path = %+v", r)
	}
	if r := res["missing"]; r.Status != "error" || r.Ename != "MagicError" || !strings.Contains(r.Evalue, "no-such.ipynb") {
		t.Errorf("%%recipe create with a missing notebook = %+v", r)
	}
	if r := res["usage"]; r.Status != "ok" || !strings.Contains(r.Stdout, "usage: %recipe create NAME") {
		t.Errorf("%%recipe alone = %+v", r)
	}
	// A cell that merely contains % is Go, not a magic.
	if r := res["modulo"]; r.Status != "error" || r.Ename == "MagicError" {
		t.Errorf("a Go cell with %% = %+v", r)
	}
	if r := res["after"]; r.Status != "ok" {
		t.Errorf("the kernel after the magics = %+v", r)
	}

	// The server holds what the magic registered.
	c := galleyhttp.ClientFromEnv(m.URL())
	v, err := c.FindRecipeVersion(context.Background(), "churn", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || len(v.Params) != 5 || !strings.Contains(v.Source, "func Score(") {
		t.Errorf("stored version = %+v", v)
	}
	if s, err := c.FindSchedule(context.Background(), "nightly"); err != nil || s.Model != "churn-model@production" || s.Timing.TimeZone != "Europe/Berlin" {
		t.Errorf("schedule from %%schedule = %+v, %v", s, err)
	}
}
