package data

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/galley-dev/galley/stdlib/display"
)

// streamCSV writes n rows of mixed columns, with empty (null) fields, and
// returns the path.
func streamCSV(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.csv")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(fh)
	r := rand.New(rand.NewPCG(7, 8))
	fmt.Fprintln(w, "id,team,region,amount,units,when")
	for i := 0; i < n; i++ {
		amount := fmt.Sprintf("%.2f", r.NormFloat64()*50)
		if r.IntN(20) == 0 {
			amount = ""
		}
		team := fmt.Sprintf("t%d", r.IntN(7))
		if r.IntN(30) == 0 {
			team = ""
		}
		fmt.Fprintf(w, "%d,%s,%s,%s,%d,2026-0%d-1%dT10:00:00Z\n", i, team, []string{"n", "s", "e"}[r.IntN(3)], amount,
			r.IntN(1000)-200, 1+r.IntN(9), r.IntN(10))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	return path
}

type recorder struct {
	mu      sync.Mutex
	shown   int
	updates []string
}

func (r *recorder) Display(d display.Data, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shown++
}

func (r *recorder) Update(d display.Data, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, d.Bundle[display.MIMEText].(string))
}

func (r *recorder) Clear(bool) {}

func TestStreamCSVToParquet(t *testing.T) {
	src := streamCSV(t, 5000)
	want, err := ReadCSV(src)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	s, err := ScanCSV(src, CSVOptions{ChunkRows: 300})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	old := display.SetPublisher(rec)
	defer display.SetPublisher(old)
	var seen []Progress
	show := ShowProgress(-1) // negative interval: every report updates
	s.Progress(func(p Progress) { seen = append(seen, p); show(p) })
	dst := filepath.Join(t.TempDir(), "s.parquet")
	if err := s.WriteParquet(dst, ParquetOptions{RowGroupRows: 1000}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if w, g := rowsOf(t, want, want.Names()), rowsOf(t, got, want.Names()); fmt.Sprint(w) != fmt.Sprint(g) {
		t.Fatalf("streamed Parquet differs from the CSV read whole: %d rows against %d", len(g), len(w))
	}
	if len(seen) < 5000/300 {
		t.Fatalf("%d progress reports for %d chunks", len(seen), 5000/300)
	}
	last := seen[len(seen)-1]
	if !last.Finished || last.Done != last.Total || last.Rows != 5000 || last.Unit != "bytes" {
		t.Fatalf("last progress %+v", last)
	}
	for k := 1; k < len(seen); k++ {
		if seen[k].Done < seen[k-1].Done {
			t.Fatalf("progress went back: %d then %d", seen[k-1].Done, seen[k].Done)
		}
	}
	if rec.shown != 1 || len(rec.updates) != len(seen)-1 || !strings.HasPrefix(rec.updates[len(rec.updates)-1], "done ") {
		t.Fatalf("display: %d shown, %d updates, last %q", rec.shown, len(rec.updates), rec.updates[len(rec.updates)-1])
	}
}

func TestStreamGroupByMatchesInMemory(t *testing.T) {
	src := streamCSV(t, 7000)
	whole, err := ReadCSV(src)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	pq := filepath.Join(t.TempDir(), "g.parquet")
	if err := whole.WriteParquet(pq, ParquetOptions{RowGroupRows: 900}); err != nil {
		t.Fatal(err)
	}
	cond := Col("units").Gt(100)
	aggs := []Agg{Count(), Sum("units"), Mean("amount"), Min("amount"), Max("when"), Sum("amount").As("total")}
	filtered, err := whole.Filter(cond)
	if err != nil {
		t.Fatal(err)
	}
	defer filtered.Release()
	for _, keys := range [][]string{{"team"}, {"team", "region"}} {
		want, err := filtered.GroupBy(keys...).Agg(aggs...)
		if err != nil {
			t.Fatal(err)
		}
		open := map[string]func() (*Stream, error){
			"csv":     func() (*Stream, error) { return ScanCSV(src, CSVOptions{ChunkRows: 250}) },
			"parquet": func() (*Stream, error) { return ScanParquet(pq, ParquetOptions{BatchRows: 400}) },
		}
		for kind, o := range open {
			s, err := o()
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Filter(cond).GroupBy(keys...).Agg(aggs...)
			if err != nil {
				t.Fatalf("%s %v: %v", kind, keys, err)
			}
			if !sameSchema(got.Schema(), want.Schema()) {
				t.Fatalf("%s %v: schema %s, in memory %s", kind, keys, got.Schema(), want.Schema())
			}
			w, g := rowsOf(t, want, want.Names()), rowsOf(t, got, want.Names())
			got.Release()
			if len(w) != len(g) {
				t.Fatalf("%s %v: %d groups, in memory %d", kind, keys, len(g), len(w))
			}
			for i := range w {
				for j := range w[i] {
					if w[i][j] == g[i][j] {
						continue
					}
					// Float sums add in another order across chunks.
					var a, b float64
					if _, err := fmt.Sscan(w[i][j], &a); err == nil {
						if _, err := fmt.Sscan(g[i][j], &b); err == nil && math.Abs(a-b) <= 1e-9*max(1, math.Abs(a)) {
							continue
						}
					}
					t.Fatalf("%s %v: row %d column %s is %s, in memory %s", kind, keys, i, want.Names()[j], g[i][j], w[i][j])
				}
			}
		}
		want.Release()
	}
}

func TestStreamRefusesWholeGroupAggs(t *testing.T) {
	s, err := ScanCSV(streamCSV(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GroupBy("team").Agg(Median("amount"))
	if err == nil || !strings.Contains(err.Error(), "every value of a group") {
		t.Fatalf("median over a stream: %v", err)
	}
	if _, err := s.Next(); err == nil {
		t.Fatal("a refused aggregation left the stream open")
	}
}

func TestStreamCollectAndBadFilter(t *testing.T) {
	src := streamCSV(t, 2000)
	s, err := ScanCSV(src, CSVOptions{ChunkRows: 128})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Filter(Col("region").Eq("n")).Select("id", "region").Collect()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	whole, _ := ReadCSV(src)
	defer whole.Release()
	n, _ := whole.Filter(Col("region").Eq("n"))
	defer n.Release()
	if f.NumRows() != n.NumRows() || f.NumCols() != 2 {
		t.Fatalf("collected %d x %d, want %d x 2", f.NumRows(), f.NumCols(), n.NumRows())
	}
	s, _ = ScanCSV(src, CSVOptions{ChunkRows: 128})
	if _, err := s.Filter(Col("nope").Gt(1)).Collect(); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("filter on a missing column: %v", err)
	}
}

func TestStreamReadsOnlyNeededColumns(t *testing.T) {
	src := streamCSV(t, 3000)
	whole, err := ReadCSV(src)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	pq := filepath.Join(t.TempDir(), "p.parquet")
	if err := whole.WriteParquet(pq, ParquetOptions{RowGroupRows: 700}); err != nil {
		t.Fatal(err)
	}
	open := map[string]func() (*Stream, error){
		"csv":     func() (*Stream, error) { return ScanCSV(src, CSVOptions{ChunkRows: 500}) },
		"parquet": func() (*Stream, error) { return ScanParquet(pq) },
	}
	for name, scan := range open {
		t.Run(name, func(t *testing.T) {
			s, err := scan()
			if err != nil {
				t.Fatal(err)
			}
			var read []int
			s.next = func(next func() (*Frame, error)) func() (*Frame, error) {
				return func() (*Frame, error) {
					f, err := next()
					if err == nil {
						read = append(read, f.NumCols())
					}
					return f, err
				}
			}(s.next)
			g, err := s.With("big", Col("units").Mul(2)).Filter(Col("big").Gt(100)).GroupBy("team").Agg(Mean("amount"))
			if err != nil {
				t.Fatal(err)
			}
			defer g.Release()
			// team, units (for big) and amount: not id, region or when.
			for _, n := range read {
				if n != 3 {
					t.Fatalf("chunks had %v columns, want 3 each", read)
				}
			}
			if len(read) == 0 || g.NumRows() == 0 {
				t.Fatalf("%d chunks, %d groups", len(read), g.NumRows())
			}
		})
	}
}

// TestStreamCloseReleasesReadAhead closes a stream after one chunk, while
// the next one is read ahead: the checked allocator proves it released.
func TestStreamCloseReleasesReadAhead(t *testing.T) {
	mem := checked(t)
	s, err := ScanCSV(streamCSV(t, 2000), CSVOptions{ChunkRows: 100, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 100 {
		t.Fatalf("first chunk has %d rows", f.NumRows())
	}
	f.Release()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err == nil {
		t.Fatal("Next after Close: want an error")
	}
}
