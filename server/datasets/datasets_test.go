package datasets_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
)

func TestImportExportAndLineage(t *testing.T) {
	ctx := context.Background()
	ds, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	csv := "id,total,churn\nA,29.85,No\nB, ,Yes\nC,1889.5,No\n"
	v, err := ds.ImportDataset(ctx, "telco", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if v.Snapshot() != "telco@1" || v.Rows != 3 || strings.Join(v.Columns, ",") != "id,total,churn" || v.Format != "parquet" {
		t.Fatalf("imported %+v", v)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	if err := ds.ExportCSV(ctx, "telco", out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "A,29.85,No") {
		t.Errorf("exported %q", b)
	}
	lin := &server.Lineage{RunID: 7, Recipe: "r", RecipeVersion: 2, TrainedModel: "m@1", InputSnapshot: "telco@1", Params: map[string]string{"k": "v"}}
	sv, err := ds.SaveOutput(ctx, "scores", out, lin)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ds.FindDatasetVersion(ctx, sv.Snapshot())
	if err != nil || got.Lineage == nil || got.Lineage.RunID != 7 || got.Lineage.Params["k"] != "v" {
		t.Errorf("lineage = %+v, %v", got, err)
	}
	_, err = ds.ImportDataset(ctx, "bad", strings.NewReader("a,b\n1,2,3\n"))
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "BadRows") {
		t.Errorf("bad CSV: %v", err)
	}
}

func TestImportRealFile(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "datasets", "telco-churn.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skip("telco-churn.csv not available")
	}
	defer f.Close()
	ds, _ := datasets.Open(t.TempDir())
	v, err := ds.ImportDataset(context.Background(), "telco", f)
	if err != nil {
		t.Fatal(err)
	}
	if v.Rows != 7043 {
		t.Errorf("rows = %d", v.Rows)
	}
}

// TestReplaceOutput: a re-run schedule slot's output takes the place of
// the version its earlier run wrote, data and lineage.
func TestReplaceOutput(t *testing.T) {
	ctx := context.Background()
	ds, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first, second := filepath.Join(dir, "1.csv"), filepath.Join(dir, "2.csv")
	os.WriteFile(first, []byte("id,p\nA,0.1\nB,0.2\n"), 0o644)
	os.WriteFile(second, []byte("id,p\nA,0.3\nB,0.4\nC,0.5\n"), 0o644)
	if _, err := ds.SaveOutput(ctx, "scores", first, &server.Lineage{RunID: 1}); err != nil {
		t.Fatal(err)
	}
	v, err := ds.ReplaceOutput(ctx, "scores@1", second, &server.Lineage{RunID: 2, ReplacedRuns: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ds.FindDatasetVersion(ctx, "scores")
	if err != nil || v.Version != 1 || got.Version != 1 || got.Rows != 3 || got.Lineage == nil || got.Lineage.RunID != 2 || len(got.Lineage.ReplacedRuns) != 1 {
		t.Errorf("after replacing: %+v (returned %+v), %v; want scores@1 with 3 rows from run 2", got, v, err)
	}
	if _, err := ds.ReplaceOutput(ctx, "scores@2", second, &server.Lineage{RunID: 3}); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("replacing a missing version: %v", err)
	}
}
