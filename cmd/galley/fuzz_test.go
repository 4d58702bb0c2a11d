package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/jupytertest"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

// TestAPIFuzz runs schemathesis against a real galley serve process: it
// generates requests, valid and invalid, from the server's own OpenAPI
// document and checks every response against it. The test fails on any
// schemathesis failure (a 5xx, a response the document does not describe, an
// invalid request accepted, ...) and on a panic or an internal error in the
// server's log.
//
// testdata/schemathesis/galley.toml holds the seed, the bounds and the checks;
// its dictionaries name what the setup below creates.
func TestAPIFuzz(t *testing.T) {
	py := jupytertest.Python(t)
	if out, err := exec.Command(py, "-c", "import schemathesis").CombinedOutput(); err != nil {
		jupytertest.Missing(t, fmt.Sprintf("schemathesis for %s (pinned in testdata/python/requirements-test.txt; 'make venv' installs it): %v\n%s", py, err, out))
	}
	config, err := filepath.Abs(filepath.Join("..", "..", "testdata", "schemathesis", "galley.toml"))
	if err != nil {
		t.Fatal(err)
	}

	logPath := filepath.Join(t.TempDir(), "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	home := t.TempDir()
	_, url := startServeProcess(t, home, logFile, "--max-upload", "1MiB", "--max-body", "1MiB")
	// The server runs as by default, with a token: schemathesis sends it.
	token, err := galleyhttp.ReadToken(galleyhttp.TokenPath(home))
	if err != nil {
		t.Fatal(err)
	}

	// Something to find: recipe sleepy, model nap trained once (run 1) with
	// the alias production, its scores in dataset scored (run 2) and in
	// profile set customers (run 3).
	setupSleepy(t, url)
	if r := decodeRun(t, first(galley(t, url, 0, "train", "nap", "--wait", "--json"))); r.ID != 1 || r.State != "succeeded" {
		t.Fatalf("training run = %+v", r)
	}
	galley(t, url, 0, "model", "alias", "nap", "production", "1")
	if r := decodeRun(t, first(galley(t, url, 0, "score", "nap@production", "--input", "small", "--output", "scored", "--wait", "--json"))); r.ID != 2 || r.State != "succeeded" {
		t.Fatalf("scoring run = %+v", r)
	}
	// And profile set customers, keyed by customerID (run 3).
	if r := decodeRun(t, first(galley(t, url, 0, "score", "nap@production", "--input", "small", "--profile", "customers", "--id", "customerID", "--wait", "--json"))); r.ID != 3 || r.State != "succeeded" {
		t.Fatalf("scoring run into a profile set = %+v", r)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	args := []string{"-m", "schemathesis.cli", "--config-file", config, "--no-color",
		"run", url + "/api/openapi.json", "--header", "Authorization: Bearer " + token, "--report", "junit", "--report-dir", t.TempDir()}
	// Longer or different runs than make test's, for hunting bugs locally.
	for env, flag := range map[string]string{"GALLEY_FUZZ_SEED": "--seed", "GALLEY_FUZZ_EXAMPLES": "--max-examples"} {
		if v := os.Getenv(env); v != "" {
			args = append(args, flag, v)
		}
	}
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Dir = t.TempDir() // schemathesis and hypothesis write state beside them
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start).Round(time.Second)
	if runErr != nil {
		t.Errorf("schemathesis failed after %s: %v\n%s", elapsed, runErr, out.String())
	} else {
		t.Logf("schemathesis passed in %s: %s", elapsed, summary(out.String()))
	}

	if resp, err := http.Get(url + "/api/health"); err != nil || resp.StatusCode != 200 {
		t.Errorf("the server is not healthy after fuzzing: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	logFile.Sync()
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if bad := serverTrouble(string(log)); len(bad) > 0 {
		t.Errorf("the server logged %d lines of panics or internal errors while fuzzed; the first:\n%s", len(bad), strings.Join(bad[:min(len(bad), 40)], "\n"))
	}
}

func first(stdout, _ string) string { return stdout }

var summaryRE = regexp.MustCompile(`(?m)^\s*(Tested: \d+|Scenarios: +\d+|\d+ generated, .*)$`)

// summary picks schemathesis's counts of operations, stateful scenarios
// and test cases out of its report.
func summary(report string) string {
	var parts []string
	for _, m := range summaryRE.FindAllStringSubmatch(report, -1) {
		parts = append(parts, strings.Join(strings.Fields(m[1]), " "))
	}
	return strings.Join(parts, "; ")
}

// serverTrouble returns the log lines of panics (which net/http recovers and
// logs) and of requests that failed with an internal error.
func serverTrouble(log string) []string {
	var bad []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "panic") || strings.Contains(line, "level=ERROR") {
			bad = append(bad, line)
		}
	}
	return bad
}
