package kernelspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestInstallPrefix(t *testing.T) {
	prefix := t.TempDir()
	dir, err := Install(Location{Prefix: prefix}, "go-test", "/opt/bin/galley")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(prefix, "share", "jupyter", "kernels", "go-test"); dir != want {
		t.Fatalf("installed into %s, want %s", dir, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	want := []string{"/opt/bin/galley", "kernel", "--connection-file", "{connection_file}"}
	if len(spec.Argv) != 4 || spec.Argv[0] != want[0] || spec.Argv[3] != want[3] {
		t.Errorf("argv = %q, want %q", spec.Argv, want)
	}
	if spec.DisplayName != "Go (galley)" || spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("spec = %+v", spec)
	}
	for _, size := range []int{32, 64} {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("logo-%dx%d.png", size, size)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Errorf("logo %d is %v", size, img.Bounds())
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "logo-svg.svg")); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("svg logo: %v", err)
	}
	if _, err := Uninstall(Location{Prefix: prefix}, "go-test"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("kernelspec still there after uninstall: %v", err)
	}
	if _, err := Uninstall(Location{Prefix: prefix}, "go-test"); err == nil {
		t.Error("uninstalling twice succeeded")
	}
}

func TestUserAndErrors(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	dir, err := Install(Location{User: true}, DefaultName, "galley")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != filepath.Join(os.Getenv("JUPYTER_DATA_DIR"), "kernels") {
		t.Errorf("user install went to %s", dir)
	}
	for _, name := range []string{"", "..", "a/b", "x y"} {
		if _, err := Install(Location{User: true}, name, "galley"); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if _, err := Install(Location{User: true, Prefix: "/tmp"}, "x", "galley"); err == nil {
		t.Error("two locations accepted")
	}
	if _, err := Install(Location{SysPrefix: true, Python: "/nonexistent/python"}, "x", "galley"); err == nil {
		t.Error("missing python accepted")
	}
}
