package data

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The stream benchmarks read a CSV of $GALLEY_BENCH_STREAM_ROWS rows of the
// benchmark table (30M rows make about 4 GB), generated once into
// $GALLEY_BENCH_DIR as big.csv, and are meant to run under a memory limit
// far below the file's size (the suite sets GOMEMLIMIT and reports the
// peak resident memory beside the time).

const streamChunkRows = 1 << 17

func streamFiles(b *testing.B) (csvPath, pqPath string) {
	b.Helper()
	if os.Getenv("GALLEY_BENCH_STREAM_ROWS") == "" {
		b.Skip("set GALLEY_BENCH_STREAM_ROWS to run the stream benchmarks (they write a multi-GB file)")
	}
	rows := envRows(b, "GALLEY_BENCH_STREAM_ROWS", 0)
	dir := os.Getenv("GALLEY_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "galley-bench-data")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	csvPath = filepath.Join(dir, "big.csv")
	pqPath = filepath.Join(dir, "big.parquet")
	if _, err := os.Stat(csvPath); err != nil {
		if err := writeBenchCSV(csvPath+".tmp", rows, rand.New(rand.NewPCG(7, 7))); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(csvPath+".tmp", csvPath); err != nil {
			b.Fatal(err)
		}
	}
	return csvPath, pqPath
}

func reportInput(b *testing.B, path string) {
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/1e6, "input-MB")
	}
}

func BenchmarkStreamCSVToParquet(b *testing.B) {
	src, dst := streamFiles(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := ScanCSV(src, CSVOptions{ChunkRows: streamChunkRows})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.WriteParquet(dst + ".tmp"); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(dst+".tmp", dst); err != nil {
			b.Fatal(err)
		}
	}
	reportInput(b, src)
	peakMB(b)
}

// streamGroupBy is the in-memory filter + group-by case over a stream.
func streamGroupBy(b *testing.B, open func() (*Stream, error)) {
	b.Helper()
	for i := 0; i < b.N; i++ {
		s, err := open()
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Filter(Col("f0").Gt(0)).GroupBy("cat10", "cat100").Agg(Mean("f1"), Mean("f2"))
		if err != nil {
			b.Fatal(err)
		}
		if res.NumRows() != 1000 {
			b.Fatalf("%d groups", res.NumRows())
		}
		res.Release()
	}
}

func BenchmarkStreamCSVFilterGroupBy(b *testing.B) {
	src, _ := streamFiles(b)
	b.ResetTimer()
	streamGroupBy(b, func() (*Stream, error) { return ScanCSV(src, CSVOptions{ChunkRows: streamChunkRows}) })
	reportInput(b, src)
	peakMB(b)
}

func BenchmarkStreamParquetFilterGroupBy(b *testing.B) {
	src, pq := streamFiles(b)
	if _, err := os.Stat(pq); err != nil {
		s, err := ScanCSV(src, CSVOptions{ChunkRows: streamChunkRows})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.WriteParquet(pq); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	streamGroupBy(b, func() (*Stream, error) { return ScanParquet(pq) })
	reportInput(b, pq)
	peakMB(b)
}
