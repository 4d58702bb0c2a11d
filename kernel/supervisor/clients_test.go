package supervisor_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/jupytertest"
)

// engineGaps lists conformance tests that fail because the interpreter
// engine (engine) does not provide the capability yet; the kernel
// forwards the requests and would pass them on an engine that answers.
// The list is strict: a listed test that passes fails this test, so the
// list shrinks as the engine grows.
var engineGaps = map[string]string{}

type outcome struct {
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

// runPython runs a script from testdata with the kernelspec env and
// returns the JSON results it prints on its GALLEY-RESULTS line.
func runPython(t *testing.T, timeout time.Duration, script string, env []string) map[string]outcome {
	t.Helper()
	py := jupytertest.Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, script)
	cmd.Dir = "testdata"
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var results map[string]outcome
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "GALLEY-RESULTS "); ok {
			if jerr := json.Unmarshal([]byte(rest), &results); jerr != nil {
				t.Fatalf("bad results line: %v", jerr)
			}
		}
	}
	if results == nil {
		t.Fatalf("%s printed no results (err %v)\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	t.Logf("%s output:\n%s", script, stderr.String())
	return results
}

func setup(t *testing.T) []string {
	t.Helper()
	jupytertest.Python(t)
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley-test")
	return append(jupytertest.KernelEnv(t, prefix), "GALLEY_KERNEL_NAME=galley-test")
}

func TestJupyterKernelTest(t *testing.T) {
	env := setup(t)
	results := runPython(t, 3*time.Minute, "test_galley_kernel.py", env)
	var names []string
	for name := range results {
		names = append(names, name)
	}
	sort.Strings(names)
	passed, gaps := 0, 0
	for _, name := range names {
		r := results[name]
		test, _, _ := strings.Cut(name, " ")
		gap, isGap := engineGaps[test]
		switch {
		case r.Outcome == "skip":
			t.Errorf("%s was skipped (%s): every sample must be set", name, r.Detail)
		case r.Outcome == "ok" && isGap && !strings.Contains(name, " "):
			t.Errorf("%s passes now: remove it from engineGaps", name)
		case r.Outcome == "ok":
			passed++
		case isGap:
			gaps++
			t.Logf("%s fails on an engine gap (%s)", name, gap)
		default:
			t.Errorf("%s: %s\n%s", name, r.Outcome, r.Detail)
		}
	}
	if passed < 8 {
		t.Errorf("only %d tests passed", passed)
	}
	t.Logf("jupyter_kernel_test: %d passed, %d known engine gaps, 0 skipped", passed, gaps)
}

// clientGaps are client scenarios that fail on interpreter gaps, strictly
// as engineGaps.
var clientGaps = map[string]string{}

// TestClients runs notebooks with nbclient and drives interrupts, input,
// crashes of the worker, restart and shutdown with jupyter_client.
func TestClients(t *testing.T) {
	env := append(setup(t), "GALLEY_REPO="+jupytertest.RepoRoot(t))
	results := runPython(t, 4*time.Minute, "clients.py", env)
	for _, name := range []string{"notebook_display", "notebook_display_update", "notebook_errors", "notebook_timeout_interrupts", "output_is_live_and_fd_level", "interrupt_stdin_survival_shutdown", "console_indent_and_exit"} {
		r, ok := results[name]
		gap, isGap := clientGaps[name]
		switch {
		case !ok:
			t.Errorf("scenario %s did not run", name)
		case r.Outcome == "ok" && isGap:
			t.Errorf("%s passes now: remove it from clientGaps", name)
		case r.Outcome == "ok":
			t.Logf("%s passed in %s", name, r.Detail)
		case isGap:
			t.Logf("%s fails on an interpreter gap (%s)", name, gap)
		default:
			t.Errorf("%s failed:\n%s", name, r.Detail)
		}
	}
}
