package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// BadRows is the policy for CSV rows that do not fit: a wrong number of
// fields, or a value that does not parse as its column's type.
type BadRows int

const (
	// BadRowsError stops reading with an error naming file, line and column.
	BadRowsError BadRows = iota
	// BadRowsNull keeps the row, turns the bad values into nulls (padding
	// short rows, cutting long ones) and reports each in Frame.Problems.
	BadRowsNull
	// BadRowsSkip leaves the row out and reports it in Frame.Problems.
	BadRowsSkip
)

// DefaultNullValues are the field values read as null when
// CSVOptions.NullValues is nil. Fields of only spaces are also null in
// columns that are not strings.
var DefaultNullValues = []string{"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"}

// CSVOptions controls CSV reading and writing. The zero value reads a
// headed, comma- or semicolon-separated file (the delimiter is detected from
// the header), infers column types and stops at the first bad row.
type CSVOptions struct {
	Delimiter rune             // 0 detects , ; tab or | from the first line (writing: ',')
	NoHeader  bool             // the first line is data; columns are named col1, col2, …
	Types     map[string]DType // column types that override inference
	// NullValues are the values read as null; nil means DefaultNullValues.
	NullValues []string
	BadRows    BadRows
	// ChunkRows is how many rows each Next of a CSVReader returns at most
	// (default 65536): fewer where quoted fields hold line breaks or lines
	// are blank. The first chunk fixes the inferred types.
	ChunkRows int
	Allocator memory.Allocator // default memory.DefaultAllocator
}

func csvOpts(opts []CSVOptions) CSVOptions {
	var o CSVOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.ChunkRows <= 0 {
		o.ChunkRows = 65536
	}
	if o.NullValues == nil {
		o.NullValues = DefaultNullValues
	}
	return o
}

// ReadCSV reads a whole CSV file into a frame. Types are inferred from all
// rows: int64, then float64, bool (true/false), timestamp (RFC 3339 or
// 2006-01-02[ 15:04:05]) and otherwise string.
//
//	f, err := data.ReadCSV("bank.csv", data.CSVOptions{
//		Types:   map[string]data.DType{"y": data.Bool},
//		BadRows: data.BadRowsNull,
//	})
func ReadCSV(path string, opts ...CSVOptions) (*Frame, error) {
	fb, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	// Nothing in the frame points into the file's bytes: values and
	// strings are copied out of them.
	defer fb.close()
	var g faultGuard
	var f *Frame
	g.do(func() { f, err = readCSVGuarded(fb.buf, path, csvOpts(opts), csvSegmentBytes, &g, fb) })
	if ferr := g.failed(); ferr != nil {
		if f != nil {
			f.Release()
		}
		return nil, fmt.Errorf("%s: %w", path, ferr)
	}
	return f, err
}

// ReadCSVFrom reads CSV text from r into a frame, like ReadCSV.
func ReadCSVFrom(r io.Reader, opts ...CSVOptions) (*Frame, error) {
	buf, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return readCSV(buf, "", csvOpts(opts), csvSegmentBytes)
}

// readCSV parses buf with the engine of csvread.go, in segments of at
// least segBytes.
func readCSV(buf []byte, file string, o CSVOptions, segBytes int) (*Frame, error) {
	var g faultGuard
	return readCSVGuarded(buf, file, o, segBytes, &g, nil)
}

// readCSVGuarded is readCSV with its goroutines' reads of buf run in g.
// When buf is the contents of fb, parts of it already parsed are dropped
// from memory as the parse goes.
func readCSVGuarded(buf []byte, file string, o CSVOptions, segBytes int, g *faultGuard, fb *fileBytes) (*Frame, error) {
	buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf"))
	p := newParser(buf, file, o)
	names, pos, err := p.header(buf, true, o)
	if err != nil {
		return nil, err
	}
	conv, err := newConverter(names, file, o)
	if err != nil {
		return nil, err
	}
	e := newCSVEngine(conv, buf, p.delim)
	e.atEOF = true
	e.src = fb
	f, _, err := readCSVSegments(e, p.line, pos, segBytes, g)
	return f, err
}

func (cv *converter) where(line int) string {
	return (&csvParser{file: cv.file}).where(line)
}

func newParser(buf []byte, file string, o CSVOptions) *csvParser {
	d := byte(o.Delimiter)
	if o.Delimiter == 0 {
		d = detectDelimiter(buf)
	}
	return &csvParser{delim: d, file: file, line: 1}
}

// header parses the first record into column names. With NoHeader it only
// counts the fields and consumes nothing. Blank lines before it are
// skipped.
func (p *csvParser) header(buf []byte, atEOF bool, o CSVOptions) ([]string, int, error) {
	tok := &recTok{delim: p.delim}
	pos, line := 0, p.line
	var fields [][]byte
	for fields == nil {
		if pos >= len(buf) {
			if !atEOF {
				return nil, 0, errNeedMore
			}
			return nil, 0, fmt.Errorf("%s: no header line (empty input)", p.where(line))
		}
		next, lines, st := tok.next(buf, pos, atEOF)
		switch st {
		case recNeedMore:
			return nil, 0, errNeedMore
		case recUnterminated:
			return nil, 0, fmt.Errorf("%s: unterminated quoted field", p.where(line))
		case recOK:
			fields = tok.fields
		}
		pos = next
		line += lines
	}
	names := make([]string, len(fields))
	seen := map[string]int{}
	for j := range names {
		name := strings.TrimSpace(string(fields[j]))
		if o.NoHeader || name == "" {
			name = fmt.Sprintf("col%d", j+1)
		}
		if k := seen[name]; k > 0 {
			seen[name]++
			name = fmt.Sprintf("%s_%d", name, k+1)
		}
		seen[name]++
		names[j] = name
	}
	if o.NoHeader {
		return names, 0, nil
	}
	p.line = line
	return names, pos, nil
}

var errNeedMore = errors.New("need more input")

// converter holds what converting fields to values needs: the column
// names, the null tokens and the forced types.
type converter struct {
	names  []string
	file   string
	o      CSVOptions
	nulls  map[string]bool
	empty  bool    // "" is a null token
	forced []DType // per column: the type to use, or "" to infer
}

func newConverter(names []string, file string, o CSVOptions) (*converter, error) {
	c := &converter{names: names, file: file, o: o, nulls: map[string]bool{}, forced: make([]DType, len(names))}
	for _, v := range o.NullValues {
		c.nulls[v] = true
		if v == "" {
			c.empty = true
		}
	}
	for name, t := range o.Types {
		j := indexOf(names, name)
		if j < 0 {
			return nil, fmt.Errorf("CSVOptions.Types names column %q, which the file does not have (columns: %v)", name, names)
		}
		if _, err := arrowType(t); err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		c.forced[j] = t
	}
	return c, nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006/01/02",
}

func parseTime(s string, last *int) (time.Time, bool) {
	if t, err := time.Parse(timeLayouts[*last], s); err == nil {
		return t, true
	}
	for i, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			*last = i
			return t, true
		}
	}
	return time.Time{}, false
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}
