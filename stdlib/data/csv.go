package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
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
	// ChunkRows is how many rows each Next of a CSVReader returns
	// (default 65536). The first chunk fixes the inferred types.
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
	buf, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	// Nothing in the frame points into buf: values and strings are copied
	// out of it.
	defer unmap()
	var g faultGuard
	var f *Frame
	g.do(func() { f, err = readCSVGuarded(buf, path, csvOpts(opts), csvSegmentBytes, &g) })
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
	return readCSVGuarded(buf, file, o, segBytes, &g)
}

// readCSVGuarded is readCSV with its goroutines' reads of buf run in g.
func readCSVGuarded(buf []byte, file string, o CSVOptions, segBytes int, g *faultGuard) (*Frame, error) {
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
	return readCSVSegments(p, conv, buf, pos, segBytes, g)
}

func (cv *converter) where(line int) string {
	return (&csvParser{file: cv.file}).where(line)
}

func newParser(buf []byte, file string, o CSVOptions) *csvParser {
	d := byte(o.Delimiter)
	if o.Delimiter == 0 {
		d = detectDelimiter(buf)
	}
	return &csvParser{delim: d, file: file, line: 1, policy: o.BadRows}
}

// header parses the first record into column names. With NoHeader it only
// counts the fields and consumes nothing.
func (p *csvParser) header(buf []byte, atEOF bool, o CSVOptions) ([]string, int, error) {
	var c rawChunk
	line := p.line
	policy := p.policy
	p.policy = BadRowsError
	n, err := p.parse(buf, atEOF, &c, 1)
	p.policy = policy
	if err != nil {
		return nil, 0, err
	}
	if c.nrows == 0 {
		if !atEOF {
			return nil, 0, errNeedMore
		}
		return nil, 0, fmt.Errorf("%s: no header line (empty input)", p.where(line))
	}
	names := make([]string, c.ncols)
	seen := map[string]int{}
	for j := range names {
		name := strings.TrimSpace(string(c.field(0, j)))
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
		p.line = line
		return names, 0, nil
	}
	return names, n, nil
}

var errNeedMore = errors.New("need more input")

func mergeProblems(a, b []Problem) []Problem {
	out := append(append([]Problem(nil), a...), b...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// converter turns raw chunks into typed Arrow columns.
type converter struct {
	names  []string
	file   string
	o      CSVOptions
	nulls  map[string]bool
	first  [256]bool // first bytes of null tokens, to skip most lookups
	empty  bool      // "" is a null token
	forced []DType   // per column: the type to use, or "" to infer
}

func newConverter(names []string, file string, o CSVOptions) (*converter, error) {
	c := &converter{names: names, file: file, o: o, nulls: map[string]bool{}, forced: make([]DType, len(names))}
	for _, v := range o.NullValues {
		c.nulls[v] = true
		if v == "" {
			c.empty = true
		} else {
			c.first[v[0]] = true
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

// convert builds a frame from chunks. fixed, when not nil, gives every
// column's type (later chunks of a stream).
func (cv *converter) convert(chunks []*rawChunk, fixed []DType) (*Frame, error) {
	mem := cv.o.Allocator
	ncols := len(cv.names)
	total := 0
	for _, c := range chunks {
		total += c.nrows
	}
	cols := make([]arrow.Array, ncols)
	results := make([]colResult, ncols)
	parallel(ncols, func(j int) {
		t := cv.forced[j]
		if fixed != nil {
			t = fixed[j]
		}
		if t != "" {
			results[j] = cv.column(chunks, j, t, false, total)
			return
		}
		for _, t := range []DType{Int64, Float64, Bool, Timestamp, String} {
			r := cv.column(chunks, j, t, true, total)
			if !r.failed {
				if t != String && r.nonNull == 0 {
					r.arr.Release()
					continue
				}
				results[j] = r
				return
			}
		}
	})
	var problems []Problem
	skip := map[int]bool{}
	var err error
	for j, r := range results {
		cols[j] = r.arr
		if r.err != nil && err == nil {
			err = r.err
		}
		problems = append(problems, r.problems...)
		for _, row := range r.skip {
			skip[row] = true
		}
	}
	if err != nil {
		releaseAll(cols)
		return nil, err
	}
	f, err := newFrame(mem, append([]string(nil), cv.names...), cols)
	if err != nil {
		return nil, err
	}
	if len(skip) > 0 {
		keep := make([]int32, 0, f.nrows-len(skip))
		for i := 0; i < f.nrows; i++ {
			if !skip[i] {
				keep = append(keep, int32(i))
			}
		}
		g := f.take(keep)
		f.Release()
		f = g
	}
	f.problems = mergeProblems(nil, problems)
	return f, nil
}

type colResult struct {
	arr      arrow.Array
	failed   bool // strict conversion met a value of another type
	nonNull  int
	problems []Problem
	skip     []int
	err      error
}

// isNull reports whether raw field b is null for a column of type t.
func (cv *converter) isNull(b []byte, t DType) bool {
	if len(b) == 0 {
		return cv.empty || t != String
	}
	if cv.first[b[0]] && cv.nulls[string(b)] {
		return true
	}
	if t != String {
		for _, ch := range b {
			if ch != ' ' && ch != '\t' {
				return false
			}
		}
		return true
	}
	return false
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

// column converts column j of every chunk to type t. In strict mode the
// first unparsable value fails the attempt; otherwise it is handled by the
// bad-row policy.
func (cv *converter) column(chunks []*rawChunk, j int, t DType, strict bool, total int) colResult {
	mem := cv.o.Allocator
	var res colResult
	var valid []bool
	setNull := func(i int) {
		if valid == nil {
			valid = make([]bool, total)
			for k := range valid {
				valid[k] = true
			}
		}
		valid[i] = false
	}
	var (
		ibuf, fbuf *memory.Buffer
		ints       []int64
		floats     []float64
		bools      []bool
		strs       []string
		layout     int
	)
	switch t {
	case Int64, Timestamp:
		ibuf, ints = allocFixed[int64](mem, total)
	case Float64:
		fbuf, floats = allocFixed[float64](mem, total)
	case Bool:
		bools = make([]bool, total)
	case String:
		strs = make([]string, total)
	}
	release := func() {
		if ibuf != nil {
			ibuf.Release()
		}
		if fbuf != nil {
			fbuf.Release()
		}
	}
	row := 0
	for _, c := range chunks {
		for r := 0; r < c.nrows; r, row = r+1, row+1 {
			b := c.field(r, j)
			if c.forcedNull(r, j) || cv.isNull(b, t) {
				setNull(row)
				continue
			}
			res.nonNull++
			ok := true
			switch t {
			case Int64:
				v, err := strconv.ParseInt(strings.TrimSpace(bstr(b)), 10, 64)
				ints[row], ok = v, err == nil
			case Float64:
				v, err := strconv.ParseFloat(strings.TrimSpace(bstr(b)), 64)
				floats[row], ok = v, err == nil
			case Bool:
				bools[row], ok = parseBool(strings.TrimSpace(bstr(b)))
			case Timestamp:
				var tm time.Time
				tm, ok = parseTime(strings.TrimSpace(bstr(b)), &layout)
				ints[row] = tm.UnixMicro()
			case String:
				strs[row] = bstr(b)
			}
			if ok {
				continue
			}
			if strict {
				release()
				return colResult{failed: true}
			}
			setNull(row)
			val := string(b)
			if len(val) > 40 {
				val = val[:40] + "…"
			}
			reason := fmt.Sprintf("cannot parse %q as %s", val, t)
			switch cv.o.BadRows {
			case BadRowsError:
				release()
				return colResult{err: fmt.Errorf("%s: column %q: %s (set CSVOptions.Types to read it as another type, or BadRows to null or skip bad values)",
					(&csvParser{file: cv.file}).where(int(c.lines[r])), cv.names[j], reason)}
			case BadRowsNull:
				res.problems = append(res.problems, Problem{File: cv.file, Line: int(c.lines[r]), Column: cv.names[j], Value: val, Reason: reason, Action: "null"})
			case BadRowsSkip:
				res.problems = append(res.problems, Problem{File: cv.file, Line: int(c.lines[r]), Column: cv.names[j], Value: val, Reason: reason, Action: "skip"})
				res.skip = append(res.skip, row)
			}
		}
	}
	vb, nulls := validityBuf(mem, valid, total)
	switch t {
	case Int64:
		res.arr = makeArray(arrow.PrimitiveTypes.Int64, total, nulls, vb, ibuf)
	case Timestamp:
		res.arr = makeArray(tsType, total, nulls, vb, ibuf)
	case Float64:
		res.arr = makeArray(arrow.PrimitiveTypes.Float64, total, nulls, vb, fbuf)
	case Bool:
		if vb != nil {
			vb.Release()
		}
		res.arr = boolArray(mem, bools, valid)
	case String:
		if vb != nil {
			vb.Release()
		}
		res.arr = stringArray(mem, strs, valid)
	}
	return res
}
