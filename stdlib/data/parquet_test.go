package data

import (
	"fmt"
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
// optional ones, across row groups and pages; one string column is
// written without a dictionary, so its levels come from plain pages.
func TestReadParquetRequired(t *testing.T) {
	mem := checked(t)
	const n = 150_000
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ri", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rf", Type: arrow.PrimitiveTypes.Float64},
		{Name: "of", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "rs", Type: arrow.BinaryTypes.String},
		{Name: "os", Type: arrow.BinaryTypes.String, Nullable: true},
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
		// Row groups of 60k rows see different levels in a different order.
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("level-%d", (i/1000)%90))
		if i%5 == 1 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("o%d", (i*i)%37))
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "required.parquet")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, fh, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(60_000),
		parquet.WithDictionaryFor("os", false)), pqarrow.DefaultWriterProps())
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
	for j, name := range []string{"ri", "rf", "of", "rs", "os"} {
		got, err := f.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.Arrow().(*array.Dictionary); j >= 3 && !ok {
			t.Errorf("column %s is not dictionary-encoded", name)
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
				case *array.String:
					w = a.Value(i)
				}
			}
			if g := got.Value(i); g != w {
				t.Fatalf("column %s row %d: %v, want %v", name, i, g, w)
			}
		}
	}
}
