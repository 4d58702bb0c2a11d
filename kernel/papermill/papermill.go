// Package papermill carries galley's papermill translator, the Python
// package galley_papermill beside this file, so that `galley kernel
// install` can install it into Jupyter's Python from the binary alone.
//
// papermill writes injected parameters as code in the notebook's language
// and knows no Go; the package registers a translator for "go". It is
// installed as a wheel built here in memory, which needs neither network
// nor a build backend:
//
//	ok, err := papermill.Install(ctx, "/path/to/venv/bin/python")
package papermill

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Version is the package version; pyproject.toml says the same.
const Version = "0.1.0"

//go:embed galley_papermill/__init__.py
var files embed.FS

// Wheel builds the package as a wheel and returns its file name and bytes.
func Wheel() (name string, data []byte, err error) {
	src, err := files.ReadFile("galley_papermill/__init__.py")
	if err != nil {
		return "", nil, err
	}
	dist := "galley_papermill-" + Version + ".dist-info/"
	entries := []struct{ path, body string }{
		{"galley_papermill/__init__.py", string(src)},
		{dist + "METADATA", "Metadata-Version: 2.1\nName: galley-papermill\nVersion: " + Version + "\nSummary: papermill parameters for notebooks run by galley's Go kernel\nRequires-Python: >=3.8\n"},
		{dist + "WHEEL", "Wheel-Version: 1.0\nGenerator: galley\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{dist + "entry_points.txt", "[papermill.engine]\ngalley = galley_papermill:GalleyEngine\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, e := range entries {
		w, err := zw.Create(e.path)
		if err != nil {
			return "", nil, err
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			return "", nil, err
		}
		sum := sha256.Sum256([]byte(e.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", e.path, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.body))
	}
	record.WriteString(dist + "RECORD,,\n")
	w, err := zw.Create(dist + "RECORD")
	if err != nil {
		return "", nil, err
	}
	if _, err := w.Write([]byte(record.String())); err != nil {
		return "", nil, err
	}
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	return "galley_papermill-" + Version + "-py3-none-any.whl", buf.Bytes(), nil
}

// HasPapermill reports whether python can import papermill.
func HasPapermill(ctx context.Context, python string) bool {
	return exec.CommandContext(ctx, python, "-c", "import papermill").Run() == nil
}

// Install installs the translator into python's environment with pip
// when that Python has papermill, and reports whether it did. Extra pip
// arguments (such as --target DIR) are passed on.
func Install(ctx context.Context, python string, pipArgs ...string) (bool, error) {
	if !HasPapermill(ctx, python) {
		return false, nil
	}
	name, data, err := Wheel()
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "galley-papermill-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	whl := filepath.Join(dir, name)
	if err := os.WriteFile(whl, data, 0o644); err != nil {
		return false, err
	}
	args := append([]string{"-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--force-reinstall", "--disable-pip-version-check"}, pipArgs...)
	out, err := exec.CommandContext(ctx, python, append(args, whl)...).CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("installing the papermill translator with %s -m pip: %v\n%s", python, err, out)
	}
	return true, nil
}
