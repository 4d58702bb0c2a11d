package data

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Frame is an immutable table of named, typed columns stored as Arrow
// arrays. Operations return new frames that share unchanged columns.
//
// A frame holds Arrow memory. Release returns it; frames built on Go's
// default allocator are also reclaimed by the garbage collector, so
// notebooks may skip Release, while long-running programs and those using a
// custom allocator should call it. Retain adds a reference for a second
// owner.
type Frame struct {
	mem      memory.Allocator
	schema   Schema
	cols     []arrow.Array
	nrows    int
	refs     atomic.Int64
	problems []Problem
	pending  *pendingRows // a filter's rows, gathered column by column on first use
}

// ErrReleased is returned by operations on a frame whose memory has been
// released.
var ErrReleased = errors.New("frame already released")

// New builds a frame from series of equal length.
//
//	f, err := data.New(
//		data.Strings("city", []string{"Oslo", "Lima"}),
//		data.Float64s("temp", []float64{4.5, 19}),
//	)
func New(cols ...Series) (*Frame, error) { return NewWith(memory.DefaultAllocator, cols...) }

// NewWith is New with Arrow memory drawn from mem. Frames derived from the
// result use the same allocator.
func NewWith(mem memory.Allocator, cols ...Series) (*Frame, error) {
	names := make([]string, len(cols))
	arrs := make([]arrow.Array, 0, len(cols))
	for i, s := range cols {
		if i > 0 && s.n != cols[0].n {
			releaseAll(arrs)
			return nil, fmt.Errorf("column %q has %d rows, column %q has %d", s.name, s.n, cols[0].name, cols[0].n)
		}
		a, err := s.build(mem)
		if err != nil {
			releaseAll(arrs)
			return nil, err
		}
		names[i] = s.name
		arrs = append(arrs, a)
	}
	return newFrame(mem, names, arrs)
}

// FromRecord builds a frame from an Arrow record, converting narrower
// integer, float32, date and large-string columns to the frame's types. The
// record is not consumed: the caller still releases it.
func FromRecord(mem memory.Allocator, rec arrow.Record) (*Frame, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	names := make([]string, rec.NumCols())
	arrs := make([]arrow.Array, 0, rec.NumCols())
	for i, col := range rec.Columns() {
		names[i] = rec.ColumnName(i)
		a, err := normalize(mem, names[i], col)
		if err != nil {
			releaseAll(arrs)
			return nil, err
		}
		arrs = append(arrs, a)
	}
	return newFrame(mem, names, arrs)
}

// newFrame takes ownership of cols.
func newFrame(mem memory.Allocator, names []string, cols []arrow.Array) (*Frame, error) {
	f := &Frame{mem: mem, cols: cols, schema: make(Schema, len(cols))}
	seen := make(map[string]bool, len(names))
	for i, a := range cols {
		if seen[names[i]] {
			releaseAll(cols)
			return nil, fmt.Errorf("duplicate column name %q", names[i])
		}
		seen[names[i]] = true
		t, dict := dtypeOf(a.DataType())
		if t == "" {
			releaseAll(cols)
			return nil, fmt.Errorf("column %q: unsupported Arrow type %s", names[i], a.DataType())
		}
		f.schema[i] = Field{Name: names[i], Type: t, Dict: dict}
		if i == 0 {
			f.nrows = a.Len()
		} else if a.Len() != f.nrows {
			releaseAll(cols)
			return nil, fmt.Errorf("column %q has %d rows, column %q has %d", names[i], a.Len(), names[0], f.nrows)
		}
	}
	f.refs.Store(1)
	return f, nil
}

// derive makes a frame with f's allocator, taking ownership of cols.
func (f *Frame) derive(names []string, cols []arrow.Array) (*Frame, error) {
	return newFrame(f.mem, names, cols)
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// Retain adds a reference to f's memory; each Retain needs a Release.
func (f *Frame) Retain() { f.refs.Add(1) }

// Release drops a reference and frees the Arrow memory with the last one.
func (f *Frame) Release() {
	if f == nil {
		return
	}
	if f.refs.Add(-1) == 0 {
		f.pending.release()
		releaseAll(f.cols)
		f.cols = nil
	}
}

func (f *Frame) live() error {
	if f == nil {
		return errors.New("nil frame")
	}
	if f.cols == nil && len(f.schema) > 0 {
		return ErrReleased
	}
	return nil
}

// NumRows returns the number of rows.
func (f *Frame) NumRows() int { return f.nrows }

// NumCols returns the number of columns.
func (f *Frame) NumCols() int { return len(f.schema) }

// Shape returns rows and columns.
func (f *Frame) Shape() (rows, cols int) { return f.nrows, len(f.schema) }

// Names returns the column names in order.
func (f *Frame) Names() []string { return f.schema.Names() }

// Schema returns the column names and types.
func (f *Frame) Schema() Schema { return append(Schema(nil), f.schema...) }

// DTypes maps column names to their types.
func (f *Frame) DTypes() map[string]DType {
	out := make(map[string]DType, len(f.schema))
	for _, c := range f.schema {
		out[c.Name] = c.Type
	}
	return out
}

// Has reports whether f has a column called name.
func (f *Frame) Has(name string) bool { return f.schema.Index(name) >= 0 }

// Problems lists the rows a reader nulled or skipped under a lenient
// bad-row policy. Frames derived by operations carry none.
func (f *Frame) Problems() []Problem { return f.problems }

// Allocator returns the allocator f's memory comes from.
func (f *Frame) Allocator() memory.Allocator { return f.mem }

// Column returns the named column. It stays valid while f is not released.
func (f *Frame) Column(name string) (*Column, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	i := f.schema.Index(name)
	if i < 0 {
		return nil, f.missing(name)
	}
	return &Column{field: f.schema[i], arr: f.col(i)}, nil
}

// ColumnAt returns the i-th column, or nil when i is out of range.
func (f *Frame) ColumnAt(i int) *Column {
	if i < 0 || i >= len(f.schema) || f.live() != nil {
		return nil
	}
	return &Column{field: f.schema[i], arr: f.col(i)}
}

// missing builds the error for an unknown column, listing what exists.
func (f *Frame) missing(name string) error {
	return fmt.Errorf("no column %q (columns: %v)", name, f.schema.Names())
}

func (f *Frame) indexes(names []string) ([]int, error) {
	out := make([]int, len(names))
	for k, n := range names {
		i := f.schema.Index(n)
		if i < 0 {
			return nil, f.missing(n)
		}
		out[k] = i
	}
	return out, nil
}

// Record returns f as an Arrow record that shares f's arrays. The caller
// releases the record.
func (f *Frame) Record() arrow.Record {
	return array.NewRecord(f.arrowSchema(), f.arrays(), int64(f.nrows))
}

func (f *Frame) arrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(f.schema))
	for i, c := range f.schema {
		fields[i] = arrow.Field{Name: c.Name, Type: f.col(i).DataType(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// pick returns a frame holding columns idx of f (retained) under names.
func (f *Frame) pick(idx []int, names []string) (*Frame, error) {
	cols := make([]arrow.Array, len(idx))
	for k, i := range idx {
		cols[k] = f.col(i)
		cols[k].Retain()
	}
	return f.derive(names, cols)
}

// Select keeps the named columns, in the given order.
func (f *Frame) Select(names ...string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	idx, err := f.indexes(names)
	if err != nil {
		return nil, err
	}
	return f.pick(idx, names)
}

// Drop removes the named columns.
func (f *Frame) Drop(names ...string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if _, err := f.indexes(names); err != nil {
		return nil, err
	}
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		drop[n] = true
	}
	var idx []int
	var keep []string
	for i, c := range f.schema {
		if !drop[c.Name] {
			idx = append(idx, i)
			keep = append(keep, c.Name)
		}
	}
	return f.pick(idx, keep)
}

// Rename renames columns given as old, new pairs:
//
//	f.Rename("MonthlyCharges", "monthly", "TotalCharges", "total")
func (f *Frame) Rename(oldNew ...string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if len(oldNew)%2 != 0 {
		return nil, fmt.Errorf("rename wants old, new pairs; got %d names", len(oldNew))
	}
	names := f.schema.Names()
	for k := 0; k < len(oldNew); k += 2 {
		i := f.schema.Index(oldNew[k])
		if i < 0 {
			return nil, f.missing(oldNew[k])
		}
		names[i] = oldNew[k+1]
	}
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	return f.pick(idx, names)
}

// WithColumn adds s as a column, replacing any column of the same name.
func (f *Frame) WithColumn(s Series) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if s.n != f.nrows && len(f.schema) > 0 {
		return nil, fmt.Errorf("column %q has %d rows, frame has %d", s.name, s.n, f.nrows)
	}
	a, err := s.build(f.mem)
	if err != nil {
		return nil, err
	}
	return f.withArray(s.name, a)
}

// withArray adds or replaces a column, taking ownership of a.
func (f *Frame) withArray(name string, a arrow.Array) (*Frame, error) {
	names := f.schema.Names()
	cols := make([]arrow.Array, 0, len(names)+1)
	replaced := false
	for i, c := range f.arrays() {
		if names[i] == name {
			cols = append(cols, a)
			replaced = true
			continue
		}
		c.Retain()
		cols = append(cols, c)
	}
	if !replaced {
		names = append(names, name)
		cols = append(cols, a)
	}
	return f.derive(names, cols)
}

// Slice returns rows [i, j) without copying. Out-of-range bounds are
// clamped.
func (f *Frame) Slice(i, j int) *Frame {
	i = max(0, min(i, f.nrows))
	j = max(i, min(j, f.nrows))
	cols := make([]arrow.Array, len(f.schema))
	for k, c := range f.arrays() {
		cols[k] = array.NewSlice(c, int64(i), int64(j))
	}
	out, err := f.derive(f.schema.Names(), cols)
	if err != nil {
		// Slicing a valid frame cannot change its schema.
		panic(err)
	}
	return out
}

// Head returns the first n rows (all when fewer).
func (f *Frame) Head(n int) *Frame { return f.Slice(0, n) }

// Tail returns the last n rows (all when fewer).
func (f *Frame) Tail(n int) *Frame { return f.Slice(f.nrows-n, f.nrows) }

// Take returns the rows at the given positions, in that order; a position
// of -1 yields a row of nulls.
func (f *Frame) Take(rows []int) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	idx := make([]int32, len(rows))
	for k, r := range rows {
		if r < -1 || r >= f.nrows {
			return nil, fmt.Errorf("row %d out of range [0, %d)", r, f.nrows)
		}
		idx[k] = int32(r)
	}
	return f.take(idx), nil
}

// take gathers rows; columns are gathered in parallel.
func (f *Frame) take(idx []int32) *Frame {
	cols := make([]arrow.Array, len(f.schema))
	neg := hasNeg(idx)
	parallel(len(cols), func(k int) { cols[k] = takeRows(f.mem, f.col(k), idx, neg) })
	out, err := f.derive(f.schema.Names(), cols)
	if err != nil {
		panic(err)
	}
	return out
}
