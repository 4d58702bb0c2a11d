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

// CSVReader reads a CSV file in chunks of at most CSVOptions.ChunkRows
// rows, for files larger than memory. Each chunk is a window of the input
// cut after ChunkRows line ends, parsed by ReadCSV's engine on every core,
// so a chunk has fewer rows only where quoted fields hold line breaks or
// lines are blank. Types are inferred from the first chunk (or set with
// CSVOptions.Types) and then fixed: a later value that does not parse is a
// bad row under the chosen policy.
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
	need     map[string]bool // columns to decode; nil: all
	kinds    []colKind       // per column, once the first chunk fixed them (kSkip: not decoded)
	buf      []byte
	start    int
	end      int
	eof      bool
	segBytes int // smallest part of a window parsed on its own
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
	return &CSVReader{src: src, o: csvOpts(opts), buf: make([]byte, 1<<20), segBytes: csvSegmentBytes}
}

// fill reads more input, growing the buffer when the unread part fills it.
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

// project limits the columns decoded to those named in need (the others
// are still split off, never converted). Called before the first chunk.
func (r *CSVReader) project(need map[string]bool) { r.need = need }

// window returns where the next chunk's bytes end: just past the want-th
// line end after r.start+from, or at the end of the input.
func (r *CSVReader) window(from, want int) (int, error) {
	off, count := from, 0 // off: past the last line end found, from r.start
	for {
		b := r.buf[r.start+off : r.end]
		// Whole blocks of line ends are counted at once; the cut is
		// looked for line by line only in the block holding it.
		const block = 64 << 10
		for len(b) > block && count < want {
			n := bytes.Count(b[:block], []byte{'\n'})
			if count+n >= want {
				break
			}
			if n > 0 {
				// off stays just past a line end: move it to the block's
				// last one.
				last := bytes.LastIndexByte(b[:block], '\n')
				count += n
				off += last + 1
				b = b[last+1:]
				continue
			}
			break
		}
		for count < want {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break
			}
			count++
			off += i + 1
			b = b[i+1:]
		}
		if count == want {
			return r.start + off, nil
		}
		if r.eof {
			return r.end, nil
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

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
	from, want := 0, r.o.ChunkRows
	for {
		cut, err := r.window(from, want)
		if err != nil {
			r.err = err
			return nil, err
		}
		if r.eof && r.start >= r.end {
			r.err = io.EOF
			return nil, io.EOF
		}
		atEOF := r.eof && cut == r.end
		f, used, err := r.parse(r.buf[r.start:cut], atEOF)
		if err != nil {
			r.err = err
			return nil, err
		}
		r.p.line += bytes.Count(r.buf[r.start:r.start+used], []byte{'\n'})
		r.start += used
		if f != nil {
			return f, nil
		}
		// Only blank lines or skipped rows: read on from where they ended.
		from, want = 0, r.o.ChunkRows
		if used == 0 && !atEOF {
			// The first record runs past the window's last line end:
			// take in the whole record and ChunkRows-1 lines after it,
			// which end at most as many records.
			if from, err = r.recordEnd(); err != nil {
				r.err = err
				return nil, err
			}
			want = r.o.ChunkRows - 1
		}
	}
}

// recordEnd returns where the record at r.start (after any blank lines)
// ends, from r.start, reading more input as needed.
func (r *CSVReader) recordEnd() (int, error) {
	tok := &recTok{delim: r.p.delim}
	for {
		for pos := r.start; pos < r.end; {
			next, _, st := tok.next(r.buf[:r.end], pos, r.eof)
			if st == recNeedMore {
				break
			}
			if st != recBlank {
				return next - r.start, nil
			}
			pos = next
		}
		if r.eof {
			return r.end - r.start, nil
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

// parse reads the records of buf with the segmented engine and returns
// them as a frame (nil when none were left after bad rows) and how many
// bytes they took; unless atEOF, a record cut off at the end of buf is
// left for the next window.
func (r *CSVReader) parse(buf []byte, atEOF bool) (*Frame, int, error) {
	e := newCSVEngine(r.conv, buf, r.p.delim)
	e.atEOF = atEOF
	if r.kinds != nil {
		copy(e.kinds, r.kinds)
	} else if r.need != nil {
		kept := 0
		for j, name := range r.names {
			if r.need[name] {
				kept++
			} else {
				e.kinds[j] = kSkip
			}
		}
		if kept == 0 {
			// Nothing named is in the file: keep the first column so
			// chunks still count rows, and let the step name the problem.
			e.kinds[0] = r.kinds0()
		}
	}
	var g faultGuard
	f, used, err := readCSVSegments(e, r.p.line, 0, r.segBytes, &g)
	if err != nil {
		return nil, 0, err
	}
	r.problems = append(r.problems, f.problems...)
	if f.NumRows() == 0 {
		f.Release()
		return nil, used, nil
	}
	if r.kinds == nil {
		// The first chunk fixes the types of the columns it inferred.
		r.kinds = append([]colKind(nil), e.kinds...)
		for j, k := range r.kinds {
			if k == kSkip {
				continue
			}
			i := f.schema.Index(r.names[j])
			t := f.schema[i].Type
			r.kinds[j] = kindOf(t)
			if r.conv.forced[j] == "" {
				r.conv.forced[j] = t
			}
		}
	}
	return f, used, nil
}

// kinds0 is the kind the first column is read as when no column is
// needed: its forced type's, else inferred.
func (r *CSVReader) kinds0() colKind {
	if t := r.conv.forced[0]; t != "" {
		return kindOf(t)
	}
	return kNone
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
	cols := f.arrays()
	cells := make([][][]byte, len(cols))
	for lo := 0; lo < f.nrows; lo += block {
		hi := min(lo+block, f.nrows)
		parallel(len(cols), func(j int) { cells[j] = w.format(f, j, lo, hi, cells[j]) })
		for i := 0; i < hi-lo; i++ {
			for j := range cols {
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
	arr := f.col(j)
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
