package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKernelInstallAddsTranslator: installing the kernelspec into a prefix
// whose Python has papermill also pip-installs the papermill translator
// there, and leaves a Python without papermill alone. The Python here is
// a script that records how it is called.
func TestKernelInstallAddsTranslator(t *testing.T) {
	for _, hasPapermill := range []bool{true, false} {
		prefix := t.TempDir()
		log := filepath.Join(prefix, "calls.log")
		status := "0"
		if !hasPapermill {
			status = "1"
		}
		script := `#!/bin/sh
echo "$@" >> ` + log + `
case "$*" in
  "-c import papermill") exit ` + status + ` ;;
  "-m pip install"*) for a; do last=$a; done; test -s "$last" || exit 3 ;;
esac
`
		os.MkdirAll(filepath.Join(prefix, "bin"), 0o755)
		if err := os.WriteFile(filepath.Join(prefix, "bin", "python"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"kernel", "install", "--prefix", prefix}, &out, &errb); code != 0 {
			t.Fatalf("kernel install: exit %d: %s", code, errb.String())
		}
		calls, _ := os.ReadFile(log)
		installed := strings.Contains(string(calls), "-m pip install --quiet --no-deps --no-index --force-reinstall --disable-pip-version-check ") &&
			strings.Contains(string(calls), "galley_papermill-") && strings.Contains(out.String(), "installed the papermill translator for Go")
		if installed != hasPapermill {
			t.Errorf("papermill present %v: translator installed %v\ncalls:\n%s\nstdout: %s\nstderr: %s", hasPapermill, installed, calls, out.String(), errb.String())
		}
	}
}
