// Package kernelspec installs and removes galley's Jupyter kernelspec: the
// kernel.json that tells Jupyter how to start the kernel, and its logos.
package kernelspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultName is the kernelspec name used when none is given.
const DefaultName = "galley"

// Spec is the content of kernel.json.
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

// NewSpec returns the spec that starts the galley binary at path.
func NewSpec(binary string) Spec {
	return Spec{
		Argv:          []string{binary, "kernel", "--connection-file", "{connection_file}"},
		DisplayName:   "Go (galley)",
		Language:      "go",
		InterruptMode: "message",
		// JupyterLab offers its debugger only for kernelspecs that say
		// so, and kernels whose kernel_info says so.
		Metadata: map[string]any{"debugger": true},
	}
}

// Location says where kernelspecs go; exactly one way is used.
type Location struct {
	User      bool   // the user's Jupyter data directory
	SysPrefix bool   // sys.prefix of Python (the active venv)
	Python    string // the interpreter whose sys.prefix SysPrefix uses
	Prefix    string // PREFIX/share/jupyter/kernels
}

// KernelsDir resolves l to the directory that holds kernelspecs.
func (l Location) KernelsDir() (string, error) {
	n := 0
	for _, b := range []bool{l.User, l.SysPrefix, l.Prefix != ""} {
		if b {
			n++
		}
	}
	if n > 1 {
		return "", errors.New("use only one of --user, --sys-prefix and --prefix")
	}
	switch {
	case l.Prefix != "":
		abs, err := filepath.Abs(l.Prefix)
		if err != nil {
			return "", err
		}
		return filepath.Join(abs, "share", "jupyter", "kernels"), nil
	case l.SysPrefix:
		prefix, err := sysPrefix(l.Python)
		if err != nil {
			return "", err
		}
		return filepath.Join(prefix, "share", "jupyter", "kernels"), nil
	default:
		return userDataDir()
	}
}

// sysPrefix asks Python for sys.prefix: the given interpreter, else the
// active virtualenv's, else python3 on PATH.
func sysPrefix(python string) (string, error) {
	if python == "" {
		if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
			python = filepath.Join(venv, "bin", "python")
		} else {
			python = "python3"
		}
	}
	out, err := exec.Command(python, "-c", "import sys; print(sys.prefix)").Output()
	if err != nil {
		return "", fmt.Errorf("asking %s for sys.prefix (pass --python with Jupyter's interpreter): %w", python, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// userDataDir is Jupyter's per-user data directory, as jupyter_core
// computes it.
func userDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(d, "kernels"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory for a user install (use --prefix): %w", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Jupyter", "kernels"), nil
	case "windows":
		if appdata := os.Getenv("APPDATA"); appdata != "" {
			return filepath.Join(appdata, "jupyter", "kernels"), nil
		}
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "jupyter", "kernels"), nil
	}
	return filepath.Join(home, ".local", "share", "jupyter", "kernels"), nil
}

// Install writes the kernelspec name for binary into l and returns its
// directory.
func Install(l Location, name, binary string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	kernels, err := l.KernelsDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(kernels, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	spec, err := json.MarshalIndent(NewSpec(abs), "", "  ")
	if err != nil {
		return "", err
	}
	files := map[string][]byte{
		"kernel.json":    append(spec, '\n'),
		"logo-svg.svg":   []byte(logoSVG),
		"logo-32x32.png": logoPNG(32),
		"logo-64x64.png": logoPNG(64),
	}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return "", fmt.Errorf("writing %s: %w", f, err)
		}
	}
	return dir, nil
}

// Uninstall removes the kernelspec name from l and returns the directory
// it removed.
func Uninstall(l Location, name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	kernels, err := l.KernelsDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(kernels, name)
	if _, err := os.Stat(filepath.Join(dir, "kernel.json")); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no kernelspec %q in %s", name, kernels)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// checkName enforces Jupyter's rule for kernel names, which also keeps the
// name from escaping the kernels directory.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty kernel name")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("kernel name %q may only hold letters, digits, '-', '_' and '.'", name)
		}
	}
	if name == "." || name == ".." {
		return fmt.Errorf("kernel name %q is not allowed", name)
	}
	return nil
}

// The logo is a Go-blue disc with a white galley hull riding on it; it is
// drawn here rather than shipped as files so it scales to each size exactly.
const logoSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
  <circle cx="32" cy="32" r="31" fill="#00ADD8"/>
  <path d="M12 34 H52 L44 46 H20 Z" fill="#ffffff"/>
  <rect x="30" y="14" width="4" height="20" fill="#ffffff"/>
  <path d="M34 16 L46 30 H34 Z" fill="#ffffff"/>
</svg>
`

func logoPNG(size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	blue := color.NRGBA{0x00, 0xAD, 0xD8, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	s := float64(size) / 64
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// Sample at the pixel centre in the 64-unit design space.
			u, v := (float64(x)+0.5)/s, (float64(y)+0.5)/s
			var c color.NRGBA
			if (u-32)*(u-32)+(v-32)*(v-32) <= 31*31 {
				c = blue
			}
			hull := v >= 34 && v <= 46 && u >= 12+8*(v-34)/12 && u <= 52-8*(v-34)/12
			mast := u >= 30 && u <= 34 && v >= 14 && v <= 34
			sail := u >= 34 && v >= 16 && v <= 30 && u <= 34+12*(v-16)/14
			if hull || mast || sail {
				c = white
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding an in-memory image cannot fail
	return buf.Bytes()
}
