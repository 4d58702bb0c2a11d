package data

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The benchmarks run on a generated table of $GALLEY_BENCH_ROWS rows
// (default 1M) × 20 mixed columns, written once to $GALLEY_BENCH_DIR
// (default: a directory under the system temp dir) as bench.csv and
// bench.parquet, so peer libraries can time the same files (see
// testdata/bench/suite_data.py). The stream benchmarks use a bigger CSV
// of $GALLEY_BENCH_STREAM_ROWS rows and run only when that is set.

var benchOnce sync.Once

// benchRows is the row count of the generated table.
func benchRows(b *testing.B) int {
	b.Helper()
	return envRows(b, "GALLEY_BENCH_ROWS", 1_000_000)
}

func envRows(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q is not a positive row count", name, v)
	}
	return n
}

func benchDir(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("GALLEY_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "galley-bench-data")
	}
	rows := benchRows(b)
	benchOnce.Do(func() {
		if err := writeBenchFiles(dir, rows); err != nil {
			b.Fatal(err)
		}
	})
	return dir
}

// BenchmarkBenchFiles only makes sure the files exist, so that the suite
// writes them before it measures anything.
func BenchmarkBenchFiles(b *testing.B) {
	benchDir(b)
}

// writeBenchFiles generates the table unless the files already exist.
func writeBenchFiles(dir string, rows int) error {
	csvPath := filepath.Join(dir, "bench.csv")
	pqPath := filepath.Join(dir, "bench.parquet")
	dimPath := filepath.Join(dir, "dim.csv")
	if _, err := os.Stat(pqPath); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(42, 42))
	if err := writeBenchCSV(csvPath, rows, r); err != nil {
		return err
	}
	// A dimension table keyed by every 10th id.
	dfh, err := os.Create(dimPath)
	if err != nil {
		return err
	}
	dw := bufio.NewWriter(dfh)
	dw.WriteString("id,segment,score\n")
	for k := 0; k < rows/10; k++ {
		fmt.Fprintf(dw, "%d,s%d,%.3f\n", k*10, r.IntN(50), r.Float64())
	}
	if err := dw.Flush(); err != nil {
		dfh.Close()
		return err
	}
	if err := dfh.Close(); err != nil {
		return err
	}
	f, err := ReadCSV(csvPath)
	if err != nil {
		return err
	}
	defer f.Release()
	return f.WriteParquet(pqPath)
}

// writeBenchCSV writes rows rows of the benchmark table: id, 4 string keys
// of growing cardinality, 6 ints, 8 floats, 1 bool.
func writeBenchCSV(path string, rows int, r *rand.Rand) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	var head []string
	head = append(head, "id", "cat10", "cat100", "cat1k", "region")
	for i := 0; i < 6; i++ {
		head = append(head, fmt.Sprintf("i%d", i))
	}
	for i := 0; i < 8; i++ {
		head = append(head, fmt.Sprintf("f%d", i))
	}
	head = append(head, "flag")
	w.WriteString(strings.Join(head, ",") + "\n")
	regions := []string{"north", "south", "east", "west"}
	var line []byte
	for row := 0; row < rows; row++ {
		line = line[:0]
		line = strconv.AppendInt(line, int64(row), 10)
		line = fmt.Appendf(line, ",c%d,k%d,u%d,%s", r.IntN(10), r.IntN(100), r.IntN(1000), regions[r.IntN(4)])
		for i := 0; i < 6; i++ {
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(r.IntN(100_000)), 10)
		}
		for i := 0; i < 8; i++ {
			line = append(line, ',')
			line = strconv.AppendFloat(line, r.NormFloat64()*100, 'f', 4, 64)
		}
		line = append(line, ',')
		line = strconv.AppendBool(line, r.IntN(2) == 0)
		line = append(line, '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// peakMB reports the process's peak resident memory.
func peakMB(b *testing.B) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			b.ReportMetric(float64(kb)/1024, "peak-MB")
		}
	}
}

func BenchmarkReadCSV(b *testing.B) {
	path := filepath.Join(benchDir(b), "bench.csv")
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := ReadCSV(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
	peakMB(b)
}

func BenchmarkReadParquet(b *testing.B) {
	path := filepath.Join(benchDir(b), "bench.parquet")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := ReadParquet(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
	peakMB(b)
}

func benchFrame(b *testing.B) *Frame {
	f, err := ReadParquet(filepath.Join(benchDir(b), "bench.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func BenchmarkWriteParquet(b *testing.B) {
	f := benchFrame(b)
	defer f.Release()
	out := filepath.Join(b.TempDir(), "out.parquet")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.WriteParquet(out); err != nil {
			b.Fatal(err)
		}
	}
	peakMB(b)
}

// BenchmarkFilterGroupByMean filters on a numeric column, then groups by
// two string keys and averages two floats.
func BenchmarkFilterGroupByMean(b *testing.B) {
	f := benchFrame(b)
	defer f.Release()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := f.Filter(Col("f0").Gt(0))
		if err != nil {
			b.Fatal(err)
		}
		res, err := g.GroupBy("cat10", "cat100").Agg(Mean("f1"), Mean("f2"))
		if err != nil {
			b.Fatal(err)
		}
		if res.NumRows() != 1000 {
			b.Fatalf("%d groups", res.NumRows())
		}
		res.Release()
		g.Release()
	}
	peakMB(b)
}

func BenchmarkJoin(b *testing.B) {
	f := benchFrame(b)
	defer f.Release()
	dim, err := ReadCSV(filepath.Join(benchDir(b), "dim.csv"))
	if err != nil {
		b.Fatal(err)
	}
	defer dim.Release()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := f.InnerJoin(dim, "id")
		if err != nil {
			b.Fatal(err)
		}
		if j.NumRows() != benchRows(b)/10 {
			b.Fatalf("%d rows", j.NumRows())
		}
		j.Release()
	}
	peakMB(b)
}
