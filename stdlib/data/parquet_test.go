package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// TestReadParquetRequired reads columns written as required (no
// definition levels), which galley's own writer never produces, next to
// optional ones, across row groups and pages.
func TestReadParquetRequired(t *testing.T) {
	mem := checked(t)
	const n = 150_000
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ri", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rf", Type: arrow.PrimitiveTypes.Float64},
		{Name: "of", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i*i) - 5)
		b.Field(1).(*array.Float64Builder).Append(float64(i) * 0.25)
		if i%7 == 3 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append(-float64(i))
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "required.parquet")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, fh, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(60_000)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := ReadParquet(path, ParquetOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if f.NumRows() != n {
		t.Fatalf("%d rows", f.NumRows())
	}
	for j, name := range []string{"ri", "rf", "of"} {
		got, err := f.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		want := rec.Column(j)
		for i := 0; i < n; i++ {
			var w any
			if want.IsValid(i) {
				switch a := want.(type) {
				case *array.Int64:
					w = a.Value(i)
				case *array.Float64:
					w = a.Value(i)
				}
			}
			if g := got.Value(i); g != w {
				t.Fatalf("column %s row %d: %v, want %v", name, i, g, w)
			}
		}
	}
}
