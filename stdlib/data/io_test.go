package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadCSVInference(t *testing.T) {
	mem := checked(t)
	in := "id,x,flag,when,name,blank\n1,1.5,true,2024-01-02,a,\n2, ,false,2024-01-03 10:00:00,\"b, \"\"q\"\"\",\n3,NA,true,,c,\n"
	f, err := ReadCSVFrom(strings.NewReader(in), CSVOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	want := "id: int64, x: float64, flag: bool, when: timestamp, name: string, blank: string"
	if got := f.Schema().String(); got != want {
		t.Errorf("schema %s\nwant   %s", got, want)
	}
	if got := strs(t, f, "x"); !reflect.DeepEqual(got, []string{"1.5", "null", "null"}) {
		t.Errorf("x = %v", got)
	}
	if got := strs(t, f, "name"); got[1] != `b, "q"` {
		t.Errorf("quoted = %q", got[1])
	}
	if got := strs(t, f, "when"); got[1] != "2024-01-03 10:00:00" || got[2] != "null" {
		t.Errorf("when = %v", got)
	}
}

func TestReadCSVBadRows(t *testing.T) {
	in := "a;b\n1;x\n2\n3;z;extra\nfour;w\n"
	tests := []struct {
		policy   BadRows
		types    map[string]DType
		wantErr  string
		wantRows int
		problems int
	}{
		{BadRowsError, nil, "in.csv:3: expected 2 fields, got 1", 0, 0},
		{BadRowsSkip, nil, "", 2, 2},
		{BadRowsNull, nil, "", 4, 2},
		{BadRowsNull, map[string]DType{"a": Int64}, "", 4, 3},
		{BadRowsSkip, map[string]DType{"a": Int64}, "", 1, 3},
	}
	for _, tt := range tests {
		mem := checked(t)
		path := filepath.Join(t.TempDir(), "in.csv")
		os.WriteFile(path, []byte(in), 0o644)
		f, err := ReadCSV(path, CSVOptions{BadRows: tt.policy, Types: tt.types, Allocator: mem})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("policy %d: err = %v, want %q", tt.policy, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("policy %d: %v", tt.policy, err)
		}
		if f.NumRows() != tt.wantRows || len(f.Problems()) != tt.problems {
			t.Errorf("policy %d types %v: %d rows, problems %v", tt.policy, tt.types, f.NumRows(), f.Problems())
		}
		for _, p := range f.Problems() {
			if p.File != path || p.Line < 2 {
				t.Errorf("problem lacks location: %+v", p)
			}
		}
		f.Release()
	}
	_, err := ReadCSVFrom(strings.NewReader("a\n1\nx\n"), CSVOptions{Types: map[string]DType{"a": Int64}})
	if err == nil || !strings.Contains(err.Error(), `line 3: column "a"`) {
		t.Errorf("type error = %v", err)
	}
	if _, err := ReadCSVFrom(strings.NewReader("a\n1\n"), CSVOptions{Types: map[string]DType{"zz": Int64}}); err == nil {
		t.Error("override of unknown column: want error")
	}
	if _, err := ReadCSV(filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Error("missing file: want error")
	}
}

func TestRoundTripCSVParquetArrow(t *testing.T) {
	mem := checked(t)
	f := sampleFrame(t, mem)
	defer f.Release()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "f.csv")
	if err := f.WriteCSV(csvPath); err != nil {
		t.Fatal(err)
	}
	g, err := ReadCSV(csvPath, CSVOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	assertEqualFrames(t, f, g)
	for _, comp := range []string{"snappy", "zstd", "none"} {
		pq := filepath.Join(dir, comp+".parquet")
		if err := g.WriteParquet(pq, ParquetOptions{Compression: comp, Metadata: map[string]string{"source": "test"}}); err != nil {
			t.Fatal(err)
		}
		h, err := ReadParquet(pq, ParquetOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		assertEqualFrames(t, f, h)
		h.Release()
		info, err := ReadParquetInfo(pq)
		if err != nil || info.Rows != 4 || info.Metadata["source"] != "test" || info.Schema.String() != f.Schema().String() {
			t.Errorf("info = %+v, %v", info, err)
		}
	}
	ap := filepath.Join(dir, "f.arrow")
	if err := f.WriteArrow(ap, "zstd"); err != nil {
		t.Fatal(err)
	}
	a, err := ReadArrow(ap, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	assertEqualFrames(t, f, a)
	if err := f.WriteParquet(filepath.Join(dir, "x.parquet"), ParquetOptions{Compression: "bogus"}); err == nil {
		t.Error("bad codec: want error")
	}
	if _, err := ReadParquet(csvPath); err == nil || !strings.Contains(err.Error(), csvPath) {
		t.Errorf("reading CSV as Parquet: %v", err)
	}
}

func assertEqualFrames(t *testing.T, want, got *Frame) {
	t.Helper()
	if want.Schema().String() != got.Schema().String() {
		t.Fatalf("schema %s, want %s", got.Schema(), want.Schema())
	}
	for _, n := range want.Names() {
		if w, g := strs(t, want, n), strs(t, got, n); !reflect.DeepEqual(w, g) {
			t.Errorf("column %s: %v, want %v", n, g, w)
		}
	}
}

func TestChunkedCSVAndParquet(t *testing.T) {
	mem := checked(t)
	var b strings.Builder
	b.WriteString("k,v,s\n")
	for i := 0; i < 1000; i++ {
		b.WriteString(strings.Repeat("x", i%3) + "1," + string(rune('a'+i%26)) + ".5,\"q\nr\"\n")
	}
	r := NewCSVReader(strings.NewReader(b.String()), CSVOptions{ChunkRows: 300, Allocator: mem})
	dir := t.TempDir()
	pw, err := CreateParquet(filepath.Join(dir, "c.parquet"), ParquetOptions{RowGroupRows: 128})
	if err != nil {
		t.Fatal(err)
	}
	total, chunks := 0, 0
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total += f.NumRows()
		chunks++
		if err := pw.Write(f); err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	// Each record spans two lines (its quoted field holds a line break),
	// and a chunk takes in 300 lines: 150 records.
	if total != 1000 || chunks != 7 {
		t.Errorf("read %d rows in %d chunks, want 1000 in 7", total, chunks)
	}
	pr, err := OpenParquet(filepath.Join(dir, "c.parquet"), ParquetOptions{BatchRows: 250, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	total = 0
	for {
		f, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total += f.NumRows()
		f.Release()
	}
	if total != 1000 {
		t.Errorf("parquet chunks gave %d rows", total)
	}
}

// datasetPath finds a shared dataset; under CI=true a missing file fails.
func datasetPath(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("GALLEY_DATASETS")
	if dir == "" {
		dir = "../../../shared/datasets"
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dataset %s missing under CI: %v", p, err)
		}
		t.Skipf("dataset %s not present", p)
	}
	return p
}

func TestRealDatasets(t *testing.T) {
	tests := []struct {
		file       string
		rows, cols int
		label      string
		nullCol    string
		nulls      int
	}{
		{"telco-churn.csv", 7043, 21, "Churn", "TotalCharges", 11},
		{"bank-marketing.csv", 41188, 17, "y", "age", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			mem := checked(t)
			f, err := ReadCSV(datasetPath(t, tt.file), CSVOptions{Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			if r, c := f.Shape(); r != tt.rows || c != tt.cols || len(f.Problems()) != 0 {
				t.Fatalf("shape %d×%d, problems %v", r, c, f.Problems())
			}
			c, _ := f.Column(tt.nullCol)
			if c.NullCount() != tt.nulls || !c.DType().Numeric() {
				t.Errorf("%s: %s with %d nulls", tt.nullCol, c.DType(), c.NullCount())
			}
			p, err := Profile(f, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Columns) != tt.cols {
				t.Errorf("profile has %d columns", len(p.Columns))
			}
			_ = p.DisplayData()
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a;b\n\"x\"\"y\";2\n", "a\n\"unterminated\n", "x,y\r\n1,\r\n", "\xef\xbb\xbfa\n1\n2.5\n",
		"a,b,c\n1,x,\n2,y, \n-0,z,true\n1.5,\"w\n\",false\n,,\n9007199254740993,\"q\"\"r\",\n",
		"t,n\n2024-01-02,NA\n\n2024-01-02 10:00:00,1e3\n,inf\nx\r\n",
		// Records the one-pass path reads, mixed with ones it leaves to the
		// general path: CRLF, empty fields, -0, long and exact decimals,
		// repeated and new strings, bools, short and long rows.
		"a,b,c,d\r\n1,x,0.5,true\r\n2,y,-1.25,FALSE\r\n,x,,\r\n-0,y,.5,True\r\n3,x,5.,false\r\n",
		"a,b,c\n1,x,1.5\n2,x,2\n3,y,0.1234567890123456789012\n4,x,9007199254740993.5\n5,\"x\",-0.0\n6,x\r,1\n",
		"a,b\n1,u\n2,u\n3\n4,u,5\n5,NA\n6,u\n7,1.5\n8,u\n",
		"n\n1\n\r\n2\n-\n3\n",
		// Quoted line breaks where a window of a few lines ends.
		"a,b\r\n1,\"x\r\ny\"\r\n2,\"\n\n\"\r\n3, \r\n4,\"q\"\"\nr\"\n",
		"a,b,c\n1,2,3\n4,5\n6,\"7\n8\",9\n",
		// Columns passed over hold quotes, \r and empty first fields.
		"a,b,c,d\n,1,\"x,y\",\n,2,q\"r,\r\n3,3,,z\r\n,4,\"\"\"\",w\n"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(4))
	}
	f.Fuzz(func(t *testing.T, in []byte, policy uint8) {
		mem := newChecked()
		o := CSVOptions{BadRows: BadRows(policy % 3), Allocator: mem}
		fr, err := ReadCSVFrom(strings.NewReader(string(in)), o)
		if err == nil {
			_ = fr.String()
		}
		// The segmented engine, cut as finely as possible, and the chunked
		// one in a single chunk must agree on every input.
		seg, segErr := readCSV(append([]byte(nil), in...), "", csvOpts([]CSVOptions{o}), 1)
		one := NewCSVReader(strings.NewReader(string(in)), CSVOptions{BadRows: o.BadRows, ChunkRows: 1 << 30, Allocator: mem})
		ref, refErr := one.Next()
		if refErr == io.EOF {
			refErr = nil
			ref = nil
		}
		if (segErr == nil) != (refErr == nil) || (err == nil) != (segErr == nil) {
			t.Fatalf("errors differ: segmented %v, chunked %v, whole %v", segErr, refErr, err)
		}
		if segErr == nil {
			if ref != nil {
				sameCSVFrames(t, ref, seg, one.Problems())
				sameCSVFrames(t, ref, fr, one.Problems())
				ref.Release()
			}
		}
		// With the types fixed, cutting the input into windows of a few
		// rows, and those into the smallest segments, changes nothing:
		// the same rows, problems and first error as one window.
		if segErr == nil && seg.NumRows() > 0 {
			types := seg.DTypes()
			// sel: the columns compared; project: decode only those.
			window := func(chunk int, sel []string, project bool) ([]string, []Problem, error) {
				r := NewCSVReader(strings.NewReader(string(in)), CSVOptions{BadRows: o.BadRows, Types: types, ChunkRows: chunk, Allocator: mem})
				r.segBytes = 1
				if project {
					need := map[string]bool{}
					for _, n := range sel {
						need[n] = true
					}
					r.project(need)
				}
				var cells []string
				for {
					g, err := r.Next()
					if err == io.EOF {
						return cells, r.Problems(), nil
					}
					if err != nil {
						return cells, r.Problems(), err
					}
					if g.NumRows() > chunk {
						t.Fatalf("chunk of %d rows, want at most %d", g.NumRows(), chunk)
					}
					h, err := g.Select(sel...)
					if err != nil {
						t.Fatal(err)
					}
					cells = append(cells, cellsOf(h)...)
					h.Release()
					g.Release()
				}
			}
			names := seg.Names()
			wantCells, wantProblems, wantErr := window(1<<30, names, false)
			gotCells, gotProblems, gotErr := window(1+int(policy/3)%4, names, false)
			if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
				t.Fatalf("windowed error %v, want %v", gotErr, wantErr)
			}
			if wantErr == nil && (!reflect.DeepEqual(gotCells, wantCells) || fmt.Sprint(gotProblems) != fmt.Sprint(wantProblems)) {
				t.Fatalf("windowed read gave %q with problems %+v, want %q with %+v", gotCells, gotProblems, wantCells, wantProblems)
			}
			// Decoding every other column reads the same values of those,
			// when no value of the others was bad.
			var odd []string
			for j := 1; j < len(names); j += 2 {
				odd = append(odd, names[j])
			}
			if wantErr == nil && len(wantProblems) == 0 && len(odd) > 0 {
				want, _, _ := window(1<<30, odd, false)
				got, _, err := window(1+int(policy/3)%4, odd, true)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("decoding %v only: %q (%v), want %q", odd, got, err, want)
				}
			}
		}
		if segErr == nil {
			seg.Release()
		}
		if fr != nil {
			fr.Release()
			fr = nil
		}
		if mem.CurrentAlloc() != 0 {
			t.Fatalf("leaked %d bytes", mem.CurrentAlloc())
		}
	})
}

// sameCSVFrames compares a frame from the chunked reader with one from
// ReadCSV: schema (with dictionary encoding), values and problems.
func sameCSVFrames(t *testing.T, want, got *Frame, problems []Problem) {
	t.Helper()
	if fmt.Sprintf("%+v", []Field(want.Schema())) != fmt.Sprintf("%+v", []Field(got.Schema())) {
		t.Fatalf("schema %v, want %v", got.Schema(), want.Schema())
	}
	for _, n := range want.Names() {
		wc, _ := want.Column(n)
		gc, _ := got.Column(n)
		for i := 0; i < wc.Len(); i++ {
			// %v tells -0 from 0.
			if w, g := fmt.Sprintf("%v", wc.Value(i)), fmt.Sprintf("%v", gc.Value(i)); w != g {
				t.Fatalf("column %s row %d: %s, want %s", n, i, g, w)
			}
		}
	}
	if !reflect.DeepEqual(problems, got.Problems()) && !(len(problems) == 0 && len(got.Problems()) == 0) {
		t.Fatalf("problems %+v, want %+v", got.Problems(), problems)
	}
}

func TestReadCSVParallelLines(t *testing.T) {
	mem := checked(t)
	var b strings.Builder
	b.WriteString("a,b\n")
	const rows = 200_000
	for i := 0; i < rows; i++ {
		if i == rows-10 {
			b.WriteString("oops\n")
			continue
		}
		b.WriteString("12345,abcdef\n")
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	_, err := ReadCSV(path, CSVOptions{Allocator: mem})
	want := fmt.Sprintf("big.csv:%d: expected 2 fields, got 1", rows-10+2)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	f, err := ReadCSV(path, CSVOptions{Allocator: mem, BadRows: BadRowsSkip})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if f.NumRows() != rows-1 || len(f.Problems()) != 1 || f.Problems()[0].Line != rows-10+2 {
		t.Errorf("%d rows, problems %v", f.NumRows(), f.Problems())
	}
}

// TestScanDigits holds the word-at-a-time digit scan to a byte loop on
// digit runs of every length and position, followed by every byte.
func TestScanDigits(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for pre := 0; pre < 9; pre++ {
			for _, stop := range []byte{',', '.', '/', ':', 0, 0xff, 0xfa, 'a', '\n'} {
				b := []byte(strings.Repeat("x", pre))
				for k := 0; k < n; k++ {
					b = append(b, byte('0'+(k*7+n+pre)%10))
				}
				b = append(b, stop, '9', '9')
				i, v := scanDigits(b, pre, 3)
				wi, wv := pre, uint64(3)
				for wi < len(b) && b[wi]-'0' <= 9 {
					wv = wv*10 + uint64(b[wi]-'0')
					wi++
				}
				if i != wi || v != wv {
					t.Fatalf("scanDigits(%q, %d) = %d, %d; want %d, %d", b, pre, i, v, wi, wv)
				}
			}
		}
	}
}

// TestReadParquetManyPages reads columns of many pages each, so page
// buffers are recycled between columns, and checks every value.
func TestReadParquetManyPages(t *testing.T) {
	mem := checked(t)
	const n = 160_000 // two pages a numeric column
	ids := make([]int64, n)
	xs := make([]float64, n)
	cats := make([]string, n)
	names := make([]string, n)
	flags := make([]bool, n)
	for i := range ids {
		ids[i] = int64(i) * 7
		xs[i] = float64(i) / 3
		cats[i] = fmt.Sprintf("cat%d", i%500)
		names[i] = fmt.Sprintf("name-%d", i)
		flags[i] = i%3 == 0
	}
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = i%11 != 0
	}
	f, err := New(Int64s("id", ids), Float64s("x", xs).WithValid(valid), Strings("cat", cats).WithValid(valid),
		Strings("name", names), Bools("flag", flags))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	// One row group, and several of a size that is no multiple of the
	// reader's batch.
	for _, groupRows := range []int{0, 40_001} {
		path := filepath.Join(t.TempDir(), "pages.parquet")
		if err := f.WriteParquet(path, ParquetOptions{RowGroupRows: groupRows}); err != nil {
			t.Fatal(err)
		}
		g, err := ReadParquet(path, ParquetOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if g.NumRows() != n || fmt.Sprint(g.Schema()) != fmt.Sprint(f.Schema()) {
			t.Fatalf("%d rows of %v", g.NumRows(), g.Schema())
		}
		for _, name := range f.Names() {
			want, _ := f.Column(name)
			got, err := g.Column(name)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if w, g := want.Value(i), got.Value(i); w != g {
					t.Fatalf("%d-row groups: column %s row %d: %v, want %v", groupRows, name, i, g, w)
				}
			}
		}
		g.Release()
	}
}

// TestReadCSVColumnEmptyInEveryRow: a text column with no value in any row,
// in a file long enough to be read in several parallel segments, is read as
// a string column of nulls.
func TestReadCSVColumnEmptyInEveryRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,p,class\n")
	for i := range 7000 {
		fmt.Fprintf(&b, "%d,0.%d,\n", i, i%10)
	}
	path := filepath.Join(t.TempDir(), "empty.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	c, err := f.Column("class")
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 7000 || c.DType() != String || c.NullCount() != 7000 {
		t.Errorf("rows %d, class %s with %d nulls; want 7000 rows, a string column of nulls", f.NumRows(), c.DType(), c.NullCount())
	}
}
