package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// byNameEnv gives Load an empty catalog and a files folder of its own.
func byNameEnv(t *testing.T) (cat *Catalog, files string) {
	t.Helper()
	home, files := t.TempDir(), t.TempDir()
	t.Setenv("GALLEY_HOME", home)
	t.Setenv("GALLEY_DATASETS", files)
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return cat, files
}

func TestLoadByName(t *testing.T) {
	cat, files := byNameEnv(t)
	if err := os.WriteFile(filepath.Join(files, "tiny.csv"), []byte("a,b\n1,x\n2,y\n3,z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 3 || !f.Has("b") {
		t.Errorf("tiny.csv loaded as %d rows, columns %v", f.NumRows(), f.Names())
	}
	f.Release()
	p, err := File("tiny")
	if err != nil || p != filepath.Join(files, "tiny.csv") {
		t.Errorf("File(tiny) = %q, %v", p, err)
	}

	// A catalog dataset of the same name wins over the file.
	if _, err := cat.Save("tiny", frame(t, 5), "test"); err != nil {
		t.Fatal(err)
	}
	f, err = Load("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 5 {
		t.Errorf("Load(tiny) read %d rows, want the catalog's 5", f.NumRows())
	}
	f.Release()
	if _, err := cat.Save("only-in-catalog", frame(t, 2), "test"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Names(), " "); got != "only-in-catalog tiny" {
		t.Errorf("Names() = %q", got)
	}
}

func TestLoadUnknownNameListsKnown(t *testing.T) {
	cat, files := byNameEnv(t)
	os.WriteFile(filepath.Join(files, "telco-churn.csv"), []byte("a\n1\n"), 0o644)
	os.WriteFile(filepath.Join(files, "README.md"), []byte("not data"), 0o644)
	if _, err := cat.Save("scores", frame(t, 1), "test"); err != nil {
		t.Fatal(err)
	}
	_, err := Load("telco")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load(telco) = %v, want ErrNotFound", err)
	}
	for _, want := range []string{`dataset "telco"`, "scores", "telco-churn", files} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "README") {
		t.Errorf("error %q lists a file that is not a dataset", err)
	}
	if _, err := Load("../etc/passwd"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Load of a path = %v, want ErrInvalidName", err)
	}
}

// A relative GALLEY_DATASETS means the same folder from the repository root
// and from a notebook's folder below it.
func TestFilesDirRelativeToRepo(t *testing.T) {
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644)
	nbDir := filepath.Join(repo, "notebooks")
	os.MkdirAll(nbDir, 0o755)
	t.Setenv("GALLEY_DATASETS", "data")
	t.Chdir(repo)
	fromRoot := FilesDir()
	t.Chdir(nbDir)
	if fromNotebook := FilesDir(); fromRoot != fromNotebook || fromRoot != filepath.Join(repo, "data") {
		t.Errorf("FilesDir() = %q from the root, %q from notebooks/; want %q", fromRoot, fromNotebook, filepath.Join(repo, "data"))
	}
	t.Setenv("GALLEY_DATASETS", "")
	if d := FilesDir(); d != "" {
		t.Errorf("FilesDir() = %q without a ../shared/datasets, want none", d)
	}
	os.MkdirAll(filepath.Join(repo, "..", "shared", "datasets"), 0o755)
	defer os.RemoveAll(filepath.Join(repo, "..", "shared"))
	if d := FilesDir(); d != filepath.Join(filepath.Dir(repo), "shared", "datasets") {
		t.Errorf("FilesDir() = %q from notebooks/, want the shared folder beside the repository", d)
	}
}

func TestParseRef(t *testing.T) {
	for ref, want := range map[string]struct {
		name    string
		version int
	}{"telco": {"telco", 0}, "telco@3": {"telco", 3}, "telco@v12": {"telco", 12}, "a.b_c-d@1": {"a.b_c-d", 1}} {
		name, v, err := ParseRef(ref)
		if err != nil || name != want.name || v != want.version {
			t.Errorf("ParseRef(%q) = %q, %d, %v", ref, name, v, err)
		}
	}
	for _, ref := range []string{"", "telco@", "telco@0", "telco@-1", "telco@x", "../telco", "@3", "a@1@2"} {
		if _, _, err := ParseRef(ref); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseRef(%q) = %v, want ErrInvalidName", ref, err)
		}
	}
}

// TestLoadVersionLocal: without a server, NAME@VERSION reads that version
// of the local catalog; a version it lacks is not found, never the latest
// or a file; a version of a plain file is refused.
func TestLoadVersionLocal(t *testing.T) {
	if SharedCatalog() != nil {
		t.Fatal("a shared catalog is in use")
	}
	cat, files := byNameEnv(t)
	for n := 2; n <= 3; n++ {
		if _, err := cat.Save("demo", frame(t, n), "test"); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(files, "demo.csv"), []byte("a\n1\n"), 0o644)
	for ref, want := range map[string]int{"demo": 3, "demo@1": 2, "demo@v2": 3} {
		f, err := Load(ref)
		if err != nil {
			t.Fatalf("Load(%s): %v", ref, err)
		}
		if f.NumRows() != want {
			t.Errorf("Load(%s) read %d rows, want %d", ref, f.NumRows(), want)
		}
		f.Release()
	}
	if _, err := Load("demo@5"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "version 5") {
		t.Errorf("Load(demo@5) = %v", err)
	}
	if _, err := File("demo@1"); !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "galley server") {
		t.Errorf("File(demo@1) = %v", err)
	}
}
