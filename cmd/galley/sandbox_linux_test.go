package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/worker"
)

// proberNotebook is a recipe that tries, while training, what a hostile
// recipe would: read the server's token and another galley home, write
// outside its run directory, reach the network, and look at its
// environment. It prints one PROBE line per attempt.
func proberNotebook(t testing.TB) string {
	return recipeNotebook(t, "prober", "tokenfile := \"\"\notherdb := \"\"\noutside := \"\"\naddr := \"\"", `import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type Model struct{ Rows int }

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func probe(name string, err error) {
	if err != nil {
		fmt.Println("PROBE", name, "refused:", err)
	} else {
		fmt.Println("PROBE", name, "allowed")
	}
}

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	_, err := os.ReadFile(tokenfile)
	probe("token", err)
	_, err = os.ReadFile(otherdb)
	probe("other-home", err)
	probe("write-outside", os.WriteFile(outside, []byte("x"), 0o644))
	probe("write-run-dir", os.WriteFile("inside.txt", []byte("x"), 0o644))
	_, err = os.ReadFile("/etc/passwd")
	probe("passwd", err)
	_, err = os.ReadFile("/proc/self/environ")
	probe("environ", err)
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err == nil {
		c.Close()
	}
	probe("tcp", err)
	// Landlock (ABI < 10) leaves UDP alone: only the network namespace
	// stops it.
	u, err := net.Dial("udp", addr)
	if err == nil {
		_, err = u.Write([]byte("x"))
		u.Close()
	}
	probe("udp", err)
	wd, _ := os.Getwd()
	fmt.Println("WD", wd)
	fmt.Println("ENV", strings.Join(os.Environ(), " "))
	return Model{Rows: f.NumRows()}, nil
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return f, nil }`)
}

// requireLandlock fails in CI, and skips elsewhere, when this kernel cannot
// confine recipes: the tests below must never pass with a sandbox that
// silently does nothing.
func requireLandlock(t *testing.T) {
	t.Helper()
	if status, ok := worker.SandboxStatus(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run on a kernel with Landlock: %s", status)
		}
		t.Skip(status)
	}
}

// probeRun trains the prober on server m and returns its PROBE lines by
// name, and the rest of its log.
func probeRun(t *testing.T, m *serveMain, home string, network bool) (map[string]string, string) {
	t.Helper()
	url := m.URL()
	other := t.TempDir()
	otherDB := filepath.Join(other, "server", "galley.db")
	os.MkdirAll(filepath.Dir(otherDB), 0o700)
	os.WriteFile(otherDB, []byte("another user's data"), 0o600)
	outside := filepath.Join(home, "outside.txt")
	data := filepath.Join(t.TempDir(), "small.csv")
	os.WriteFile(data, syntheticChurn(20, 3), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "small")
	galley(t, url, 0, "recipe", "create", "prober", proberNotebook(t))
	galley(t, url, 0, "model", "create", "probe", "--recipe", "prober", "--dataset", "small",
		"-p", "tokenfile="+galleyhttp.TokenPath(home), "-p", "otherdb="+otherDB, "-p", "outside="+outside,
		"-p", "addr="+strings.TrimPrefix(url, "http://"))
	r := decodeRun(t, first(galley(t, url, 0, "train", "probe", "--wait", "--json")))
	if r.State != server.RunSucceeded {
		t.Fatalf("prober run = %s: %s", r.State, r.Error)
	}
	if _, err := os.Stat(outside); err == nil && !network {
		t.Errorf("the recipe wrote %s, outside its run directory", outside)
	}
	logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(r.ID))
	probes := map[string]string{}
	for _, line := range strings.Split(logs, "\n") {
		if i := strings.Index(line, "PROBE "); i >= 0 {
			name, verdict, _ := strings.Cut(line[i+len("PROBE "):], " ")
			probes[name] = verdict
		}
	}
	return probes, logs
}

func TestRecipeSandbox(t *testing.T) {
	requireLandlock(t)
	t.Setenv("GALLEY_SECRET_PROBE", "server-only")
	home := t.TempDir()
	m := startServe(t, home, nil)
	probes, logs := probeRun(t, m, home, false)
	for name, want := range map[string]string{
		"token":         "refused",
		"other-home":    "refused",
		"write-outside": "refused",
		"passwd":        "refused",
		"environ":       "refused",
		"tcp":           "refused",
		"udp":           "refused",
		"write-run-dir": "allowed",
	} {
		if !strings.HasPrefix(probes[name], want) {
			t.Errorf("probe %s: %q, want %s", name, probes[name], want)
		}
	}
	if !strings.Contains(logs, "sandbox: Landlock ABI") || !strings.Contains(logs, "network off") {
		t.Errorf("the run's log does not describe its sandbox:\n%s", logs)
	}
	for _, leak := range []string{"GALLEY_SECRET_PROBE", "GALLEY_TOKEN", m.Token} {
		if strings.Contains(logs, leak) {
			t.Errorf("the worker's environment holds %q:\n%s", leak, logs)
		}
	}
	if !strings.Contains(logs, "WD "+filepath.Join(home, "server", "work", "runs", "1")) {
		t.Errorf("the worker does not start in its run directory:\n%s", logs)
	}
	t.Logf("probes with network off: %v", probes)
}

func TestRecipeNetworkOn(t *testing.T) {
	requireLandlock(t)
	home := t.TempDir()
	m := startServe(t, home, func(m *serveMain) { m.RecipeNetwork = true })
	probes, _ := probeRun(t, m, home, true)
	// The same probe reaches the server when the network is allowed, so
	// the refusal above is the sandbox's doing; files stay confined.
	if !strings.HasPrefix(probes["tcp"], "allowed") || !strings.HasPrefix(probes["udp"], "allowed") || !strings.HasPrefix(probes["token"], "refused") {
		t.Errorf("probes with network on: %v", probes)
	}
}

// TestGoroutineMemoryLimit: 300,000 goroutines live mostly on their stacks,
// which a heap-only limit never sees.
func TestGoroutineMemoryLimit(t *testing.T) {
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.MemoryLimit = 256 << 20 })
	url := m.URL()
	nb := recipeNotebook(t, "spawner", "goroutines := 0", `import (
	"fmt"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type Model struct{ Rows int }

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	block := make(chan int)
	for i := 0; i < goroutines; i++ {
		go func() { <-block }()
	}
	fmt.Println("started", goroutines, "goroutines")
	time.Sleep(30 * time.Second)
	return Model{Rows: f.NumRows()}, nil
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return f, nil }`)
	data := filepath.Join(t.TempDir(), "small.csv")
	os.WriteFile(data, syntheticChurn(20, 3), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "small")
	galley(t, url, 0, "recipe", "create", "spawner", nb)
	galley(t, url, 0, "model", "create", "many", "--recipe", "spawner", "--dataset", "small", "-p", "goroutines=300000")
	r := decodeRun(t, first(galley(t, url, 1, "train", "many", "--wait", "--json")))
	if r.State != server.RunFailed || !strings.Contains(r.Error, "exceeded the memory limit of 256 MiB") || r.Attempt != 1 {
		t.Fatalf("run = %s attempt %d: %q; want failed on attempt 1 with the memory limit named", r.State, r.Attempt, r.Error)
	}
	t.Logf("300,000 goroutines under 256 MiB: %s", r.Error)
}
