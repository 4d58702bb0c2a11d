// Package jupytertest holds what tests need to drive galley through real
// Jupyter clients: the project's Python virtualenv, a freshly built galley
// binary and a kernelspec installed into a temporary prefix.
//
// Tests never silently skip in CI: when CI=true, a missing tool fails the
// test with a message naming it; elsewhere the test is skipped with the same
// message, so a developer knows what to install.
package jupytertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galley-dev/galley/internal/proctest"
)

// Missing reports that what is needed but not installed: a failure when
// CI=true, a skip otherwise.
func Missing(tb testing.TB, what string) {
	tb.Helper()
	proctest.Missing(tb, "missing test tool: "+what)
}

// RepoRoot returns the directory holding galley's go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("jupytertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Python returns the interpreter of the project's virtualenv: $GALLEY_PYTHON,
// or .venv/bin/python at the repository root. `make test` creates it.
func Python(tb testing.TB) string {
	tb.Helper()
	py := os.Getenv("GALLEY_PYTHON")
	if py == "" {
		py = filepath.Join(RepoRoot(tb), ".venv", "bin", "python")
	}
	if _, err := os.Stat(py); err != nil {
		Missing(tb, "the project virtualenv's Python at "+py+" (run 'make test', which creates .venv)")
	}
	return py
}

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// BuildGalley builds cmd/galley once per test binary and returns its path.
func BuildGalley(tb testing.TB) string {
	tb.Helper()
	root := RepoRoot(tb)
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "galley-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "galley")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/galley")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		tb.Fatalf("building galley: %v\n%s", build.err, build.out)
	}
	return build.path
}

// InstallKernelspec installs galley's kernelspec named name into a temporary
// prefix with `galley kernel install --prefix`, and returns the prefix. Point
// JUPYTER_PATH at prefix/share/jupyter for clients to find it.
func InstallKernelspec(tb testing.TB, galley, name string) string {
	tb.Helper()
	prefix := tb.TempDir()
	out, err := exec.Command(galley, "kernel", "install", "--prefix", prefix, "--name", name).CombinedOutput()
	if err != nil {
		tb.Fatalf("galley kernel install: %v\n%s", err, out)
	}
	return prefix
}

// KernelEnv returns the environment for a Jupyter client that should find
// the kernelspecs installed under prefix: JUPYTER_PATH points there, and the
// runtime directory (connection files) and galley's history file are
// temporary, so tests leave nothing behind and do not see each other.
func KernelEnv(tb testing.TB, prefix string) []string {
	tb.Helper()
	tmp := tb.TempDir()
	return append(os.Environ(),
		"JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(tmp, "runtime"),
		"GALLEY_HISTORY_FILE="+filepath.Join(tmp, "history.jsonl"),
		"PYTHONDONTWRITEBYTECODE=1",
	)
}
