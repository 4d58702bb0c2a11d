package data

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// edgeCSV is a file with the cases a reader that cuts its input into
// windows and segments can get wrong: a byte-order mark, CRLF line ends,
// quoted fields holding delimiters, doubled quotes and line breaks (CRLF
// ones too), blank fields of one space in a numeric column (as Telco's
// TotalCharges has) and blank lines.
func edgeCSV(rows int) string {
	var b strings.Builder
	b.WriteString("\xef\xbb\xbfid,name,charges,note\r\n")
	for i := 0; i < rows; i++ {
		charges := fmt.Sprintf("%d.%02d", i%97, i%100)
		if i%11 == 3 {
			charges = " "
		}
		note := "plain"
		switch i % 7 {
		case 1:
			note = "\"two\nlines\""
		case 2:
			note = "\"a, \"\"quoted\"\"\r\nword\""
		case 4:
			note = ""
		case 5:
			note = "\"three\n\nlines\""
		}
		fmt.Fprintf(&b, "%d,n%d,%s,%s\r\n", i, i%5, charges, note)
		if i%13 == 6 {
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

// readChunks reads all of r, checking that no chunk exceeds max rows.
func readChunks(t *testing.T, r *CSVReader, max int) ([]*Frame, error) {
	t.Helper()
	var out []*Frame
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if f.NumRows() > max || f.NumRows() == 0 {
			t.Fatalf("chunk of %d rows, want 1 to %d", f.NumRows(), max)
		}
		out = append(out, f)
	}
}

func releaseFrames(fs []*Frame) {
	for _, f := range fs {
		f.Release()
	}
}

// cellsOf lists a frame's values row by row as text (dictionary or plain
// strings alike; %v tells -0 from 0).
func cellsOf(fs ...*Frame) []string {
	var out []string
	for _, f := range fs {
		for i := 0; i < f.NumRows(); i++ {
			var row []string
			for j := 0; j < f.NumCols(); j++ {
				row = append(row, fmt.Sprintf("%v", f.ColumnAt(j).Value(i)))
			}
			out = append(out, strings.Join(row, "|"))
		}
	}
	return out
}

func TestCSVReaderWindowsMatchWholeRead(t *testing.T) {
	mem := checked(t)
	in := edgeCSV(3000)
	whole, err := ReadCSVFrom(strings.NewReader(in), CSVOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	if got := strings.Join(whole.Names(), ","); got != "id,name,charges,note" {
		t.Fatalf("names %q", got)
	}
	if c, _ := whole.Column("charges"); c.DType() != Float64 || c.NullCount() != (3000+7)/11 {
		t.Fatalf("charges: %s with %d nulls", c.DType(), c.NullCount())
	}
	if c, _ := whole.Column("note"); c.Value(2) != "a, \"quoted\"\r\nword" || c.Value(5) != "three\n\nlines" {
		t.Fatalf("notes %q, %q", c.Value(2), c.Value(5))
	}
	want := cellsOf(whole)
	for _, chunk := range []int{1, 2, 3, 5, 64, 1000, 1 << 20} {
		for _, segBytes := range []int{1, 100, csvSegmentBytes} {
			r := NewCSVReader(strings.NewReader(in), CSVOptions{ChunkRows: chunk, Allocator: mem})
			r.segBytes = segBytes
			fs, err := readChunks(t, r, chunk)
			if err != nil {
				t.Fatalf("chunks of %d, segments of %d: %v", chunk, segBytes, err)
			}
			if got := cellsOf(fs...); !reflect.DeepEqual(got, want) {
				t.Fatalf("chunks of %d, segments of %d: %d rows differ from the whole read's %d", chunk, segBytes, len(got), len(want))
			}
			if got := fs[0].DTypes(); !reflect.DeepEqual(got, whole.DTypes()) {
				t.Errorf("chunks of %d: types %v, want %v", chunk, got, whole.DTypes())
			}
			releaseFrames(fs)
		}
	}
}

func TestCSVReaderRaggedRowNamesLineAndColumn(t *testing.T) {
	mem := checked(t)
	// The ragged record is on line 6, after a record whose quoted field
	// spans lines 3 and 4.
	in := "a,b,c\n1,x,2\n2,\"y\nz\",3\n3,w,4\n4,v\n5,u,6\n"
	for _, chunk := range []int{1, 2, 100} {
		r := NewCSVReader(strings.NewReader(in), CSVOptions{ChunkRows: chunk, Allocator: mem})
		r.segBytes = 1
		fs, err := readChunks(t, r, chunk)
		releaseFrames(fs)
		want := `line 6: expected 3 fields, got 2: no value for column "c"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("chunks of %d: err = %v, want %q", chunk, err, want)
		}
		if _, again := r.Next(); again != err {
			t.Fatalf("chunks of %d: after the error, Next gave %v", chunk, again)
		}
	}
	_, err := ReadCSVFrom(strings.NewReader("a,b\n1,2,3\n"))
	if want := `line 2: expected 2 fields, got 3: field 3 is past the last column "b"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	// A value of another type than the first chunk fixed names its column.
	r := NewCSVReader(strings.NewReader("a,b\n1,x\n2,y\nthree,z\n"), CSVOptions{ChunkRows: 2, Allocator: mem})
	fs, err := readChunks(t, r, 2)
	releaseFrames(fs)
	if want := `line 4: column "a": cannot parse "three" as int64`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestCSVReaderDecodesOnlyProjectedColumns(t *testing.T) {
	mem := checked(t)
	in := edgeCSV(500)
	whole, err := ReadCSVFrom(strings.NewReader(in), CSVOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	for _, cols := range [][]string{{"id", "charges"}, {"charges"}, {"name", "note"}, {"note"}} {
		need := map[string]bool{"absent": true}
		for _, c := range cols {
			need[c] = true
		}
		r := NewCSVReader(strings.NewReader(in), CSVOptions{ChunkRows: 128, Allocator: mem})
		r.project(need)
		fs, err := readChunks(t, r, 128)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := whole.Select(cols...)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if got := strings.Join(f.Names(), ","); got != strings.Join(cols, ",") {
				t.Fatalf("chunk columns %q, want %v", got, cols)
			}
		}
		if got, want := cellsOf(fs...), cellsOf(sel); !reflect.DeepEqual(got, want) {
			t.Fatalf("%v: projected chunks differ from the whole read's columns (%d rows, want %d)", cols, len(got), len(want))
		}
		sel.Release()
		releaseFrames(fs)
	}
}

func TestCSVReaderHeaderOnlyAndEmpty(t *testing.T) {
	r := NewCSVReader(strings.NewReader("\xef\xbb\xbfa,b\r\n"))
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("header only: %v, want io.EOF", err)
	}
	if got := strings.Join(r.Names(), ","); got != "a,b" {
		t.Fatalf("names %q", got)
	}
	r = NewCSVReader(strings.NewReader(""))
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "no header line") {
		t.Fatalf("empty input: %v", err)
	}
}
