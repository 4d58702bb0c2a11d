package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
)

// CSVReader reads a CSV file in chunks of CSVOptions.ChunkRows rows, for
// files larger than memory. Types are inferred from the first chunk (or set
// with CSVOptions.Types) and then fixed: a later value that does not parse
// is a bad row under the chosen policy.
//
//	r, err := data.OpenCSV("big.csv", data.CSVOptions{ChunkRows: 100_000})
//	defer r.Close()
//	for {
//		f, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		// use f, then f.Release()
//	}
type CSVReader struct {
	src      io.Reader
	closer   io.Closer
	o        CSVOptions
	file     string
	p        *csvParser
	conv     *converter
	names    []string
	types    []DType
	buf      []byte
	start    int
	end      int
	eof      bool
	problems []Problem
	err      error
}

// OpenCSV opens path for chunked reading.
func OpenCSV(path string, opts ...CSVOptions) (*CSVReader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := NewCSVReader(fh, opts...)
	r.file = path
	r.closer = fh
	return r, nil
}

// NewCSVReader reads CSV text from src in chunks.
func NewCSVReader(src io.Reader, opts ...CSVOptions) *CSVReader {
	return &CSVReader{src: src, o: csvOpts(opts), buf: make([]byte, 1<<20)}
}

// fill reads more input, growing the buffer when a record fills it.
func (r *CSVReader) fill() error {
	if r.start > 0 {
		copy(r.buf, r.buf[r.start:r.end])
		r.end -= r.start
		r.start = 0
	}
	if r.end == len(r.buf) {
		r.buf = append(r.buf, make([]byte, len(r.buf))...)
	}
	n, err := r.src.Read(r.buf[r.end:])
	r.end += n
	if err == io.EOF {
		r.eof = true
		return nil
	}
	return err
}

func (r *CSVReader) init() error {
	for {
		if r.end-r.start >= 3 || r.eof {
			break
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(r.buf[r.start:r.end], []byte("\xef\xbb\xbf")) {
		r.start += 3
	}
	for {
		if r.p == nil {
			// Detect the delimiter once the first line is in.
			if !bytes.Contains(r.buf[r.start:r.end], []byte("\n")) && !r.eof {
				if err := r.fill(); err != nil {
					return err
				}
				continue
			}
			r.p = newParser(r.buf[r.start:r.end], r.file, r.o)
		}
		names, n, err := r.p.header(r.buf[r.start:r.end], r.eof, r.o)
		if err == errNeedMore {
			if err := r.fill(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		r.start += n
		r.names = names
		r.conv, err = newConverter(names, r.file, r.o)
		return err
	}
}

// Names returns the column names once the header has been read.
func (r *CSVReader) Names() []string { return r.names }

// Problems lists every bad row seen so far.
func (r *CSVReader) Problems() []Problem { return r.problems }

// Next returns the next chunk, or io.EOF when the input is exhausted.
func (r *CSVReader) Next() (*Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.names == nil {
		if err := r.init(); err != nil {
			r.err = err
			return nil, err
		}
	}
	c := &rawChunk{ncols: len(r.names)}
	for c.nrows < r.o.ChunkRows {
		n, err := r.p.parse(r.buf[r.start:r.end], r.eof, c, r.o.ChunkRows)
		r.start += n
		if err != nil {
			r.err = err
			return nil, err
		}
		if r.eof && r.start >= r.end {
			break
		}
		if c.nrows < r.o.ChunkRows {
			if err := r.fill(); err != nil {
				r.err = err
				return nil, err
			}
		}
	}
	if c.nrows == 0 && r.eof && r.start >= r.end {
		if len(r.p.problems) > 0 {
			r.problems = append(r.problems, r.p.problems...)
			r.p.problems = nil
		}
		r.err = io.EOF
		return nil, io.EOF
	}
	f, err := r.conv.convert([]*rawChunk{c}, r.types)
	if err != nil {
		r.err = err
		return nil, err
	}
	if r.types == nil {
		r.types = make([]DType, len(f.schema))
		for i, fl := range f.schema {
			r.types[i] = fl.Type
		}
	}
	f.problems = mergeProblems(r.p.problems, f.problems)
	r.p.problems = nil
	r.problems = append(r.problems, f.problems...)
	return f, nil
}

// Close closes the file opened by OpenCSV.
func (r *CSVReader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// CSVWriter writes frames as CSV, one after another, under a single header.
// Nulls are written as empty fields.
type CSVWriter struct {
	w      *bufio.Writer
	closer io.Closer
	delim  byte
	names  []string
}

// CreateCSV creates (or truncates) path for writing.
func CreateCSV(path string, opts ...CSVOptions) (*CSVWriter, error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := NewCSVWriter(fh, opts...)
	w.closer = fh
	return w, nil
}

// NewCSVWriter writes CSV to dst. Only Delimiter of the options applies.
func NewCSVWriter(dst io.Writer, opts ...CSVOptions) *CSVWriter {
	o := csvOpts(opts)
	d := byte(',')
	if o.Delimiter != 0 {
		d = byte(o.Delimiter)
	}
	// A large buffer saves system calls on files and pipes; memory
	// (a *bytes.Buffer, as a serving worker's reply is) gains nothing from
	// it, and a writer made per small answer would allocate it every time.
	size := 1 << 20
	if _, ok := dst.(*bytes.Buffer); ok {
		size = 4 << 10
	}
	return &CSVWriter{w: bufio.NewWriterSize(dst, size), delim: d}
}

// Write appends the rows of f. The first frame fixes the header; later
// frames must have the same column names.
func (w *CSVWriter) Write(f *Frame) error {
	if err := f.live(); err != nil {
		return err
	}
	names := f.Names()
	if w.names == nil {
		w.names = names
		var line []byte
		for j, n := range names {
			if j > 0 {
				line = append(line, w.delim)
			}
			line = w.quote(line, n)
		}
		line = append(line, '\n')
		if _, err := w.w.Write(line); err != nil {
			return err
		}
	} else if fmt.Sprint(names) != fmt.Sprint(w.names) {
		return fmt.Errorf("frame columns %v differ from the file's %v", names, w.names)
	}
	// Format a block of rows per column in parallel, then interleave.
	const block = 8192
	cells := make([][][]byte, len(f.cols))
	for lo := 0; lo < f.nrows; lo += block {
		hi := min(lo+block, f.nrows)
		parallel(len(f.cols), func(j int) { cells[j] = w.format(f, j, lo, hi, cells[j]) })
		for i := 0; i < hi-lo; i++ {
			for j := range f.cols {
				if j > 0 {
					w.w.WriteByte(w.delim)
				}
				w.w.Write(cells[j][i])
			}
			if err := w.w.WriteByte('\n'); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *CSVWriter) format(f *Frame, j, lo, hi int, out [][]byte) [][]byte {
	out = out[:0]
	arr := f.cols[j]
	var scratch []byte
	for i := lo; i < hi; i++ {
		scratch = scratch[len(scratch):]
		if arr.IsNull(i) {
			out = append(out, nil)
			continue
		}
		switch a := arr.(type) {
		case *array.Float64:
			scratch = strconv.AppendFloat(scratch, a.Value(i), 'g', -1, 64)
		case *array.Int64:
			scratch = strconv.AppendInt(scratch, a.Value(i), 10)
		case *array.Boolean:
			scratch = strconv.AppendBool(scratch, a.Value(i))
		case *array.Timestamp:
			scratch = microsToTime(int64(a.Value(i))).AppendFormat(scratch, time.RFC3339Nano)
		default:
			scratch = w.quote(scratch, valueAt(arr, i).(string))
		}
		out = append(out, scratch)
	}
	return out
}

func (w *CSVWriter) quote(dst []byte, s string) []byte {
	needs := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case w.delim, '"', '\n', '\r':
			needs = true
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') {
		needs = true
	}
	if !needs {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// Close flushes buffered output and closes the file made by CreateCSV.
func (w *CSVWriter) Close() error {
	err := w.w.Flush()
	if w.closer != nil {
		err = errors.Join(err, w.closer.Close())
	}
	return err
}

// WriteCSV writes f to path.
func (f *Frame) WriteCSV(path string, opts ...CSVOptions) error {
	w, err := CreateCSV(path, opts...)
	if err != nil {
		return err
	}
	if err := w.Write(f); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
