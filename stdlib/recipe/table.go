package recipe

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Table is a minimal column-oriented Frame of text cells, read from and
// written to CSV. Numeric columns are parsed on demand with Floats.
type Table struct {
	names []string
	cols  [][]string
}

// NewTable returns an empty table with the given column names.
func NewTable(names ...string) *Table {
	return &Table{names: append([]string(nil), names...), cols: make([][]string, len(names))}
}

// ReadCSV reads a CSV file with a header row. When limit is positive, at
// most limit data rows are read.
func ReadCSV(path string, limit int) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recipe: %w", err)
	}
	defer f.Close()
	t, err := ReadCSVFrom(f, limit)
	if err != nil {
		return nil, fmt.Errorf("recipe: reading %s: %w", path, err)
	}
	return t, nil
}

// ReadCSVFrom reads CSV with a header row from r.
func ReadCSVFrom(r io.Reader, limit int) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty input: expected a header row")
	}
	if err != nil {
		return nil, err
	}
	t := NewTable(header...)
	for limit <= 0 || t.NumRows() < limit {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for i := range t.cols {
			t.cols[i] = append(t.cols[i], rec[i])
		}
	}
	return t, nil
}

// NumRows returns the number of data rows.
func (t *Table) NumRows() int {
	if len(t.cols) == 0 {
		return 0
	}
	return len(t.cols[0])
}

// NumCols returns the number of columns.
func (t *Table) NumCols() int { return len(t.names) }

// Names returns the column names.
func (t *Table) Names() []string { return append([]string(nil), t.names...) }

func (t *Table) index(name string) int {
	for i, n := range t.names {
		if n == name {
			return i
		}
	}
	return -1
}

// Column returns the cells of column name, or an error naming the columns
// that exist.
func (t *Table) Column(name string) ([]string, error) {
	i := t.index(name)
	if i < 0 {
		return nil, fmt.Errorf("no column %q: the table has %s", name, strings.Join(t.names, ", "))
	}
	return t.cols[i], nil
}

// Floats parses column name as numbers. Blank cells become NaN.
func (t *Table) Floats(name string) ([]float64, error) {
	col, err := t.Column(name)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(col))
	for i, s := range col {
		s = strings.TrimSpace(s)
		if s == "" {
			out[i] = math.NaN()
			continue
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("column %q row %d: %q is not a number", name, i+1, s)
		}
		out[i] = f
	}
	return out, nil
}

// Add appends a text column, replacing one of the same name. It must have
// NumRows cells unless the table has no columns yet.
func (t *Table) Add(name string, cells []string) error {
	if len(t.names) > 0 && t.index(name) < 0 && len(cells) != t.NumRows() {
		return fmt.Errorf("column %q has %d cells, the table has %d rows", name, len(cells), t.NumRows())
	}
	if i := t.index(name); i >= 0 {
		t.cols[i] = cells
		return nil
	}
	t.names = append(t.names, name)
	t.cols = append(t.cols, cells)
	return nil
}

// AddFloats appends a numeric column.
func (t *Table) AddFloats(name string, vals []float64) error {
	cells := make([]string, len(vals))
	for i, v := range vals {
		cells[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return t.Add(name, cells)
}

// Rows returns the rows whose indexes are idx, in that order.
func (t *Table) Rows(idx []int) *Table {
	out := NewTable(t.names...)
	for c := range t.cols {
		col := make([]string, len(idx))
		for i, r := range idx {
			col[i] = t.cols[c][r]
		}
		out.cols[c] = col
	}
	return out
}

// Head returns the first n rows.
func (t *Table) Head(n int) *Table {
	if n > t.NumRows() {
		n = t.NumRows()
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return t.Rows(idx)
}

// WriteCSV writes the table with a header row.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.names); err != nil {
		return err
	}
	rec := make([]string, len(t.cols))
	for r := 0; r < t.NumRows(); r++ {
		for c := range t.cols {
			rec[c] = t.cols[c][r]
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// String renders the first rows as text for a notebook cell.
func (t *Table) String() string {
	var b strings.Builder
	b.WriteString(strings.Join(t.names, "\t"))
	n := t.NumRows()
	for r := 0; r < n && r < 10; r++ {
		b.WriteByte('\n')
		for c := range t.cols {
			if c > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(t.cols[c][r])
		}
	}
	if n > 10 {
		fmt.Fprintf(&b, "\n… %d rows", n)
	}
	return b.String()
}
