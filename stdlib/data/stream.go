package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Stream reads a file larger than memory one chunk at a time and applies
// filters, selections and derived columns to each chunk as it passes, so
// memory holds a chunk (and, for a group-by, one row per group), never the
// file. A stream ends in one consuming call: WriteParquet, WriteCSV,
// GroupBy(...).Agg or Collect, which also closes it.
//
//	s, err := data.ScanCSV("events.csv", data.CSVOptions{ChunkRows: 100_000})
//	err = s.Filter(data.Col("amount").Gt(0)).Progress(data.ShowProgress(0)).WriteParquet("events.parquet")
//
//	s, err = data.ScanParquet("events.parquet")
//	byDay, err := s.Filter(data.Col("amount").Gt(0)).GroupBy("day").Agg(data.Count(), data.Mean("amount"))
type Stream struct {
	source   string
	next     func() (*Frame, error)
	close    func() error
	done     func() int64 // progress in unit, read so far
	total    int64
	unit     string
	steps    []func(*Frame) (*Frame, error)
	needs    []func(map[string]bool) map[string]bool // per step: the columns it needs, given those needed after it (nil: all)
	project  func(map[string]bool)                   // limits the columns read, when the source can
	progress func(Progress)
	rows     int64
	start    time.Time
	closed   bool
	ahead    chan chunk    // the chunk read ahead of the one in use
	stop     chan struct{} // closed to stop reading ahead
	reader   sync.WaitGroup
}

type chunk struct {
	f   *Frame
	err error
}

// Progress reports how far a stream has read its input: Done of Total
// bytes of a CSV file or rows of a Parquet file.
type Progress struct {
	Source   string
	Done     int64
	Total    int64
	Unit     string // "bytes" or "rows"
	Rows     int64  // rows read so far
	Elapsed  time.Duration
	Finished bool
}

// ScanCSV opens a CSV file as a stream of chunks of opts.ChunkRows rows.
// Column types come from the first chunk unless opts.Types fixes them.
func ScanCSV(path string, opts ...CSVOptions) (*Stream, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	cr := &countingReader{r: fh}
	r := NewCSVReader(cr, opts...)
	r.file = path
	return &Stream{
		source:  path,
		next:    r.Next,
		close:   fh.Close,
		done:    cr.n.Load,
		total:   st.Size(),
		unit:    "bytes",
		start:   time.Now(),
		project: r.project,
	}, nil
}

// ScanParquet opens a Parquet file as a stream of chunks of at most
// opts.BatchRows rows, decoding one row group at a time.
func ScanParquet(path string, opts ...ParquetOptions) (*Stream, error) {
	r, err := OpenParquet(path, opts...)
	if err != nil {
		return nil, err
	}
	s := &Stream{source: path, next: r.Next, close: r.Close, total: r.NumRows(), unit: "rows", start: time.Now(),
		project: r.project}
	s.done = func() int64 { return s.rows }
	return s, nil
}

// countingReader counts the bytes read, for progress reports made while
// the stream reads ahead on another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Filter keeps the rows of each chunk for which cond holds.
func (s *Stream) Filter(cond *Expr) *Stream {
	return s.step(func(f *Frame) (*Frame, error) { return f.Filter(cond) }, func(need map[string]bool) map[string]bool {
		if need != nil {
			cond.columns(need)
		}
		return need
	})
}

// Select keeps the named columns of each chunk.
func (s *Stream) Select(cols ...string) *Stream {
	return s.step(func(f *Frame) (*Frame, error) { return f.Select(cols...) }, func(map[string]bool) map[string]bool {
		need := map[string]bool{}
		for _, c := range cols {
			need[c] = true
		}
		return need
	})
}

// With adds (or replaces) column name, computed from e, in each chunk.
func (s *Stream) With(name string, e *Expr) *Stream {
	return s.step(func(f *Frame) (*Frame, error) { return f.With(name, e) }, func(need map[string]bool) map[string]bool {
		if need != nil {
			delete(need, name)
			e.columns(need)
		}
		return need
	})
}

// Progress calls fn after every chunk read and once at the end, for
// example with ShowProgress for a live bar in the notebook.
func (s *Stream) Progress(fn func(Progress)) *Stream {
	s.progress = fn
	return s
}

func (s *Stream) step(fn func(*Frame) (*Frame, error), need func(map[string]bool) map[string]bool) *Stream {
	s.steps = append(s.steps, fn)
	s.needs = append(s.needs, need)
	return s
}

// pushDown tells the source which columns the steps and a consumer that
// reads the columns in last (nil: all) need, so a stream decodes only
// those: a Parquet stream reads no others, a CSV stream converts no
// others.
func (s *Stream) pushDown(last map[string]bool) {
	need := last
	for k := len(s.needs) - 1; k >= 0; k-- {
		need = s.needs[k](need)
	}
	if need != nil && s.project != nil && s.ahead == nil {
		s.project(need)
	}
}

// Next returns the next chunk with the stream's steps applied, or io.EOF
// at the end. The caller releases the chunk.
func (s *Stream) Next() (*Frame, error) {
	if s.closed {
		return nil, errors.New("stream already consumed")
	}
	f, err := s.fetch()
	if err == io.EOF {
		s.report(true)
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.source, err)
	}
	s.rows += int64(f.NumRows())
	s.report(false)
	for _, fn := range s.steps {
		g, err := fn(f)
		f.Release()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.source, err)
		}
		f = g
	}
	return f, nil
}

// fetch returns the source's next chunk. The source is read one chunk
// ahead on another goroutine, so that parsing or decoding the next chunk
// overlaps the steps and the consumer's work on this one; memory holds at
// most three chunks.
func (s *Stream) fetch() (*Frame, error) {
	if s.ahead == nil {
		s.ahead, s.stop = make(chan chunk, 1), make(chan struct{})
		s.reader.Add(1)
		go func() {
			defer s.reader.Done()
			defer close(s.ahead)
			for {
				select {
				case <-s.stop:
					return
				default:
				}
				f, err := s.next()
				select {
				case s.ahead <- chunk{f, err}:
				case <-s.stop:
					f.Release()
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	c, ok := <-s.ahead
	if !ok {
		return nil, io.EOF
	}
	return c.f, c.err
}

func (s *Stream) report(finished bool) {
	if s.progress == nil {
		return
	}
	p := Progress{Source: s.source, Done: s.done(), Total: s.total, Unit: s.unit, Rows: s.rows,
		Elapsed: time.Since(s.start), Finished: finished}
	if finished {
		p.Done = p.Total
	}
	s.progress(p)
}

// Close releases the input. The consuming calls close the stream
// themselves.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stop != nil {
		close(s.stop)
		for c := range s.ahead {
			c.f.Release()
		}
		s.reader.Wait()
	}
	return s.close()
}

// each runs fn on every chunk and closes the stream.
func (s *Stream) each(fn func(*Frame) error) (err error) {
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	for {
		f, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		err = fn(f)
		f.Release()
		if err != nil {
			return err
		}
	}
}

// WriteParquet writes every chunk to a Parquet file, each chunk as one or
// more row groups (opts.RowGroupRows caps them), and closes the stream.
func (s *Stream) WriteParquet(path string, opts ...ParquetOptions) error {
	s.pushDown(nil)
	w, err := CreateParquet(path, opts...)
	if err != nil {
		s.Close()
		return err
	}
	if err := s.each(w.Write); err != nil {
		w.abort()
		return err
	}
	return w.Close()
}

// WriteCSV writes every chunk to a CSV file under one header and closes
// the stream.
func (s *Stream) WriteCSV(path string, opts ...CSVOptions) error {
	s.pushDown(nil)
	w, err := CreateCSV(path, opts...)
	if err != nil {
		s.Close()
		return err
	}
	if err := s.each(w.Write); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Collect reads the remaining chunks into one frame and closes the
// stream: for a stream filtered down to what fits in memory.
func (s *Stream) Collect() (*Frame, error) {
	s.pushDown(nil)
	var parts []*Frame
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	err := s.each(func(f *Frame) error {
		f.Retain()
		parts = append(parts, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%s: no rows", s.source)
	}
	return Concat(parts...)
}

// StreamGroupBy is a group-by over a stream; Agg computes it.
type StreamGroupBy struct {
	s    *Stream
	keys []string
}

// GroupBy groups the stream's rows by the key columns.
func (s *Stream) GroupBy(keys ...string) *StreamGroupBy { return &StreamGroupBy{s: s, keys: keys} }

// Agg aggregates the whole stream chunk by chunk, holding one partial row
// per group: Count, Sum, Mean, Min and Max combine across chunks; the
// others need every value of a group at once and are refused. The result
// is GroupBy(...).Agg's over the whole input: one row per group, sorted by
// the keys. It closes the stream.
func (g *StreamGroupBy) Agg(aggs ...Agg) (*Frame, error) {
	partial, merge, err := streamAggs(aggs)
	if err != nil {
		g.s.Close()
		return nil, err
	}
	need := map[string]bool{}
	for _, k := range g.keys {
		need[k] = true
	}
	for _, a := range aggs {
		if a.col != "" {
			need[a.col] = true
		}
	}
	g.s.pushDown(need)
	var acc *Frame
	defer func() { acc.Release() }()
	err = g.s.each(func(f *Frame) error {
		part, err := f.GroupBy(g.keys...).Agg(partial...)
		if err != nil {
			return err
		}
		if acc == nil {
			acc = part
			return nil
		}
		both, err := Concat(acc, part)
		part.Release()
		if err != nil {
			return err
		}
		acc.Release()
		acc, err = both.GroupBy(g.keys...).Agg(merge...)
		both.Release()
		return err
	})
	if err != nil {
		return nil, err
	}
	if acc == nil {
		return nil, fmt.Errorf("%s: no rows to group", g.s.source)
	}
	return finishAggs(acc, g.keys, aggs)
}

// streamAggs returns the per-chunk aggregations that aggs need and those
// that merge two partial results.
func streamAggs(aggs []Agg) (partial, merge []Agg, err error) {
	seen := map[string]bool{}
	add := func(p, m Agg) {
		if !seen[p.as] {
			seen[p.as] = true
			partial = append(partial, p)
			merge = append(merge, m)
		}
	}
	sum := func(name string) Agg { return Agg{op: "sum", col: name, as: name} }
	for _, a := range aggs {
		switch a.op {
		case "count":
			add(Agg{op: "count", as: "\x00n"}, sum("\x00n"))
		case "sum":
			n := "\x00sum\x00" + a.col
			add(Agg{op: "sum", col: a.col, as: n}, sum(n))
		case "mean":
			s, n := "\x00sum\x00"+a.col, "\x00valid\x00"+a.col
			add(Agg{op: "sum", col: a.col, as: s}, sum(s))
			add(Agg{op: "nvalid", col: a.col, as: n}, sum(n))
		case "min", "max":
			n := "\x00" + a.op + "\x00" + a.col
			add(Agg{op: a.op, col: a.col, as: n}, Agg{op: a.op, col: n, as: n})
		default:
			return nil, nil, fmt.Errorf("%s(%q) needs every value of a group at once; a stream combines Count, Sum, Mean, Min and Max (Collect a filtered stream first for the others)", a.op, a.col)
		}
	}
	return partial, merge, nil
}

// finishAggs builds the result from the merged partials.
func finishAggs(acc *Frame, keys []string, aggs []Agg) (*Frame, error) {
	col := func(name string) arrow.Array { return acc.cols[acc.schema.Index(name)] }
	names := append([]string(nil), keys...)
	var cols []arrow.Array
	for _, k := range keys {
		a := col(k)
		a.Retain()
		cols = append(cols, a)
	}
	for _, a := range aggs {
		names = append(names, a.name())
		var out arrow.Array
		switch a.op {
		case "count":
			out = col("\x00n")
			out.Retain()
		case "sum", "min", "max":
			out = col("\x00" + a.op + "\x00" + a.col)
			out.Retain()
		case "mean":
			sums := colVec(col("\x00sum\x00" + a.col))
			n := col("\x00valid\x00" + a.col).(*array.Int64).Int64Values()
			means := make([]float64, len(n))
			valid := make([]bool, len(n))
			for i := range means {
				if n[i] > 0 {
					means[i], valid[i] = sums.float(i)/float64(n[i]), true
				}
			}
			out = fixedArray(acc.mem, arrow.PrimitiveTypes.Float64, means, valid)
		}
		cols = append(cols, out)
	}
	return acc.derive(names, cols)
}
